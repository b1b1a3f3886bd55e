"""Upper bounds on the columns before a model, and the parameters they bound."""

import warnings

import numpy as np
import pandas as pd
import pytest

from automl_estimators import data
from automl_estimators.pipelines import build_pipeline
from automl_estimators.pipelines.width import preprocessed_width, transformed_width
from automl_estimators.search.genetic import GeneticSearch
from automl_estimators.spaces import Space
from automl_estimators.spaces.components import HGB_LEAF_COLUMNS
from automl_estimators.spaces.program import INPUT, TRANSFORMS, Stack, Transform
from tests.pipelines.test_builder import prepared, random_configurations

HGB = "hist_gradient_boosting"
LEAVES = f"model:{HGB}:max_leaf_nodes"


def width_before_model(pipeline, profile):
    """The bound :func:`build_pipeline` gives the model, recomputed from the built steps."""
    params = pipeline.get_params()
    imputer = next(v for k, v in params.items() if k.endswith("__impute"))
    encoder = next((v for k, v in params.items() if k.endswith("__encode")), None)
    width = preprocessed_width(profile, imputer, encoder)
    for _, step in pipeline.steps[1:-1]:
        width = transformed_width(step, width, profile.n_classes)
    return width


@pytest.mark.parametrize("name,task", [("credit-g", "classification"),
                                       ("segment", "classification"),
                                       ("auto_mpg", "regression")])
def test_fitted_columns_before_the_model_are_at_most_the_bound(name, task):
    """Random flat configurations and genetic programs (unions, stacking, polynomial
    and kernel features, every encoding): the columns the fitted steps hand the
    model never exceed the bound computed before fitting."""
    X, y, profile, space = prepared(name, 200, task)
    configs = random_configurations(space, 40)
    configs += [c.config for c in GeneticSearch(space, 0).ask(40)]
    assert any(c.get(TRANSFORMS, INPUT) != INPUT for c in configs)
    assert any(c.get("features") == "polynomial" for c in configs)
    for config in configs:
        pipeline = build_pipeline(config, space, profile, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            columns = pipeline[:-1].fit_transform(X, y).shape[1]
        assert columns <= width_before_model(pipeline, profile), config


def wide_problem(n_columns, rows=120):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(rows, n_columns)),
                     columns=[f"x{i}" for i in range(n_columns)])
    y = (X["x0"] + X["x1"] > 0).astype(int).to_numpy()
    X = data.check_X(X)
    y, _ = data.check_y_classification(X, y, "test")
    profile = data.profile(X, y, "classification")
    return X, y, profile, Space.for_profile("classification", profile, seed=0)


@pytest.mark.parametrize("n_columns", [20, 400])
def test_gradient_boosting_leaves_times_columns_is_bounded_but_not_below_its_default(n_columns):
    """HistGradientBoosting's grower keeps a histogram of every column per open
    node: its leaves times the columns before it stay within HGB_LEAF_COLUMNS
    (memory), the searched value where that holds, the default (31) at least."""
    X, y, profile, space = wide_problem(n_columns)
    default = space.default_config(HGB)
    for leaves in (31, 500, 2047):
        pipeline = build_pipeline({**default, LEAVES: leaves}, space, profile, random_state=0)
        built = pipeline.named_steps["model"].max_leaf_nodes
        width = width_before_model(pipeline, profile)
        assert width >= n_columns
        assert built == max(min(leaves, HGB_LEAF_COLUMNS // width), 31)
        if n_columns == 20:
            assert built == leaves
    # The default configuration builds the default model on any width.
    assert build_pipeline(default, space, profile).named_steps["model"].max_leaf_nodes == 31


def test_polynomial_features_bound_the_leaves_of_a_model_after_them():
    """On 20 columns, PolynomialFeatures(2) gives 230: 2047 leaves become
    HGB_LEAF_COLUMNS // 230, in a flat pipeline and for a model stacked in a
    program; without the step the configuration's 2047 stay."""
    X, y, profile, space = wide_problem(20)
    default = space.default_config(HGB)
    poly = {**default, LEAVES: 2047, "features": "polynomial",
            "features:polynomial:interaction_only": False}
    pipeline = build_pipeline(poly, space, profile, random_state=0)
    assert pipeline.named_steps["model"].max_leaf_nodes == HGB_LEAF_COLUMNS // 230
    assert pipeline[:-1].fit_transform(X, y).shape[1] == 230
    plain = build_pipeline({**poly, "features": "no_features"}, space, profile, random_state=0)
    assert plain.named_steps["model"].max_leaf_nodes == 2047

    tree = Stack(HGB, (("max_leaf_nodes", 2047),),
                 Transform("features", "polynomial", (("interaction_only", False),), INPUT))
    program = build_pipeline({**space.default_config("logistic_regression"), TRANSFORMS: tree},
                             space, profile, random_state=0)
    stacked = program.named_steps["transforms"].steps[-1][1].estimator
    assert stacked.max_leaf_nodes == HGB_LEAF_COLUMNS // 230
    program.fit(X, y)
