"""Metrics: any scikit-learn scorer name or scorer callable, scored from stored predictions.

Trials return predictions, never scores: the parent scores them with the user's
scorer through :class:`StoredPredictions`, an estimator stand-in that answers
``predict``/``predict_proba``/``decision_function`` from arrays. So a metric
defined in a user's script never goes to a worker, and the ensemble scores its
blends the same way.

A scorer sees what ``cross_val_score`` would give it (:meth:`Metric.bind`): the
user's class labels, and for a callable that is not a scikit-learn scorer, the
validation rows of X.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.utils import _safe_indexing

try:  # what make_scorer and get_scorer return; they read X only through the estimator
    from sklearn.metrics._scorer import _BaseScorer as _SklearnScorer
except ImportError:  # pragma: no cover - a scikit-learn that moved it: every scorer gets X
    _SklearnScorer = ()

DEFAULT_METRIC = {"classification": "accuracy", "regression": "r2"}


@dataclass(frozen=True)
class Predictions:
    """Predictions of one model on some rows.

    ``values`` holds class probabilities (n, n_classes) for classification and
    predicted values (n,) for regression; ``labels`` the predicted class indices.
    """

    values: np.ndarray
    labels: np.ndarray | None = None


class StoredPredictions(BaseEstimator):
    """Answers a scorer's calls from stored predictions (the rows of X are ignored)."""

    def __init__(self, predictions: Predictions, classes=None):
        self.predictions = predictions
        self.classes = classes

    def predict(self, X):
        return self.predictions.values


# Logits of distinct float32 probabilities stay within about +-104: the bound only
# makes those of 0 and 1 finite, and keeps every order.
_LOGIT_BOUND = 1e3


class _StoredClassifier(ClassifierMixin, StoredPredictions):
    """``classes`` label the columns of the stored probabilities (and the labels)."""

    @property
    def classes_(self):
        return self.classes

    def predict(self, X):
        p = self.predictions
        labels = p.labels if p.labels is not None else np.argmax(p.values, axis=1)
        return self.classes[labels]

    def predict_proba(self, X):
        return self.predictions.values

    def decision_function(self, X):
        """The log-odds of the second class (binary), the log-probabilities otherwise:
        the same order as the probabilities, for scorers that ask for decisions."""
        proba = np.asarray(self.predictions.values, dtype=np.float64)
        with np.errstate(divide="ignore"):
            if proba.shape[1] == 2:
                decision = np.log(proba[:, 1]) - np.log1p(-proba[:, 1])
            else:
                decision = np.log(proba)
        return np.clip(decision, -_LOGIT_BOUND, _LOGIT_BOUND)


class _StoredRegressor(RegressorMixin, StoredPredictions):
    pass


def _accuracy(y_true, predictions):
    """Accuracy of the predicted labels; None (the scorer decides) without labels."""
    if predictions.labels is None:
        return None
    return float(np.mean(predictions.labels == y_true))


class _Regression:
    """``score`` of (targets, finite predicted values) of two rows or more, as a
    scorer of :data:`DIRECT_SCORES`; None (the scorer decides) otherwise. A class,
    not a closure: a metric pickles."""

    def __init__(self, score):
        self.score = score

    def __call__(self, y_true, predictions):
        values = np.asarray(predictions.values, dtype=np.float64)
        if len(y_true) < 2 or values.ndim != 1 or not np.isfinite(values).all():
            return None
        return float(self.score(np.asarray(y_true, dtype=np.float64), values))


def _r2(y_true, values):
    residual = np.sum((y_true - values) ** 2)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if total == 0.0:  # scikit-learn's force_finite: a constant target
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def _neg_mse(y_true, values):
    return -np.mean((y_true - values) ** 2)


def _neg_rmse(y_true, values):
    return -np.sqrt(np.mean((y_true - values) ** 2))


def _neg_mae(y_true, values):
    return -np.mean(np.abs(y_true - values))


# Scorer names scored directly from the stored arrays (the same formula as
# scikit-learn's, without its scorer's checks and estimator stand-in): ensemble
# selection scores each fold of every candidate blend at every pick, thousands of
# times a fit. Measured here: accuracy on 2000 rows 2.4 ms through the scorer
# against 5 us, R2 1.0 ms against 0.05 ms (2 cores, under load).
# tests/test_scoring.py checks each against its scorer.
DIRECT_SCORES = {
    "accuracy": _accuracy,
    "r2": _Regression(_r2),
    "neg_mean_squared_error": _Regression(_neg_mse),
    "neg_root_mean_squared_error": _Regression(_neg_rmse),
    "neg_mean_absolute_error": _Regression(_neg_mae),
}


