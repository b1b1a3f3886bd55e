"""The size-aware policy: how a fit resamples, searches and splits its budget.

After auto-sklearn 2.0's portfolio successive halving: the data's size and the
time budget decide

- resampling: small data gets k-fold cross-validation (a holdout of a few
  hundred rows is too noisy to rank pipelines); large data a single holdout
  (k fits per trial would leave too few trials in the budget);
- the row cap: above :data:`ROW_CAP` rows the search runs on a stratified
  subsample and only the final refit sees every row (auto-sklearn's 45k -> 30k);
  so does a fit of a second without workers whose stand-ins of the strong default
  would not end in time on every row (:data:`WORKERLESS_MIN_ROWS`);
- the strategy for ``search="auto"``: SMAC once the budget lets its surrogate
  learn, random search below;
- multi-fidelity, for a strategy whose settings use fidelities
  (:attr:`~automl_estimators.search.base.StrategySettings.uses_fidelities`):
  successive halving (fewer iterations or rows first) on large data, where a full
  evaluation is expensive; none on small data, where a low-fidelity score is both
  cheap to improve on and too noisy to rank by;
- the budget split: how much of the search time one trial may take;
- the neural branch (``neural="auto"``): neural networks join the search where
  they are likely to pay (a GPU, images or signals, or large tabular data whose
  default network is expected to converge within a trial's time limit) and torch
  is installed.

The choice is returned as a :class:`SearchPlan`, logged, and kept as ``search_plan_``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from .budget import MIN_TRIAL_SECONDS, SHUTDOWN_MARGIN, allowance
from .search import STRATEGIES
from .search.base import ETA
from .spaces import one_hot_width, quick_forest, short_default
from .spaces.architecture import kind_of
from .spaces.components import HGB_EARLY_STOPPING_ROWS, HGB_STOPPED_ITERATIONS
from .spaces.declarations import CLASSIFICATION, REGRESSION
from .spaces.neural import NEURAL_CLASSIFIER
from .user_warnings import warn

# Up to this many rows, cross-validate: 5 folds of <= 4000 rows fit fast enough at
# small budgets, and fold noise on fewer rows would mislead the search.
CV_MAX_ROWS = 5000
# ... and while the search data has at most this many cells (rows x columns) per
# second of budget (FLAML's rule: 10M cells per hour). Wider data at a small
# budget gets a holdout: measured on the datasets it changes, twice the trials at
# 10 s and three times at 30 s for equal or better test scores
# (benchmarks/results/search_resampling.md).
CV_MAX_CELLS_PER_SECOND = 10_000_000 / 3600
DEFAULT_FOLDS = 5
# Validation share of a holdout split (auto-sklearn's default).
DEFAULT_HOLDOUT = 0.33
# Above ROW_CAP rows, search on SEARCH_ROWS of them (auto-sklearn's thresholds).
ROW_CAP = 45_000
SEARCH_ROWS = 30_000
# search="auto" uses SMAC from this budget (seconds) on: below it a fit runs too
# few trials for a surrogate to learn from, and random search loses nothing.
SMAC_MIN_BUDGET = 20.0
# Successive halving from this many search rows on: below it a full evaluation
# is cheap, and scores on a fraction of it are too noisy to promote by.
SH_MIN_ROWS = 10_000
# Successive halving's lowest fidelity: two rungs (of factor ETA) below full, but
# never fewer than MIN_FIDELITY_ROWS training rows.
MIN_FIDELITY_ROWS = 1_000
# Up to this many search rows, every trial sends its fitted model back (models of
# small data are small), so the best can serve when the final refit cannot finish.
RETURN_MODELS_MAX_ROWS = CV_MAX_ROWS
# Without a per_trial_time_limit, one trial may take this share of the budget:
# a slow pipeline cannot eat the search, yet large data can still be fitted.
TRIAL_SHARE = 0.25
# The strong default (HistGradientBoosting at its defaults) runs in the fit's own
# process while the trial workers start (1.5-1.7 s in a fresh process, the
# forkserver importing scikit-learn and XGBoost; more on a busy machine) when it
# is expected to take little: a fit of one or a few seconds then ends on it, not
# on the dummy. Expected seconds per fold: INLINE_FIT_SECONDS + INLINE_CELL_SECONDS
# x training rows x columns x trees per iteration (the classes, when more than
# two). Measured here (one thread, the default's trial on 13 shared datasets of
# 112-8000 rows): 3e-6 to 4.6e-5 s per cell, 0.04-12 s a fold; the estimate is
# above the measured time on 10 of the 13, and within 30 % on the others.
INLINE_FIT_SECONDS = 0.05
INLINE_CELL_SECONDS = 1.5e-5
# That cell rate is a small-data rate: per boosting iteration, HistGradientBoosting
# pays per tree node (split finding over every column's histogram) and per cell
# (building the histograms), and a node's share falls as rows grow, so the rate
# overstated larger data 3-98x (letter 63 s expected, 5-6 s measured; california
# housing 1.3 s against 0.21-0.23 s). The estimate is the lower of the cell rate's
# and this one's: seconds per tree and iteration = fixed + per node + per row + per
# column and node + per bin and node (split finding scans each column's bins) + per
# cell, over the columns and bins the model sees (hgb_model_shape), nodes = 2 x
# leaves - 1, leaves at most the default's 31 and one per 20 rows (its
# min_samples_leaf). The coefficients are the tightest upper envelope (a linear
# program) of one-thread timings of the default on synthetic data, 100-30,000 rows x
# 2-300 columns of 255 bins, of 6 levels, of 0/1 and mixed, binary, 5-class and
# regression targets, each the slowest of two runs: 1.0-6.0x (median 1.37). On the
# shared datasets' default trials it is 1.31-12.7x the measured time, on their
# native-split ones 1.15-3.3x (benchmarks/default_seconds.py,
# benchmarks/results/default_seconds.md, session 36). Before, without the bins term
# and fitted on timings of an earlier session 1.4-3.1x slower on the same cells
# (another host, or its load), it was 1.15-13x on the default's trials, and overstated
# columns of few values: ames_housing's native default (79 columns) was expected at
# 1.0 s on 1252 rows and took 0.23 s, so a 1 s fit sampled the rows
# for the one-hot short form (test R2 0.859 against the default's 0.877). These
# coefficients, and every cost model below, are for the host they were fitted on:
# on a slower one an inline trial (no time limit but its estimate) ran past the
# budget's allowance (car at 3 s, its native default expected at 1.92 s, took
# 3.1-3.5 s, session 39), so such a trial runs only where its estimate times
# host_speed.slowdown, timed at the fit's start, ends within the search time and the
# budget's allowance (inline_limit).
HGB_NODE_MODEL = (4.0e-5, 8.6e-6, 4.4e-8, 5.2e-7, 8.5e-10, 5.0e-9)
HGB_MAX_NODES = 61
HGB_ROWS_PER_LEAF = 20
HGB_ITERATIONS = 100  # the default's max_iter
HGB_MAX_BINS = 255  # the default's max_bins: bins of a column's values, missing apart
# A numeric column with more distinct values than this on the profile's sample of
# rows (data.LEVELS_SAMPLE_ROWS) is taken at HGB_MAX_BINS: the rows not sampled may
# hold many more.
FEW_LEVELS = 64
# ... and only up to this many expected seconds, and this share of the search time
# left: a trial in the fit's own process has no time or memory limit but the estimate.
INLINE_MAX_SECONDS = 2.0
# When neither form of the strong default is expected in time there, the fit's own
# process runs the quick forest instead (spaces.quick_forest: extra trees at their
# defaults with 32 trees), so that a fit of a second on data too large, wide or
# many-classed for any boosted model ends on a model that read the features. Expected
# seconds per fold: INLINE_FIT_SECONDS + the one-hot encoding's share (training rows
# x categorical columns x QUICK_CATEGORICAL_CELL_SECONDS) + trees x seconds per tree
# = fixed + per row + per row and level + per row, level and feature considered
# (levels: log2 of the training rows; features: its max_features share of the one-hot
# encoded columns). The coefficients are the tightest upper envelope (a linear
# program) of one-thread timings on synthetic data, 100-30,000 rows x 2-300 columns,
# binary, 5-class and regression targets, each the slowest of two runs; on the shared
# datasets' 1 s splits (the package's trial) it is 1.23-3.6x the measured time, below
# it on none of 28 (benchmarks/quick_forest_seconds.py,
# benchmarks/results/quick_forest_seconds.md).
# Fitted for each task apart: a classification tree stops at pure leaves, where a
# regression tree (all the columns at each split) grows deeper.
FOREST_TREE_MODEL = {CLASSIFICATION: (9.3e-4, 3.9e-7, 0.0, 9.8e-9),
                     REGRESSION: (5.4e-4, 2.4e-7, 4.6e-9, 1.6e-8)}
# When the quick forest is not expected in time either, the quick model runs there
# (spaces.components.QUICK_MODEL: Gaussian naive Bayes, ridge regression, at their
# defaults in the default preprocessing), when it beats the dummy on validation.
# Expected seconds per fold: INLINE_FIT_SECONDS + training rows x (numeric columns
# x QUICK_NUMERIC_CELL_SECONDS + categorical columns x QUICK_CATEGORICAL_CELL_SECONDS,
# the one-hot encoding's share). Measured (one thread, fit and validation
# predictions, 12 shared datasets of 343-29,145 training rows): 0.04-0.44 s; this
# estimate is above the measured time on all 12, by 1.2-3x.
QUICK_NUMERIC_CELL_SECONDS = 4e-7
QUICK_CATEGORICAL_CELL_SECONDS = 3e-6
INLINE_SHARE = 0.75
# When the strong default is not expected within that share of the search time
# (budgets of a second or two, where the workers' start takes the rest), the fit's
# own process runs it cut to the fewest iterations its searched range allows
# (spaces.short_default: HistGradientBoosting with 32 instead of 100 boosting
# iterations, the learning rate unchanged; metalearning.warm_start.inline_trials),
# when the full default is not expected to end in a worker within the search time
# left either (default_late; the search loop decides: at 10 s, only on the largest
# shared datasets with categories, such as adult; never at 60 s, where the short form
# would need the full default within 2 s x 3). The full default still runs in a
# worker when one is up in time. Measured on the shared
# datasets' benchmark splits (seed 0, one thread): 32 iterations scored within
# 0.011 of 100 on car, cpu_act, credit-g, ames_housing, auto_mpg and above it on
# abalone, blood-transfusion, diabetes; a raised learning rate (0.3) did no
# better. Before, such fits ended on the dummy (the reliability sweep at 1 s: 51
# of 84 runs below the default HistGradientBoosting, none above the dummy).
# Seconds a fresh process's trial workers take to start (the forkserver imports
# scikit-learn and XGBoost: 1.5-1.7 s on an idle 2-core machine).
WORKER_START_SECONDS = 1.5
# The full default is expected to end in a worker in time only when its estimate
# plus WORKER_START_SECONDS, times this, is within the search time left
# (default_late): both can be off on a slower machine. Measured: car at 5 s
# (2-core machine, session 23) planned 2.1 + 1.5 s, saw 2.5 + 2.3 s (workers up
# at 2.3 s, the default's trial cancelled at 4.7 s, the fit ending 0.06-0.11
# below the default HGB); the default's estimate was 0.8-1.2x its trial time on
# car and 2-5x on segment, vehicle, electricity, hypothyroid (seed 0, 5 s, this
# session). The short form run as insurance costs the fit's own process a
# fraction of a second while the workers start.
DEFAULT_LATE_SAFETY = 1.5
# Below this budget no trial workers start (SearchPlan.workers): they would be up
# (WORKER_START_SECONDS on an idle machine) with less than the shortest trial's
# time left, so every trial runs in the fit's own process anyway. Starting them
# took a core for the forkserver's imports beside that process's trial, a file
# of the data first, and the interpreter's exit waited for them (the pool is
# stopped once it is up, runners.pool.EXIT_WAIT_SECONDS).
WORKERLESS_BUDGET = WORKER_START_SECONDS + MIN_TRIAL_SECONDS
# Such a fit ends on what its own process runs: where neither the strong default's
# short form (not on sparse data, which it does not accept) nor the quick forest is
# expected within INLINE_SHARE of its search time on the search rows, its search
# runs on fewer of them (a stratified sample, as above ROW_CAP): the most at which
# the short form or the quick forest, whichever gets more, is expected in that time,
# when that is at least WORKERLESS_MIN_ROWS training rows. The search time is taken
# as the budget less SHUTDOWN_MARGIN, which is conservative: the loop keeps 0.05 s
# at the end of such a fit and measures from the time actually left (0.65-0.68 s
# at 1 s against the plan's 0.525 s), so the trial still runs after a slow set-up.
# The trial's model, fitted on the sample, serves unless its refit on all rows is
# expected in the time left (a quick trial is refit in the fit's own process).
# FLAML likewise starts its search on a sample of the rows and grows it. Before, a
# fit of a second on large data ran the quick model or nothing: adult and shuttle
# (24,500 and 29,100 training rows) ended on the dummy at 1 s, 0.8 s of the budget
# unused (benchmarks/results/reliability/summary.md, session 29).
WORKERLESS_MIN_ROWS = 1_000
# A trial in the fit's own process has no memory limit (a worker has memory_limit):
# the inline trials run there only when memory_limit covers this many times the
# data's bytes (a preprocessed copy, a fold's rows, the model; inline_within_memory).
# With the default 4096 MB: data up to ~1.3 GB, far past what the inline trials'
# 2 s allow; a user's limit too small for the data keeps every trial under it.
INLINE_MEMORY_FACTOR = 3
# neural="auto" turns the neural branch on (torch installed) when any of these hold:
# - a CUDA GPU is present: a network trains there in the time trees take on CPU;
# - the rows are images or 1-D signals (image_shape given): convolutions see what
#   trees cannot;
# - a strategy that searches networks only (evolution, controller, progressive, one_shot);
# - on CPU, tabular data with at least NEURAL_MIN_ROWS rows, where one default
#   network is expected to converge within a trial's time limit
#   (estimate_network_seconds). Below NEURAL_MIN_ROWS tree ensembles beat networks
#   on tabular data (Grinsztajn et al. 2022 cut their benchmark at 10k rows).
NEURAL_MIN_ROWS = 10_000
# Seconds one training row costs a default network per epoch on one CPU thread.
# Measured here (2 cores, the default NeuralClassifier, n_jobs=1, 50 epochs with
# early stopping off, rows of letter, 16 columns): 2000 rows 0.098-0.123 s an
# epoch (a fixed ~0.04 s an epoch shows on small data), 5000 rows 0.13 s, 10000
# rows 0.28 s, 20000 rows 0.59 s: 2.6-3.1e-5 s per row and epoch from 5000 rows on.
# Twice that is taken: trials run n_jobs at once and share the memory bandwidth,
# and the same fits ran 6-10x slower beside seven other busy processes on these
# 2 cores (10000 rows: 123 s), a load no plan can foresee.
NEURAL_ROW_EPOCH_SECONDS = 6e-5
# Input columns that double a default network's cost per row: its cells do about
# 2 cells x 3 blocks x 2 branches x 64 x 64 multiply-adds per row, its stem 64 per
# input column. Measured on 5000 random rows: 16, 256 and 1024 columns cost the
# same within the machine's noise (1.7-3.5e-4 s per row and epoch under load).
NEURAL_COLUMN_SCALE = 768
# Epochs a default network is given to converge: its declared max_epochs.
NEURAL_EPOCHS = NEURAL_CLASSIFIER.defaults()["max_epochs"]


def estimate_network_seconds(rows: float, columns: int, epochs: int = NEURAL_EPOCHS) -> float:
    """Seconds one default network is expected to train on CPU: ``rows`` x ``epochs`` x
    :data:`NEURAL_ROW_EPOCH_SECONDS`, x (1 + ``columns`` / :data:`NEURAL_COLUMN_SCALE`)."""
    return rows * epochs * NEURAL_ROW_EPOCH_SECONDS * (1.0 + columns / NEURAL_COLUMN_SCALE)


@dataclass(frozen=True)
class SearchPlan:
    """Resampling and row cap chosen for one fit, with the reason."""

    resampling: str
    n_folds: int
    holdout_fraction: float
    search_rows: int
    total_rows: int
    strategy: str
    multi_fidelity: str
    min_fidelity: float
    trial_time_limit: float
    return_models: bool
    reason: str
    neural: bool = False
    # Expected seconds of the strong default's trial in the fit's own process, which
    # runs it there while the workers start; None: in a worker only.
    inline_seconds: float | None = None
    # ... and of the short default's (spaces.short_default), run there instead when
    # the full one would take too long; None: never.
    short_inline_seconds: float | None = None
    # Expected seconds of the strong default's trial on one thread, however long
    # (estimate_default_seconds); None with the neural branch on.
    default_seconds: float | None = None
    # ... and of the quick forest's (FOREST_TREE_MODEL), run there when neither form of
    # the strong default is expected in time; None: never.
    forest_inline_seconds: float | None = None
    # ... and of the quick model's (QUICK_NUMERIC_CELL_SECONDS), run there when the
    # quick forest is not expected in time either; None: never.
    quick_inline_seconds: float | None = None
    # Whether trial workers start (no: a budget below WORKERLESS_BUDGET, every trial
    # in the fit's own process; a Dask cluster given is used either way).
    workers: bool = True
    # Expected seconds there of the strong default with native categorical splits
    # (spaces.native_default), run before the short form when the one-hot default
    # would take too long; None: never (no categorical columns, or too long).
    native_inline_seconds: float | None = None
    # How many times slower than the cost models' host the machine ran at the fit's
    # start (host_speed.slowdown; 1: as fast or faster, or not measured): the expected
    # seconds above are the cost models' host's; inline_limit reads both.
    host_slowdown: float = 1.0
    # Whether every fit of a trial trains on more than HGB_EARLY_STOPPING_ROWS rows,
    # where HistGradientBoosting stops early whatever its early_stopping: then its
    # iterations range up to HGB_STOPPED_ITERATIONS (spaces.Space stops_early).
    stops_early: bool = False


def make_plan(profile, resampling="auto", resampling_size=None, *, time_budget=60.0,
              per_trial_time_limit=None, search="auto", neural=False, image_shape=None,
              torch_available=False, cuda_available=False, host_slowdown=1.0) -> SearchPlan:
    """Choose resampling, rows, strategy, fidelities, trial limit and neural branch.

    ``search`` is the estimator's parameter: a name or a settings object. Fidelities
    are chosen for settings that use them (``uses_fidelities``; their
    ``multi_fidelity``, when not ``"auto"``, overrides the policy's). ``neural``
    is the estimator's parameter (``"auto"``, True, False); ``torch_available``
    and ``cuda_available`` describe the machine (the caller checks them), and
    ``host_slowdown`` how many times slower than the cost models' host it runs now
    (:func:`~.host_speed.slowdown`; :func:`inline_limit` reads it).
    """
    n = profile.n_rows
    search_rows = min(n, SEARCH_ROWS) if n > ROW_CAP else n
    cap_note = f"; search on {search_rows} of {n} rows (cap {ROW_CAP})" if search_rows < n else ""
    if search == "auto":
        strategy = "smac" if time_budget >= SMAC_MIN_BUDGET else "random"
        search_reason = (f"; search={strategy} (budget "
                         f"{'>=' if strategy == 'smac' else '<'} {SMAC_MIN_BUDGET:g}s)")
    else:
        strategy = search if isinstance(search, str) else search.name
        search_reason = f"; search={strategy}"
    settings = STRATEGIES[strategy]() if isinstance(search, str) else search
    trial_limit = (float(per_trial_time_limit) if per_trial_time_limit is not None
                   else max(time_budget * TRIAL_SHARE, MIN_TRIAL_SECONDS))
    use_neural, neural_reason = _neural_branch(
        neural, settings, image_shape, torch_available, cuda_available,
        rows=n, columns=profile.n_features,
        trial=_trial_fits(search_rows, resampling, resampling_size),
        trial_limit=trial_limit, user_limit=per_trial_time_limit is not None)
    if resampling == "auto":
        cells, max_cells = search_rows * profile.n_features, CV_MAX_CELLS_PER_SECOND * time_budget
        if search_rows > CV_MAX_ROWS:
            resampling, reason = "holdout", f"{search_rows} rows > {CV_MAX_ROWS}: holdout"
        elif cells > max_cells:
            resampling = "holdout"
            reason = (f"{search_rows} rows x {profile.n_features} columns > {max_cells:.0f} "
                      f"cells for a {time_budget:g}s budget: holdout")
        elif use_neural and not cuda_available:
            resampling = "holdout"
            reason = "neural branch on CPU: holdout (one network per fold would cost k times)"
        else:
            resampling, reason = "cv", f"{search_rows} rows <= {CV_MAX_ROWS}: cross-validation"
    else:
        reason = f"resampling={resampling!r} set by the user"
    reason += search_reason
    folds = int(resampling_size) if resampling == "cv" and resampling_size else DEFAULT_FOLDS
    fraction = float(resampling_size) if resampling == "holdout" and resampling_size \
        else DEFAULT_HOLDOUT
    if resampling_size:
        folds = _check_resampling_size(resampling, folds, fraction, search_rows, n, profile)
    train_rows = search_rows * ((folds - 1) / folds if resampling == "cv" else 1 - fraction)
    workers = time_budget >= WORKERLESS_BUDGET
    if not (workers or use_neural or resampling == "cv"):
        sample = _workerless_sample(profile, search_rows, fraction, time_budget,
                                    host_slowdown)
        if sample is not None:
            search_rows, stand_in = sample
            train_rows = search_rows * (1 - fraction)
            cap_note = (f"; search on {search_rows} of {n} rows (a {time_budget:g}s fit "
                        f"without workers: the {stand_in} is expected in time on "
                        f"{train_rows:.0f} training rows)")
    min_fidelity = max(1.0 / ETA ** 2, MIN_FIDELITY_ROWS / max(train_rows, 1.0))
    asked = settings.multi_fidelity if settings.uses_fidelities else "off"
    if asked == "off":
        multi_fidelity, min_fidelity = "off", 1.0
    elif asked != "auto":  # the user's choice, with at least one rung below full
        multi_fidelity, min_fidelity = asked, min(min_fidelity, 1.0 / ETA)
        reason += f"; {asked} from fidelity {min_fidelity:.2f}"
    elif min_fidelity > 1.0 / ETA:
        multi_fidelity, min_fidelity = "off", 1.0
    elif search_rows >= SH_MIN_ROWS:
        multi_fidelity = "successive_halving"
        reason += f"; successive halving from fidelity {min_fidelity:.2f} ({search_rows} rows)"
    else:
        multi_fidelity, min_fidelity = "off", 1.0
    reason += f"; neural branch {'on' if use_neural else 'off'} ({neural_reason})"
    n_fits = folds if resampling == "cv" else 1
    inline, native, short, forest, quick = (None,) * 5 if use_neural else (
        estimate(n_fits, train_rows, profile)
        for estimate in (_profile_default_seconds, _native_default_seconds,
                         _short_default_seconds, estimate_forest_seconds,
                         estimate_quick_seconds))
    if host_slowdown > 1.0:
        reason += (f"; this machine runs the reference {host_slowdown:.2f}x slower than the "
                   "cost models' host: a trial in the fit's own process only where that "
                   "much longer it would end within the search time and the budget's "
                   "allowance")
    workers_note = "" if workers else (
        f"; no trial workers (a {time_budget:g}s budget ends before they could start, "
        f"~{WORKER_START_SECONDS:g}s, and run a trial)")
    stops_early = train_rows > HGB_EARLY_STOPPING_ROWS
    if stops_early:
        reason += (f"; boosting stops early on {train_rows:.0f} training rows (> "
                   f"{HGB_EARLY_STOPPING_ROWS}): HistGradientBoosting's max_iter up to "
                   f"{HGB_STOPPED_ITERATIONS}")
    return SearchPlan(resampling, folds, fraction, search_rows, n, strategy, multi_fidelity,
                      min_fidelity, trial_limit, search_rows <= RETURN_MODELS_MAX_ROWS,
                      reason + cap_note + workers_note, use_neural, _inline(inline),
                      _inline(short), inline, _inline(forest), _inline(quick), workers,
                      _inline(native), host_slowdown, stops_early)


def inline_limit(search_left: float, time_budget: float, host_slowdown: float = 1.0) -> float:
    """The most expected seconds (on the cost models' host) of a trial the fit's own
    process may start with ``search_left`` seconds of search time: :data:`INLINE_SHARE`
    of them, and on a host ``host_slowdown`` times slower
    (:func:`~.host_speed.slowdown`) no more than would end, that many times longer,
    within them and the budget's allowance (:func:`~.budget.allowance`).

    Such a trial has no time limit but its estimate. The share is the policy's
    margin, tuned on the cost models' host; the second bound is the budget's
    promise on this one: the estimates are upper envelopes there, and times the
    slowdown none fell below the default's measured trial on a host 1.6x slower (0
    of 39, against 12 of 39 without it: benchmarks/results/host_speed_calibration.md).
    Multiplying the share's estimates by the slowdown instead cost a 3 s fit the
    strong default where it ended in time (car, shuttle: benchmarks.md, session 40).
    """
    return min(INLINE_SHARE * search_left, inline_deadline(search_left, time_budget)
               / host_slowdown)


def inline_deadline(search_left: float, time_budget: float) -> float:
    """Seconds a trial the fit's own process starts with ``search_left`` seconds of
    search time has before it must end: those and the budget's allowance
    (:func:`~.budget.allowance`). :func:`inline_limit` starts only a trial expected
    to end by then; the trial itself starts no fold expected to end past it
    (``TrialTask.stop_after``), for the host can slow down after the plan's
    reading. Stopping at the budget's end instead cost car at 3 s its fifth fold
    where the fit had ended within its allowance (idle: seeds 0 and 2 at -0.016
    and -0.014 on test; benchmarks/results/compare_fold_stop_budget_end_3s.md)."""
    return search_left + allowance(time_budget)


def _workerless_sample(profile, search_rows: int, fraction: float, time_budget: float,
                       host_slowdown: float = 1.0):
    """(search rows, stand-in) of the sample a fit without workers searches on, a
    holdout of ``fraction`` of them (see :data:`WORKERLESS_MIN_ROWS`): the most training
    rows at which the strong default with native categorical splits (where the data
    has categorical columns), its short form or the quick forest is expected within
    :data:`INLINE_SHARE` of the search time (:func:`inline_limit`, on a host
    ``host_slowdown`` times slower than the cost models'), whichever gets more; None
    where one
    is expected in time on all ``search_rows`` already, neither on
    :data:`WORKERLESS_MIN_ROWS`, or the sample would hold them all."""
    train_rows = search_rows * (1 - fraction)
    seconds = inline_limit(time_budget - SHUTDOWN_MARGIN, time_budget, host_slowdown)
    stand_ins = (() if profile.sparse else (  # HistGradientBoosting takes dense data only
        ("strong default with native categorical splits", _native_default_seconds),
        ("strong default's short form", _short_default_seconds))) + (
        ("quick forest", estimate_forest_seconds),)
    stand_ins = [(name, functools.partial(_one_fit, estimate, profile))
                 for name, estimate in stand_ins if estimate(1, 1.0, profile) is not None]
    if any(estimate(train_rows) <= seconds for _, estimate in stand_ins):
        return None
    capped = [(_most_rows(estimate, seconds, train_rows), name) for name, estimate in stand_ins
              if estimate(WORKERLESS_MIN_ROWS) <= seconds]
    if not capped:
        return None
    rows, stand_in = max(capped, key=lambda rows_name: rows_name[0])
    sampled = int(np.ceil(rows / (1 - fraction)))
    return (sampled, stand_in) if sampled < search_rows else None


def _one_fit(estimate, profile, rows: float) -> float:
    """``estimate``'s expected seconds of one fit on ``rows`` rows of ``profile``."""
    return estimate(1, rows, profile)


def _most_rows(estimate, seconds: float, train_rows: float) -> float:
    """The most rows between :data:`WORKERLESS_MIN_ROWS` (expected in time) and
    ``train_rows`` (not) whose ``estimate`` (growing with the rows) is within ``seconds``."""
    low, high = float(WORKERLESS_MIN_ROWS), float(train_rows)
    while high - low > 1.0:
        middle = (low + high) / 2
        low, high = (middle, high) if estimate(middle) <= seconds else (low, middle)
    return float(np.floor(low))


def inline_within_memory(data_bytes: int, memory_limit: int | None) -> bool:
    """Whether trials may run in the fit's own process under ``memory_limit`` (MB per
    worker; None: no limit) with data of ``data_bytes`` (:data:`INLINE_MEMORY_FACTOR`)."""
    return memory_limit is None or INLINE_MEMORY_FACTOR * data_bytes <= memory_limit * 2**20


def default_late(default_seconds: float | None, search_left: float) -> bool:
    """Whether the strong default's trial (``default_seconds`` expected, None:
    unknown) is not expected to end in a worker within ``search_left`` seconds once
    the workers have started (:data:`WORKER_START_SECONDS`, both with
    :data:`DEFAULT_LATE_SAFETY`): then a stand-in (its short form, the quick forest or model)
    runs in the fit's own process while they start."""
    return (default_seconds is None
            or (default_seconds + WORKER_START_SECONDS) * DEFAULT_LATE_SAFETY > search_left)


def workers_late(elapsed: float) -> bool:
    """Whether trial workers not up ``elapsed`` seconds into the fit are later than
    expected: :data:`WORKER_START_SECONDS`, with :data:`DEFAULT_LATE_SAFETY`. Then
    the search loop asks :func:`default_late` again while it waits for them, so
    that a fit whose default was not late at the start (its workers up in time on
    an idle machine) still runs a stand-in here when they are slow to come up."""
    return elapsed > WORKER_START_SECONDS * DEFAULT_LATE_SAFETY


def _inline(seconds: float | None) -> float | None:
    """An expected inline trial's seconds, or None when they pass INLINE_MAX_SECONDS."""
    return seconds if seconds is not None and seconds <= INLINE_MAX_SECONDS else None


def estimate_default_seconds(n_fits: int, train_rows: float, columns: int,
                             n_classes: int, iterations_share: float = 1.0,
                             model_columns: int | None = None,
                             model_bins: int | None = None) -> float:
    """Expected seconds of the strong default's trial on one thread: ``n_fits`` fits
    on ``train_rows`` rows of ``columns`` each, ``model_columns`` once encoded (default:
    as many) making ``model_bins`` bins in all (default: :data:`HGB_MAX_BINS` each),
    with ``iterations_share`` of its default boosting iterations; the lower of
    :data:`INLINE_CELL_SECONDS`' estimate and :data:`HGB_NODE_MODEL`'s."""
    trees = n_classes if n_classes > 2 else 1
    by_cells = INLINE_CELL_SECONDS * train_rows * columns
    by_nodes = HGB_ITERATIONS * hgb_tree_seconds(
        train_rows, columns if model_columns is None else model_columns, model_bins)
    return n_fits * (INLINE_FIT_SECONDS + min(by_cells, by_nodes) * trees * iterations_share)


def _profile_default_seconds(n_fits: int, train_rows: float, profile,
                             iterations_share: float = 1.0, native: bool = False) -> float:
    """:func:`estimate_default_seconds` for data of ``profile``, its categorical
    columns one-hot encoded, or split natively (:func:`hgb_model_shape`)."""
    columns, bins = hgb_model_shape(profile, native)
    return estimate_default_seconds(n_fits, train_rows, profile.n_features, profile.n_classes,
                                    iterations_share=iterations_share,
                                    model_columns=columns, model_bins=bins)


def _native_default_seconds(n_fits: int, train_rows: float, profile) -> float | None:
    """The same for the strong default with native categorical splits
    (:func:`~.spaces.native_default`): a model column per data column, however many
    levels; None without low-cardinality categorical columns (the encoding step's:
    high-cardinality ones are encoded alike in both forms)."""
    if not profile.categorical:
        return None
    return _profile_default_seconds(n_fits, train_rows, profile, native=True)


def _short_default_seconds(n_fits: int, train_rows: float, profile) -> float:
    """The same for the strong default's short form (:func:`~.spaces.short_default`)."""
    return _profile_default_seconds(n_fits, train_rows, profile,
                                    short_default(profile.task)[1])


def hgb_model_shape(profile, native: bool = False) -> tuple[int, int]:
    """(columns, bins) HistGradientBoosting gets of data of ``profile`` once
    preprocessed. A numeric column makes a bin per distinct value
    (``profile.numeric_levels``, counted on a sample: :data:`HGB_MAX_BINS` above
    :data:`FEW_LEVELS` there, or where unknown), a high-cardinality column (encoded
    by frequency) :data:`HGB_MAX_BINS`; a low-cardinality categorical column is one
    column of a bin per level when split natively (``native``), else a 0/1 column
    per level (:func:`~.spaces.one_hot_width`)."""
    levels = profile.numeric_levels
    bins = (sum(column_bins(n) if n <= FEW_LEVELS else HGB_MAX_BINS for n in levels)
            + HGB_MAX_BINS * (len(profile.numeric) - len(levels)
                              + len(profile.high_cardinality)))
    others = len(profile.numeric) + len(profile.high_cardinality)
    if native:
        return (others + len(profile.categorical),
                bins + sum(column_bins(n) for n in profile.categorical_levels))
    width = one_hot_width(profile)
    return width, bins + 2 * (width - others)


def hgb_tree_seconds(rows: float, columns: int, bins: int | None = None) -> float:
    """Expected seconds of one tree of one boosting iteration of a default
    HistGradientBoosting on ``rows`` x ``columns`` making ``bins`` bins in all
    (default: :data:`HGB_MAX_BINS` each; :data:`HGB_NODE_MODEL`)."""
    return sum(c * t for c, t in zip(HGB_NODE_MODEL, hgb_tree_terms(rows, columns, bins)))


def column_bins(distinct: int) -> int:
    """Bins HistGradientBoosting makes of a column of ``distinct`` values (missing
    apart): one per value (at least one), at most :data:`HGB_MAX_BINS`."""
    return max(1, min(int(distinct), HGB_MAX_BINS))


def hgb_tree_terms(rows: float, columns: int, bins: int | None = None) -> tuple[float, ...]:
    """The terms :data:`HGB_NODE_MODEL`'s coefficients multiply, in its order: 1, nodes,
    rows, columns x nodes, bins x nodes, rows x columns (nodes = 2 x leaves - 1, see
    there; bins: default :data:`HGB_MAX_BINS` per column)."""
    nodes = min(HGB_MAX_NODES, max(1.0, 2 * rows / HGB_ROWS_PER_LEAF - 1))
    bins = columns * HGB_MAX_BINS if bins is None else bins
    return (1.0, nodes, rows, columns * nodes, bins * nodes, rows * columns)


def estimate_quick_seconds(n_fits: int, train_rows: float, profile) -> float:
    """Expected seconds of the quick model's trial on one thread (see
    :data:`QUICK_NUMERIC_CELL_SECONDS`): ``n_fits`` fits on ``train_rows`` rows each."""
    return n_fits * (INLINE_FIT_SECONDS
                     + train_rows * len(profile.numeric) * QUICK_NUMERIC_CELL_SECONDS
                     + _encoding_seconds(train_rows, profile))


def estimate_forest_seconds(n_fits: int, train_rows: float, profile) -> float:
    """Expected seconds of the quick forest's trial on one thread (see
    :data:`FOREST_TREE_MODEL`): ``n_fits`` fits on ``train_rows`` rows each."""
    _, trees, _ = quick_forest(profile.task)
    features = forest_features(profile.task, one_hot_width(profile))
    return n_fits * (INLINE_FIT_SECONDS + _encoding_seconds(train_rows, profile)
                     + trees * forest_tree_seconds(profile.task, train_rows, features))


def _encoding_seconds(train_rows: float, profile) -> float:
    """The one-hot encoding's share of a quick trial's fit: its categorical columns'
    cells (:data:`QUICK_CATEGORICAL_CELL_SECONDS`)."""
    return train_rows * len(profile.all_categorical) * QUICK_CATEGORICAL_CELL_SECONDS


def forest_features(task: str, columns: int) -> int:
    """The columns each split of the quick forest considers among ``columns``: its
    ``max_features`` share, as scikit-learn counts it (at least one)."""
    return max(1, int(quick_forest(task)[2] * columns))


def forest_tree_seconds(task: str, rows: float, features: int) -> float:
    """Expected seconds of one tree of the quick forest on ``rows``, each split
    considering ``features`` columns (:data:`FOREST_TREE_MODEL`)."""
    return sum(c * t for c, t in zip(FOREST_TREE_MODEL[task], forest_tree_terms(rows, features)))


def forest_tree_terms(rows: float, features: int) -> tuple[float, ...]:
    """The terms :data:`FOREST_TREE_MODEL`'s coefficients multiply, in its order: 1,
    rows, rows x levels, rows x levels x features (levels = log2 of the rows)."""
    levels = np.log2(max(rows, 2.0))
    return (1.0, rows, rows * levels, rows * levels * features)


def _check_resampling_size(resampling, folds, fraction, search_rows, n, profile) -> int:
    """The folds of a ``resampling_size`` the user gave, checked against the rows.

    Folds are stratified by class: more folds than the smallest class has rows
    would leave it out of some, so they are cut to that number, with a warning.

    Raises
    ------
    ValueError
        More folds than rows, or a holdout fraction that leaves fewer than two
        training rows.
    """
    if resampling == "cv":
        if folds > search_rows:
            raise ValueError(f"resampling_size={folds} folds, but the search has "
                             f"{search_rows} rows; give at most {search_rows} folds, or "
                             "resampling='auto'.")
        smallest = min((c for c in profile.class_counts if c > 0), default=0)
        smallest = int(smallest * search_rows / n)  # in the rows searched on
        if 2 <= smallest < folds:
            warn(f"resampling_size={folds} folds, but the smallest class has {smallest} "
                 f"rows: {smallest} stratified folds are used (each holds every class).",
                 UserWarning)
            return smallest
        return folds
    n_valid = _validation_rows(search_rows, fraction)
    if search_rows - n_valid < 2:
        raise ValueError(f"resampling_size={fraction:g} of {search_rows} rows leaves "
                         f"{n_valid} validation and {search_rows - n_valid} training rows; "
                         "give a smaller fraction, one that leaves two training rows or "
                         "more, or resampling='auto'.")
    return folds


def _validation_rows(rows: int, fraction: float) -> int:
    """The rows a holdout of ``fraction`` validates on: at least one."""
    return max(int(round(rows * fraction)), 1)


def _trial_fits(search_rows, resampling, resampling_size) -> tuple[int, float]:
    """(fits, training rows of each) in one trial: cross-validation when the user asks
    for it; else a holdout, which the neural branch on CPU gets."""
    if resampling == "cv":
        folds = int(resampling_size) if resampling_size else DEFAULT_FOLDS
        return folds, search_rows * (folds - 1) / folds
    fraction = float(resampling_size) if resampling == "holdout" and resampling_size \
        else DEFAULT_HOLDOUT
    return 1, search_rows * (1 - fraction)


def _neural_branch(neural, settings, image_shape, torch_available, cuda_available, *,
                   rows, columns, trial, trial_limit, user_limit):
    """Whether the search offers neural networks, and why."""
    if not isinstance(neural, str):  # True or False, set by the user
        return bool(neural), f"neural={bool(neural)}"
    if not torch_available:
        return False, "torch is not installed: pip install 'automl-estimators[nas]'"
    kind = kind_of(image_shape)
    reasons = [why for holds, why in (
        (cuda_available, "a CUDA GPU is present"),
        (image_shape is not None, f"image_shape={tuple(image_shape or ())} given: {kind} rows"),
        (settings.networks_only, f"search={settings.name}")) if holds]
    if reasons:
        return True, ", ".join(reasons)
    if rows < NEURAL_MIN_ROWS:
        return False, (f"CPU only, tabular, {rows} rows < {NEURAL_MIN_ROWS}: tree ensembles "
                       "win on small tabular data")
    fits, train_rows = trial
    seconds = fits * estimate_network_seconds(train_rows, columns)
    limit = (f"the {trial_limit:g}s trial limit" if user_limit else
             f"the {trial_limit:g}s trial limit ({TRIAL_SHARE:.0%} of the budget)")
    estimate = (f"a default network on {train_rows:.0f} training rows x {columns} columns x "
                f"{NEURAL_EPOCHS} epochs{f' x {fits} folds' if fits > 1 else ''} takes "
                f"~{seconds:.0f}s on CPU")
    if seconds <= trial_limit:
        return True, f"{rows} rows >= {NEURAL_MIN_ROWS}, {estimate} <= {limit}"
    return False, f"CPU only, tabular, {estimate} > {limit}"


def make_splits(plan: SearchPlan, y: np.ndarray, classification: bool, seed: int):
    """Train/validation row indices (into all rows) for the plan; stratified where possible."""
    n = len(y)
    rows = np.arange(n)
    counts = np.bincount(y) if classification else None
    stratify = classification and counts[counts > 0].min() >= 2
    if plan.search_rows < n:
        # a stratified sample leaves out at least one row of each class
        stratify = stratify and n - plan.search_rows >= np.count_nonzero(counts)
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
        n_valid = _validation_rows(len(rows), plan.holdout_fraction)
        if stratify and min(n_valid, len(rows) - n_valid) < len(counts):
            stratify = False
        splitter = (StratifiedShuffleSplit if stratify else ShuffleSplit)(
            n_splits=1, test_size=n_valid, random_state=seed)
    return [(rows[train], rows[valid]) for train, valid in splitter.split(rows, ys)]
