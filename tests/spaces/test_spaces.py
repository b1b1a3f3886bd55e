"""The declarative space: compilation, decode/encode, include/exclude, data-shape filters."""

import dataclasses

import ConfigSpace as CS
import numpy as np
import pandas as pd
import pytest

from automl_estimators import data
from automl_estimators.metalearning.warm_start import warm_start_candidates
from automl_estimators.search import RandomSearch
from automl_estimators.spaces import Space, component_names, one_hot_width
from automl_estimators.spaces.components import (
    ALL_COMPONENTS,
    DEFAULT_PORTFOLIO,
    HGB_EARLY_STOPPING_ROWS,
    HGB_STOPPED_ITERATIONS,
    LINEAR_MODELS,
    TUNED_CONFIGS,
)
from automl_estimators.spaces.declarations import MODEL, Int, hp_key

TASKS = ["classification", "regression"]


def space(task, **kwargs):
    kwargs.setdefault("n_features", 10)
    kwargs.setdefault("has_categorical", True)
    return Space(task, seed=0, **kwargs)


@pytest.mark.parametrize("task", TASKS)
def test_every_model_default_round_trips_through_configspace(task):
    s = space(task)
    for model in s.models:
        config = s.default_config(model)
        assert config[MODEL] == model
        configuration = s.encode(config)
        configuration.check_valid_configuration()
        assert s.decode(configuration) == config


@pytest.mark.parametrize("task", TASKS)
def test_sampled_configurations_are_valid_and_typed(task):
    s = space(task)
    configs = [c.config for c in RandomSearch(s, seed=0).ask(40)]
    assert len({tuple(sorted(c.items())) for c in configs}) == 40
    for config in configs:
        assert s.decode(s.encode(config)) == config
        model = s.component(MODEL, config[MODEL])
        for hp in model.hyperparameters:
            key = hp_key(model, hp.name)
            if key in config and isinstance(hp, Int):
                # log-scale integers are searched as log floats and rounded on decode
                assert isinstance(config[key], int) and hp.low <= config[key] <= hp.high


def test_default_configuration_is_the_strong_default():
    for task in TASKS:
        s = space(task)
        assert s.portfolio()[0][MODEL] == DEFAULT_PORTFOLIO[task][0] == "hist_gradient_boosting"
        assert dict(s.decode(s.configspace.get_default_configuration())) == s.default_config()


@pytest.mark.parametrize("task", TASKS)
def test_portfolio_holds_every_default_then_the_tuned_configurations(task):
    s = space(task)
    portfolio = s.portfolio()
    n_tuned = sum(len(TUNED_CONFIGS[task].get(m, ())) for m in s.models)
    assert n_tuned >= 3
    defaults, tuned = portfolio[:len(s.models)], portfolio[len(s.models):]
    assert [c[MODEL] for c in defaults] == list(DEFAULT_PORTFOLIO[task]) + [
        m for m in s.models if m not in DEFAULT_PORTFOLIO[task]]
    assert defaults == [s.default_config(m) for m in [c[MODEL] for c in defaults]]
    assert len(tuned) == n_tuned
    for config in tuned:
        # valid in the compiled space (SMAC is told these results), typed as decoded
        configuration = s.encode(config)
        configuration.check_valid_configuration()
        assert s.decode(configuration) == config
        component = s.component(MODEL, config[MODEL])
        changed = {hp.name for hp in component.hyperparameters
                   if config[hp_key(component, hp.name)] != hp.default}
        assert changed and config not in defaults
    assert len({tuple(sorted(map(str, c.items()))) for c in portfolio}) == len(portfolio)


def test_tuned_configurations_follow_the_model_on_offer():
    s = space("regression", exclude=["xgboost"])
    assert "xgboost" not in {c[MODEL] for c in s.portfolio()}
    assert sum(c[MODEL] == "hist_gradient_boosting" for c in s.portfolio()) == 1 + len(
        TUNED_CONFIGS["regression"]["hist_gradient_boosting"])


def test_default_config_overrides_must_name_the_models_hyperparameters():
    s = space("classification")
    config = s.default_config("xgboost", {"learning_rate": 0.05})
    assert config["model:xgboost:learning_rate"] == 0.05
    with pytest.raises(KeyError, match="no active hyperparameter.*max_iter"):
        s.default_config("xgboost", {"max_iter": 10})


