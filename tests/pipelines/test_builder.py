"""Configuration -> sklearn Pipeline: every component builds, fits and predicts."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from automl_estimators import data
from automl_estimators.pipelines import build_pipeline
from automl_estimators.search import RandomSearch
from automl_estimators.spaces import Space
from automl_estimators.spaces.declarations import MODEL
from tests.conftest import load


def prepared(name, n_rows, task):
    return profiled(*load(name, n_rows), task)


def profiled(X, y, task):
    """(X, y) checked as ``fit`` checks them, their profile and the task's space."""
    X = data.check_X(X)
    if task == "classification":
        y, _ = data.check_y_classification(X, y, "test")
    else:
        y = data.check_y_regression(X, y, "test")
    profile = data.profile(X, y, task)
    space = Space.for_profile(task, profile, seed=0)
    return X, y, profile, space


@pytest.fixture(scope="module", params=[("credit-g", "classification"),
                                        ("auto_mpg", "regression")], ids=["clf", "reg"])
def problem(request):
    name, task = request.param
    return (task, *prepared(name, 150, task))


def random_configurations(space, n):
    return [candidate.config for candidate in RandomSearch(space, space.seed).ask(n)]


def check_fits(pipeline, X, y, task):
    assert isinstance(pipeline, Pipeline)
    fitted = clone(pipeline).fit(X, y)
    pred = fitted.predict(X)
    assert pred.shape == (X.shape[0],)
    if task == "classification":
        proba = fitted.predict_proba(X)
        assert proba.shape == (X.shape[0], len(np.unique(y)))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    else:
        assert np.all(np.isfinite(pred))


def test_every_model_at_its_defaults(problem):
    task, X, y, profile, space = problem
    for model in space.models:
        check_fits(build_pipeline(space.default_config(model), space, profile, random_state=0),
                   X, y, task)


def test_every_preprocessing_choice(problem):
    task, X, y, profile, space = problem
    # a fast model, so that the test is about the preprocessing
    base = space.default_config("knn")
    for step, components in space.steps.items():
        if step == MODEL:
            continue
        for component in components:
            config = {k: v for k, v in base.items()
                      if not (k.startswith(f"{step}:") or k == step)}
            override = space.default_config("knn")
            config[step] = component.name
            # the component's own defaults, taken from a default config that picks it
            for hp in component.hyperparameters:
                if all(override.get(f"{step}:{component.name}:{p}") in v
                       for p, v in hp.active_if.items()):
                    config[f"{step}:{component.name}:{hp.name}"] = hp.default
            check_fits(build_pipeline(config, space, profile, random_state=0), X, y, task)


# scikit-learn's own warnings on a random configuration (a coordinate descent's
# iterations, constant columns of a sparse table for a univariate selection); a
# fit's trials and refit do not show them
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_random_configurations_fit(problem):
    task, X, y, profile, space = problem
    for config in random_configurations(space, 12):
        check_fits(build_pipeline(config, space, profile, random_state=0), X, y, task)


@pytest.mark.filterwarnings(r"ignore:Features \[[^]]*\] are constant",
                            "ignore:invalid value encountered")
def test_sparse_input_random_configurations():
    rng = np.random.default_rng(0)
    X = sp.random(120, 400, density=0.02, format="csr", random_state=0)
    row_sums = np.asarray(X.sum(axis=1)).ravel()
    y = (row_sums > np.median(row_sums)).astype(int)
    X = data.check_X(X)
    profile = data.profile(X, y, "classification")
    space = Space("classification", sparse=True, n_features=400, seed=int(rng.integers(100)))
    for config in random_configurations(space, 10):
        check_fits(build_pipeline(config, space, profile, random_state=0), X, y,
                   "classification")


@pytest.mark.parametrize("rows", [150, 5000])
def test_counts_bounded_by_the_rows_are_at_most_the_rows(problem, rows):
    """``QuantileTransformer``'s quantiles and ``Nystroem``'s components at most one
    per row of the data (scikit-learn's own value there, without its warning); the
    configuration's value on larger data."""
    import dataclasses
    import warnings

    task, X, y, profile, space = problem
    model = "logistic_regression" if task == "classification" else "ridge"
    config = dict(space.default_config(model), scaling="quantile", features="nystroem")
    config.update({"scaling:quantile:n_quantiles": 1000, "features:nystroem:n_components": 400,
                   "features:nystroem:gamma": 0.1})
    pipeline = build_pipeline(config, space, dataclasses.replace(profile, n_rows=rows),
                              random_state=0)
    params = pipeline.get_params()
    scaler = [v for k, v in params.items() if k.endswith("__scale")][0]
    assert scaler.n_quantiles == min(1000, rows)
    assert pipeline.named_steps["features"].n_components == min(400, rows)
    if rows == len(X):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            check_fits(pipeline, X, y, task)


