"""The size-aware resampling policy and its splits."""

from dataclasses import dataclass

import numpy as np
import pytest

from automl_estimators.data import DataProfile
from automl_estimators.plan import (
    CV_MAX_CELLS_PER_SECOND,
    CV_MAX_ROWS,
    NEURAL_MIN_BUDGET,
    NEURAL_MIN_ROWS,
    ROW_CAP,
    SEARCH_ROWS,
    SH_MIN_ROWS,
    SMAC_MIN_BUDGET,
    TRIAL_SHARE,
    make_plan,
    make_splits,
)
from automl_estimators.search import SMAC
from automl_estimators.search.base import StrategySettings


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
    ({"neural": "auto", "torch_available": True, "image_shape": (8, 8)}, True, "image_shape"),
    ({"neural": "auto", "torch_available": True, "search": "evolution"}, True, "evolution"),
    ({"neural": "auto", "image_shape": (8, 8), "search": "evolution"}, False, "pip install"),
])
def test_neural_branch_decision(kwargs, on, why):
    plan = make_plan(profile(1000), **kwargs)
    assert plan.neural is on
    assert why in plan.reason and f"neural branch {'on' if on else 'off'}" in plan.reason


def test_neural_branch_on_large_data_with_time_to_train():
    plan = make_plan(profile(NEURAL_MIN_ROWS), neural="auto", torch_available=True,
                     time_budget=NEURAL_MIN_BUDGET)
    assert plan.neural and f">= {NEURAL_MIN_ROWS}" in plan.reason
    # a network on this many rows cannot train within a small budget's trial limit on CPU
    plan = make_plan(profile(NEURAL_MIN_ROWS), neural="auto", torch_available=True,
                     time_budget=NEURAL_MIN_BUDGET / 2)
    assert not plan.neural and f"< {NEURAL_MIN_BUDGET:g}s" in plan.reason
    plan = make_plan(profile(NEURAL_MIN_ROWS), neural="auto", torch_available=True,
                     cuda_available=True, time_budget=10)
    assert plan.neural and "CUDA" in plan.reason


def test_neural_branch_on_cpu_resamples_by_holdout():
    kwargs = {"neural": "auto", "torch_available": True, "image_shape": (8, 8)}
    plan = make_plan(profile(1000), **kwargs)
    assert plan.neural and plan.resampling == "holdout" and "neural branch on CPU" in plan.reason
    # a GPU trains a network per fold in time; the user's choice always wins
    assert make_plan(profile(1000), cuda_available=True, **kwargs).resampling == "cv"
    assert make_plan(profile(1000), "cv", **kwargs).resampling == "cv"
    assert make_plan(profile(1000), neural=False, torch_available=True).resampling == "cv"
