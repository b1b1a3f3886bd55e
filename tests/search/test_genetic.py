"""Genetic programming: tree generation, operators, selection, ask/tell.

The primitive set itself is tested in ``tests/spaces/test_primitives.py``.
"""

import math
import random

import numpy as np
import pytest
import scipy.sparse as sp
from deap import gp
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge

from automl_estimators import AutoClassifier, data
from automl_estimators.pipelines import build_pipeline
from automl_estimators.pipelines.components import StackingTransformer
from automl_estimators.search import STRATEGIES, Genetic, make_strategy
from automl_estimators.search.genetic import grow
from automl_estimators.spaces import Space
from automl_estimators.spaces.declarations import FEATURES, MODEL
from automl_estimators.spaces.neural import NAME
from automl_estimators.spaces.primitives import PrimitiveSet
from automl_estimators.spaces.program import INPUT, TRANSFORMS, Stack, Transform, Union
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET, strategy_params

SPACES = {
    "classification": lambda: Space("classification", n_features=8, has_categorical=True),
    "regression": lambda: Space("regression", n_features=5),
    "sparse": lambda: Space("classification", sparse=True, n_features=400),
    "restricted": lambda: Space("regression", n_features=5, include=["ridge", "standard"]),
}


def told(candidate, trial_id, score=0.5, status=Status.OK):
    return TrialResult(trial_id=trial_id, config=candidate.config, origin=candidate.origin,
                       fidelity=1.0, status=status,
                       score=score if status == Status.OK else math.nan)


@pytest.mark.parametrize("name", SPACES)
def test_generation_ends_on_every_type(name):
    pset = PrimitiveSet(SPACES[name]()).pset
    types = set(pset.primitives) | set(pset.terminals)
    rng = random.Random(0)
    for type_ in types:
        for heights in ((0, 0), (0, 3), (2, 6)):
            tree = gp.PrimitiveTree(grow(pset, rng, *heights, type_))
            assert tree.root.ret == type_
            # a well-formed prefix expression: every subtree closes exactly at the end
            assert tree.searchSubtree(0) == slice(0, len(tree))


def _trees_with(strategy, kinds, n=400):
    """Configurations asked until every node kind in ``kinds`` was seen."""
    seen, found = set(), []
    for i in range(n):
        (candidate,) = strategy.ask(1)
        tree_kinds = _kinds(candidate.config[TRANSFORMS])
        if tree_kinds - seen:
            found.append(candidate.config)
            seen |= tree_kinds
        strategy.tell(candidate, told(candidate, i, score=random.Random(i).random()))
        if kinds <= seen:
            return found
    raise AssertionError(f"kinds {kinds - seen} never proposed in {n} asks")


def _kinds(tree):
    return {type(node).__name__.lower() for node in tree.walk()} - {"input"}


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_programs_with_unions_and_stacking_fit_and_predict(task):
    if task == "classification":
        X, y = make_classification(250, 6, n_informative=4, n_classes=3, random_state=0)
    else:
        X, y = make_regression(250, 6, random_state=0)
    space = Space(task, n_features=6, seed=0)
    profile = data.profile(X, y, task)
    strategy = make_strategy("genetic", space, seed=1)
    configs = _trees_with(strategy, {"transform", "union", "stack"})
    for config in configs:
        pipeline = build_pipeline(config, space, profile, random_state=0).fit(X, y)
        assert pipeline.predict(X).shape == (250,)


def test_stacking_transformer_appends_out_of_fold_predictions():
    X, y = make_classification(90, 4, n_classes=3, n_informative=3, n_redundant=0,
                               random_state=0)
    stack = StackingTransformer(LogisticRegression(), random_state=0)
    fitted = stack.fit_transform(X, y)
    assert fitted.shape == (90, 4 + 3)
    np.testing.assert_array_equal(fitted[:, :4], X)
    # out-of-fold at fit, the refit model afterwards: the stacked columns differ
    assert not np.allclose(fitted[:, 4:], stack.transform(X)[:, 4:])
    np.testing.assert_allclose(fitted[:, 4:].sum(axis=1), 1.0)
    Xr, yr = make_regression(60, 3, random_state=0)
    assert StackingTransformer(Ridge()).fit_transform(Xr, yr).shape == (60, 4)
    sparse_out = StackingTransformer(LogisticRegression()).fit_transform(sp.csr_matrix(X), y)
    assert sp.issparse(sparse_out) and sparse_out.shape == (90, 7)
    with pytest.raises(ValueError, match="needs y"):
        StackingTransformer(Ridge()).fit_transform(Xr)