def test_include_restricts_and_exclude_removes():
    s = space("classification", include=["random_forest", "knn"])
    assert set(s.models) == {"random_forest", "knn"}
    # naming only models leaves the preprocessing steps open
    assert len(s.steps["scaling"]) > 1
    s = space("classification", exclude=["xgboost", "rbf_svm"])
    assert "xgboost" not in s.models and "rbf_svm" not in s.models
    assert "hist_gradient_boosting" in s.models
    s = space("regression", include=["ridge", "standard"])
    assert s.models == ("ridge",) and [c.name for c in s.steps["scaling"]] == ["standard"]


@pytest.mark.parametrize("include, exclude, match", [
    (["no_such_model"], None, "Unknown component name.*no_such_model"),
    (None, ["ridge"], "Unknown component name.*ridge"),  # a regressor, not a classifier
    (None, component_names("classification"), "leave no component"),
])
def test_bad_include_exclude(include, exclude, match):
    with pytest.raises(ValueError, match=match):
        space("classification", include=include, exclude=exclude)


def test_an_included_component_the_data_rules_out_is_a_warning():
    """pca needs 3 columns: named with knn on 2, it is left out with a warning that
    says so (before, silently, with every feature step on offer)."""
    with pytest.warns(UserWarning, match=r"include names \['pca'\], which cannot be used "
                                         r"on this data \(dense, 2 features\)"):
        s = space("classification", include=["pca", "knn"], n_features=2)
    assert s.models == ("knn",)
    assert "pca" not in {c.name for c in s.steps["features"]}


def test_a_step_the_user_fixed_is_described():
    """include=["pca"] leaves pca the only feature step: the leaderboard names it
    (before, a step of one choice was hidden, and the pipelines looked pca-free)."""
    s = space("classification", include=["pca", "knn"], n_features=5)
    config = s.default_config()
    assert s.describe(config).split(" + ")[0] == "knn" and "pca" in s.describe(config)
    # a step of one choice that the data, not the user, left is still not shown
    plain = space("classification", n_features=5)
    assert all(len(plain.steps[step]) > 1 for step in plain.fixed_steps)


def test_sparse_data_offers_only_sparse_capable_components():
    s = space("classification", sparse=True, n_features=1000)
    for components in s.steps.values():
        for component in components:
            assert component.accepts_sparse, component.name
    assert "truncated_svd" in {c.name for c in s.steps["features"]}


def test_feature_count_limits():
    few = {c.name for c in space("regression", n_features=5).steps["features"]}
    many = {c.name for c in space("regression", n_features=2000).steps["features"]}
    assert "polynomial" in few and "polynomial" not in many


def test_no_categorical_columns_no_encoding_step():
    assert "encoding" not in space("classification", has_categorical=False).steps


def test_compiled_space_has_one_choice_per_step_and_conditions():
    s = space("classification")
    cs = s.configspace
    assert isinstance(cs, CS.ConfigurationSpace)
    assert set(cs["model"].choices) == set(s.models)
    # a model's hyperparameter is active only when that model is chosen
    parents = cs.parents_of[hp_key(s.component(MODEL, "random_forest"), "max_features")]
    assert [p.name for p in parents] == ["model"]


def test_every_component_name_is_unique_per_step_and_task():
    for task in TASKS:
        for step in {c.step for c in ALL_COMPONENTS}:
            names = [c.name for c in ALL_COMPONENTS if c.step == step and task in c.tasks]
            assert len(names) == len(set(names))


@pytest.mark.parametrize("task", TASKS)
def test_adapt_makes_other_spaces_configurations_complete_and_valid(task):
    numeric, mixed = space(task, has_categorical=False), space(task, has_categorical=True)
    for source, target in ((numeric, mixed), (mixed, numeric)):
        for configuration in source.configspace.sample_configuration(30):
            config = target.adapt(source.decode(configuration))
            if config is None:  # a component the target does not offer
                continue
            # SMAC is told warm-start results through encode: every active value set
            target.encode(config).check_valid_configuration()
            assert target.decode(target.encode(config)) == config
    config = numeric.default_config("knn")
    assert "encoding" not in config
    adapted = mixed.adapt(config)
    assert adapted == mixed.default_config("knn")  # the encoding and its values filled in
    key = hp_key(mixed.component(MODEL, "knn"), "n_neighbors")
    assert mixed.adapt({**config, key: 10**9})[key] <= 100  # clipped into the range


