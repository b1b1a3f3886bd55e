"""The REINFORCE controller: valid proposals, reproducibility, learning, a fit and its export."""

import math
import os
import subprocess
import sys
from collections import deque
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from automl_estimators import AutoClassifier
from automl_estimators.nas import torch_available
from automl_estimators.search import (
    Candidate,
    Controller,
    ControllerSearch,
    config_key,
    make_strategy,
)
from automl_estimators.spaces import Space
from automl_estimators.spaces.architecture import (
    CELL_INPUTS,
    IMAGE,
    IMAGE_OPS,
    SIGNAL,
    SIGNAL_OPS,
    TABULAR,
    TABULAR_OPS,
    Architecture,
)
from automl_estimators.spaces.declarations import MODEL, Categorical
from automl_estimators.spaces.neural import ARCHITECTURE_KEY, NAME
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET
from tests.test_export import PACKAGE_ROOT, run_script_here

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

# The operations the synthetic objective rewards, per kind, and their share of
# each kind's operations (what a uniform policy earns per operation slot).
GOOD_OPS = {TABULAR: ("dense_relu_wide",),
            IMAGE: tuple(op for op in IMAGE_OPS if op.startswith("sep_conv")),
            SIGNAL: tuple(op for op in SIGNAL_OPS if op.startswith("sep_conv"))}
N_OPS = {TABULAR: len(TABULAR_OPS), IMAGE: len(IMAGE_OPS), SIGNAL: len(SIGNAL_OPS)}


def space_of(kind, **kwargs):
    shape = {TABULAR: None, IMAGE: (8, 8), SIGNAL: (40,)}[kind]
    n_features = 4 if shape is None else math.prod(shape)
    return Space("classification", n_features=n_features, neural=True, image_shape=shape,
                 seed=0, **kwargs)


def result(candidate, trial_id, score, status=Status.OK):
    return TrialResult(trial_id=trial_id, config=candidate.config, origin=candidate.origin,
                       fidelity=candidate.fidelity, status=status,
                       score=score if status == Status.OK else math.nan)


def good_ops(config):
    """Synthetic reward: one point per rewarded operation in the cells (no training)."""
    arch = config[ARCHITECTURE_KEY]
    return sum(op in GOOD_OPS[arch.kind] for _, blocks in arch.cells
               for block in blocks for op in block.ops)


def run_async(strategy, objective, n_trials, in_flight=4):
    """Ask and tell as a loop with ``in_flight`` workers does: the oldest trial ends
    first, and a new proposal is asked as each one ends. Returns the proposals."""
    running, proposed = deque(), []
    while len(proposed) < n_trials:
        while len(running) < in_flight and len(proposed) + len(running) < n_trials:
            running.extend(strategy.ask(1))
        candidate = running.popleft()
        proposed.append(candidate)
        strategy.tell(candidate, result(candidate, len(proposed), objective(candidate.config)))
    return proposed


# ------------------------------------------------------------------ proposals
@pytest.mark.parametrize("kind", [TABULAR, IMAGE, SIGNAL])
def test_proposals_are_valid_networks_of_the_datas_kind(kind):
    space = space_of(kind)
    n_blocks = space.component(MODEL, NAME).defaults()["n_blocks"]
    asked = make_strategy("controller", space, seed=0).ask(8)
    assert len(asked) == 8
    for candidate in asked:
        assert candidate.origin == "controller" and candidate.fidelity == 1.0
        config = candidate.config
        arch = config[ARCHITECTURE_KEY]
        assert isinstance(arch, Architecture) and arch.kind == kind
        assert arch.n_blocks == n_blocks == config[f"model:{NAME}:n_blocks"]
        assert len(arch.reduction) == (0 if kind == TABULAR else n_blocks)
        for _, blocks in arch.cells:
            for j, block in enumerate(blocks):
                assert max(block.inputs) < CELL_INPUTS + j
        # nothing changes the columns before a network: the space's default steps
        assert config[MODEL] == NAME and config["features"] == "no_features"
        assert space.decode(space.encode(config)) == config  # the cells are ConfigSpace's too
    assert len({c.key for c in asked}) == 8


def test_n_blocks_setting_sets_the_cells_and_the_configuration():
    candidate = Controller(n_blocks=2).make(space_of(IMAGE), seed=0).ask(1)[0]
    assert candidate.config[ARCHITECTURE_KEY].n_blocks == 2
    assert candidate.config[f"model:{NAME}:n_blocks"] == 2
    with pytest.raises(ValueError, match=r"outside the network's declared range \[1, 5\]"):
        Controller(n_blocks=9).make(space_of(TABULAR), seed=0)


def asks_and_tells(seed, n_rounds=6):
    strategy = make_strategy("controller", space_of(TABULAR), seed)
    configs = []
    for round_index in range(n_rounds):
        asked = strategy.ask(3)
        configs += [c.config for c in asked]
        for i, candidate in enumerate(asked):
            status = Status.CRASH if (round_index + i) % 4 == 0 else Status.OK
            strategy.tell(candidate, result(candidate, len(configs), good_ops(candidate.config),
                                            status))
    return configs, strategy.report()


