"""The size-aware resampling policy and its splits."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from automl_estimators.data import DataProfile
from automl_estimators.plan import (
    CV_MAX_CELLS_PER_SECOND,
    CV_MAX_ROWS,
    DEFAULT_HOLDOUT,
    HGB_MAX_BINS,
    INLINE_MAX_SECONDS,
    NEURAL_EPOCHS,
    NEURAL_MIN_ROWS,
    ROW_CAP,
    SEARCH_ROWS,
    SH_MIN_ROWS,
    SMAC_MIN_BUDGET,
    TRIAL_SHARE,
    estimate_default_seconds,
    estimate_network_seconds,
    make_plan,
    make_splits,
)
from automl_estimators.search import SMAC
from automl_estimators.search.base import StrategySettings
from automl_estimators.spaces.components import HGB_EARLY_STOPPING_ROWS, HGB_STOPPED_ITERATIONS


def profile(n_rows, task="classification", n_features=3):
    return DataProfile(task=task, n_rows=n_rows, n_features=n_features, sparse=False,
                       numeric=tuple(range(n_features)),
                       categorical=(), high_cardinality=(), missing_fraction=0.0,
                       class_counts=())


@pytest.mark.parametrize("n_rows, resampling, search_rows", [
    (100, "cv", 100),
    (CV_MAX_ROWS, "cv", CV_MAX_ROWS),
    (CV_MAX_ROWS + 1, "holdout", CV_MAX_ROWS + 1),
    (ROW_CAP, "holdout", ROW_CAP),
    (ROW_CAP + 1, "holdout", SEARCH_ROWS),
])
def test_auto_policy_by_size(n_rows, resampling, search_rows):
    plan = make_plan(profile(n_rows))
    assert (plan.resampling, plan.search_rows, plan.total_rows) == (resampling, search_rows,
                                                                    n_rows)
    assert str(n_rows) in plan.reason


def test_wide_data_at_a_small_budget_gets_a_holdout():
    # cnae-9's training split: 5-fold CV of the strong default does not fit in 10 s
    plan = make_plan(profile(810, n_features=856), time_budget=10)
    assert plan.resampling == "holdout" and "cells for a 10s budget" in plan.reason
    plan = make_plan(profile(810, n_features=856), time_budget=60 * 60)
    assert plan.resampling == "cv"
    rows = int(CV_MAX_CELLS_PER_SECOND * 30 / 20)  # at the limit for 20 columns at 30 s
    assert make_plan(profile(rows, n_features=20), time_budget=30).resampling == "cv"
    assert make_plan(profile(rows + 1, n_features=20), time_budget=30).resampling == "holdout"


def test_user_choice_wins_and_sizes_apply():
    plan = make_plan(profile(100_000), "cv", 3)
    assert (plan.resampling, plan.n_folds) == ("cv", 3) and "set by the user" in plan.reason
    plan = make_plan(profile(100), "holdout", 0.2)
    assert (plan.resampling, plan.holdout_fraction) == ("holdout", 0.2)


def test_cv_splits_are_stratified_and_cover_every_row():
    y = np.array([0] * 80 + [1] * 20)
    splits = make_splits(make_plan(profile(100)), y, classification=True, seed=0)
    assert len(splits) == 5
    valid = np.concatenate([v for _, v in splits])
    assert sorted(valid) == list(range(100))
    for train, v in splits:
        assert not set(train) & set(v)
        assert y[v].mean() == pytest.approx(0.2)


def test_holdout_and_row_cap_subsample():
    n = ROW_CAP + 5000
    y = np.arange(n) % 3
    plan = make_plan(profile(n))
    (train, valid), = make_splits(plan, y, classification=True, seed=0)
    assert len(train) + len(valid) == SEARCH_ROWS
    assert len(valid) == pytest.approx(SEARCH_ROWS * plan.holdout_fraction, abs=1)
    assert np.bincount(y[valid]).min() >= len(valid) // 3 - 1


def test_rare_classes_reduce_folds_and_regression_holdout():
    y = np.array([0] * 30 + [1] * 3)
    splits = make_splits(make_plan(profile(33), "cv", 5), y, classification=True, seed=0)
    assert len(splits) == 3  # no fold may lack the 3-member class
    # a class with a single member cannot be stratified; splitting still works
    y = np.array([0] * 30 + [1] * 5 + [2])
    assert make_splits(make_plan(profile(36), "holdout"), y, True, seed=0)
    y = np.linspace(0, 1, 50)
    (train, valid), = make_splits(make_plan(profile(50, "regression"), "holdout"), y, False, 0)
    assert len(valid) == round(50 * 0.33)


def test_strategy_and_fidelity_by_budget_and_size():
    small, large = profile(1000), profile(SH_MIN_ROWS * 2)
    assert make_plan(small, time_budget=SMAC_MIN_BUDGET - 1).strategy == "random"
    plan = make_plan(small, time_budget=SMAC_MIN_BUDGET)
    assert (plan.strategy, plan.multi_fidelity, plan.min_fidelity) == ("smac", "off", 1.0)
    plan = make_plan(large, time_budget=60)
    assert plan.multi_fidelity == "successive_halving" and 0 < plan.min_fidelity <= 1 / 3
    assert "successive halving" in plan.reason
    # random search never uses fidelities; the user's SMAC settings win over the policy
    assert make_plan(large, time_budget=60, search="random").multi_fidelity == "off"
    assert make_plan(large, time_budget=60, search=SMAC(multi_fidelity="off")).multi_fidelity \
        == "off"
    plan = make_plan(small, time_budget=5, search=SMAC(multi_fidelity="hyperband"))
    assert (plan.strategy, plan.multi_fidelity) == ("smac", "hyperband")
    assert plan.min_fidelity <= 1 / 3


@dataclass(frozen=True)
class NewStrategy(StrategySettings):
    """A strategy plan.py has never heard of: its declarations alone decide."""

    multi_fidelity: str = "auto"

    name = "new"
    uses_fidelities = True
    networks_only = True


def test_a_new_strategy_is_planned_by_its_declarations():
    plan = make_plan(profile(SH_MIN_ROWS * 2), time_budget=60, search=NewStrategy(),
                     neural="auto", torch_available=True)
    assert (plan.strategy, plan.multi_fidelity, plan.neural) == ("new", "successive_halving",
                                                                 True)
    assert "search=new" in plan.reason


def test_trial_time_limit():
    assert make_plan(profile(100), time_budget=40).trial_time_limit == 40 * TRIAL_SHARE
    assert make_plan(profile(100), time_budget=40, per_trial_time_limit=3).trial_time_limit == 3


@pytest.mark.parametrize("kwargs, on, why", [
    ({"neural": False, "torch_available": True, "cuda_available": True}, False, "neural=False"),
    ({"neural": True}, True, "neural=True"),
    ({"neural": "auto"}, False, "torch is not installed"),
    ({"neural": "auto", "torch_available": True}, False, f"< {NEURAL_MIN_ROWS}"),
    ({"neural": "auto", "torch_available": True, "cuda_available": True}, True, "CUDA"),
    ({"neural": "auto", "torch_available": True, "image_shape": (8, 8)}, True,
     "image_shape=(8, 8) given: image rows"),
    ({"neural": "auto", "torch_available": True, "image_shape": (1000,)}, True,
     "image_shape=(1000,) given: signal rows"),
    ({"neural": "auto", "torch_available": True, "image_shape": (1, 500, 2)}, True,
     "image_shape=(1, 500, 2) given: signal rows"),
    ({"neural": "auto", "torch_available": True, "search": "evolution"}, True, "evolution"),
    ({"neural": "auto", "image_shape": (8, 8), "search": "evolution"}, False, "pip install"),
])
def test_neural_branch_decision(kwargs, on, why):
    plan = make_plan(profile(1000), **kwargs)
    assert plan.neural is on
    assert why in plan.reason and f"neural branch {'on' if on else 'off'}" in plan.reason


def _budget_for(n_rows, n_features=3):
    """The budget whose trial limit just covers a default network on the holdout's rows."""
    train_rows = n_rows * (1 - DEFAULT_HOLDOUT)
    return estimate_network_seconds(train_rows, n_features) / TRIAL_SHARE


