"""Warm-start suggestions (k-NN and portfolio) and the estimators' warm_start parameter."""

import json

import numpy as np
import pytest

from automl_estimators import AutoClassifier, AutoRegressor, data
from automl_estimators.metalearning import suggestions as suggestions_module
from automl_estimators.metalearning.features import FEATURE_NAMES, meta_features
from automl_estimators.metalearning.suggestions import (
    knn_order,
    leave_out,
    portfolio_order,
    suggest,
)
from automl_estimators.spaces import Space
from tests.conftest import SLACK_BUDGET


def _features(value):
    return {name: float(value) for name in FEATURE_NAMES}


def _metadata():
    space = Space("regression", n_features=5)
    ridge = space.default_config("ridge")
    lasso = space.default_config("lasso")
    forest = space.default_config("random_forest")
    knn = space.default_config("knn")
    return {"provenance": {}, "tasks": {"regression": {
        "configurations": [ridge, lasso, forest, knn],
        "datasets": {
            "near": {"features": _features(1.0), "best": [2, 3]},
            "far": {"features": _features(10.0), "best": [0, 1]},
            "middle": {"features": _features(5.0), "best": [1]},
        },
        # forest is best on "near"; ridge covers "far" and "middle"; knn is never best
        "scores": {"near": [0.1, 0.2, 0.9, 0.5], "far": [0.9, 0.8, 0.1, 0.2],
                   "middle": [0.8, 0.9, 0.3, None]},
    }}}


def test_knn_takes_the_best_of_the_nearest_datasets_first():
    part = _metadata()["tasks"]["regression"]
    order = knn_order(_features(1.2), part, ["near", "far", "middle"])
    assert order[:2] == [2, 1]  # near's best, then middle's best (round robin)
    assert set(order) == {0, 1, 2, 3}
    assert knn_order(_features(1.2), part, ["far"]) == [0, 1]  # leave-one-out


def test_portfolio_covers_the_datasets_greedily():
    part = _metadata()["tasks"]["regression"]
    order = portfolio_order(part, ["near", "far", "middle"], 2)
    assert order[0] in (0, 1)  # ridge or lasso: good on two datasets of three
    assert 2 in order  # then the forest, best where the linear models fail


def test_suggestions_fit_the_new_space_and_respect_exclusions():
    metadata = _metadata()
    space = Space("regression", n_features=5, exclude=["random_forest"])
    got = suggest(_features(1.0), space, 10, "knn", metadata=metadata)
    # best of each dataset by rank, nearest first: forest (excluded), lasso, ridge; then knn
    assert [c["model"] for c in got] == ["lasso", "ridge", "knn"]
    got = suggest(_features(1.0), space, 10, "knn", metadata=metadata, exclude=["near"])
    assert got[0]["model"] == "lasso"
    assert suggest(_features(1.0), Space("classification", n_features=5), 5,
                   metadata=metadata) == []
    with pytest.raises(ValueError, match="warm-start method"):
        suggest(_features(1.0), space, 3, "nearest", metadata=metadata)


def test_leave_out_drops_the_dataset_and_the_configurations_only_it_found():
    metadata = _metadata()
    part = leave_out(metadata, ["near"])["tasks"]["regression"]
    # forest and knn were found only by "near"'s search: they go with it
    assert [c["model"] for c in part["configurations"]] == ["ridge", "lasso"]
    assert part["datasets"]["far"]["best"] == [0, 1]
    assert part["datasets"]["middle"]["best"] == [1]
    assert part["scores"] == {"far": [0.9, 0.8], "middle": [0.8, 0.9]}
    assert set(part["datasets"]) == {"far", "middle"}
    assert metadata["tasks"]["regression"]["datasets"]["near"]  # the input is untouched
    space = Space("regression", n_features=5)
    got = suggest(_features(1.0), space, 10, "portfolio", metadata=metadata, exclude=["near"])
    assert {c["model"] for c in got} == {"ridge", "lasso"}
    assert suggest(_features(1.0), space, 10, "knn", metadata=metadata,
                   exclude=["near", "far", "middle"]) == []


