"""The neural branch inside AutoClassifier / AutoRegressor: switch, space, strategy, export."""

import logging
import math
import pickle
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits, load_iris

from automl_estimators import AutoClassifier
from automl_estimators.nas import Architecture, Block, NeuralClassifier, torch_available
from automl_estimators.pipelines import build_pipeline
from automl_estimators.search import Evolution, RandomSearch, make_strategy
from automl_estimators.source_code import to_source
from automl_estimators.spaces import Space
from automl_estimators.spaces.architecture import IMAGE, TABULAR
from automl_estimators.spaces.declarations import MODEL
from automl_estimators.spaces.neural import ARCHITECTURE_KEY, NAME
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET
from tests.test_export import run_script, run_script_here

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch is not installed")


def neural_space(**kwargs):
    return Space("classification", n_features=4, neural=True, seed=0, **kwargs)


def tell_all(strategy, candidates, score):
    for i, candidate in enumerate(candidates):
        strategy.tell(candidate, TrialResult(
            trial_id=i, config=candidate.config, origin=candidate.origin,
            fidelity=candidate.fidelity, status=Status.OK, score=score(candidate)))


SMALL_POPULATION = Evolution(population_size=5, sample_size=2)


def run_evolution(seed, n_rounds=40):
    strategy = SMALL_POPULATION.make(neural_space(), seed)
    proposed = []
    for _ in range(n_rounds):
        asked = strategy.ask(1)
        proposed += asked
        # a deterministic, architecture-dependent score
        tell_all(strategy, asked, lambda c: (hash(repr(c.config[ARCHITECTURE_KEY])) % 97) / 97)
    return proposed


# ------------------------------------------------------------- the switch
def test_neural_false_never_offers_neural_networks():
    X, y = load_iris(return_X_y=True)
    clf = AutoClassifier(time_budget=4, max_trials=6, neural=False, search="random",
                         n_jobs=1, random_state=0).fit(X, y)
    assert not clf.search_plan_.neural and "neural=False" in clf.search_plan_.reason
    assert NAME not in clf.search_space_.models
    assert not any(NAME in p for p in clf.leaderboard_["pipeline"])
    assert NAME not in Space("classification", n_features=4).models


def test_neural_true_without_torch_raises_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ImportError, match=r"pip install 'automl-estimators\[nas\]'"):
        AutoClassifier(time_budget=2, neural=True).fit(X, y)


def test_auto_without_torch_skips_the_branch_with_one_log_line(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "torch", None)
    X, y = load_iris(return_X_y=True)
    with caplog.at_level(logging.INFO, logger="automl_estimators"):
        clf = AutoClassifier(time_budget=2, max_trials=1, image_shape=(2, 2), n_jobs=1,
                             random_state=0).fit(X, y)
    assert not clf.search_plan_.neural and "torch is not installed" in clf.search_plan_.reason
    lines = [r.getMessage() for r in caplog.records if "neural branch skipped" in r.getMessage()]
    assert len(lines) == 1 and "pip install" in lines[0]


@pytest.mark.parametrize("shape, match", [
    ((8, 7), "holds 56 values"), ((8,), "holds 8 values per signal"),
    ((8, 0), "positive integers"),
    ((2, 2, 2, 2), "positive integers")])
def test_image_shape_is_checked_against_the_columns(shape, match):
    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        AutoClassifier(time_budget=2, neural=False, image_shape=shape).fit(X[:50], y[:50])


def test_space_fixes_the_image_shape_and_refuses_sparse():
    space = Space("classification", n_features=64, neural=True, image_shape=(8, 8))
    assert space.component(MODEL, NAME).fixed["image_shape"] == (8, 8)
    assert NAME not in Space("classification", sparse=True, n_features=64, neural=True).models
    pipeline = build_pipeline(space.default_config(NAME), space,
                              profile=_profile(64), random_state=0)
    assert pipeline[-1].image_shape == (8, 8)