def test_the_network_estimate_grows_with_rows_columns_and_epochs():
    base = estimate_network_seconds(10_000, 16)
    assert estimate_network_seconds(20_000, 16) == pytest.approx(2 * base)
    assert estimate_network_seconds(10_000, 16, epochs=2 * NEURAL_EPOCHS) == pytest.approx(
        2 * base)
    assert base < estimate_network_seconds(10_000, 1000) < 3 * base
    # the calibration: a default network on 10k training rows of letter converged in
    # under 30 s on this project's CPU; the estimate keeps a margin, within reason
    assert 15 <= base <= 60


@pytest.mark.parametrize("n_rows", [NEURAL_MIN_ROWS, 4 * NEURAL_MIN_ROWS])
def test_neural_branch_on_large_tabular_data_when_a_network_fits_a_trial(n_rows):
    needed = _budget_for(min(n_rows, SEARCH_ROWS) if n_rows > ROW_CAP else n_rows)
    plan = make_plan(profile(n_rows), neural="auto", torch_available=True,
                     time_budget=needed * 1.01)
    assert plan.neural, plan.reason
    assert f"{n_rows} rows >= {NEURAL_MIN_ROWS}" in plan.reason
    assert f"x 3 columns x {NEURAL_EPOCHS} epochs takes ~" in plan.reason
    assert "trial limit (25% of the budget)" in plan.reason
    # a network on this many rows cannot converge within a smaller budget's trial limit
    plan = make_plan(profile(n_rows), neural="auto", torch_available=True,
                     time_budget=needed * 0.99)
    assert not plan.neural and "CPU only, tabular" in plan.reason
    assert f"~{estimate_network_seconds(plan.search_rows * (1 - DEFAULT_HOLDOUT), 3):.0f}s " \
           "on CPU >" in plan.reason
    plan = make_plan(profile(n_rows), neural="auto", torch_available=True,
                     cuda_available=True, time_budget=10)
    assert plan.neural and "CUDA" in plan.reason


def test_the_estimate_reads_the_users_trial_limit_and_folds():
    budget = _budget_for(NEURAL_MIN_ROWS)
    # the user's own trial limit decides, whatever the budget
    plan = make_plan(profile(NEURAL_MIN_ROWS), neural="auto", torch_available=True,
                     time_budget=10 * budget, per_trial_time_limit=1)
    assert not plan.neural and "> the 1s trial limit)" in plan.reason
    # cross-validation fits a network once per fold
    plan = make_plan(profile(NEURAL_MIN_ROWS), "cv", 5, neural="auto", torch_available=True,
                     time_budget=budget * 1.01)
    assert not plan.neural and "x 5 folds" in plan.reason
    plan = make_plan(profile(NEURAL_MIN_ROWS), "cv", 5, neural="auto", torch_available=True,
                     time_budget=budget * 10)
    assert plan.neural and "x 5 folds" in plan.reason