def test_fit_evaluates_the_suggestions_after_the_strong_default(mpg, tmp_path, monkeypatch):
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(_metadata()))
    monkeypatch.setattr(suggestions_module, "METADATA_FILE", path)
    X, y = mpg
    reg = AutoRegressor(time_budget=SLACK_BUDGET, warm_start="knn", max_trials=4, n_jobs=1,
                        random_state=0).fit(X, y)  # ends after 4 trials, whatever the load
    trials = sorted(reg.history_[1:], key=lambda r: r.trial_id)
    assert trials[0].origin == "default"
    assert trials[0].config["model"] == "hist_gradient_boosting"
    assert [r.origin for r in trials[1:4]] == ["warm_start"] * 3
    Xc = data.check_X(X)
    yc = data.check_y_regression(Xc, y, "test")
    profile = data.profile(Xc, yc, "regression")
    expected = suggest(meta_features(Xc, yc, profile), reg.search_space_,
                       3, "knn")
    assert [r.config for r in trials[1:4]] == expected


def test_auto_warm_start_puts_the_static_portfolio_before_the_suggestions(
        mpg, tmp_path, monkeypatch):
    from automl_estimators.metalearning.warm_start import warm_start_candidates

    metadata = _metadata()
    lasso = metadata["tasks"]["regression"]["configurations"][1]
    lasso["model:lasso:alpha"] = 0.125  # tuned: not the static portfolio's default
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(metadata))
    monkeypatch.setattr(suggestions_module, "METADATA_FILE", path)
    X, y = mpg
    Xc = data.check_X(X)
    yc = data.check_y_regression(Xc, y, "test")
    profile = data.profile(Xc, yc, "regression")
    space = Space("regression", n_features=Xc.shape[1], has_categorical=bool(profile.categorical))
    got = warm_start_candidates("auto", space, Xc, yc, profile)
    static = space.portfolio()
    assert [c.config for c in got[:len(static)]] == static
    assert {c.origin for c in got[len(static):]} == {"warm_start"}
    # suggestions the static portfolio already holds (defaults) are not repeated
    assert [c.config["model:lasso:alpha"] for c in got[len(static):]] == [0.125]
    assert len({repr(sorted(c.config.items())) for c in got}) == len(got)


def test_learned_warm_start_without_meta_data_uses_the_defaults(mpg, tmp_path, monkeypatch):
    monkeypatch.setattr(suggestions_module, "METADATA_FILE", tmp_path / "missing.json")
    X, y = mpg
    reg = AutoRegressor(time_budget=6, warm_start="auto", max_trials=2, n_jobs=1,
                        random_state=0).fit(X, y)
    assert {r.origin for r in reg.history_[1:]} == {"default"}


def test_explicit_warm_start_list(credit):
    X, y = credit
    space = Space("classification", n_features=X.shape[1], has_categorical=True)
    config = space.default_config("logistic_regression")
    config["model:logistic_regression:C"] = 0.5
    # the strong default, then the given configuration: max_trials ends the fit, not the
    # clock (at 8 s, a loaded machine could end it before the second trial started)
    clf = AutoClassifier(time_budget=SLACK_BUDGET, warm_start=[config], max_trials=2,
                         search="random", n_jobs=1, random_state=0).fit(X, y)
    warm = [r for r in clf.history_ if r.origin == "warm_start"]
    assert len(warm) == 1 and warm[0].config["model:logistic_regression:C"] == 0.5
    bad = space.default_config("xgboost")
    with pytest.raises(ValueError, match=r"warm_start\[0\].*models on offer"):
        AutoClassifier(time_budget=5, warm_start=[bad], exclude=["xgboost"]).fit(X, y)
    with pytest.raises(TypeError, match=r"warm_start\[0\] must be a configuration dict"):
        AutoClassifier(time_budget=5, warm_start=["xgboost"]).fit(X, y)
    with pytest.raises(ValueError, match="warm_start"):
        AutoClassifier(time_budget=5, warm_start="nearest").fit(X, y)
    assert np.isfinite(clf.best_score_)