def test_same_config_and_seed_build_equal_pipelines(problem):
    task, X, y, profile, space = problem
    config = space.default_config("random_forest")
    a = build_pipeline(config, space, profile, random_state=1)
    b = build_pipeline(config, space, profile, random_state=1)
    assert repr(a) == repr(b)
    np.testing.assert_array_equal(a.fit(X, y).predict(X), b.fit(X, y).predict(X))


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_target_encoding_gives_a_linear_model_the_signal_of_a_many_level_category(task):
    import pandas as pd
    from sklearn.model_selection import cross_val_score

    rng = np.random.default_rng(0)
    n, levels = 600, 50
    effect = rng.normal(size=levels)
    code = rng.integers(levels, size=n)
    X = pd.DataFrame({"city": [f"c{k}" for k in code], "noise": rng.normal(size=n)})
    signal = effect[code] + 0.3 * rng.normal(size=n)
    y = (signal > 0).astype(int) if task == "classification" else signal
    X = data.check_X(X)
    profile = data.profile(X, y, task)
    space = Space(task, n_features=2, has_categorical=True, seed=0)
    linear = "logistic_regression" if task == "classification" else "ridge"
    scores = {}
    for encoding in ("ordinal", "target"):
        pipeline = build_pipeline({**space.default_config(linear), "encoding": encoding},
                                  space, profile, random_state=0)
        scores[encoding] = cross_val_score(pipeline, X, y, cv=3).mean()
    # ordinal codes are arbitrary numbers to a linear model; the cross-fitted
    # category means carry the effect (R² / accuracy)
    assert scores["target"] > scores["ordinal"] + 0.2, scores
    fitted = build_pipeline({**space.default_config(linear), "encoding": "target"},
                            space, profile, random_state=0).fit(X, y)
    assert fitted[0].transform(X).shape == (n, 2)


def test_every_portfolio_configuration_fits_a_class_of_one_row():
    """The warm start (defaults, then tuned configurations) on small data with a
    singleton class: nothing in it may fail on a stratified inner split."""
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80),
                      "c": rng.choice(["x", "y"], size=80)})
    y = np.array([0] * 45 + [1] * 34 + [2])
    X = data.check_X(X)
    profile = data.profile(X, y, "classification")
    space = Space("classification", n_features=3, has_categorical=True, seed=0)
    for config in space.portfolio():
        check_fits(build_pipeline(config, space, profile, random_state=0), X, y,
                   "classification")


def test_target_encoding_in_regression_keeps_one_column_per_category_column():
    X, y, profile, space = prepared("auto_mpg", 150, "regression")
    y = np.round(y)  # whole numbers, as prices and counts are
    config = {**space.default_config("ridge"), "encoding": "target"}
    fitted = build_pipeline(config, space, profile, random_state=0).fit(X, y)
    width = fitted[0].transform(X).shape[1]
    assert width == len(profile.numeric) + len(profile.categorical) + len(
        profile.high_cardinality)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_gradient_boosting_splits_ordinal_codes_as_categories(task):
    """With ordinal encoding, HistGradientBoosting gets the code columns as
    ``categorical_features``: one split can then separate any subset of levels,
    where codes read as numbers need a split per run of levels."""
    import pandas as pd
    from sklearn.model_selection import cross_val_score

    rng = np.random.default_rng(0)
    n, levels = 800, 30
    effect = rng.permutation(np.arange(levels) % 2)  # high/low, not in code order
    code = rng.integers(levels, size=n)
    X = pd.DataFrame({"noise": rng.normal(size=n), "level": [f"v{k}" for k in code],
                      "colour": rng.choice(["red", "blue"], size=n)})
    signal = effect[code] + 0.1 * rng.normal(size=n)
    y = (signal > 0.5).astype(int) if task == "classification" else signal
    X = data.check_X(X)
    profile = data.profile(X, y, task)
    space = Space(task, n_features=3, has_categorical=True, seed=0)
    # stumps, few rounds: the model has to find the levels' split at once
    config = {**space.default_config("hist_gradient_boosting"), "encoding": "ordinal",
              "model:hist_gradient_boosting:max_leaf_nodes": 3,
              "model:hist_gradient_boosting:max_iter": 10}
    native = build_pipeline(config, space, profile, random_state=0)
    assert native[-1].categorical_features == [0, 1]  # level, colour: before the numbers
    as_numbers = clone(native).set_params(model__categorical_features=None)
    scores = {name: cross_val_score(p, X, y, cv=3).mean()
              for name, p in (("native", native), ("numbers", as_numbers))}
    assert scores["native"] > 0.7 and scores["native"] > scores["numbers"] + 0.2, scores
    fitted = native.fit(X, y)
    assert list(fitted[-1].is_categorical_) == [True, True, False]
    # a level never seen at fit is encoded -1 and read as missing, not as a code
    unseen = X.head(3).assign(level="never-seen")
    assert np.all(np.isfinite(fitted.predict(unseen)))
    # any other encoding, or a step between the codes and the model: plain numbers
    for other in ({"encoding": "one_hot", "encoding:one_hot:min_frequency": 0.01},
                  {"features": "pca", "features:pca:n_components": 0.95,
                   "features:pca:whiten": False}):
        pipeline = build_pipeline({**config, **other}, space, profile, random_state=0)
        assert pipeline[-1].categorical_features == "from_dtype"


