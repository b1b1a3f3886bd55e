"""search="one_shot": one-shot trials, then their derived architectures retrained."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from automl_estimators import AutoClassifier
from automl_estimators.nas import torch_available
from automl_estimators.search import STRATEGIES, Candidate, OneShot, OneShotSearch, make_strategy
from automl_estimators.search.one_shot import ARCHITECTURE_SEARCH
from automl_estimators.spaces import Space
from automl_estimators.spaces.architecture import TABULAR, Architecture, Block
from automl_estimators.spaces.declarations import MODEL
from automl_estimators.spaces.neural import (
    ARCHITECTURE_KEY,
    NAME,
    SIZE_HYPERPARAMETERS,
    recipe_hyperparameters,
)
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET
from tests.test_export import run_script_here

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

SEARCH_KEY = f"{MODEL}:{NAME}:{ARCHITECTURE_SEARCH}"
DERIVED = Architecture(TABULAR, (Block((0, 1), ("dense_relu", "layer_norm")),
                                 Block((1, 2), ("dense_gelu", "identity")),
                                 Block((0, 3), ("dense_tanh", "dense_relu"))))


def neural_space(**kwargs):
    return Space("classification", n_features=4, neural=True, seed=0, **kwargs)


def key(name):
    return f"{MODEL}:{NAME}:{name}"


def result(candidate, score=0.8, status=Status.OK, architecture=None, seconds=1.5):
    info = {} if architecture is None else {"architecture": architecture,
                                            "search_seconds": seconds}
    return TrialResult(trial_id=1, config=candidate.config, origin=candidate.origin,
                       fidelity=candidate.fidelity, status=status,
                       score=score if status == Status.OK else math.nan, info=info)


def test_registered_as_a_networks_only_strategy():
    assert STRATEGIES["one_shot"] is OneShot
    assert OneShot.name == "one_shot" and OneShot.networks_only
    assert isinstance(make_strategy("one_shot", neural_space(), seed=0), OneShotSearch)


def test_first_proposal_is_a_one_shot_search_at_the_defaults():
    space = neural_space()
    candidate = make_strategy(OneShot(method="enas"), space, seed=0).ask(1)[0]
    assert candidate.config == {**space.default_config(NAME), SEARCH_KEY: "enas"}
    assert candidate.fidelity == 1.0 and candidate.origin == "one_shot"
    assert ARCHITECTURE_KEY not in candidate.config


def test_a_derived_architecture_is_retrained_from_scratch_with_variations():
    space = neural_space()
    strategy = OneShot(n_recipes=2).make(space, seed=0)
    search = strategy.ask(1)[0]
    strategy.tell(search, result(search, architecture=DERIVED))
    retrained = [strategy.ask(1)[0] for _ in range(6)]
    base = {k: v for k, v in search.config.items() if k != SEARCH_KEY}
    for candidate in retrained:
        assert candidate.config[ARCHITECTURE_KEY] == DERIVED
        assert SEARCH_KEY not in candidate.config  # no second search: the cells are given
    first, epochs, cells, wide, *recipes = (c.config for c in retrained)
    assert first == {**base, ARCHITECTURE_KEY: DERIVED}  # the search's own recipe
    assert epochs[key("max_epochs")] == 2 * base[key("max_epochs")]
    assert cells[key("n_cells")] == base[key("n_cells")] + 1
    assert wide[key("width")] == 2 * base[key("width")]
    for recipe in recipes:
        changed = {k for k in recipe if recipe[k] != first[k]}
        # the whole training recipe is redrawn, never the network's size
        assert changed and changed <= {key(hp.name) for hp in recipe_hyperparameters(
            space.component(MODEL, NAME))}
        assert not changed & {key(n) for n in SIZE_HYPERPARAMETERS}
    # every variation proposed: the next proposal is a new search in another macro-architecture
    following = strategy.ask(1)[0].config
    assert following[SEARCH_KEY] == "darts" and ARCHITECTURE_KEY not in following
    macro = {key(n) for n in ("n_blocks", "n_cells", "width")}
    assert {k: following[k] for k in macro} != {k: search.config[k] for k in macro}


def test_a_failed_search_is_followed_by_another_search():
    strategy = OneShot().make(neural_space(), seed=0)
    first = strategy.ask(1)[0]
    strategy.tell(first, result(first, status=Status.CRASH))
    second = strategy.ask(1)[0]
    assert second.config[SEARCH_KEY] == "darts" and second.config != first.config


def test_report_lists_the_derived_architectures():
    strategy = OneShot(n_recipes=0).make(neural_space(), seed=0)
    search = strategy.ask(1)[0]
    strategy.tell(search, result(search, score=0.7, architecture=DERIVED, seconds=2.0))
    for candidate in strategy.ask(3):
        strategy.tell(candidate, result(candidate, score=0.9 if
                                        candidate.config[key("n_cells")] == 3 else 0.8))
    assert strategy.report() == {
        "method": "darts", "n_searches": 1, "derived_architectures": [repr(DERIVED)],
        "search_seconds": [2.0], "search_scores": [0.7], "retrained_scores": [0.9]}


def test_other_models_are_ignored_and_nothing_is_proposed_without_networks():
    space = neural_space()
    strategy = OneShot().make(space, seed=0)
    default = space.default_config()
    candidate = Candidate(default, 1.0, "default")
    strategy.tell(candidate, result(candidate, architecture=DERIVED))
    assert SEARCH_KEY in strategy.ask(1)[0].config
    assert OneShot().make(Space("classification", n_features=4), seed=0).ask(2) == []
    assert OneShot().make(neural_space(include=["knn"]), seed=0).ask(1) == []


@pytest.mark.parametrize("settings", [{"method": "random"}, {"n_recipes": -1}])
def test_settings_are_checked(settings):
    with pytest.raises(ValueError, match="OneShot"):
        OneShot(**settings)


@needs_torch
def test_one_shot_fit_ends_fitted_and_its_export_reproduces_the_predictions(tmp_path):
    X, y = load_iris(return_X_y=True, as_frame=True)
    X, y = X.iloc[::3], y.iloc[::3]  # 50 rows
    # networks only: the warm start is the default network, then the strategy's two
    # max_trials ends the fit, not the clock (tests/conftest.py's rule: at 60 s a
    # network trial's limit, 15 s, can pass under load)
    clf = AutoClassifier(neural=True, search="one_shot", include=[NAME], max_trials=3,
                         n_jobs=1, time_budget=SLACK_BUDGET, random_state=0).fit(X, y)
    board = clf.leaderboard_
    shots = board[board["origin"] == "one_shot"]
    assert len(shots) == 2 and (shots["status"] == Status.OK).all(), board
    # the search, then its derived cells retrained
    search, retrained = shots.sort_values("trial")["config"]
    assert search[SEARCH_KEY] == "darts" and ARCHITECTURE_KEY not in search
    searched = [r for r in clf.history_ if r.config.get(SEARCH_KEY)]
    assert retrained[ARCHITECTURE_KEY] == searched[0].info["architecture"]
    report = clf.search_report_
    assert report["n_searches"] == 1 and len(report["derived_architectures"]) == 1
    assert report["derived_architectures"][0].startswith("Architecture(kind='tabular'")
    assert report["search_seconds"][0] > 0
    predicted = clf.predict(X)
    assert predicted.shape == (50,)
    path = clf.export(tmp_path / "one_shot.py")
    pd.concat([X, y], axis=1).to_csv(tmp_path / "train.csv", index=False)
    X.to_csv(tmp_path / "test.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    exported = pd.read_csv(tmp_path / "predictions.csv")["target"].to_numpy()
    # the script's fit searches (if the model does) and trains with the same seeds
    np.testing.assert_array_equal(exported, predicted)