@pytest.mark.parametrize("include", [None, ["neural_network"]])
def test_no_feature_step_changes_the_pixels_before_an_image_network(include):
    pytest.importorskip("torch")
    s = Space("classification", n_features=64, neural=True, image_shape=(8, 8),
              include=include, seed=0)
    configs = [s.decode(c) for c in s.configspace.sample_configuration(300)]
    networks = [c for c in configs if c[MODEL] == "neural_network"]
    assert networks and all(c.get("features", "no_features") == "no_features"
                            for c in networks)
    if include is None:  # other models keep every feature step
        assert any(c.get("features", "no_features") != "no_features" for c in configs)


@pytest.mark.parametrize("task", TASKS)
def test_kernel_features_feed_only_linear_models(task):
    """auto-sklearn's rule: Nystroem features before a tree, boosting, neighbours or
    another kernel are slow for what they add (measured here: 47-75 s trials and
    3-4 GB of workers at a third of the fidelity or less)."""
    s = space(task)
    configs = [s.decode(c) for c in s.configspace.sample_configuration(600)]
    fed = {c[MODEL] for c in configs if c["features"] == "nystroem"}
    assert fed and fed <= set(LINEAR_MODELS)
    assert {c[MODEL] for c in configs} - set(LINEAR_MODELS)  # the others are still searched
    reason = s.violation({MODEL: "random_forest", "features": "nystroem"})
    assert "nystroem feeds only the linear models" in reason
    assert s.adapt({MODEL: "random_forest", "features": "nystroem"}) is None
    assert s.violation({MODEL: s.models[-1], "features": "no_features"}) is None


def test_a_feature_step_s_column_limit_holds_after_one_hot_encoding():
    """Polynomial features (max_features=30) after a one-hot encoding of 108
    columns were ~6000 columns: adult's trials held 3-5 GB (measured at 300 s)."""
    wide = space("classification", n_features=14, one_hot_features=108)
    narrow = space("classification", n_features=14, one_hot_features=30)
    for s, allowed in ((wide, False), (narrow, True)):
        configs = [s.decode(c) for c in s.configspace.sample_configuration(600)]
        polynomial = [c for c in configs if c["features"] == "polynomial"]
        assert polynomial  # still offered: after an ordinal or target encoding
        assert any(c["encoding"] == "one_hot" for c in polynomial) == allowed
    assert "108 columns" in wide.violation({"encoding": "one_hot", "features": "polynomial"})


def test_one_hot_width_counts_levels_up_to_the_encoder_s_cap():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": ["x", "y", None, "x"],
                      "c": [str(i % 3) for i in range(4)]})
    profile = data.profile(X, np.array([0, 1, 0, 1]), "classification")
    assert profile.categorical_levels == (3, 3)  # b: x, y and missing
    assert one_hot_width(profile) == 1 + 3 + 3
    many = dataclasses.replace(profile, categorical_levels=(1000, 3))
    assert one_hot_width(many) == 1 + 64 + 3


@pytest.mark.parametrize("include", [["nystroem", "random_forest"], ["polynomial"]])
def test_a_forbidden_pair_the_user_includes_is_searched(include):
    s = space("classification", n_features=14, one_hot_features=108, include=include)
    assert not any(name in include for p in s.forbidden for _, name in (p.first, p.second))
    for model in s.models:  # every warm-start configuration is valid and encodes
        config = s.default_config(model)
        assert s.violation(config) is None
        s.encode(config).check_valid_configuration()
    configs = [s.decode(c) for c in s.configspace.sample_configuration(200)]
    if include == ["polynomial"]:  # after any encoding, one-hot included
        assert {c["features"] for c in configs} == {"polynomial"}
        assert "one_hot" in {c["encoding"] for c in configs}
    else:
        assert {(c["features"], c[MODEL]) for c in configs} == {("nystroem", "random_forest")}