def test_scale_sensitive_regressors_learn_a_target_on_any_scale():
    """SVR's epsilon and C, lasso's alpha, SGD's and a network's steps assume a
    target of unit scale: such models learn it standardised, so prices in the
    hundreds of thousands score as the same target in units."""
    import pandas as pd
    from sklearn.model_selection import cross_val_score

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = np.sin(X["a"].to_numpy()) + 0.5 * X["b"].to_numpy() + 0.1 * rng.normal(size=300)
    X = data.check_X(X)
    profile = data.profile(X, y, "regression")
    space = Space("regression", n_features=3, seed=0)
    scaled = [c.name for c in space.steps[MODEL] if c.scale_target]
    assert set(scaled) == {"lasso", "elastic_net", "linear_svm", "rbf_svm", "sgd", "mlp"}
    for name in scaled:
        pipeline = build_pipeline(space.default_config(name), space, profile, random_state=0)
        assert pipeline[-1].regressor.__class__.__name__ in repr(pipeline)
        units = cross_val_score(pipeline, X, y, cv=3).mean()
        prices = cross_val_score(pipeline, X, 2e5 + 1e5 * y, cv=3).mean()
        assert units > 0.4, (name, units)  # defaults learn the signal
        assert prices == pytest.approx(units, abs=0.02), (name, units, prices)
        fitted = clone(pipeline).fit(X, 2e5 + 1e5 * y)
        assert 1e5 < fitted.predict(X).mean() < 3e5  # predictions on the target's scale


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_iterative_linear_models_see_standardised_columns_after_any_scaling(task):
    """Logistic regression's solver, SGD, lasso, elastic net and the linear SVR
    depend on the columns' scales: after the ``no_scaling`` choice their columns are
    standardised in front of them, so a column in the thousands beside one in
    thousandths neither stalls the solver nor makes SGD diverge
    (benchmarks/results/linear_scaling.md)."""
    import warnings

    import pandas as pd
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score

    rng = np.random.default_rng(0)
    raw = rng.normal(size=(400, 3))
    X = pd.DataFrame({"thousands": 1e4 * raw[:, 0], "units": raw[:, 1],
                      "thousandths": 1e-3 * raw[:, 2]})
    signal = raw[:, 0] + raw[:, 1] - raw[:, 2]
    y = (signal > 0).astype(int) if task == "classification" else signal
    X = data.check_X(X)
    profile = data.profile(X, y, task)
    space = Space(task, n_features=3, seed=0)
    scaled = {c.name for c in space.steps[MODEL] if c.scale_inputs}
    expected = {"logistic_regression", "sgd"} if task == "classification" else {
        "lasso", "elastic_net", "linear_svm", "sgd"}
    assert scaled == expected
    for name in sorted(scaled):
        config = {**space.default_config(name), "scaling": "no_scaling"}
        pipeline = build_pipeline(config, space, profile, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            score = cross_val_score(pipeline, X, y, cv=3).mean()
        # accuracy or R²: a linear signal the model learns on standardised columns
        assert score > 0.9, (name, score)