@pytest.mark.parametrize("key, value, match", [
    ("model:logistic_regression:C", -1.0, r"C=-1.0 is not a number in \[.*\]"),
    ("model:logistic_regression:C", "big", r"C='big' is not a number"),
    ("model:logistic_regression:C", 1e9, r"C=1000000000.0 is not a number in"),
])
def test_an_explicit_warm_start_value_the_space_does_not_allow_is_refused(
        credit, key, value, match):
    """Found (session 31): such values were silently clipped (C=-1 ran as the range's
    low end), and a string raised TypeError from deep inside the adaptation."""
    X, y = credit
    config = Space("classification", n_features=X.shape[1],
                   has_categorical=True).default_config("logistic_regression")
    with pytest.raises(ValueError, match=r"warm_start\[0\]: .*" + match):
        AutoClassifier(time_budget=5, warm_start=[{**config, key: value}]).fit(X, y)


def test_an_explicit_warm_start_key_of_no_hyperparameter_is_warned(credit):
    X, y = credit
    config = Space("classification", n_features=X.shape[1],
                   has_categorical=True).default_config("logistic_regression")
    with pytest.warns(UserWarning, match=r"'model:logistic_regression:c' is no hyperparameter"
                                         r" of logistic_regression.*ignored"):
        AutoClassifier(time_budget=SLACK_BUDGET, max_trials=1, n_jobs=1, search="random",
                       warm_start=[{**config, "model:logistic_regression:c": 2.0}]).fit(X, y)


def test_boolean_warm_start_follows_sklearn_convention(mpg, tmp_path, monkeypatch):
    monkeypatch.setattr(suggestions_module, "METADATA_FILE", tmp_path / "missing.json")
    X, y = mpg
    for flag in (False, True):  # no meta-data: both mean the models' defaults here
        reg = AutoRegressor(time_budget=5, warm_start=flag, max_trials=1, n_jobs=1,
                            random_state=0).fit(X, y)
        assert reg.history_[1].origin == "default"


