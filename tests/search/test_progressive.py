"""Progressive NAS (PNAS): cells grown block by block, expansions ranked by a predictor."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from automl_estimators import AutoClassifier
from automl_estimators.nas import torch_available
from automl_estimators.search import STRATEGIES, Candidate, Progressive, make_strategy
from automl_estimators.search.predictor import ArchitecturePredictor, rank_correlation
from automl_estimators.search.progressive import (
    cell_expansions,
    cell_neighbours,
    one_block_cells,
)
from automl_estimators.spaces import Space
from automl_estimators.spaces.architecture import (
    IMAGE,
    OPERATIONS,
    SIGNAL,
    TABULAR,
    Architecture,
    sample_architecture,
)
from automl_estimators.spaces.declarations import MODEL
from automl_estimators.spaces.neural import ARCHITECTURE_KEY, NAME
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

SHAPES = {TABULAR: None, IMAGE: (8, 8), SIGNAL: (40,)}
# An operation of each kind whose count in the cell is the synthetic score.
TARGET_OPS = {TABULAR: "dense_relu", IMAGE: "sep_conv_3x3", SIGNAL: "sep_conv_3"}


def space_of(kind, **kwargs):
    shape = SHAPES[kind]
    n_features = 4 if shape is None else math.prod(shape)
    return Space("classification", n_features=n_features, neural=True, image_shape=shape, seed=0,
                 **kwargs)


def target_count(arch):
    return sum(op == TARGET_OPS[arch.kind] for block in arch.normal for op in block.ops)


def op_values(arch):
    """A graded score: each branch is worth its operation's position in the kind's set."""
    return sum(OPERATIONS[arch.kind].index(op) for block in arch.normal for op in block.ops)


def tell(strategy, candidate, score, trial_id=0, status=Status.OK):
    strategy.tell(candidate, TrialResult(
        trial_id=trial_id, config=candidate.config, origin=candidate.origin,
        fidelity=candidate.fidelity, status=status,
        score=score if status == Status.OK else math.nan))


def drive(strategy, objective, n_trials, noise_seed=0):
    """Ask and tell one trial at a time (one worker); the proposals in order."""
    noise = np.random.default_rng(noise_seed)
    proposed = []
    for trial_id in range(n_trials):
        (candidate,) = strategy.ask(1)
        proposed.append(candidate)
        score = objective(candidate.config[ARCHITECTURE_KEY]) + noise.normal(0, 0.1)
        tell(strategy, candidate, score, trial_id)
    return proposed


# ------------------------------------------------------------------ settings
def test_progressive_is_registered_and_proposes_networks_only():
    assert STRATEGIES["progressive"] is Progressive
    assert Progressive.networks_only and not Progressive.uses_fidelities
    assert isinstance(make_strategy("progressive", space_of(TABULAR), seed=0).settings,
                      Progressive)


@pytest.mark.parametrize("settings, match", [
    ({"max_blocks": 0}, "max_blocks to be a positive integer"),
    ({"max_blocks": 6}, r"max_blocks <= 5"),
    ({"beam_size": 0}, "beam_size to be a positive integer"),
    ({"beam_size": 2.5}, "beam_size to be a positive integer"),
    ({"n_predictors": True}, "n_predictors to be a positive integer")])
def test_settings_are_checked(settings, match):
    with pytest.raises(ValueError, match=match):
        Progressive(**settings)


# ------------------------------------------------------------------ the cells
@pytest.mark.parametrize("kind, n_ops", [(TABULAR, 11), (IMAGE, 7), (SIGNAL, 8)])
def test_every_distinct_one_block_cell_is_enumerated_once(kind, n_ops):
    blocks = one_block_cells(kind)
    branches = 2 * n_ops  # two cell inputs times the operations
    assert len(blocks) == len(set(blocks)) == branches * (branches + 1) // 2


def test_expansions_and_neighbours_are_distinct_valid_cells():
    cell = (one_block_cells(TABULAR)[5],)
    expansions = cell_expansions(cell, TABULAR)
    states, n_ops = 3, len(OPERATIONS[TABULAR])  # the second block reads states 0, 1, 2
    assert len(set(expansions)) == len(expansions) == (states * n_ops) * (states * n_ops + 1) // 2
    assert all(e[:1] == cell for e in expansions)
    two_blocks = expansions[40]
    neighbours = cell_neighbours(two_blocks, TABULAR)
    assert two_blocks not in neighbours and len(set(neighbours)) == len(neighbours)
    for neighbour in neighbours:
        Architecture(TABULAR, neighbour)  # valid
        changed = [(a, b) for a, b in zip(two_blocks, neighbour) if a != b]
        assert len(changed) == 1


@pytest.mark.parametrize("kind", [TABULAR, IMAGE, SIGNAL])
def test_proposals_are_valid_configurations_of_the_kind(kind):
    space = space_of(kind)
    strategy = Progressive(max_blocks=2, beam_size=3).make(space, seed=0)
    proposed = drive(strategy, target_count, 9)
    for candidate in proposed:
        arch = candidate.config[ARCHITECTURE_KEY]
        assert candidate.origin == "progressive" and candidate.fidelity == 1.0
        assert candidate.config[MODEL] == NAME and arch.kind == kind
        assert candidate.config[f"model:{NAME}:n_blocks"] == arch.n_blocks
        # PNAS's one cell serves as the normal and the reduction cell
        assert arch.reduction == (arch.normal if kind != TABULAR else ())
        assert {op for block in arch.normal for op in block.ops} <= set(OPERATIONS[kind])
        # the cells are the space's categorical hyperparameters too
        assert space.decode(space.encode(candidate.config)) == candidate.config
    assert len({c.key for c in proposed}) == len(proposed)


@needs_torch
@pytest.mark.parametrize("image_shape", [(8, 8), (16, 16)])
def test_image_cells_serve_as_reduction_cells(image_shape):
    import torch

    from automl_estimators.nas.network import NetworkSpec, build_network

    space = Space("classification", n_features=math.prod(image_shape), neural=True,
                  image_shape=image_shape, seed=0)
    strategy = Progressive(max_blocks=2, beam_size=3).make(space, seed=1)
    for candidate in drive(strategy, target_count, 6):
        spec = NetworkSpec(candidate.config[ARCHITECTURE_KEY], n_inputs=math.prod(image_shape),
                           n_outputs=3, n_cells=1, width=4, image_shape=image_shape)
        assert spec.n_reductions >= 1
        output = build_network(spec)(torch.zeros(2, spec.n_inputs))
        assert output.shape == (2, 3)


# ------------------------------------------------------------------ the steps
def test_cells_grow_block_by_block_from_the_best_of_the_last_step():
    strategy = Progressive(max_blocks=3, beam_size=4).make(space_of(TABULAR), seed=0)
    proposed = drive(strategy, target_count, 20)
    blocks = [c.config[ARCHITECTURE_KEY].n_blocks for c in proposed]
    # four networks per step; after max_blocks the cells stay at 3 blocks
    assert blocks == [1] * 4 + [2] * 4 + [3] * 4 + [3] * 4 + [3] * 4
    report = strategy.report()
    assert report["blocks_per_step"] == {1: 1, 2: 2, 3: 3, 4: 3, 5: 3}
    assert report["networks_trained_per_step"] == {1: 4, 2: 4, 3: 4, 4: 4, 5: 4}
    archs = [c.config[ARCHITECTURE_KEY] for c in proposed]
    for step in (1, 2):  # every cell of the next step extends a cell of this one
        parents = {a.normal for a in archs[4 * (step - 1):4 * step]}
        assert all(a.normal[:step] in parents for a in archs[4 * step:4 * (step + 1)])
    # after max_blocks: one input or one operation away from a cell told before
    earlier = {a.normal for a in archs[:12]}
    assert all(any(a.normal in cell_neighbours(e, TABULAR) for e in earlier) for a in archs[12:16])
    assert set(report["best_per_step"]) == {1, 2, 3, 4, 5}
    assert set(report["rank_correlation_per_step"]) == {2, 3, 4, 5}


def test_step_one_trains_a_seeded_random_subset_of_the_one_block_cells():
    def first_step(seed):
        strategy = Progressive(beam_size=8).make(space_of(IMAGE), seed=seed)
        return [c.config[ARCHITECTURE_KEY] for c in strategy.ask(8)]

    a, b, c = first_step(0), first_step(0), first_step(1)
    assert a == b and a != c and len(set(a)) == 8
    assert all(arch.n_blocks == 1 for arch in a)
    # fewer one-block cells than the beam: all of them, then the next step
    strategy = Progressive(beam_size=200, max_blocks=2).make(space_of(IMAGE), seed=0)
    first = drive(strategy, target_count, 105)
    assert {c.config[ARCHITECTURE_KEY].normal[0] for c in first} == set(one_block_cells(IMAGE))
    assert strategy.ask(1)[0].config[ARCHITECTURE_KEY].n_blocks == 2


@pytest.mark.parametrize("kind", [TABULAR, IMAGE])
def test_the_same_seed_gives_the_same_search(kind):
    def run(seed):
        strategy = Progressive(max_blocks=2, beam_size=4).make(space_of(kind), seed=seed)
        return [c.key for c in drive(strategy, target_count, 16)], strategy.report()

    (a, report_a), (b, report_b), (c, _) = run(3), run(3), run(4)
    assert a == b and a != c
    assert report_a == report_b


def test_asks_never_wait_for_the_steps_networks():
    strategy = Progressive(max_blocks=2, beam_size=4).make(space_of(TABULAR), seed=0)
    first = strategy.ask(6)  # six workers: the step's four networks and two more 1-block cells
    assert len(first) == 6 and {c.config[ARCHITECTURE_KEY].n_blocks for c in first} == {1}
    for i, candidate in enumerate(first[:3] + first[4:]):
        tell(strategy, candidate, float(i), i)
    # one of the step's networks still training: the next-ranked cells of the same step
    (extra,) = strategy.ask(1)
    assert extra.config[ARCHITECTURE_KEY].n_blocks == 1
    tell(strategy, first[3], 10.0, 3)
    step_two = strategy.ask(5)
    assert [c.config[ARCHITECTURE_KEY].n_blocks for c in step_two] == [2] * 5
    # the best cell told (10.0) is in the beam the step expanded
    best = first[3].config[ARCHITECTURE_KEY].normal
    assert any(c.config[ARCHITECTURE_KEY].normal[:1] == best for c in step_two)
    tell(strategy, extra, 0.5, 7)  # an extra told late still counts for its step
    assert strategy.report()["networks_trained_per_step"] == {1: 7, 2: 0}


def test_failed_trials_score_minus_the_crash_cost_and_leave_the_beam():
    strategy = Progressive(max_blocks=2, beam_size=1).make(space_of(TABULAR), seed=0,
                                                          crash_cost=0.4)
    network, extra = strategy.ask(2)  # the step's one network, and one more while it trains
    tell(strategy, network, math.nan, 0, Status.CRASH)
    assert strategy.report()["best_per_step"] == {1: -0.4}
    tell(strategy, extra, 0.1, 1)
    assert strategy.report()["best_per_step"] == {1: 0.1}
    # the beam of one is the success: every next cell extends it
    parent = extra.config[ARCHITECTURE_KEY].normal
    assert all(c.config[ARCHITECTURE_KEY].normal[:1] == parent for c in strategy.ask(4))


def test_exhausts_only_when_every_cell_was_proposed():
    # one-block image cells: 105 in all
    strategy = Progressive(max_blocks=1, beam_size=40).make(space_of(IMAGE), seed=0)
    proposed = drive(strategy, target_count, 105)
    assert len({c.key for c in proposed}) == 105
    assert strategy.ask(3) == []


def test_ignores_other_models_and_proposes_nothing_without_neural_networks():
    space = space_of(TABULAR)
    strategy = make_strategy("progressive", space, seed=0)
    default = space.default_config()
    tell(strategy, Candidate(default, 1.0, "default"), 1.0)
    assert strategy.ask(1)[0].config[MODEL] == NAME
    assert strategy.report()["networks_trained_per_step"] == {1: 0}
    assert make_strategy("progressive", Space("classification", n_features=4), seed=0).ask(2) == []
    assert make_strategy("progressive", space_of(TABULAR, include=["knn"]), seed=0).ask(1) == []


# --------------------------------------------------------- search and predictor
def trials_to_optimum(cells, optimum):
    for n, arch in enumerate(cells, start=1):
        if target_count(arch) == optimum:
            return n
    return math.inf


def test_reaches_the_optimum_in_fewer_trials_than_random_sampling():
    # image cells of 2 blocks: the optimum has the target op on all 4 branches of
    # the normal cell, 1 in 7 ** 4 = 2401 uniform draws
    seeds = range(3)
    progressive = []
    for seed in seeds:
        strategy = Progressive(max_blocks=2, beam_size=8).make(space_of(IMAGE), seed=seed)
        proposed = drive(strategy, target_count, 120, noise_seed=seed)
        progressive.append(trials_to_optimum([c.config[ARCHITECTURE_KEY] for c in proposed], 4))
    random_draws = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        draws = (sample_architecture(rng, IMAGE, 2) for _ in range(20_000))
        random_draws.append(trials_to_optimum(draws, 4))
    assert max(progressive) < 120, progressive
    assert np.mean(progressive) < np.mean(random_draws) / 10, (progressive, random_draws)


def test_the_predictor_ranks_the_trained_cells_of_a_step():
    # a graded objective: a count ties most of the cells a step picks (all near the
    # best), where a rank correlation says nothing
    for seed in range(3):
        strategy = Progressive(max_blocks=2, beam_size=32).make(space_of(IMAGE), seed=seed)
        drive(strategy, op_values, 64, noise_seed=seed)
        assert strategy.report()["rank_correlation_per_step"][2] > 0.5


def test_the_predictor_ranks_larger_cells_it_never_saw():
    # PNAS's premise: fit on b-block cells, rank (b + 1)-block ones
    rng = np.random.default_rng(0)
    blocks = one_block_cells(TABULAR)
    train = [Architecture(TABULAR, (blocks[i],)) for i in rng.choice(len(blocks), 40, False)]
    test = [sample_architecture(rng, TABULAR, 2) for _ in range(300)]
    scores = [target_count(a) + rng.normal(0, 0.1) for a in train]
    predictor = ArchitecturePredictor(max_blocks=3, seed=0).fit(train, scores)
    assert len(predictor.members_) == 5
    rho = rank_correlation(predictor.predict(test), [target_count(a) for a in test])
    assert rho > 0.6


def test_predictor_without_anything_to_learn_predicts_zeros():
    cells = [Architecture(TABULAR, (block,)) for block in one_block_cells(TABULAR)[:3]]
    predictor = ArchitecturePredictor(max_blocks=2, seed=0).fit(cells, [0.5, 0.5, 0.5])
    assert predictor.members_ == [] and list(predictor.predict(cells)) == [0.0] * 3
    with pytest.raises(ValueError, match="one score per architecture"):
        predictor.fit(cells, [1.0])
    assert math.isnan(rank_correlation([1.0, 2.0], [3.0, 3.0]))


# ----------------------------------------------------------------- in a fit
@needs_torch
@pytest.mark.slow
def test_progressive_fit_reports_and_exports_its_best_network(tmp_path):
    from tests.test_export import run_script_here

    X, y = load_iris(return_X_y=True, as_frame=True)
    # max_trials ends the fit, not the clock (tests/conftest.py's rule)
    clf = AutoClassifier(neural=True, search="progressive", max_trials=4, n_jobs=1,
                         time_budget=SLACK_BUDGET, include=[NAME], ensemble_size=0,
                         random_state=0).fit(X, y)
    board = clf.leaderboard_
    assert set(board["origin"]) <= {"dummy", "default", "progressive"}
    assert (board["origin"] == "progressive").sum() >= 1, board
    report = clf.search_report_
    assert set(report) >= {"rank_correlation_per_step", "networks_trained_per_step",
                           "best_per_step"}
    assert sum(report["networks_trained_per_step"].values()) >= 1
    assert clf.best_config_[MODEL] == NAME and clf.refit_ == "all rows", board
    path = clf.export(tmp_path / "progressive.py")
    if ARCHITECTURE_KEY in clf.best_config_:
        assert "Architecture(" in path.read_text()
    pd.concat([X, y], axis=1).to_csv(tmp_path / "train.csv", index=False)
    X.iloc[:30].to_csv(tmp_path / "test.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predictions.csv")["target"].to_numpy()
    assert list(predicted) == list(clf.predict(X.iloc[:30]))