def test_no_pipeline_is_proposed_twice_and_failures_are_learned():
    strategy = make_strategy("genetic", SPACES["classification"](), seed=0)
    keys = []
    for i in range(150):
        (candidate,) = strategy.ask(1)
        keys.append(candidate.key)
        status = Status.CRASH if i % 4 == 0 else Status.OK
        strategy.tell(candidate, told(candidate, i, score=i / 150, status=status))
    assert len(set(keys)) == len(keys)
    assert strategy.generations >= 3
    # a crash scores -crash_cost (1.0 by default), never NaN
    assert min(ind.fitness.values[0] for ind in strategy.evaluated) >= -1.0


def test_a_tiny_space_is_exhausted_instead_of_looping():
    space = Space("regression", n_features=3, include=["ridge", "no_scaling", "no_features"])
    strategy = Genetic(max_height=3).make(space, seed=0)
    asked = 0
    while asked < 1000:
        got = strategy.ask(1)
        if not got:
            break
        asked += 1
        assert strategy.primitives.from_config(got[0].config).height <= 3
        strategy.tell(got[0], told(got[0], asked))
    # 4 imputers x 7 alphas x 9 matrices (X, union(X, X), stack[ridge](X) x 7 alphas)
    assert 0 < asked <= 4 * 7 * 9


def test_selection_keeps_the_best_score_and_the_simplest_pipeline():
    strategy = Genetic(population_size=5, offspring_size=5).make(SPACES["classification"](), 0)
    candidates = strategy.ask(20)
    for i, candidate in enumerate(candidates):
        strategy.tell(candidate, told(candidate, i, score=i / 20))
    best = candidates[-1].key
    simplest = min(strategy.evaluated, key=lambda ind: ind.fitness.values[1])
    strategy.ask(1)  # breeds the next generation from NSGA-II survivors
    survivor_keys = {
        _key(strategy, ind) for ind in strategy.evaluated}
    assert best in survivor_keys
    assert min(ind.fitness.values[1] for ind in strategy.evaluated) == simplest.fitness.values[1]


def _key(strategy, individual):
    from automl_estimators.search.base import config_key
    return config_key(strategy.primitives.to_config(individual))


def test_offspring_stay_within_the_height_limit():
    settings = Genetic(population_size=8, offspring_size=8, max_height=6)
    strategy = settings.make(SPACES["classification"](), seed=3)
    for i in range(120):
        (candidate,) = strategy.ask(1)
        strategy.tell(candidate, told(candidate, i, score=random.Random(i).random()))
    assert all(ind.height <= 6 for ind in strategy.evaluated)


def test_warm_start_results_join_the_population():
    space = SPACES["classification"]()
    strategy = make_strategy("genetic", space, seed=0)
    from automl_estimators.search import Candidate
    warm = Candidate(space.default_config("xgboost"), 1.0, "default")
    strategy.tell(warm, told(warm, 1, score=0.9))
    assert len(strategy.evaluated) == 1
    assert strategy.evaluated[0].fitness.values == (0.9, 2.0)  # xgboost + standard scaling


def test_a_result_told_again_is_learned_once():
    # the loop tells every repeated proposal (warm starts included) the known result
    space = SPACES["classification"]()
    strategy = make_strategy("genetic", space, seed=0)
    from automl_estimators.search import Candidate
    warm = Candidate(space.default_config("xgboost"), 1.0, "default")
    (asked,) = strategy.ask(1)
    for candidate in (warm, asked, warm, asked):
        strategy.tell(candidate, told(candidate, 1, score=0.9))
    assert len(strategy.evaluated) == 2


def test_the_global_random_generator_is_left_alone():
    state = random.getstate()
    strategy = make_strategy("genetic", SPACES["classification"](), seed=0)
    for i in range(60):
        (candidate,) = strategy.ask(1)
        strategy.tell(candidate, told(candidate, i, score=random.Random(i).random()))
    assert random.getstate() == state


@pytest.mark.parametrize("bad", [
    {"population_size": 0}, {"offspring_size": 2.5}, {"crossover_rate": 1.5},
    {"max_height": 2}, {"population_size": True}])
def test_bad_settings_are_refused_with_a_clear_error(bad):
    with pytest.raises(ValueError, match="Genetic"):
        Genetic(**bad)


def test_genetic_search_inside_a_fit(credit):
    X, y = credit
    # the two models' defaults, then six programs of the first generation: max_trials
    # ends the fit, not the clock, so a busy machine cannot leave too few of them
    clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=8,
                         search=Genetic(population_size=6, offspring_size=6),
                         include=["logistic_regression", "naive_bayes", "standard", "pca",
                                  "no_features", "select_percentile"],
                         n_jobs=2, random_state=0).fit(X, y)
    genetic = clf.leaderboard_[clf.leaderboard_["origin"] == "genetic"]
    assert len(genetic) >= 3
    assert (genetic["status"] == "ok").any()
    assert clf.predict(X).shape == (len(X),)


def _under_image_model(node) -> set:
    """Node kinds (and steps) on the path from an image model down to its input."""
    if node == INPUT:
        return set()
    if isinstance(node, Transform):
        return {node.step} | _under_image_model(node.child)
    if isinstance(node, Union):
        return {"union"} | _under_image_model(node.left) | _under_image_model(node.right)
    return {"stack"} | _under_image_model(node.child)


