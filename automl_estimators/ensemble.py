"""Ensemble selection over the trials (Caruana et al., 2004), and the ensemble estimators.

:func:`select_ensemble` works on the validation predictions the trials already
returned: greedy forward selection *with replacement* of the blend (mean of
probabilities, or of values) that maximises the user's metric, scored fold by fold
exactly as a trial is, so the ensemble's validation score is comparable with the
trials'. The best prefix of the greedy trajectory is kept (Caruana's advice), so
the ensemble never scores below the best single trial on validation. Only
full-fidelity successes are candidates: a low-fidelity trial's predictions are
never blended with full ones.

:class:`EnsembleClassifier` / :class:`EnsembleRegressor` are plain scikit-learn
estimators (``members_``, ``weights_``): ``fit`` refits every member, ``predict``
blends them, and they pickle, clone and export like any estimator.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from .scoring import Predictions, blend_fold_scores, split_folds

# Default number of greedy picks (auto-sklearn's ensemble_size).
ENSEMBLE_SIZE = 50
# Candidates: the best trials by validation score (auto-sklearn's ensemble_nbest).
ENSEMBLE_NBEST = 20
# Picks without a better validation score after which the greedy search stops:
# only the best prefix is kept, and late picks mostly repeat the same members.
PATIENCE = 10


@dataclass(frozen=True)
class Selection:
    """The result of ensemble selection.

    Attributes
    ----------
    trials : tuple of TrialResult
        Distinct members, largest weight first.
    weights : ndarray
        Their weights (sum to one).
    score : float
        Validation score of the blend (mean over folds, as a trial's).
    trajectory : tuple of float
        Validation score after each greedy pick (before truncation to the best prefix).
    """

    trials: tuple
    weights: np.ndarray
    score: float
    trajectory: tuple


def blend(values, weights, task: str) -> Predictions:
    """The weighted mean of several models' prediction arrays.

    Classification rows are renormalised to sum to one (members' float32
    probabilities do not, exactly); labels are the most probable class.
    """
    mean = sum(w * np.asarray(v, dtype=np.float64) for v, w in zip(values, weights))
    mean = mean / np.sum(weights)
    if task == "classification":
        mean = mean / mean.sum(axis=1, keepdims=True)
        return Predictions(mean, mean.argmax(axis=1))
    return Predictions(mean)


def fold_score(metric, task, y, splits, predictions: Predictions) -> float:
    """Mean over folds of the metric, for predictions of the concatenated validation
    rows (``-inf`` where the metric fails on them, :func:`.scoring.blend_fold_scores`)."""
    return float(np.mean(blend_fold_scores(metric, task, y, splits,
                                           split_folds(predictions, splits))))


def select_ensemble(results, y, splits, metric, task: str, *, size: int = ENSEMBLE_SIZE,
                    n_best: int = ENSEMBLE_NBEST, deadline: float | None = None):
    """Greedy ensemble selection with replacement over the trials' validation predictions.

    Parameters
    ----------
    results : list of TrialResult
        Ranked successes (best first); those without predictions or below full
        fidelity are skipped.
    y : ndarray
        Encoded targets of all rows; ``splits`` index them.
    splits : list of (train_rows, valid_rows)
        The resampling whose validation predictions the trials returned (in order).
    metric : Metric
    task : {"classification", "regression"}
    size : int
        Greedy picks at most.
    n_best : int
        Candidates: the first ``n_best`` usable trials.
    deadline : float or None
        ``time.monotonic()`` value after which no further pick is tried.

    Returns
    -------
    Selection or None
        None when no trial has usable predictions.
    """
    candidates = [r for r in results
                  if r.predictions is not None and r.fidelity >= 1.0 and r.origin != "dummy"]
    candidates = candidates[:n_best]
    if not candidates:
        return None
    y = np.asarray(y)
    values = [np.asarray(r.predictions.values, dtype=np.float64) for r in candidates]
    total = np.zeros_like(values[0])  # mean of the picks so far
    picks, trajectory = [], []
    best_score, best_length, since_best = -np.inf, 0, 0
    for step in range(1, size + 1):
        if deadline is not None and picks and time.monotonic() > deadline:
            break
        scores = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a metric's warnings on one blend are noise
            for candidate in values:
                scores.append(fold_score(metric, task, y, splits,
                                          blend((total, candidate), (step - 1, 1), task)))
        chosen = int(np.argmax(scores))  # ties: the better-ranked trial
        picks.append(chosen)
        total = (total * (step - 1) + values[chosen]) / step
        trajectory.append(scores[chosen])
        if scores[chosen] > best_score:
            best_score, best_length, since_best = scores[chosen], step, 0
        else:
            since_best += 1
            if since_best >= PATIENCE:
                break
    counts = Counter(picks[:best_length])
    order = sorted(counts, key=lambda i: (-counts[i], i))
    weights = np.array([counts[i] for i in order], dtype=float) / best_length
    return Selection(tuple(candidates[i] for i in order), weights, float(best_score),
                     tuple(trajectory))


# ------------------------------------------------------------- estimators
class _EnsembleBase(BaseEstimator):
    def __init__(self, estimators, weights=None):
        self.estimators = estimators
        self.weights = weights

    def _normalised_weights(self):
        weights = np.ones(len(self.estimators)) if self.weights is None \
            else np.asarray(self.weights, dtype=float)
        if len(weights) != len(self.estimators) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(f"weights must be {len(self.estimators)} non-negative numbers with a "
                             f"positive sum, one per estimator; got {self.weights!r}.")
        return weights / weights.sum()

    def fit(self, X, y):
        """Fit every member on (X, y)."""
        if not self.estimators:
            raise ValueError("An ensemble needs at least one (name, estimator) pair.")
        self.weights_ = self._normalised_weights()
        self.members_ = [clone(estimator).fit(X, y) for _, estimator in self.estimators]
        self._set_fitted(y)
        return self

    @classmethod
    def from_fitted(cls, estimators, fitted, weights, y=None, classes=None):
        """An ensemble of already fitted members (refit elsewhere, e.g. in workers)."""
        ensemble = cls(estimators, weights=list(weights))
        ensemble.weights_ = ensemble._normalised_weights()
        ensemble.members_ = list(fitted)
        ensemble._set_fitted(y, classes)
        return ensemble

    def _set_fitted(self, y=None, classes=None):
        pass


class EnsembleClassifier(ClassifierMixin, _EnsembleBase):
    """Weighted mean of members' class probabilities (soft vote).

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members, named.
    weights : list of float or None
        One per member (normalised to sum to one); None: equal.

    Attributes
    ----------
    members_ : list of fitted estimators
    weights_ : ndarray
    classes_ : ndarray
    """

    def _set_fitted(self, y=None, classes=None):
        self.classes_ = np.unique(y) if classes is None else np.asarray(classes)

    def predict_proba(self, X):
        """Weighted mean of the members' probabilities, columns in ``classes_`` order."""
        check_is_fitted(self)
        proba = np.zeros((X.shape[0], len(self.classes_)))
        for member, weight in zip(self.members_, self.weights_):
            columns = np.searchsorted(self.classes_, member.classes_)
            proba[:, columns] += weight * member.predict_proba(X)
        return proba

    def predict(self, X):
        """The class with the largest blended probability."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class EnsembleRegressor(RegressorMixin, _EnsembleBase):
    """Weighted mean of members' predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
    weights : list of float or None

    Attributes
    ----------
    members_ : list of fitted estimators
    weights_ : ndarray
    """

    def predict(self, X):
        """Weighted mean of the members' predictions."""
        check_is_fitted(self)
        return sum(w * np.asarray(m.predict(X), dtype=float)
                   for m, w in zip(self.members_, self.weights_))