def test_same_seed_and_tells_give_the_same_proposals_and_leave_torch_alone():
    import torch

    rng_state, n_threads = torch.get_rng_state(), torch.get_num_threads()
    (a, report_a), (b, report_b), (c, _) = asks_and_tells(0), asks_and_tells(0), asks_and_tells(1)
    assert a == b and report_a == report_b
    assert a != c
    # the global generator and the thread count are as they were
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert torch.get_num_threads() == n_threads


def test_repeats_are_drawn_again_before_they_are_accepted():
    # one block of a tabular cell: 3 pairs of inputs x 66 pairs of operations
    strategy = Controller(n_blocks=1).make(space_of(TABULAR), seed=0)
    asked = [strategy.ask(1)[0] for _ in range(40)]
    assert len({c.key for c in asked}) == 40


# ------------------------------------------------------------------ learning
@pytest.mark.parametrize("kind", [TABULAR, IMAGE])
def test_mean_reward_rises_on_a_synthetic_objective(kind):
    strategy = make_strategy("controller", space_of(kind), seed=0)
    proposed = run_async(strategy, good_ops, n_trials=300)
    rewards = np.array([good_ops(c.config) for c in proposed])
    n_op_slots = 2 * len(proposed[0].config[ARCHITECTURE_KEY].cells) * \
        proposed[0].config[ARCHITECTURE_KEY].n_blocks
    uniform = n_op_slots * len(GOOD_OPS[kind]) / N_OPS[kind]
    first, last = rewards[:50].mean(), rewards[-50:].mean()
    assert first < uniform + 1.0
    assert last > 2 * first and last > uniform + 0.3 * (n_op_slots - uniform), (first, last)
    report = strategy.report()
    assert report["n_rewards"] == 300 and report["round_size"] == 5
    per_round = report["mean_reward_per_round"]
    assert len(per_round) == 60
    assert np.mean(per_round[-10:]) > np.mean(per_round[:10])
    assert math.isclose(np.mean(per_round[:10]), first)
    # still exploring: the bounded logits and the entropy bonus keep the policy random
    assert 0.1 < report["entropy"] < math.log(N_OPS[kind])
    assert first < report["baseline"] <= n_op_slots


def test_children_are_rewarded_at_their_first_training_and_the_best_promoted():
    """NASNet's proxy: the policy learns from each child's short training only; the
    top third of the children is trained again in full (asynchronous successive
    halving), and only those full-fidelity networks can be chosen."""
    strategy = Controller(min_fidelity=1 / 3).make(space_of(TABULAR), seed=0)
    proposed = run_async(strategy, good_ops, n_trials=90)
    low = [c for c in proposed if c.fidelity < 1.0]
    full = [c for c in proposed if c.fidelity == 1.0]
    assert [c.fidelity for c in low] == pytest.approx([1 / 3] * len(low))
    assert full and len(full) <= len(low) // 3 + 1
    children = {c.key: good_ops(c.config) for c in low}
    for promoted in full:  # a promotion is a child trained again, never a new network
        assert config_key(promoted.config) in {config_key(c.config) for c in low}
    assert len({config_key(c.config) for c in full}) == len(full)  # each promoted once
    # promoted: children in the top third of those told before them
    median = np.median(list(children.values()))
    assert np.mean([good_ops(c.config) for c in full]) > median
    report = strategy.report()
    assert report["n_rewards"] == len(low)  # rewards at the first training only
    assert report["networks_per_rung"] == [len(low), len(full)]
    assert report["fidelities"] == pytest.approx([1 / 3, 1.0])


def with_recipe(space, *hyperparameters):
    """``space`` whose network declares these categorical hyperparameters too."""
    component = space.component(MODEL, NAME)
    names = {hp.name for hp in hyperparameters}
    kept = tuple(hp for hp in component.hyperparameters if hp.name not in names)
    space.steps[MODEL] = tuple(replace(c, hyperparameters=kept + hyperparameters)
                               if c.name == NAME else c for c in space.steps[MODEL])
    return space


SCHEDULE = Categorical("schedule", ("cosine", "step", "constant"), "cosine")
# active only under one schedule: its token is drawn but not learned elsewhere
DECAY = Categorical("decay_rate", (0.1, 0.5), 0.1, active_if={"schedule": ("step",)})


def test_the_recipe_is_learned_with_the_cells():
    space = with_recipe(space_of(TABULAR), SCHEDULE, DECAY)
    strategy = make_strategy("controller", space, seed=0)
    key = f"model:{NAME}:schedule"
    proposed = run_async(strategy, lambda config: 3.0 * (config[key] == "constant"), 150)
    for candidate in proposed:
        config = candidate.config
        assert (f"model:{NAME}:decay_rate" in config) == (config[key] == "step")
        assert config[f"model:{NAME}:class_weight"] is None  # not the controller's to learn
        assert space.decode(space.encode(config)) == config  # the cells are ConfigSpace's too
    schedules = [c.config[key] for c in proposed]
    assert {"cosine", "step", "constant"} <= set(schedules[:50])
    # uniform: 1/3 "constant"; the policy learns within the first 50 already
    assert schedules[-50:].count("constant") >= 40 > schedules[:50].count("constant")