def test_a_forbidden_warm_start_is_refused_with_the_reason():
    s = space("classification")
    with pytest.raises(ValueError, match=r"warm_start\[0\] combines.*nystroem feeds only"):
        warm_start_candidates([{MODEL: "knn", "features": "nystroem"}], s, None, None, None)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_native_default_is_the_strong_default_with_categories_split_natively(task):
    """The strong default's form for many category levels: the same model and
    steps, the categorical columns ordinal-encoded, which the built pipeline's
    HistGradientBoosting splits as categories (not as ordered codes)."""
    from automl_estimators.pipelines.builder import build_pipeline
    from automl_estimators.spaces import native_default
    from automl_estimators.spaces.components import DEFAULT_MODEL, NATIVE_ENCODING

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                      "city": rng.choice(list("pqrstuvw"), 60),
                      "colour": rng.choice(["red", "green", "blue"], 60)})
    y = (X["a"] > 0).astype(int) if task == "classification" else X["a"] * 2
    X = data.check_X(X)
    profile = data.profile(X, np.asarray(y), task)
    space = Space(task, n_features=4, has_categorical=True,
                  one_hot_features=one_hot_width(profile))
    native = native_default(space)
    default = space.default_config(DEFAULT_MODEL)
    assert native["encoding"] == NATIVE_ENCODING != default["encoding"]
    assert native.keys() ^ default.keys() == {k for k in default if k.startswith("encoding:")}
    assert all(native[k] == default[k] for k in native if k != "encoding" and k in default)
    assert space.violation(native) is None
    pipeline = build_pipeline(native, space, profile, random_state=0)
    assert list(pipeline[-1].categorical_features) == [0, 1]
    pipeline.fit(X, y)
    assert pipeline[-1].is_categorical_.tolist()[:2] == [True, True]
    # nothing to split natively, or the encoding or model not on offer: no such form
    assert native_default(Space(task, n_features=4)) is None
    assert native_default(Space(task, n_features=4, has_categorical=True,
                                exclude=[NATIVE_ENCODING])) is None
    assert native_default(Space(task, n_features=4, has_categorical=True,
                                exclude=[DEFAULT_MODEL])) is None
    # default_config's steps: any step at any component on offer, else a KeyError
    assert space.default_config(steps={"encoding": NATIVE_ENCODING}) == native
    with pytest.raises(KeyError, match="no component 'nope'"):
        space.default_config(steps={"encoding": "nope"})


@pytest.mark.parametrize("task", TASKS)
def test_where_boosting_stops_early_its_iterations_and_tuned_configurations_reach_further(task):
    """stops_early (plan.SearchPlan.stops_early): HistGradientBoosting's max_iter range
    and its tuned configurations go up to its stopped_iterations; nothing else
    changes, and without it nothing does."""
    short, long = space(task), space(task, stops_early=True)
    key = "model:hist_gradient_boosting:max_iter"
    assert (short.configspace[key].upper, long.configspace[key].upper) == (
        512, HGB_STOPPED_ITERATIONS)
    assert short.configspace[key].default_value == long.configspace[key].default_value == 100
    others = [name for name in short.configspace if name != key]
    assert others == [name for name in long.configspace if name != key]
    for name in others:
        assert short.configspace[name] == long.configspace[name]
    short_portfolio, long_portfolio = short.portfolio(), long.portfolio()
    assert len(short_portfolio) == len(long_portfolio)
    for before, after in zip(short_portfolio, long_portfolio):
        if before[MODEL] == "hist_gradient_boosting" and before[key] == 512:
            assert after == {**before, key: HGB_STOPPED_ITERATIONS}
        else:
            assert after == before
        long.encode(after).check_valid_configuration()
    assert sum(c[key] == HGB_STOPPED_ITERATIONS for c in long_portfolio
               if c[MODEL] == "hist_gradient_boosting") == len(
        TUNED_CONFIGS[task]["hist_gradient_boosting"])
    hgb = long.component(MODEL, "hist_gradient_boosting")
    assert long.tuned_values(hgb, "max_iter") == (HGB_STOPPED_ITERATIONS,) * 2
    assert short.tuned_values(short.component(MODEL, "hist_gradient_boosting"),
                              "max_iter") == (512, 512)
    assert hp_key(hgb, "max_iter") == key


@pytest.mark.parametrize("task", TASKS)
def test_above_the_threshold_boosting_does_stop_early_at_its_defaults(task):
    """What stops_early counts on, checked against the installed scikit-learn: a fit on
    more than HGB_EARLY_STOPPING_ROWS rows at the default early_stopping ("auto")
    ends well before HGB_STOPPED_ITERATIONS, and one on as many rows does not stop
    early at all."""
    component = next(c for c in ALL_COMPONENTS
                     if c.name == "hist_gradient_boosting" and task in c.tasks)
    model_class = component.estimator_class()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(HGB_EARLY_STOPPING_ROWS + 1, 3))
    y = X[:, 0] + rng.normal(scale=0.5, size=len(X))
    if task == "classification":
        y = y > 0
    fitted = model_class(max_iter=HGB_STOPPED_ITERATIONS, random_state=0).fit(X, y)
    assert fitted.n_iter_ < HGB_STOPPED_ITERATIONS / 8
    fitted = model_class(max_iter=40, random_state=0).fit(X[:-1], y[:-1])
    assert fitted.n_iter_ == 40