def test_small_tabular_data_gets_no_networks_whatever_the_budget():
    plan = make_plan(profile(NEURAL_MIN_ROWS - 1), neural="auto", torch_available=True,
                     time_budget=10_000)
    assert not plan.neural
    assert f"{NEURAL_MIN_ROWS - 1} rows < {NEURAL_MIN_ROWS}: tree ensembles win" in plan.reason


def test_neural_branch_on_cpu_resamples_by_holdout():
    kwargs = {"neural": "auto", "torch_available": True, "image_shape": (8, 8)}
    plan = make_plan(profile(1000), **kwargs)
    assert plan.neural and plan.resampling == "holdout" and "neural branch on CPU" in plan.reason
    # a GPU trains a network per fold in time; the user's choice always wins
    assert make_plan(profile(1000), cuda_available=True, **kwargs).resampling == "cv"
    assert make_plan(profile(1000), "cv", **kwargs).resampling == "cv"
    assert make_plan(profile(1000), neural=False, torch_available=True).resampling == "cv"


@pytest.mark.parametrize("shape", [(64,), (1, 64), (1, 32, 2), (8, 8), (4, 4, 4)])
def test_image_and_signal_shapes_are_accepted(shape):
    from sklearn.datasets import load_digits

    from automl_estimators import AutoClassifier

    X, y = load_digits(return_X_y=True)
    clf = AutoClassifier(time_budget=10, max_trials=1, neural=False, image_shape=shape,
                         include=["logistic_regression"], ensemble_size=0, n_jobs=1,
                         random_state=0).fit(X[:100], y[:100])
    assert clf.image_shape == shape


@pytest.mark.parametrize("shape, match", [
    ((63,), r"image_shape=\(63,\) holds 63 values per signal, but X has 64 columns"),
    ((1, 32, 3), "holds 96 values per signal"),
    ((8, 7), "holds 56 values per image"),
    ((), r"\(length,\) or \(1, length, channels\) for a 1-D signal"),
    ((2, 2, 2, 8), "positive integers"),
    ((64.0,), "positive integers"),
    ((True, 64), "positive integers"),
])
def test_bad_image_shapes_say_what_is_expected(shape, match):
    from sklearn.datasets import load_digits

    from automl_estimators import AutoClassifier

    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        AutoClassifier(time_budget=5, neural=False, image_shape=shape).fit(X[:50], y[:50])


def test_the_strong_default_runs_in_the_fit_s_process_only_when_it_is_expected_to_be_short():
    # iris-sized: five folds of 90 rows, a fraction of a second
    small = make_plan(profile(112, n_features=4), time_budget=1)
    assert small.inline_seconds == pytest.approx(estimate_default_seconds(5, 112 * 0.8, 4, 0))
    assert 0 < small.inline_seconds < 0.5
    # more classes, more trees per iteration
    assert estimate_default_seconds(1, 1000, 10, 26) > 13 * estimate_default_seconds(
        1, 1000, 10, 2) - 1
    # 6000 rows x 16 columns: one tree per iteration in the fit's process; 25 classes
    # (letter-like), 25 trees, only in a worker
    train = 6000 * (1 - DEFAULT_HOLDOUT)
    assert estimate_default_seconds(1, train, 16, 0) < INLINE_MAX_SECONDS < \
        estimate_default_seconds(1, train, 16, 25)
    assert make_plan(profile(6000, n_features=16), time_budget=10).inline_seconds is not None
    with_classes = make_plan(DataProfile(
        task="classification", n_rows=6000, n_features=16, sparse=False,
        numeric=tuple(range(16)), categorical=(), high_cardinality=(), missing_fraction=0.0,
        class_counts=(240,) * 25), time_budget=10)
    assert with_classes.inline_seconds is None


def test_the_short_default_is_expected_in_a_third_of_the_default_s_iterations_time():
    from automl_estimators.spaces import short_default

    _, share = short_default("classification")
    # kr-vs-kp-sized: the default's holdout fit of 1600 rows x 36 columns is expected
    # to take too long for a 1 s fit's process; its 32-iteration form is not
    plan = make_plan(profile(2400, n_features=36), time_budget=1)
    assert plan.inline_seconds == pytest.approx(estimate_default_seconds(
        1, 2400 * (1 - DEFAULT_HOLDOUT), 36, 0))
    assert plan.short_inline_seconds == pytest.approx(estimate_default_seconds(
        1, 2400 * (1 - DEFAULT_HOLDOUT), 36, 0, iterations_share=share))
    assert plan.short_inline_seconds < 0.5 * plan.inline_seconds
    assert plan.default_seconds == plan.inline_seconds
    # past INLINE_MAX_SECONDS: not in the fit's process, yet its seconds are known
    # (the search loop's test of whether a worker can end it in time)
    larger = make_plan(profile(30000, n_features=200), time_budget=5)
    assert larger.inline_seconds is None and larger.default_seconds > INLINE_MAX_SECONDS
    assert larger.short_inline_seconds == pytest.approx(estimate_default_seconds(
        1, 30000 * (1 - DEFAULT_HOLDOUT), 200, 0, iterations_share=share))
    # past INLINE_MAX_SECONDS even when short, or networks first: never in the process
    wide = make_plan(profile(30000, n_features=500), time_budget=1)
    assert wide.inline_seconds is None and wide.short_inline_seconds is None
    neural = make_plan(profile(2400, n_features=36), time_budget=1, neural=True,
                       torch_available=True)
    assert neural.inline_seconds is None and neural.short_inline_seconds is None
    assert neural.default_seconds is None