def test_the_shipped_meta_data_is_complete_and_suggests_for_every_task():
    metadata = suggestions_module.load_metadata()
    assert metadata is not None, "metadata.json is missing from the package"
    provenance = metadata["provenance"]
    for key in ("built", "command", "datasets", "search_budget_s", "versions"):
        assert key in provenance
    for task, part in metadata["tasks"].items():
        n = len(part["configurations"])
        assert len(part["datasets"]) >= 5
        for name, entry in part["datasets"].items():
            assert set(entry["features"]) == set(FEATURE_NAMES), name
            assert entry["best"] and all(0 <= i < n for i in entry["best"])
            assert len(part["scores"][name]) == n
        space = Space(task, n_features=8)
        for method in ("knn", "portfolio"):
            got = suggest(_features(0.5), space, 5, method, metadata=metadata)
            assert len(got) == 5, (task, method)
            assert all(space.adapt(c) == c for c in got)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_inline_trials_are_the_strong_default_its_short_form_the_quick_forest_and_model(task):
    """While the workers start, the fit's process may run the strong default, the
    same with the fewest iterations its range allows (only when the queue starts
    with the strong default), the quick forest (extra trees with the fewest trees
    their range allows) or the quick model at its defaults (each when the space
    offers it); only those the plan expects in time (seconds). Of the short form and
    the quick forest, the one expected to take less comes first (letter at 5 s: the
    short form took 1.6 s and scored 0.952, the forest 0.963)."""
    from types import SimpleNamespace

    from automl_estimators.metalearning.warm_start import (
        QUICK_FOREST_ORIGIN,
        QUICK_ORIGIN,
        SHORT_DEFAULT_ORIGIN,
        inline_trials,
    )
    from automl_estimators.selection import DEFAULT_ORIGIN
    from automl_estimators.spaces import quick_forest, short_default
    from automl_estimators.spaces.components import QUICK_FOREST, QUICK_MODEL
    from automl_estimators.trial import Candidate

    def plan(inline=1.5, short=0.5, forest=0.3, quick=0.1, native=0.8):
        return SimpleNamespace(inline_seconds=inline, short_inline_seconds=short,
                               forest_inline_seconds=forest, quick_inline_seconds=quick,
                               native_inline_seconds=native)

    space = Space(task, n_features=4)
    overrides, share = short_default(task)
    assert overrides == {"max_iter": 32} and share == pytest.approx(0.32)
    queue = [Candidate(c, 1.0, DEFAULT_ORIGIN) for c in space.portfolio()]
    (default, seconds), (short, short_seconds), (forest, forest_seconds), \
        (quick, quick_seconds) = inline_trials(plan(forest=0.7), space, queue)
    assert default is queue[0]
    assert (seconds, short_seconds, forest_seconds, quick_seconds) == (1.5, 0.5, 0.7, 0.1)
    assert short.origin == SHORT_DEFAULT_ORIGIN != DEFAULT_ORIGIN and short.fidelity == 1.0
    changed = {k for k in default.config if default.config[k] != short.config[k]}
    assert changed == {"model:hist_gradient_boosting:max_iter"}
    assert short.config["model:hist_gradient_boosting:max_iter"] == 32
    assert space.violation(short.config) is None
    # the quick forest: extra trees at their defaults but 32 trees, the low end of
    # the searched range (a configuration the search itself could propose)
    forest_overrides, trees, max_features = quick_forest(task)
    assert forest_overrides == {"n_estimators": 32} and trees == 32
    assert max_features == (0.5 if task == "classification" else 1.0)
    assert forest.origin == QUICK_FOREST_ORIGIN and forest.fidelity == 1.0
    assert forest.config == space.default_config(QUICK_FOREST, forest_overrides)
    assert forest.config["model"] == "extra_trees" == QUICK_FOREST
    assert forest.config["model:extra_trees:n_estimators"] == 32
    assert space.violation(forest.config) is None
    # the quick model at its defaults, as the portfolio holds it, under an origin
    # of its own: never the selection rule's strong default
    assert quick.origin == QUICK_ORIGIN != DEFAULT_ORIGIN and quick.fidelity == 1.0
    assert quick.config == space.default_config(QUICK_MODEL[task])
    assert quick.config in space.portfolio() and space.violation(quick.config) is None
    assert [c for c, _ in inline_trials(plan(inline=None), space, queue)] == [
        forest, short, quick]  # the forest expected to take less: first
    assert [c for c, _ in inline_trials(plan(inline=None, forest=0.6), space, queue)] == [
        short, forest, quick]
    assert [c for c, _ in inline_trials(plan(inline=None, forest=0.5), space, queue)] == [
        short, forest, quick]  # equal: the short form first
    assert [c for c, _ in inline_trials(plan(inline=None, short=None), space, queue)] == [
        forest, quick]
    assert [c for c, _ in inline_trials(plan(forest=None, quick=None), space, queue)] == [
        default, short]
    # Not the strong default first (e.g. exclude=["hist_gradient_boosting"]): the
    # quick forest and model only; not offered (include/exclude): without them.
    assert [c.origin for c, _ in inline_trials(plan(), space, queue[1:])] == [
        QUICK_FOREST_ORIGIN, QUICK_ORIGIN]
    without = Space(task, n_features=4, exclude=[QUICK_FOREST, QUICK_MODEL[task]])
    assert [c.origin for c, _ in inline_trials(
        plan(), without, [Candidate(c, 1.0, DEFAULT_ORIGIN) for c in without.portfolio()])
        ] == [DEFAULT_ORIGIN, SHORT_DEFAULT_ORIGIN]
    # With categorical columns: the strong default with them split natively comes
    # between the strong default and its short form, under an origin of its own.
    from automl_estimators.metalearning.warm_start import NATIVE_DEFAULT_ORIGIN
    from automl_estimators.spaces import native_default

    categorical = Space(task, n_features=4, has_categorical=True, one_hot_features=40)
    queue = [Candidate(c, 1.0, DEFAULT_ORIGIN) for c in categorical.portfolio()]
    trials = inline_trials(plan(), categorical, queue)
    assert [(c.origin, seconds) for c, seconds in trials] == [
        (DEFAULT_ORIGIN, 1.5), (NATIVE_DEFAULT_ORIGIN, 0.8), (QUICK_FOREST_ORIGIN, 0.3),
        (SHORT_DEFAULT_ORIGIN, 0.5), (QUICK_ORIGIN, 0.1)]
    assert trials[1][0].config == native_default(categorical) and trials[1][0].fidelity == 1.0
    assert NATIVE_DEFAULT_ORIGIN != DEFAULT_ORIGIN
    assert [c.origin for c, _ in inline_trials(plan(native=None), categorical, queue)] == [
        DEFAULT_ORIGIN, QUICK_FOREST_ORIGIN, SHORT_DEFAULT_ORIGIN, QUICK_ORIGIN]