@pytest.mark.parametrize("image_shape", [(8, 8), (64,), (1, 32, 2)])
def test_no_transformation_reaches_an_image_or_signal_network(image_shape):
    space = Space("classification", n_features=64, neural=True, image_shape=image_shape,
                  seed=0)
    strategy = Genetic().make(space, seed=0)
    primitives = strategy.primitives
    trees = [strategy._random_tree() for _ in range(1500)]
    networks = [t for t in trees if primitives.to_config(t)[MODEL] == "neural_network"]
    # every operator on a network's tree: mutations, and crossover with any tree
    offspring = [strategy._mutate(strategy._copy(t)) for t in networks for _ in range(10)]
    offspring += [strategy._child([t, other]) for t in networks for other in trees[:20]]
    stacked, other_features = 0, 0
    for tree in trees + offspring:
        config = primitives.to_config(tree)
        path = _under_image_model(config[TRANSFORMS])
        if config[MODEL] == "neural_network":
            assert config[TRANSFORMS] == INPUT, config[TRANSFORMS]
        elif path - {"scaling"}:
            other_features += 1
        stacked += any(isinstance(node, Stack) and node.model == "neural_network"
                       and node.child != INPUT for node in config[TRANSFORMS].walk())
        # the round trip to a tree still holds for every program
        assert primitives.to_config(primitives.from_config(config)) == config
    assert networks and other_features  # the other models keep feature steps, unions...
    assert stacked == 0  # ... and a stacked network reads the input as it is, too
    # a program that cannot hold for an image model is refused, not mis-encoded
    network = primitives.to_config(networks[0])
    for transforms in (Union(INPUT, INPUT), Transform("scaling", "standard", (), INPUT)):
        with pytest.raises(ValueError, match="image or signal model reads its input as it is"):
            primitives.from_config({**network, TRANSFORMS: transforms})


def test_the_genetic_search_proposes_networks_on_their_input_alone():
    space = Space("classification", n_features=64, neural=True, image_shape=(8, 8), seed=0)
    strategy = Genetic().make(space, seed=1)  # a seed whose searches favour networks
    proposed = []
    for i in range(300):
        (candidate,) = strategy.ask(1)
        if candidate.config[MODEL] == "neural_network":
            proposed.append(candidate.config)
        strategy.tell(candidate, told(candidate, i, score=random.Random(i).random()))
    assert len(proposed) >= 20
    assert all(config[TRANSFORMS] == INPUT for config in proposed)


def test_the_same_seed_proposes_the_same_pipelines_with_crossover():
    # Each strategy makes its own hyperparameter types, at other addresses; DEAP's
    # cxOnePoint drew from a set ordered by them, so two fits of one seed differed.
    def proposals():
        strategy = Genetic(population_size=6, offspring_size=6, crossover_rate=1.0).make(
            SPACES["classification"](), seed=0)
        keys = []
        for i in range(60):
            (candidate,) = strategy.ask(1)
            keys.append(candidate.key)
            strategy.tell(candidate, told(candidate, i, score=random.Random(i).random()))
        return keys

    assert proposals() == proposals()


# The same rule in the other strategies: a network that reads pixels or signal
# steps gets them as they are, whichever strategy proposes it.
@pytest.mark.parametrize("name", strategy_params(sorted(STRATEGIES)))
def test_every_strategy_feeds_image_networks_columns_unchanged(name):
    space = Space("classification", n_features=64, neural=True, image_shape=(8, 8), seed=0)
    X = np.random.default_rng(0).random((40, 64))
    X[::7, 5] = np.nan  # missing pixels: an imputer must not add indicator columns
    y = np.arange(40) % 2
    profile = data.profile(X, y, "classification")
    strategy = make_strategy(name, space, seed=0)
    default_steps = {k: v for k, v in space.default_config(NAME).items()
                     if not k.startswith(MODEL)}
    networks = []
    try:
        for i in range(40):
            for candidate in strategy.ask(1):
                if candidate.config[MODEL] == NAME:
                    networks.append(candidate.config)
                strategy.tell(candidate, told(candidate, i, score=random.Random(i).random()))
    finally:
        strategy.close()
    if STRATEGIES[name].networks_only:
        assert networks, f"{name} proposed no network"
        for config in networks:  # the space's default steps around the network
            assert {k: v for k, v in config.items() if not k.startswith(MODEL)} \
                == default_steps
    for config in networks:
        assert config.get(FEATURES, "no_features") == "no_features"
        assert config.get(TRANSFORMS, INPUT) == INPUT
        if STRATEGIES[name].networks_only:
            before = build_pipeline(config, space, profile, random_state=0)[:-1]
            assert before.fit_transform(X, y).shape == X.shape, config