def test_failures_earn_minus_crash_cost_and_other_models_teach_nothing():
    space = space_of(TABULAR)
    strategy = Controller(round_size=2).make(space, seed=0, crash_cost=0.25)
    assert strategy.report()["mean_reward_per_round"] == []
    assert math.isnan(strategy.report()["baseline"])
    default = space.default_config()
    strategy.tell(Candidate(default, 1.0, "default"), result(Candidate(default), 1, 1.0))
    first, second, third = strategy.ask(3)
    strategy.tell(first, result(first, 2, 0.75))
    strategy.tell(second, result(second, 3, 0.0, Status.TIMEOUT))
    strategy.tell(third, result(third, 4, math.inf))  # not a finite score: a failure too
    strategy.tell(third, result(third, 4, 0.9))  # told twice: learned once
    report = strategy.report()
    assert report["n_rewards"] == 3
    assert report["mean_reward_per_round"] == [(0.75 - 0.25) / 2, -0.25]


def test_torch_is_imported_at_the_first_proposal_over_networks_only():
    code = ("import sys\n"
            "from automl_estimators.search import make_strategy\n"
            "from automl_estimators.spaces import Space\n"
            "strategy = make_strategy('controller', Space('classification', n_features=4), 0)\n"
            "assert strategy.ask(3) == [] and strategy.report() == {}\n"
            "assert 'torch' not in sys.modules\n"
            "space = Space('classification', n_features=4, neural=True)\n"
            "strategy = make_strategy('controller', space, 0)\n"
            "assert strategy.report()['mean_reward_per_round'] == []\n"
            "assert 'torch' not in sys.modules\n"
            "assert len(strategy.ask(1)) == 1 and 'torch' in sys.modules\n")
    # the package under test, not another installed checkout
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert make_strategy("controller", space_of(TABULAR, include=["knn"]), 0).ask(1) == []


@pytest.mark.parametrize("settings, match", [
    ({"n_blocks": 0}, "n_blocks"), ({"hidden_size": 0}, "hidden_size"),
    ({"hidden_size": 64.0}, "hidden_size"), ({"round_size": True}, "round_size"),
    ({"learning_rate": 0.0}, "learning_rate"), ({"entropy_weight": -1e-3}, "entropy_weight"),
    ({"baseline_decay": 1.0}, "baseline_decay"), ({"max_grad_norm": 0.0}, "max_grad_norm"),
    ({"tanh_constant": 0.0}, "tanh_constant"), ({"round_size": 0}, "round_size"),
    ({"eta": 1}, "eta"), ({"min_fidelity": 0.0}, "min_fidelity"),
    ({"min_fidelity": 1.5}, "min_fidelity")])
def test_settings_are_checked(settings, match):
    with pytest.raises(ValueError, match=f"Controller: {match} must be"):
        Controller(**settings)


def test_settings_make_the_search():
    strategy = Controller(hidden_size=32).make(space_of(TABULAR), seed=3)
    assert isinstance(strategy, ControllerSearch) and strategy.settings.hidden_size == 32
    assert Controller.networks_only and Controller.name == "controller"


# ------------------------------------------------------------------ in a fit
@pytest.mark.slow
def test_fit_with_the_controller_reports_and_exports_its_best_network(tmp_path):
    X, y = load_digits(return_X_y=True, as_frame=True)
    X, y = X.iloc[:200], y.iloc[:200]
    # max_trials ends the fit, not the clock: the default network, then three proposals
    # (at time_budget=60 a trial's limit, 15 s, stopped one beside the busy suite)
    clf = AutoClassifier(neural=True, search="controller", max_trials=4,
                         time_budget=SLACK_BUDGET,
                         include=[NAME], ensemble_size=0, n_jobs=1, random_state=0).fit(X, y)
    board = clf.leaderboard_
    ours = board[board["origin"] == "controller"]
    assert len(ours) == 3 and (ours["status"] == Status.OK).all(), board
    report = clf.search_report_
    assert report["n_rewards"] == 3
    assert report["mean_reward_per_round"] == pytest.approx([ours["score"].mean()])
    assert clf.best_config_[MODEL] == NAME and clf.refit_ == "all rows", board
    predicted = clf.predict(X.iloc[:30])
    path = clf.export(tmp_path / "controller.py")
    if ARCHITECTURE_KEY in clf.best_config_:
        assert "Architecture(" in path.read_text()
    pd.concat([X, y.rename("target")], axis=1).to_csv(tmp_path / "train.csv", index=False)
    X.iloc[:30].to_csv(tmp_path / "test.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    # seeded CPU training is repeatable: the script's own fit gives the same network
    assert list(pd.read_csv(tmp_path / "predictions.csv")["target"]) == list(predicted)
