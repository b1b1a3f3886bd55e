"""Numeric columns clipped to their training range in front of models that extrapolate."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from automl_estimators.pipelines import build_pipeline
from automl_estimators.pipelines.builder import extrapolates
from automl_estimators.pipelines.preprocessing import RangeClipper
from automl_estimators.spaces.program import INPUT, TRANSFORMS, Stack, Transform
from tests.pipelines.test_builder import profiled


def test_range_clipper_clips_to_the_training_range_and_keeps_missing_values():
    train = np.array([[0.0, 5.0, np.nan, -1.0],
                      [1.0, np.nan, np.nan, np.inf],
                      [2.0, 7.0, np.nan, 3.0]])
    clipper = RangeClipper().fit(train)
    np.testing.assert_array_equal(clipper.data_min_, [0.0, 5.0, -np.inf, -1.0])
    np.testing.assert_array_equal(clipper.data_max_, [2.0, 7.0, np.inf, 3.0])
    out = clipper.transform(np.array([[-50.0, 6.0, 1e9, 1e9],
                                      [50.0, np.nan, -3.0, -np.inf]]))
    np.testing.assert_array_equal(out, [[0.0, 6.0, 1e9, 3.0],
                                        [2.0, np.nan, -3.0, -1.0]])
    assert list(clipper.get_feature_names_out(["a", "b", "c", "d"])) == ["a", "b", "c", "d"]
    again = pickle.loads(pickle.dumps(clipper))
    np.testing.assert_array_equal(again.transform(train), clipper.transform(train))
    assert clone(clipper).get_params() == {}
    with pytest.raises(ValueError, match="X has 2 features, but RangeClipper is expecting 4"):
        clipper.transform(train[:, :2])


def numeric_problem(task, rows=200):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "c"])
    X["colour"] = rng.choice(["red", "green", "blue"], size=rows)
    signal = X["a"] + 0.5 * X["b"] ** 2
    y = (signal > signal.median()).astype(int).to_numpy() if task == "classification" \
        else (signal + rng.normal(scale=0.1, size=rows)).to_numpy()
    return profiled(X, y, task)


def numeric_branch(pipeline):
    """The numeric columns' Pipeline in an unfitted pipeline's column preprocessing."""
    branches = {name: steps for name, steps, _ in pipeline.named_steps["preprocess"].transformers}
    return branches["numeric"]


def numeric_steps(pipeline):
    return dict(numeric_branch(pipeline).steps)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_only_models_that_extrapolate_get_the_clip(task):
    """Linear models, networks and naive Bayes get the clip in front; trees,
    neighbours and kernel machines, whose predictions stay where the training
    range ends, do not."""
    X, y, profile, space = numeric_problem(task)
    clipped = set()
    for model in space.models:
        pipeline = build_pipeline(space.default_config(model), space, profile, random_state=0)
        has_clip = isinstance(numeric_steps(pipeline).get("clip"), RangeClipper)
        assert has_clip == space.component("model", model).extrapolates, model
        clipped |= {model} if has_clip else set()
    assert {"hist_gradient_boosting", "random_forest", "knn"}.isdisjoint(clipped)
    assert clipped >= ({"logistic_regression", "naive_bayes"} if task == "classification"
                       else {"ridge", "mlp"})


def test_a_program_that_stacks_a_linear_model_gets_the_clip():
    X, y, profile, space = numeric_problem("regression")
    tree = Stack("ridge", (("alpha", 1.0),), INPUT)
    config = {**space.default_config("hist_gradient_boosting"), TRANSFORMS: tree}
    assert extrapolates(config, space)
    pipeline = build_pipeline(config, space, profile, random_state=0)
    assert "clip" in numeric_steps(pipeline)
    plain = {**config, TRANSFORMS: Transform("scaling", "standard", (), INPUT)}
    assert not extrapolates(plain, space)
    assert "clip" not in numeric_steps(build_pipeline(plain, space, profile, random_state=0))


def test_a_row_beyond_the_training_range_is_predicted_as_at_its_end():
    """Ridge on polynomial features: a test row 40 standard deviations out is
    predicted as the same row at the training maximum, not extrapolated along a
    square (0.5 x 40^2 = 800 without the clip). HistGradientBoosting, without a
    clip, stays within its training targets."""
    X, y, profile, space = numeric_problem("regression")
    far, edge = X.iloc[[0]].copy(), X.iloc[[0]].copy()
    far["b"], edge["b"] = 40.0, X["b"].max()

    def polynomial(model):
        return build_pipeline({**space.default_config(model), "features": "polynomial",
                               "features:polynomial:interaction_only": False},
                              space, profile, random_state=0)

    ridge = polynomial("ridge").fit(X, y)
    assert ridge.predict(far)[0] == pytest.approx(ridge.predict(edge)[0])
    assert ridge.predict(far)[0] <= y.max() + 1.0
    trees = polynomial("hist_gradient_boosting").fit(X, y)
    assert "clip" not in numeric_steps(trees)
    assert y.min() <= trees.predict(far)[0] <= y.max()

    unclipped = polynomial("ridge")
    numeric = numeric_branch(unclipped)
    numeric.steps = [step for step in numeric.steps if step[0] != "clip"]
    assert unclipped.fit(X, y).predict(far)[0] > y.max() + 100
