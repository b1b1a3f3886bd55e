"""The size-aware policy: how a fit resamples and how many rows it searches on.

Small data gets k-fold cross-validation (a holdout of a few hundred rows is too
noisy to rank pipelines); large data a single holdout (k fits per trial would
leave too few trials in the budget); above :data:`ROW_CAP` rows the search runs on
a stratified subsample and only the final refit sees every row (auto-sklearn's
45k -> 30k rule). The choice is returned as a :class:`SearchPlan`, shown to the
user as ``search_plan_``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

# Up to this many rows, cross-validate: 5 folds of <= 4000 rows fit fast enough at
# small budgets, and fold noise on fewer rows would mislead the search.
CV_MAX_ROWS = 5000
DEFAULT_FOLDS = 5
# Validation share of a holdout split (auto-sklearn's default).
DEFAULT_HOLDOUT = 0.33
# Above ROW_CAP rows, search on SEARCH_ROWS of them (auto-sklearn's thresholds).
ROW_CAP = 45_000
SEARCH_ROWS = 30_000


@dataclass(frozen=True)
class SearchPlan:
    """Resampling and row cap chosen for one fit, with the reason."""

    resampling: str
    n_folds: int
    holdout_fraction: float
    search_rows: int
    total_rows: int
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def make_plan(profile, resampling="auto", resampling_size=None) -> SearchPlan:
    """Choose resampling and search rows from the data profile and the user's parameters."""
    n = profile.n_rows
    search_rows = min(n, SEARCH_ROWS) if n > ROW_CAP else n
    cap_note = f"; search on {search_rows} of {n} rows (cap {ROW_CAP})" if search_rows < n else ""
    if resampling == "auto":
        resampling = "cv" if search_rows <= CV_MAX_ROWS else "holdout"
        reason = (f"{search_rows} rows {'<=' if resampling == 'cv' else '>'} {CV_MAX_ROWS}: "
                  f"{'cross-validation' if resampling == 'cv' else 'holdout'}")
    else:
        reason = f"resampling={resampling!r} set by the user"
    folds = int(resampling_size) if resampling == "cv" and resampling_size else DEFAULT_FOLDS
    fraction = float(resampling_size) if resampling == "holdout" and resampling_size \
        else DEFAULT_HOLDOUT
    return SearchPlan(resampling, folds, fraction, search_rows, n, reason + cap_note)


def make_splits(plan: SearchPlan, y: np.ndarray, classification: bool, seed: int):
    """Train/validation row indices (into all rows) for the plan; stratified where possible."""
    n = len(y)
    rows = np.arange(n)
    counts = np.bincount(y) if classification else None
    stratify = classification and counts[counts > 0].min() >= 2
    if plan.search_rows < n:
        splitter = (StratifiedShuffleSplit if stratify else ShuffleSplit)(
            n_splits=1, train_size=plan.search_rows, random_state=seed)
        rows, _ = next(splitter.split(rows, y))
        rows = np.sort(rows)
    ys = y[rows]
    if classification:
        counts = np.bincount(ys)
        stratify = counts[counts > 0].min() >= 2
    if plan.resampling == "cv":
        n_folds = min(plan.n_folds, len(rows))
        if stratify:
            n_folds = min(n_folds, counts[counts > 0].min())
        n_folds = max(n_folds, 2)
        splitter = (StratifiedKFold if stratify else KFold)(
            n_splits=n_folds, shuffle=True, random_state=seed)
    else:
        n_valid = max(int(round(len(rows) * plan.holdout_fraction)), 1)
        if stratify and min(n_valid, len(rows) - n_valid) < len(counts):
            stratify = False
        splitter = (StratifiedShuffleSplit if stratify else ShuffleSplit)(
            n_splits=1, test_size=n_valid, random_state=seed)
    return [(rows[train], rows[valid]) for train, valid in splitter.split(rows, ys)]
