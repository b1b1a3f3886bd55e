"""Choosing the final model from a history: which trial, or which ensemble, a fit ends on.

Every trial is scored on the same validation folds, and the final model is the
one that looks best there: the more trials, the more the winner's validation
score flatters it (selection overfitting). On small data that optimism is of the
size of the differences between good pipelines, and a search can end on a
challenger, or an ensemble weighted on those same predictions, that does worse
on new rows than the strong default (HistGradientBoosting at its defaults,
always evaluated first). :func:`choose_final` applies one of the :data:`RULES`:

- ``"best"``: the ensemble (:func:`~.ensemble.select_ensemble`) when its
  validation score beats the best trial's, else the best trial;
- ``"one_se"``: the same candidate, kept only when it beats the strong default
  by more than the standard error of their paired per-fold differences (the
  one-standard-error rule of Breiman et al. 1984 / Hastie et al., applied to a
  paired comparison); else the strong default;
- ``"nested"``: the procedures "strong default", "best trial" and "ensemble"
  are each scored honestly by cross-fitting: for every validation fold, the
  procedure chooses (ranks trials, selects and weights an ensemble) on the
  other folds and is scored on that one. The procedure with the best honest
  score is then applied to all folds. Ties keep the simpler procedure;
- ``"nested_one_se"``: as ``"nested"``, but a procedure must beat the strong
  default's (unbiased) score by more than the standard error of the paired
  honest per-fold differences;
- ``"default"``: the strong default alone (a reference, for benchmarks).

A holdout gives one validation fold: its rows are then cut into
:data:`HOLDOUT_CHUNKS` interleaved chunks, scored one by one, for the fold
noise and the cross-fitting.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass

import numpy as np

from .ensemble import ENSEMBLE_SIZE, select_ensemble
from .ensemble import blend as blend_values
from .scoring import Predictions, blend_fold_scores, concatenate, split_folds
from .trial import TrialResult

RULES = ("best", "one_se", "nested", "nested_one_se", "default")
# A single holdout split's validation rows are cut into this many interleaved
# chunks to measure the noise of a comparison (and to cross-fit the selection).
HOLDOUT_CHUNKS = 5
# A refit whose in-sample score on the validation rows is below the trial's
# out-of-fold score there by more than this many standard errors failed to fit
# (:func:`refit_holds`): a stricter bar than the choice's one, because rejecting a
# refit gives up the rows it added.
REFIT_CHECK_SE = 2.0
# The origin the search loop gives the warm start's defaults; the first trial of
# that origin is the strong default (see metalearning.warm_start).
DEFAULT_ORIGIN = "default"


@dataclass(frozen=True)
class Choice:
    """The final model a history ends on, before any refit.

    Attributes
    ----------
    trials : tuple of TrialResult
        One trial, or an ensemble's distinct members (largest weight first).
    weights : ndarray
        The members' weights (sum to one); ``[1.0]`` for one trial.
    score : float
        Validation score of the choice (mean over folds, in-sample as a trial's).
    single : TrialResult or None
        The single trial this rule would end on when the ensemble cannot be
        refit (the chosen trial itself when ``trials`` holds one).
    reason : str
        Why, in words (for the log).
    """

    trials: tuple
    weights: np.ndarray
    score: float
    single: TrialResult | None
    reason: str

    @property
    def is_ensemble(self) -> bool:
        return len(self.trials) >= 2


def strong_default(results) -> TrialResult | None:
    """The strong default's trial when it succeeded at full fidelity with predictions.

    It is the trial of origin :data:`DEFAULT_ORIGIN` with the smallest id (the warm
    start's first candidate; trials run in parallel, so the history holds them in
    the order they ended), whatever its status; None when it failed, is over a
    limit, or was never run.
    """
    first = min((r for r in results if r.origin == DEFAULT_ORIGIN),
                key=lambda r: r.trial_id, default=None)
    if first is None or not first.ok or first.fidelity < 1.0 or first.predictions is None:
        return None
    return first


class _Folds:
    """The validation folds the trials' concatenated predictions are cut into.

    With cross-validation, the splits' validation sets; with one split, its rows
    cut into :data:`HOLDOUT_CHUNKS` interleaved chunks. ``positions[f]`` index
    the concatenated predictions, ``rows[f]`` the targets.
    """

    def __init__(self, splits, n_chunks: int = HOLDOUT_CHUNKS):
        valid = [np.asarray(v) for _, v in splits]
        starts = np.cumsum([0] + [len(v) for v in valid])
        if len(valid) == 1 and len(valid[0]) >= 2 * n_chunks:
            positions = [np.arange(i, len(valid[0]), n_chunks) for i in range(n_chunks)]
            self.rows = [valid[0][p] for p in positions]
            self.positions = positions
        else:
            self.rows = valid
            self.positions = [np.arange(a, b) for a, b in itertools.pairwise(starts)]

    def __len__(self):
        return len(self.rows)

    def subset(self, folds):
        """(splits, positions) of the given folds, in that order: splits whose
        validation rows follow the positions' concatenation."""
        splits = [(None, self.rows[f]) for f in folds]
        return splits, np.concatenate([self.positions[f] for f in folds])


def _restricted(trial: TrialResult, positions) -> TrialResult:
    p = trial.predictions
    return dataclasses.replace(trial, predictions=Predictions(
        p.values[positions], None if p.labels is None else p.labels[positions]))


def _per_fold(values, y, splits, metric, task, labels=None) -> np.ndarray:
    predictions = Predictions(values, labels)  # (fold scoring keeps a metric's warnings)
    return np.asarray(blend_fold_scores(metric, task, y, splits,
                                        split_folds(predictions, splits)))


def _blend(trials, weights, task):
    return blend_values([t.predictions.values for t in trials], weights, task)


def _scores_of(trials, weights, y, folds, metric, task) -> np.ndarray:
    """Per-fold scores of a trial or a blend over ``folds`` (all folds, in order)."""
    splits, positions = folds.subset(range(len(folds)))
    p = (_blend(trials, weights, task) if len(trials) > 1 else trials[0].predictions)
    labels = None if p.labels is None else p.labels[positions]
    return _per_fold(p.values[positions], y, splits, metric, task, labels)


def beats(challenger: np.ndarray, anchor: np.ndarray, n_se: float = 1.0) -> bool:
    """Whether per-fold scores ``challenger`` beat ``anchor`` by more than ``n_se``
    standard errors of their paired differences (mean over folds).

    With one fold, or a fold that one of them could not be scored on (``-inf``,
    :func:`.scoring.blend_fold_scores`), there is no noise estimate: a plain ``>``
    of the means.
    """
    challenger, anchor = np.asarray(challenger, dtype=float), np.asarray(anchor, dtype=float)
    diff = challenger - anchor if np.isfinite(challenger).all() \
        and np.isfinite(anchor).all() else ()
    if len(diff) < 2:
        return bool(challenger.mean() > anchor.mean())
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    return bool(diff.mean() > n_se * se)


def refit_holds(trial: TrialResult, in_sample, y, splits, metric, task) -> tuple:
    """Whether a refit of ``trial`` on all rows learned at least what its fold models did.

    ``in_sample`` holds the refit model's predictions of each split's validation
    rows, which it was trained on; a working refit scores there at least about as
    well as the trial's fold models did on them unseen. One that scores worse by
    more than :data:`REFIT_CHECK_SE` standard errors of the paired per-fold
    differences failed to fit (a boosting that diverged on all rows: measured on
    hypothyroid, HistGradientBoosting refit on all 2829 rows, one class of 2,
    training accuracy 0.914 where its holdout model scored 0.997 unseen).

    Returns (holds, the refit's in-sample score). No predictions: nothing to
    check, it holds.
    """
    if not in_sample or trial.predictions is None:
        return True, float("nan")
    folds = _Folds(splits)
    refit = dataclasses.replace(trial, predictions=concatenate(in_sample))
    own = _scores_of([refit], [1.0], y, folds, metric, task)
    return not beats(_scores_of([trial], [1.0], y, folds, metric, task), own,
                     REFIT_CHECK_SE), float(np.mean(own))


def noise_bar(rule: str, n_se: float = 1.0) -> float | None:
    """The standard errors a challenger must beat an anchor by under ``rule``: ``n_se``
    for the one-SE rules, None (a plain ``>``) for the others."""
    return n_se if rule in ("one_se", "nested_one_se") else None


def above_dummy(results, y, splits, metric, task: str, n_se: float | None = None) -> list:
    """The full-fidelity successes but the dummy (trial 0), best first (ties: earlier
    first, as :meth:`.History.ranked`), that the dummy does not beat: with ``n_se``
    None, those scored above it; else also those it does not beat by more than
    ``n_se`` standard errors of their paired per-fold differences (:func:`beats`).

    The dummy is the fallback that makes ``predict`` work, not a model to choose
    within the noise: on a small imbalanced validation set it scores about as well
    as good models. Measured (kc1, 1 s, seed 1, a holdout of 264 rows): the dummy
    0.8448 on validation, the strong default 0.8276 and extra trees 0.8410; the fit
    ended on the dummy, 0.8447 on test where the default scores 0.8769. Nor is a
    model within the noise always better: on data without signal (150 rows, 80/20
    classes) HistGradientBoosting kept so scored 0.705 and 0.753 on test against
    the majority's 0.80 and 0.79 (session 35, ``benchmarks/no_signal.py``). So a
    classifier within the noise below the dummy is kept only when its class
    probabilities are closer to the validation targets than the dummy's class
    priors (a lower Brier score, :func:`_brier`): a model that learned something
    ranks rows better than the priors even where its accuracy does not show it,
    one that learned the noise is more confidently wrong.
    """
    ranked = sorted((r for r in results if r.ok and r.fidelity == 1.0 and r.origin != "dummy"),
                    key=lambda r: (-r.score, r.trial_id))
    dummy = next((r for r in results if r.origin == "dummy"), None)
    if dummy is None:
        return ranked
    paired = n_se is not None and dummy.predictions is not None
    folds = _Folds(splits) if paired else None
    anchor = None  # the dummy's (per-fold scores, Brier score), once a trial needs them

    def kept(trial):
        nonlocal anchor
        if trial.score > dummy.score:
            return True
        if not paired or task != "classification" or trial.predictions is None \
                or not np.isfinite([trial.score, dummy.score]).all():
            return False
        if anchor is None:
            anchor = (_scores_of((dummy,), np.ones(1), y, folds, metric, task),
                      _brier(dummy, y, splits))
        scores = _scores_of((trial,), np.ones(1), y, folds, metric, task)
        # Per-fold scores the metric could not give (NaN, or -inf from a scorer that
        # failed) measure no noise: no evidence for the trial.
        return bool(np.isfinite(scores).all() and np.isfinite(anchor[0]).all()
                    and not beats(anchor[0], scores, n_se)
                    and _brier(trial, y, splits) < anchor[1])

    return [r for r in ranked if kept(r)]


def _brier(trial: TrialResult, y, splits) -> float:
    """Mean multi-class Brier score of a trial's class probabilities on the splits'
    validation rows (``y``: class indices); ``inf`` where it cannot be computed."""
    rows = np.concatenate([np.asarray(valid) for _, valid in splits])
    proba = np.asarray(trial.predictions.values, dtype=float)
    classes = np.asarray(y)[rows].astype(int)
    if proba.ndim != 2 or len(proba) != len(rows) or not np.isfinite(proba).all() \
            or classes.max(initial=0) >= proba.shape[1]:
        return float("inf")
    truth = np.zeros_like(proba)
    truth[np.arange(len(rows)), classes] = 1.0
    return float(((proba - truth) ** 2).sum(axis=1).mean())


def _best_procedure(ranked, y, splits, metric, task, ensemble_size, deadline):
    """Main's rule on these folds: (trials, weights, score) of the ensemble when it
    beats the best trial, else of the best trial; None when nothing is ranked."""
    if not ranked:
        return None
    best = ranked[0]
    if ensemble_size >= 2 and len(ranked) >= 2:
        selection = select_ensemble(ranked, y, splits, metric, task, size=ensemble_size,
                                    deadline=deadline)
        if selection is not None and len(selection.trials) >= 2 \
                and selection.score > best.score:
            return selection.trials, selection.weights, selection.score
    return (best,), np.ones(1), best.score


def _rescored(results, y, splits, metric, task):
    """The trials with their score recomputed on ``splits`` (mean over them), ranked."""
    out = []
    for r in results:
        scores = _per_fold(r.predictions.values, y, splits, metric, task, r.predictions.labels)
        out.append(dataclasses.replace(r, score=float(scores.mean()),
                                       fold_scores=tuple(scores)))
    return sorted(out, key=lambda r: (-r.score, r.trial_id))


def _outer_score(trials, weights, by_id, positions, y, splits, metric, task) -> float:
    """Score on the held-out fold (``splits``, one) of trials chosen on the others."""
    members = [_restricted(by_id[t.trial_id], positions) for t in trials]
    p = _blend(members, weights, task) if len(members) > 1 else members[0].predictions
    return float(_per_fold(p.values, y, splits, metric, task, p.labels)[0])


def _share(deadline, parts):
    """A deadline for the next of ``parts`` equal parts of the time left to ``deadline``."""
    if deadline is None:
        return None
    now = time.monotonic()
    return now + max(deadline - now, 0.0) / parts


def _honest(ranked, default, y, folds, metric, task, ensemble_size, deadline):
    """Cross-fitted per-fold scores of the procedures default / best / ensemble."""
    out = {"default": [], "best": [], "ensemble": []}
    k = len(folds)
    usable = [r for r in ranked if r.predictions is not None]
    by_id = {r.trial_id: r for r in usable}
    for held in range(k):
        inner = [f for f in range(k) if f != held]
        inner_splits, inner_pos = folds.subset(inner)
        outer_splits, outer_pos = folds.subset([held])
        inner_ranked = _rescored([_restricted(r, inner_pos) for r in usable], y, inner_splits,
                                 metric, task)
        outer = (by_id, outer_pos, y, outer_splits, metric, task)
        if default is not None:
            out["default"].append(_outer_score((default,), np.ones(1), *outer))
        out["best"].append(_outer_score(inner_ranked[:1], np.ones(1), *outer))
        # k + 1 ensemble selections share the time: this one gets its part of what is left.
        chosen = _best_procedure(inner_ranked, y, inner_splits, metric, task, ensemble_size,
                                 _share(deadline, k + 1 - held))
        out["ensemble"].append(_outer_score(chosen[0], chosen[1], *outer))
    return {name: np.asarray(v) for name, v in out.items() if len(v) == k}


def choose_finals(results, y, splits, metric, task: str, rules, **options) -> dict:
    """:func:`choose_final` under each of ``rules``, by rule; the cross-fitted scores
    the nested rules share are computed once (benchmarks compare rules this way)."""
    cache = {}
    return {rule: choose_final(results, y, splits, metric, task, rule=rule, _cache=cache,
                               **options) for rule in rules}


def choose_final(results, y, splits, metric, task: str, *, rule: str = "best",
                 ensemble_size: int = ENSEMBLE_SIZE, deadline: float | None = None,
                 n_se: float = 1.0, _cache=None) -> Choice:
    """The final model of ``history`` under ``rule`` (see the module doc).

    Parameters
    ----------
    results : list of TrialResult
        The fit's trials (``History.results``); the dummy is trial 0.
    y : ndarray
        Encoded targets of all rows; ``splits`` index them.
    splits : list of (train_rows, valid_rows)
        The resampling whose validation predictions the trials returned.
    metric : Metric
    task : {"classification", "regression"}
    rule : {"best", "one_se", "nested", "nested_one_se", "default"}
    ensemble_size : int
        Greedy picks of ensemble selection; below 2, no ensemble.
    deadline : float or None
        ``time.monotonic()`` value after which ensemble selection stops picking.
    n_se : float
        The one-SE rules' bar: how many standard errors of the paired per-fold
        differences a challenger must beat the strong default by.

    Returns
    -------
    Choice or None
        None when the dummy beats every trial (:func:`above_dummy`).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}; got {rule!r}.")
    y = np.asarray(y)
    results = list(results)
    ranked = above_dummy(results, y, splits, metric, task, noise_bar(rule, n_se))
    if not ranked:
        return None
    default = strong_default(results)
    if default is not None and default.trial_id not in {r.trial_id for r in ranked}:
        default = None  # no better than the dummy
    best = ranked[0]
    with_predictions = [r for r in ranked if r.predictions is not None]
    # Ensemble candidates, as ever: every ranked trial with predictions but the dummy.
    pool = [r for r in sorted((r for r in results if r.ok and r.fidelity == 1.0),
                              key=lambda r: (-r.score, r.trial_id))
            if r.origin != "dummy" and r.predictions is not None]

    def single_choice(trial, why):
        return Choice((trial,), np.ones(1), trial.score, trial, why)

    if rule == "default":
        return single_choice(default or best, "the strong default" if default else
                             "no strong default: the best trial")
    if rule in ("nested", "nested_one_se") and with_predictions:
        folds = _Folds(splits)
        if len(folds) >= 2:
            honest = (_cache or {}).get("honest")
            if honest is None:
                honest = _honest([r for r in ranked if r.predictions is not None], default, y,
                                 folds, metric, task, ensemble_size, deadline)
                if _cache is not None:
                    _cache["honest"] = honest
            return _choose_nested(ranked, default, honest, y, splits, metric, task,
                                  ensemble_size, deadline, noise_bar(rule, n_se))
    trials, weights, score = _best_procedure([best] + [r for r in pool if r is not best],
                                             y, splits, metric, task, ensemble_size, deadline)
    if rule == "best" or default is None or (
            len(trials) == 1 and trials[0].trial_id == default.trial_id):
        why = ("ensemble beats the best trial on validation" if len(trials) > 1
               else "the best trial")
        return Choice(tuple(trials), np.asarray(weights), score, best, why)
    # one_se: the candidate must beat the strong default by more than the fold noise.
    folds = _Folds(splits)
    anchor = _scores_of((default,), np.ones(1), y, folds, metric, task)
    single = best if best.trial_id == default.trial_id or beats(
        _scores_of((best,), np.ones(1), y, folds, metric, task), anchor, n_se) else default
    challenger = _scores_of(trials, weights, y, folds, metric, task)
    if beats(challenger, anchor, n_se):
        return Choice(tuple(trials), np.asarray(weights), score, single,
                      f"{'ensemble' if len(trials) > 1 else 'best trial'} beats the strong "
                      f"default by more than {_errors(n_se)} over {len(folds)} folds")
    return single_choice(default, f"{'ensemble' if len(trials) > 1 else 'best trial'} within "
                         f"{_errors(n_se)} of the strong default over {len(folds)} folds")


def _errors(n_se: float) -> str:
    return "one standard error" if n_se == 1 else f"{n_se:.3g} standard errors"


def _choose_nested(ranked, default, honest, y, splits, metric, task, ensemble_size,
                   deadline, n_se):
    """The nested rules' choice; ``n_se`` None for ``"nested"``, else the one-SE bar."""
    one_se = n_se is not None
    usable = [r for r in ranked if r.predictions is not None]
    means = {name: float(v.mean()) for name, v in honest.items()}
    # The simpler procedure first: ties keep it.
    order = [name for name in ("default", "best", "ensemble") if name in honest]
    if one_se and "default" in honest:
        passing = ["default"] + [n for n in order[1:]
                                 if beats(honest[n], honest["default"], n_se)]
    else:
        passing = order
    chosen = max(passing, key=lambda n: (means[n], -order.index(n)))
    text = ", ".join(f"{n} {means[n]:.4f}" for n in order)
    why = f"cross-fitted scores {text}: {chosen}"
    best = usable[0]
    single = default if default is not None and (
        chosen == "default" or (one_se and "best" not in passing) or
        means.get("best", -np.inf) <= means.get("default", -np.inf)) else best
    if chosen == "default":
        return Choice((default,), np.ones(1), default.score, default, why)
    if chosen == "best":
        return Choice((best,), np.ones(1), best.score, single, why)
    trials, weights, score = _best_procedure(usable, y, splits, metric, task, ensemble_size,
                                             deadline)
    return Choice(tuple(trials), np.asarray(weights), score, single, why)