@dataclass(frozen=True)
class Metric:
    """A scorer (greater is better, sklearn's convention) and the name it shows;
    ``direct``: the same score from (targets, :class:`Predictions`), or None where
    only the scorer decides (:data:`DIRECT_SCORES`).

    ``by_name``: given as a scikit-learn scorer name. ``labels``: the class labels
    the scorer sees in place of the encoded classes (None: the encoded ones);
    ``X``: the rows a scorer that reads X gets its validation rows from (None:
    their positions). Both are set by :meth:`bind`.
    """

    name: str
    scorer: Callable
    direct: Callable | None = None
    by_name: bool = False
    labels: np.ndarray | None = field(default=None, repr=False, compare=False)
    X: object = field(default=None, repr=False, compare=False)

    def bind(self, X, classes=None) -> Metric:
        """This metric as the scorer would run in ``cross_val_score`` on ``X`` and
        targets whose sorted labels are ``classes`` (None: a regression).

        A callable sees the user's labels; a scorer name sees them when 1 is one
        of them (a binary metric's positive class is then 1, scikit-learn's
        default ``pos_label``), else the encoded classes, whose 1 is the second
        label in sorted order (string labels, where scikit-learn's default fails).
        A callable that is not a scikit-learn scorer gets the validation rows of
        ``X`` (a scorer made by ``make_scorer`` reads X only through the estimator,
        which answers from stored predictions).
        """
        labels = None
        if classes is not None:
            classes = np.asarray(classes)
            if not self.by_name or any(label == 1 for label in classes.tolist()):
                labels = classes
        reads_X = callable(self.scorer) and not isinstance(self.scorer, _SklearnScorer)
        return replace(self, labels=labels, X=X if reads_X else None)

    def score(self, task: str, y_true: np.ndarray, predictions: Predictions,
              rows=None) -> float:
        """Score predictions of rows whose true (encoded) targets are ``y_true``;
        ``rows``: their indices in the bound X (see :meth:`bind`)."""
        if self.direct is not None:
            score = self.direct(y_true, predictions)
            if score is not None:
                return score
        if task == "classification":
            labels = (np.arange(predictions.values.shape[1]) if self.labels is None
                      else self.labels)
            stand_in = _StoredClassifier(predictions, classes=labels)
            y_true = labels[np.asarray(y_true, dtype=int)]
        else:
            stand_in = _StoredRegressor(predictions)
        if self.X is not None and rows is not None:
            X = _safe_indexing(self.X, rows)
        else:
            X = np.arange(len(y_true)).reshape(-1, 1)
        return float(self.scorer(stand_in, X, y_true))


def predictions_of(model, X, n_classes: int | None) -> Predictions:
    """A fitted model's predictions on X: class probabilities over all ``n_classes``
    encoded classes (a model that saw fewer gets zero columns) and labels for
    classification (``n_classes`` an int), values for regression (None)."""
    if n_classes is None:
        return Predictions(np.asarray(model.predict(X), dtype=np.float64))
    proba = np.zeros((X.shape[0], n_classes), dtype=np.float32)
    proba[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(X)
    return Predictions(proba, np.asarray(model.predict(X), dtype=int))


def concatenate(folds) -> Predictions:
    """One :class:`Predictions` of the folds' validation rows, in fold order."""
    folds = list(folds)
    return Predictions(
        np.concatenate([p.values for p in folds]),
        None if folds[0].labels is None else np.concatenate([p.labels for p in folds]))


def split_folds(predictions: Predictions, splits) -> list:
    """The inverse of :func:`concatenate`: one :class:`Predictions` per split's validation rows."""
    parts, start = [], 0
    for _, valid in splits:
        stop = start + len(valid)
        parts.append(Predictions(
            predictions.values[start:stop],
            None if predictions.labels is None else predictions.labels[start:stop]))
        start = stop
    return parts


def fold_scores(metric: Metric, task: str, y, splits, folds, *, failed=None) -> tuple:
    """The metric on each split's validation rows (``y`` encoded), from one
    :class:`Predictions` per split: the one place a fit scores folds. ``failed``:
    the score of a fold the metric raises on or scores NaN for (None: the error is
    raised, NaN kept).

    A metric's warnings (R² of a one-row fold, precision without a predicted
    positive) are not shown: the score itself (NaN, 0) says it, and the user
    would see library warnings about folds they never made.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tuple(_fold_score(metric, task, y, valid, p, failed)
                     for (_, valid), p in zip(splits, folds))


def _fold_score(metric, task, y, valid, predictions, failed):
    if failed is None:
        return metric.score(task, y[valid], predictions, valid)
    try:
        score = metric.score(task, y[valid], predictions, valid)
    except Exception:  # noqa: BLE001 - the user's metric failed on these predictions
        return failed
    return failed if np.isnan(score) else score


def blend_fold_scores(metric: Metric, task: str, y, splits, folds) -> tuple:
    """:func:`fold_scores` of predictions made from scored trials (a blend, a subset,
    a refit's): a fold the metric fails on or scores NaN counts as ``-inf``, so that
    they lose every comparison instead of stopping the fit."""
    return fold_scores(metric, task, y, splits, folds, failed=-np.inf)


def get_metric(metric, task: str) -> Metric:
    """Resolve the ``metric`` parameter: None (task default), a scorer name or a callable.

    Raises
    ------
    ValueError
        For a name scikit-learn does not know.
    """
    if metric is None:
        metric = DEFAULT_METRIC[task]
    if isinstance(metric, _SklearnScorer):  # make_scorer(recall_score, pos_label=1)
        return Metric(repr(metric), metric)
    if callable(metric):
        return Metric(getattr(metric, "__name__", type(metric).__name__), metric)
    try:
        scorer = get_scorer(metric)
    except ValueError:
        raise ValueError(
            f"Unknown metric {metric!r}. Use a scorer name from "
            f"sklearn.metrics.get_scorer_names() (e.g. 'accuracy', 'balanced_accuracy', "
            f"'roc_auc', 'neg_log_loss', 'r2', 'neg_root_mean_squared_error') or a callable "
            f"scorer(estimator, X, y).") from None
    family = getattr(getattr(scorer, "_score_func", None), "__module__", "") or ""
    wrong = ("_regression",) if task == "classification" else ("_classification", "_ranking")
    if family.endswith(wrong):
        raise ValueError(f"metric {metric!r} cannot score a {task} task; choose a {task} "
                         f"metric (default: {DEFAULT_METRIC[task]!r}).")
    return Metric(metric, scorer, DIRECT_SCORES.get(metric), by_name=True)


def scorer_names() -> list[str]:
    """Valid metric names."""
    return sorted(get_scorer_names())