def _profile(n_features):
    from automl_estimators.data import DataProfile

    return DataProfile(task="classification", n_rows=100, n_features=n_features, sparse=False,
                       numeric=tuple(range(n_features)), categorical=(), high_cardinality=(),
                       missing_fraction=0.0, class_counts=(50, 50))


def mixed_frame(n_rows=150, seed=0):
    """Numbers (one with missing values), two low-cardinality categoricals (the
    20-level one sets the target) and a high-cardinality one."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 20, n_rows)
    X = pd.DataFrame({
        "x": rng.normal(size=n_rows),
        "level": [f"l{i}" for i in level],
        "gap": np.where(rng.random(n_rows) < 0.2, np.nan, rng.normal(size=n_rows)),
        "city": [f"c{i}" for i in rng.integers(0, 80, n_rows)],
        "size": rng.choice(["S", "M", "L"], n_rows)})
    y = pd.Series(np.where(level % 2 == 0, "even", "odd"), name="target")
    return X, y


def mixed_pipeline(encoding, **config):
    from automl_estimators.data import check_X, profile

    X, y = mixed_frame()
    X = check_X(X)
    data_profile = profile(X, np.unique(y, return_inverse=True)[1], "classification")
    assert data_profile.categorical == ("level", "size")
    assert data_profile.high_cardinality == ("city",)
    space = Space("classification", n_features=5, has_categorical=True, neural=True, seed=0)
    config = {**space.default_config(NAME), "encoding": encoding, **config}
    return build_pipeline(config, space, data_profile, random_state=0), X, y


@pytest.mark.parametrize("add_indicator", [False, True])
def test_ordinal_encoded_columns_are_the_networks_categorical_features(add_indicator):
    pipeline, X, y = mixed_pipeline(
        "ordinal", **{"imputation:simple_imputer:add_indicator": add_indicator})
    # the codes come first: the numeric block after them is wider with indicators
    assert pipeline[-1].categorical_features == [0, 1]
    preprocess = pipeline[0].fit(X, y)
    width = preprocess.transform(X).shape[1]
    assert width == 5 + add_indicator  # level, size, city, x, gap, [gap missing]
    categorical = preprocess.output_indices_["categorical"]
    assert pipeline[-1].categorical_features == list(
        range(categorical.start, categorical.stop))


@pytest.mark.parametrize("encoding, config", [
    ("one_hot", {}), ("ordinal", {"features": "pca"})])
def test_no_categorical_features_without_codes_next_to_the_model(encoding, config):
    pipeline, _, _ = mixed_pipeline(encoding, **config)
    assert pipeline[-1].categorical_features is None


def test_random_search_samples_cells_as_one_architecture_value():
    space = neural_space(include=[NAME])
    configs = [c.config for c in RandomSearch(space, seed=0).ask(5)]
    architectures = {c[ARCHITECTURE_KEY] for c in configs}
    assert len(architectures) == 5 and all(a.kind == TABULAR for a in architectures)
    assert all(c[ARCHITECTURE_KEY].n_blocks == c[f"model:{NAME}:n_blocks"] for c in configs)
    models = [build_pipeline(c, space, _profile(4), random_state=0)[-1] for c in configs]
    assert [m._architecture() for m in models] == [c[ARCHITECTURE_KEY] for c in configs]
    # the default configuration names no architecture: the estimator's default cells
    default = build_pipeline(space.default_config(NAME), space, _profile(4))[-1]
    assert default._architecture() == NeuralClassifier()._architecture()


# ------------------------------------------------------ regularized evolution
def test_evolution_is_reproducible_and_never_repeats():
    a, b, c = run_evolution(0), run_evolution(0), run_evolution(1)
    assert [x.key for x in a] == [x.key for x in b]
    assert [x.key for x in a] != [x.key for x in c]
    assert len({x.key for x in a}) == len(a) == 40
    assert all(x.config[MODEL] == NAME and x.origin == "evolution" for x in a)


def test_evolution_mutates_tournament_winners_and_promotes_the_top_third():
    strategy = Evolution(population_size=4, sample_size=2, recipe_mutation=0.0).make(
        neural_space(), seed=0)
    low, full = strategy.fidelities
    assert math.isclose(low, 1 / 3) and full == 1.0
    initial = [strategy.ask(1)[0] for _ in range(4)]
    assert all(c.fidelity == low for c in initial)
    scores = dict(zip((c.key for c in initial), (0.1, 0.9, 0.2, 0.3)))
    tell_all(strategy, initial, lambda c: scores[c.key])
    # 4 results at the low rung: the top 1 (4 // 3) is promoted, once
    promoted = strategy.ask(1)[0]
    assert promoted.fidelity == 1.0 and promoted.config == initial[1].config
    child = strategy.ask(1)[0]
    assert child.fidelity == low
    parents = [c.config[ARCHITECTURE_KEY] for c in initial]
    assert child.config[ARCHITECTURE_KEY] not in parents

    def blocks_changed(member):
        return sum(x != y for x, y in zip(child.config[ARCHITECTURE_KEY].normal,
                                          member.config[ARCHITECTURE_KEY].normal))

    # one input or one operation of one block changed from a member, and nothing else
    parent = min(initial, key=blocks_changed)
    assert blocks_changed(parent) == 1
    rest = {k: v for k, v in child.config.items() if k != ARCHITECTURE_KEY}
    assert rest == {k: v for k, v in parent.config.items() if k != ARCHITECTURE_KEY}


def test_evolution_ignores_other_models_and_proposes_nothing_without_neural_networks():
    space = neural_space()
    strategy = make_strategy("evolution", space, seed=0)
    default = space.default_config()
    strategy.tell(_candidate(default), TrialResult(trial_id=1, config=default, origin="default",
                                                   fidelity=1.0, status=Status.OK, score=1.0))
    assert strategy.ask(1)[0].config[MODEL] == NAME
    assert make_strategy("evolution", Space("classification", n_features=4), seed=0).ask(3) == []
    assert make_strategy("evolution", neural_space(include=["knn"]), seed=0).ask(1) == []


def _candidate(config):
    from automl_estimators.search import Candidate

    return Candidate(config, 1.0, "default")


def test_evolution_on_image_data_evolves_image_cells():
    space = Space("classification", n_features=64, neural=True, image_shape=(8, 8), seed=0)
    candidate = make_strategy("evolution", space, seed=0).ask(1)[0]
    assert candidate.config[ARCHITECTURE_KEY].kind == IMAGE


@pytest.mark.parametrize("settings", [
    {"population_size": 1}, {"sample_size": 0}, {"population_size": 3, "sample_size": 4},
    {"min_fidelity": 0.0}, {"eta": 1}])
def test_evolution_settings_are_checked(settings):
    with pytest.raises(ValueError, match="Evolution needs"):
        Evolution(**settings)


# ------------------------------------------------------------- with torch
SMALL_IMAGE_NET = {"model": NAME, f"model:{NAME}:width": 16, f"model:{NAME}:n_cells": 1,
                   f"model:{NAME}:n_blocks": 1, f"model:{NAME}:max_epochs": 10,
                   f"model:{NAME}:batch_size": 64}


@needs_torch
def test_neural_fit_on_digit_images_predicts_and_pickles():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    # max_trials ends the fit, not the clock: the test holds on a loaded machine too
    clf = AutoClassifier(time_budget=90, max_trials=3, neural=True, image_shape=(8, 8),
                         search="evolution", include=[NAME, "logistic_regression"],
                         resampling="holdout", warm_start=[SMALL_IMAGE_NET],
                         per_trial_time_limit=25, ensemble_size=0, n_jobs=1,
                         random_state=0).fit(X, y)
    assert clf.search_plan_.neural and "neural=True" in clf.search_plan_.reason
    board = clf.leaderboard_
    neural = board[board["pipeline"].str.startswith(NAME)]
    assert len(neural) >= 2, board
    assert (neural["status"] == Status.OK).any(), board
    predicted = clf.predict(X[:20])
    assert predicted.shape == (20,)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X[:20]), predicted)


@needs_torch
def test_exported_neural_pipeline_reproduces_the_predictions(tmp_path):
    X, y = load_iris(return_X_y=True, as_frame=True)
    # max_trials ends the fit, not the clock (tests/conftest.py's rule)
    clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=3, neural=True,
                         search="evolution",
                         include=[NAME], ensemble_size=0, n_jobs=1, random_state=0).fit(X, y)
    assert clf.best_config_[MODEL] == NAME and clf.refit_ == "all rows", clf.leaderboard_
    path = clf.export(tmp_path / "neural.py")
    text = path.read_text()
    assert "NeuralClassifier(" in text
    if ARCHITECTURE_KEY in clf.best_config_:
        assert "Architecture(" in text and "Block(" in text
    pd.concat([X, y], axis=1).to_csv(tmp_path / "train.csv", index=False)
    X.iloc[:30].to_csv(tmp_path / "test.csv", index=False)
    done = run_script(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
                      "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predictions.csv")["target"].to_numpy()
    # seeded CPU training is repeatable: the script's own fit gives the same model
    assert list(predicted) == list(clf.predict(X.iloc[:30]))


def test_architectures_export_as_readable_constructor_calls():
    arch = Architecture(TABULAR, (Block((0, 1), ("dense_relu", "identity")),
                                  Block((1, 2), ("dropout", "layer_norm"))))
    model = NeuralClassifier(architecture=arch, width=16, random_state=0)
    source = to_source(model)
    assert "Architecture(" in source.code and "Block(" in source.code
    assert source.build().get_params() == model.get_params()


@needs_torch
def test_exported_pipeline_with_embeddings_reproduces_the_predictions(tmp_path):
    X, y = mixed_frame()
    # the default network alone, on ordinal codes: one trial on a holdout split, then the refit
    clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=1, neural=True, search="random",
                         include=[NAME, "ordinal", "no_features"], resampling="holdout",
                         ensemble_size=0, n_jobs=1, random_state=0).fit(X, y)
    assert clf.best_config_[MODEL] == NAME and clf.refit_ == "all rows", clf.leaderboard_
    network = clf.model_[-1]
    assert network.categorical_features == [0, 1]
    assert [e.num_embeddings for e in network.module_.embeddings] == [21, 4]
    path = clf.export(tmp_path / "neural.py")
    assert "categorical_features=[0, 1]" in path.read_text()
    pd.concat([X, y], axis=1).to_csv(tmp_path / "train.csv", index=False)
    X_test = X.iloc[:30].assign(size=["XXL"] + list(X["size"].iloc[1:30]))  # a new category
    X_test.to_csv(tmp_path / "test.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predictions.csv")["target"].to_numpy()
    assert list(predicted) == list(clf.predict(X_test))


@needs_torch
def test_a_network_trial_reports_its_size_and_architecture(tmp_path):
    """n_parameters_ and architecture_ reach the trial's info (runners.task)."""
    import joblib

    from automl_estimators.runners.task import fit_and_predict
    from automl_estimators.trial import TrialTask

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 8)), np.arange(40) % 2
    path = tmp_path / "data.joblib"
    joblib.dump({"X": X, "y": y, "n_classes": 2,
                 "splits": [(np.arange(30), np.arange(30, 40))]}, path)
    network = NeuralClassifier(image_shape=(8,), n_cells=1, n_blocks=1, width=4, max_epochs=2,
                               random_state=0)
    answer = fit_and_predict(str(path), TrialTask(network, folds=(0,), return_model=True))
    assert answer.ok
    assert answer.info["n_parameters"] == answer.model.n_parameters_ > 0
    assert answer.info["architecture"].kind == "signal"