def categorical_profile(rows, numeric=10, categorical=30, levels=20, high=0,
                        task="regression"):
    """Data of ``numeric`` numbers, ``categorical`` columns of ``levels`` levels each
    and ``high`` high-cardinality columns (ames_housing-like by default)."""
    return DataProfile(
        task=task, n_rows=rows, n_features=numeric + categorical + high, sparse=False,
        numeric=tuple(range(numeric)),
        categorical=tuple(range(numeric, numeric + categorical)),
        high_cardinality=tuple(range(numeric + categorical, numeric + categorical + high)),
        missing_fraction=0.0, categorical_levels=(levels,) * categorical,
        class_counts=() if task == "regression" else (rows // 2, rows - rows // 2))


def test_the_native_default_is_expected_at_one_model_column_per_data_column():
    """With categorical columns of many levels, the strong default's form with native
    categorical splits (spaces.native_default) is expected at the data's width, the
    one-hot form at its encoded width: in time where the one-hot one is not. Without
    low-cardinality categorical columns there is no such form."""
    from automl_estimators.spaces import one_hot_width

    data = categorical_profile(2000)
    train = 2000 * (1 - DEFAULT_HOLDOUT)
    assert one_hot_width(data) == 10 + 30 * 20 > data.n_features == 40
    for budget in (1, 5):
        plan = make_plan(data, time_budget=budget)
        assert plan.default_seconds == pytest.approx(estimate_default_seconds(
            1, train, 40, 0, model_columns=one_hot_width(data),
            model_bins=10 * HGB_MAX_BINS + 30 * 20 * 2))
        assert plan.native_inline_seconds == pytest.approx(estimate_default_seconds(
            1, train, 40, 0, model_columns=40, model_bins=10 * HGB_MAX_BINS + 30 * 20))
        assert plan.native_inline_seconds < plan.default_seconds
    # numbers only, or high-cardinality columns only (encoded alike in both forms)
    assert make_plan(profile(2000, n_features=40), time_budget=1).native_inline_seconds is None
    only_high = categorical_profile(2000, categorical=0, high=5)
    assert make_plan(only_high, time_budget=1).native_inline_seconds is None
    # past INLINE_MAX_SECONDS, or networks first: never in the fit's process
    assert make_plan(categorical_profile(40_000, numeric=200), time_budget=5
                     ).native_inline_seconds is None
    assert make_plan(data, time_budget=1, neural=True, torch_available=True
                     ).native_inline_seconds is None


def test_a_fit_of_a_second_may_sample_for_the_native_default():
    """The workerless sample is sized for whichever stand-in gets the most rows in
    time, the native default among them: on adult-like data (many rows, categories of
    many levels) it gets more than the one-hot short form, and the plan says so."""
    from automl_estimators.budget import SHUTDOWN_MARGIN
    from automl_estimators.plan import INLINE_SHARE, _native_default_seconds

    data = categorical_profile(36_000, numeric=20, categorical=12, levels=30,
                               task="classification")
    plan = make_plan(data, time_budget=1)
    train = plan.search_rows * (1 - DEFAULT_HOLDOUT)
    assert plan.search_rows < 36_000
    assert "the strong default with native categorical splits is expected in time" in plan.reason
    seconds = INLINE_SHARE * (1 - SHUTDOWN_MARGIN)
    assert _native_default_seconds(1, train, data) == pytest.approx(seconds, rel=0.01)
    assert plan.native_inline_seconds == pytest.approx(seconds, rel=0.01)


def test_the_default_is_late_for_a_worker_unless_it_fits_with_a_margin():
    """Whether the strong default's trial can end in a worker in time: its estimate
    plus the workers' start, with a margin for a slower machine. car at 5 s
    (session 23): 2.1 + 1.5 s planned within 4.6 s, 2.5 + 2.3 s seen, the default
    cancelled; the short form must then run in the fit's own process."""
    from automl_estimators.plan import DEFAULT_LATE_SAFETY, WORKER_START_SECONDS, default_late

    assert DEFAULT_LATE_SAFETY > 1.0
    assert default_late(2.1, 4.6)  # on time without the margin, late with it
    assert 2.1 + WORKER_START_SECONDS < 4.6
    assert not default_late(2.1, 9.0)  # a 10 s fit: on time
    assert default_late(5.2, 9.0)  # adult at 10 s: the short form is insurance
    assert not default_late(5.2, 58.0)
    assert default_late(None, 1e6)  # unknown (the neural branch): never counted on


def test_no_workers_start_for_a_budget_that_ends_before_they_could_run_a_trial():
    """Workers are up after WORKER_START_SECONDS on an idle machine: below that plus
    the shortest trial, every trial runs in the fit's own process, and the plan
    says so."""
    from automl_estimators.budget import MIN_TRIAL_SECONDS
    from automl_estimators.plan import WORKER_START_SECONDS, WORKERLESS_BUDGET

    assert WORKERLESS_BUDGET == WORKER_START_SECONDS + MIN_TRIAL_SECONDS
    for budget in (0.5, 1, WORKERLESS_BUDGET - 0.01):
        plan = make_plan(profile(150), time_budget=budget)
        assert not plan.workers
        assert f"no trial workers (a {budget:g}s budget ends before" in plan.reason
    for budget in (WORKERLESS_BUDGET, 2, 60):
        plan = make_plan(profile(150), time_budget=budget)
        assert plan.workers and "no trial workers" not in plan.reason


@pytest.mark.parametrize("task, classes, columns, stand_in", [
    ("classification", 2, 150, "strong default's short form"),
    ("classification", 7, 14, "quick forest"),  # shuttle-like: a boosted tree per class
    ("regression", 0, 150, "strong default's short form"),
])
def test_a_fit_without_workers_searches_on_the_rows_a_stand_in_is_expected_in_time_on(
        task, classes, columns, stand_in):
    """A fit of a second has no workers and ends on what its own process runs: where
    neither the strong default's short form nor the quick forest is expected in time
    on all its rows (adult and shuttle ended on the dummy at 1 s), it searches on a
    stratified sample, the most rows on which one of them is; not with workers, not
    where one is in time on every row, not below WORKERLESS_MIN_ROWS."""
    from automl_estimators.budget import SHUTDOWN_MARGIN
    from automl_estimators.plan import (
        INLINE_SHARE,
        WORKERLESS_BUDGET,
        WORKERLESS_MIN_ROWS,
        estimate_forest_seconds,
    )
    from automl_estimators.spaces import short_default

    def data(rows, columns=columns):
        return DataProfile(task=task, n_rows=rows, n_features=columns, sparse=False,
                           numeric=tuple(range(columns)), categorical=(), high_cardinality=(),
                           missing_fraction=0.0, class_counts=(rows // max(classes, 1),) *
                           classes)

    big = data(50_000)
    seconds = INLINE_SHARE * (1 - SHUTDOWN_MARGIN)
    estimates = {
        "strong default's short form": lambda rows: estimate_default_seconds(
            1, rows, columns, classes, iterations_share=short_default(task)[1]),
        "quick forest": lambda rows: estimate_forest_seconds(1, rows, big)}
    every_row = SEARCH_ROWS * (1 - DEFAULT_HOLDOUT)  # above ROW_CAP
    assert all(estimate(every_row) > seconds for estimate in estimates.values())
    plan = make_plan(big, time_budget=1)
    train = plan.search_rows * (1 - DEFAULT_HOLDOUT)
    assert WORKERLESS_MIN_ROWS <= train < every_row and plan.resampling == "holdout"
    # the stand-in named is expected in time on them, neither on many more
    assert estimates[stand_in](train) == pytest.approx(seconds, rel=0.01)
    assert estimates[stand_in](train) <= seconds * 1.001
    assert all(estimate(1.05 * train) > seconds for estimate in estimates.values())
    assert (f"search on {plan.search_rows} of {big.n_rows} rows (a 1s fit without workers: "
            f"the {stand_in} is expected in time") in plan.reason
    assert plan.short_inline_seconds is not None or plan.forest_inline_seconds is not None
    train_rows, valid_rows = make_splits(plan, np.arange(big.n_rows) % max(classes, 2),
                                         task == "classification", 0)[0]
    assert len(train_rows) + len(valid_rows) == plan.search_rows
    # with workers (they run the strong default later), the search has every row
    assert make_plan(big, time_budget=WORKERLESS_BUDGET).search_rows == SEARCH_ROWS
    # a stand-in in time on every row: all of them
    assert make_plan(data(3000, columns=8), time_budget=1).search_rows == 3000
    # neither in time on WORKERLESS_MIN_ROWS: nothing to gain from fewer
    wide = data(50_000, columns=20_000)
    assert make_plan(wide, time_budget=1).search_rows == SEARCH_ROWS


def test_a_sample_of_all_rows_but_one_is_drawn_without_stratifying():
    """Found in review: a workerless sample can leave out fewer rows than there are
    classes (15,881 rows of 7 classes at 1 s: a sample of 15,880), where a stratified
    split cannot be drawn; the sample is then drawn at random."""
    plan = make_plan(profile(15881, n_features=14), time_budget=1)
    plan = plan.__class__(**{**plan.__dict__, "search_rows": 15880})
    y = np.arange(15881) % 7
    train, valid = make_splits(plan, y, True, 0)[0]
    assert len(train) + len(valid) == 15880 and len(set(train) | set(valid)) == 15880


def test_sparse_data_is_sampled_for_the_quick_forest_only():
    """HistGradientBoosting does not take sparse data: a sparse fit of a second is
    never sized for the strong default's short form."""
    sparse = DataProfile(task="classification", n_rows=36000, n_features=100, sparse=True,
                         numeric=tuple(range(100)), categorical=(), high_cardinality=(),
                         missing_fraction=0.0, class_counts=(18000, 18000))
    plan = make_plan(sparse, time_budget=1)
    assert "short form" not in plan.reason
    assert plan.search_rows == 36000 or "the quick forest is expected in time" in plan.reason


def test_the_quick_forest_is_expected_per_tree_from_rows_levels_and_features():
    """The quick forest's seconds: per fold, a fixed cost, the one-hot encoding's
    share and 32 trees of its task's per-tree model over the rows, their log2 levels
    and the features a split considers (half the one-hot columns for classification,
    all for regression); none past INLINE_MAX_SECONDS or with the neural branch on."""
    from automl_estimators.plan import (
        FOREST_TREE_MODEL,
        INLINE_FIT_SECONDS,
        QUICK_CATEGORICAL_CELL_SECONDS,
        estimate_forest_seconds,
    )

    def expected(task, rows, features, categorical=0, fits=1):
        levels = np.log2(rows)
        per_tree = sum(c * t for c, t in zip(FOREST_TREE_MODEL[task],
                                             (1.0, rows, rows * levels,
                                              rows * levels * features)))
        return fits * (INLINE_FIT_SECONDS + rows * categorical * QUICK_CATEGORICAL_CELL_SECONDS
                       + 32 * per_tree)

    train_rows = 10000 * (1 - DEFAULT_HOLDOUT)
    letters = make_plan(DataProfile(
        task="classification", n_rows=10000, n_features=16, sparse=False,
        numeric=tuple(range(16)), categorical=(), high_cardinality=(), missing_fraction=0.0,
        class_counts=(385,) * 26), time_budget=1)
    assert letters.resampling == "holdout"
    assert letters.forest_inline_seconds == pytest.approx(
        expected("classification", train_rows, 8))
    numbers = make_plan(profile(10000, n_features=16, task="regression"), time_budget=1)
    assert numbers.forest_inline_seconds == pytest.approx(
        expected("regression", train_rows, 16))
    # a regression tree, all columns at each split, is expected slower
    assert numbers.forest_inline_seconds > letters.forest_inline_seconds
    # categories: the one-hot encoding's share, and a split among their columns
    mixed = DataProfile(task="classification", n_rows=10000, n_features=4, sparse=False,
                        numeric=(0, 1), categorical=(2, 3), high_cardinality=(),
                        missing_fraction=0.0, class_counts=(2, 2), categorical_levels=(5, 7))
    assert estimate_forest_seconds(1, train_rows, mixed) == pytest.approx(
        expected("classification", train_rows, 7, categorical=2))
    # more rows, more seconds; one fit per fold under cross-validation
    assert estimate_forest_seconds(1, 2 * train_rows, mixed) > estimate_forest_seconds(
        1, train_rows, mixed)
    assert estimate_forest_seconds(5, 800, mixed) == pytest.approx(
        5 * estimate_forest_seconds(1, 800, mixed))
    # (at 2 s: a fit of a second has no workers, and searches on fewer rows instead)
    assert make_plan(profile(30000, n_features=200), time_budget=2).forest_inline_seconds \
        is None
    neural = make_plan(profile(2400, n_features=36), time_budget=1, neural=True,
                       torch_available=True)
    assert neural.forest_inline_seconds is None


def test_the_quick_model_is_expected_from_its_numeric_and_categorical_cells():
    """The quick model's seconds: a fixed cost per fold plus each training row's
    numeric and categorical cells (the one-hot encoding costs more a cell); none
    past INLINE_MAX_SECONDS or with the neural branch on, where it never runs in
    the fit's own process."""
    from automl_estimators.plan import (
        INLINE_FIT_SECONDS,
        QUICK_CATEGORICAL_CELL_SECONDS,
        QUICK_NUMERIC_CELL_SECONDS,
    )

    mixed = DataProfile(task="classification", n_rows=30000, n_features=14, sparse=False,
                        numeric=tuple(range(6)), categorical=tuple(range(6, 13)),
                        high_cardinality=(13,), missing_fraction=0.0, class_counts=(2, 2))
    plan = make_plan(mixed, time_budget=1)
    train_rows = 30000 * (1 - DEFAULT_HOLDOUT)
    expected = INLINE_FIT_SECONDS + train_rows * (6 * QUICK_NUMERIC_CELL_SECONDS
                                                  + 8 * QUICK_CATEGORICAL_CELL_SECONDS)
    assert plan.quick_inline_seconds == pytest.approx(expected)
    # the same cells, all numeric, are expected faster
    numeric = make_plan(profile(30000, n_features=14), time_budget=1)
    assert numeric.quick_inline_seconds < plan.quick_inline_seconds
    # cross-validation: one fit per fold
    small = make_plan(profile(200, n_features=10), time_budget=1)
    assert small.resampling == "cv" and small.quick_inline_seconds == pytest.approx(
        small.n_folds * (INLINE_FIT_SECONDS + 200 * (small.n_folds - 1) / small.n_folds
                       * 10 * QUICK_NUMERIC_CELL_SECONDS))
    wide = make_plan(profile(30000, n_features=20000), time_budget=1)
    assert wide.quick_inline_seconds is None
    neural = make_plan(profile(2400, n_features=36), time_budget=1, neural=True,
                       torch_available=True)
    assert neural.quick_inline_seconds is None


def test_trials_run_in_the_fit_s_process_only_when_memory_limit_covers_the_data():
    """A trial in the fit's own process has no memory limit: with a memory_limit
    below a few times the data's bytes, every trial runs in a worker under it."""
    import pandas as pd
    import scipy.sparse as sp

    from automl_estimators.data import size_in_bytes
    from automl_estimators.plan import INLINE_MEMORY_FACTOR, inline_within_memory

    numbers = np.zeros((1000, 10))
    assert size_in_bytes(numbers) == 80_000
    frame = pd.DataFrame({"x": np.zeros(1000), "text": ["a long enough string"] * 1000})
    assert size_in_bytes(frame) > 8_000 + 1000 * len("a long enough string")
    assert size_in_bytes(sp.random(1000, 10, density=0.1, format="csr")) < 80_000
    mb = 2**20
    assert inline_within_memory(mb, 16) and inline_within_memory(16 * mb, None)
    assert not inline_within_memory(18 * mb, 16)  # the worker cannot even map it
    assert inline_within_memory(4096 * mb // INLINE_MEMORY_FACTOR, 4096)


def test_the_default_s_expected_seconds_grow_per_cell_more_slowly_on_larger_data():
    """The cell rate (INLINE_CELL_SECONDS) is a small-data rate; past a few thousand
    rows the node model (HGB_NODE_MODEL) is the lower, and so the estimate: measured
    (benchmarks/results/default_seconds.md) the cell rate expected 1.3 s of
    california housing's default trial (10,372 rows x 8 columns), which took 0.22 s,
    and a 1 s fit ran its 32-iteration form instead (0.77 against 0.83 for the
    default on the test rows)."""
    from automl_estimators.plan import (
        HGB_ITERATIONS,
        INLINE_CELL_SECONDS,
        INLINE_FIT_SECONDS,
        hgb_tree_seconds,
    )

    def by_cells(rows, columns, trees=1):
        return INLINE_FIT_SECONDS + INLINE_CELL_SECONDS * rows * columns * trees

    def by_nodes(rows, columns, trees=1):
        return INLINE_FIT_SECONDS + HGB_ITERATIONS * hgb_tree_seconds(rows, columns) * trees

    # small data (iris's folds, diabetes's holdout): the cell rate, as before
    for rows, columns, classes in [(90, 4, 3), (386, 8, 2)]:
        trees = classes if classes > 2 else 1
        expected = estimate_default_seconds(1, rows, columns, classes)
        assert expected == pytest.approx(by_cells(rows, columns, trees))
        assert expected < by_nodes(rows, columns, trees)
    # california housing's holdout: the node model, which puts a 1 s fit's default in
    # its own process
    expected = estimate_default_seconds(1, 10372, 8, 0)
    assert expected == pytest.approx(by_nodes(10372, 8))
    assert expected < 0.4 < by_cells(10372, 8)
    plan = make_plan(profile(15480, n_features=8), time_budget=1)
    assert plan.inline_seconds == pytest.approx(by_nodes(15480 * (1 - DEFAULT_HOLDOUT), 8))
    # one-hot encoded categories widen what the model sees, and the estimate
    assert estimate_default_seconds(1, 24543, 14, 2, model_columns=107) > \
        2 * estimate_default_seconds(1, 24543, 14, 2)
    # per tree: more rows, more columns, more nodes cost more; nodes stop at the
    # default's 31 leaves
    assert hgb_tree_seconds(1000, 10) < hgb_tree_seconds(2000, 10) < hgb_tree_seconds(2000, 20)


def test_columns_of_few_values_are_expected_to_cost_less():
    """HistGradientBoosting finds a split by scanning each column's bins, and a column
    of few distinct values makes few: the plan counts them (``numeric_levels``, on a
    sample; a one-hot column makes two bins, a natively split one a bin per level), so
    that data of counts, flags and categories is not expected at the cost of 255 bins
    a column (ames_housing at 1 s: the native default measured at 0.25 s, expected
    at 0.96 s, ran on a sample of the rows)."""
    import dataclasses

    from automl_estimators.data import LEVELS_SAMPLE_ROWS, numeric_levels
    from automl_estimators.plan import FEW_LEVELS, hgb_model_shape, hgb_tree_seconds

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=3000), rng.integers(0, 5, 3000).astype(float),
                         np.where(rng.random(3000) < 0.5, np.nan, 1.0)])
    assert numeric_levels(X, (0, 1, 2)) == (LEVELS_SAMPLE_ROWS, 5, 1)  # missing apart
    frame = pd.DataFrame({"n": X[:, 1], "flag": pd.array([True, None] * 1500, "boolean")})
    assert numeric_levels(frame, ("n", "flag")) == (5, 1)
    assert numeric_levels(frame.to_numpy(float, na_value=np.nan), (0, 1)) == (5, 1)

    unknown = categorical_profile(2000)  # numeric_levels not given: 255 bins each
    counted = dataclasses.replace(unknown, numeric_levels=(4,) * 9 + (FEW_LEVELS + 1,))
    assert hgb_model_shape(unknown) == (10 + 30 * 20, 10 * HGB_MAX_BINS + 30 * 20 * 2)
    assert hgb_model_shape(unknown, native=True) == (40, 10 * HGB_MAX_BINS + 30 * 20)
    # counted on a sample: past FEW_LEVELS a column may hold any number of values
    assert hgb_model_shape(counted, native=True) == (40, 9 * 4 + HGB_MAX_BINS + 30 * 20)
    for native in (False, True):
        seconds = []
        for data in (counted, unknown):
            columns, bins = hgb_model_shape(data, native)
            seconds.append(estimate_default_seconds(1, 20_000, 40, 0, model_columns=columns,
                                                    model_bins=bins))
        assert seconds[0] < seconds[1]
    plan = make_plan(dataclasses.replace(counted, n_rows=30_000), time_budget=5)
    columns, bins = hgb_model_shape(counted)
    assert plan.default_seconds == pytest.approx(estimate_default_seconds(
        1, 30_000 * (1 - DEFAULT_HOLDOUT), 40, 0, model_columns=columns, model_bins=bins))
    assert hgb_tree_seconds(2000, 40, bins=40 * 6) < hgb_tree_seconds(2000, 40)


def test_on_a_slower_host_a_trial_in_the_fit_s_process_must_end_within_the_allowance():
    """The estimates are the cost models' host's; on a machine slower than it
    (host_speed.slowdown) a trial in the fit's own process, which has no time limit
    but its estimate, runs only where that many times its estimate ends within the
    search time left and the budget's allowance; up to 1 / INLINE_SHARE times slower
    the share of the search time decides as before. Found: car at 3 s, its native
    default expected at 1.92 s, took 3.1-3.5 s on a host 1.5-3.5x slower (session
    39), past the allowance."""
    from automl_estimators.plan import INLINE_SHARE, inline_deadline, inline_limit

    data = categorical_profile(600, numeric=4, categorical=3, levels=5,
                               task="classification")
    fields = ("inline_seconds", "default_seconds", "native_inline_seconds",
              "short_inline_seconds", "forest_inline_seconds", "quick_inline_seconds")
    base = make_plan(data, time_budget=10)
    slow = make_plan(data, time_budget=10, host_slowdown=2.5)
    assert all(getattr(slow, field) == getattr(base, field) for field in fields)
    assert base.host_slowdown == 1.0 and "slower than" not in base.reason
    assert slow.host_slowdown == 2.5
    assert "runs the reference 2.50x slower than the cost models' host" in slow.reason
    # car at 3 s: 2.56 s of search time left, the native default expected at 1.92 s
    assert inline_limit(2.56, 3) == pytest.approx(INLINE_SHARE * 2.56)
    assert inline_limit(2.56, 3, 1 / INLINE_SHARE) == pytest.approx(INLINE_SHARE * 2.56)
    assert 1.92 <= inline_limit(2.56, 3, 1.6)  # 3.07 s on a host 1.6x slower: in time
    assert inline_limit(2.56, 3, 2.5) == pytest.approx(3.56 / 2.5)
    assert inline_limit(2.56, 3, 2.5) < 1.92  # 4.8 s on a host 2.5x slower: not
    # the deadline the trial itself keeps between its folds is the same: 3.56 s here
    assert inline_deadline(2.56, 3) == pytest.approx(3.56)
    assert inline_limit(2.56, 3, 2.5) * 2.5 == pytest.approx(inline_deadline(2.56, 3))
    # the allowance grows with the budget: max(1 s, 5 %)
    assert inline_limit(100, 120, 8) == pytest.approx(106 / 8)


def test_a_fit_of_a_second_on_a_much_slower_host_searches_on_fewer_rows():
    """The workerless sample is sized for the rows on which a stand-in is expected
    within INLINE_SHARE of the search time, and, on a much slower host, to end within
    it and the budget's allowance (1 s: it binds from about 3.2x slower)."""
    from automl_estimators.budget import SHUTDOWN_MARGIN
    from automl_estimators.plan import INLINE_SHARE, WORKERLESS_MIN_ROWS, inline_limit

    data = profile(50_000, n_features=80)
    base = make_plan(data, time_budget=1)
    assert make_plan(data, time_budget=1, host_slowdown=3.0).search_rows == base.search_rows
    slow = make_plan(data, time_budget=1, host_slowdown=4.0)
    # the short form in time on every search row here, on fewer there
    assert WORKERLESS_MIN_ROWS < slow.search_rows < base.search_rows == SEARCH_ROWS
    seconds = inline_limit(1 - SHUTDOWN_MARGIN, 1, 4.0)
    assert seconds < INLINE_SHARE * (1 - SHUTDOWN_MARGIN)
    short = estimate_default_seconds(1, slow.search_rows * (1 - DEFAULT_HOLDOUT), 80, 0,
                                     iterations_share=32 / 100)
    assert short == pytest.approx(seconds, rel=0.01)


@pytest.mark.parametrize("n_rows, resampling, size, stops", [
    # a holdout keeps two thirds: 15,000 rows train on 10,050
    (15_000, "auto", None, True),
    (14_900, "auto", None, False),
    (100_000, "auto", None, True),  # the search's 30,000 rows: 20,100
    (12_501, "cv", 5, True),  # 10,000.8 rows per fold's training part
    (12_500, "cv", 5, False),
    (CV_MAX_ROWS, "auto", None, False),
])
def test_boosting_stops_early_only_where_every_fit_trains_on_more_rows_than_the_threshold(
        n_rows, resampling, size, stops):
    """HistGradientBoosting's early_stopping="auto" stops early above 10,000 rows of the
    fit; only where every fit of a trial has more may its iterations reach 4096
    (spaces.Space stops_early): without early stopping each iteration is paid for."""
    plan = make_plan(profile(n_rows), resampling, size)
    assert plan.stops_early is stops
    assert (f"max_iter up to {HGB_STOPPED_ITERATIONS}" in plan.reason) is stops
    assert (f"(> {HGB_EARLY_STOPPING_ROWS})" in plan.reason) is stops
