"""Program trees -> scikit-learn objects, for trees as nodes and as an old fit's tuples."""

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import FeatureUnion, Pipeline

from automl_estimators import data
from automl_estimators.pipelines import build_pipeline
from automl_estimators.pipelines.components import StackingTransformer
from automl_estimators.spaces import Space
from automl_estimators.spaces.program import INPUT, TRANSFORMS, Stack, Transform, Union
from tests.conftest import load

TREE = Union(Stack("knn", (("n_neighbors", 7),), Transform("scaling", "standard", (), INPUT)),
             Transform("features", "pca", (("n_components", 0.5), ("whiten", True)), INPUT))


def problem():
    X, y = load("credit-g", 120)
    X = data.check_X(X)
    y, _ = data.check_y_classification(X, y, "test")
    profile = data.profile(X, y, "classification")
    space = Space.for_profile("classification", profile, seed=0)
    return X, y, profile, space


def test_a_tree_compiles_to_unions_pipelines_and_stacking():
    X, y, profile, space = problem()
    config = {**space.default_config("logistic_regression"), TRANSFORMS: TREE}
    pipeline = build_pipeline(config, space, profile, random_state=0)
    transforms = pipeline.named_steps["transforms"]
    assert isinstance(transforms, FeatureUnion)
    stacked, pca = (step for _, step in transforms.transformer_list)
    assert isinstance(stacked, Pipeline) and isinstance(stacked.steps[-1][1], StackingTransformer)
    assert stacked.steps[-1][1].estimator.n_neighbors == 7
    assert pca.n_components == 0.5 and pca.whiten
    bare = build_pipeline({**config, TRANSFORMS: INPUT}, space, profile, random_state=0)
    assert list(bare.named_steps) == ["preprocess", "model"]


def test_an_old_fits_tuple_tree_builds_the_same_pipeline():
    X, y, profile, space = problem()
    config = {**space.default_config("logistic_regression"), TRANSFORMS: TREE}
    old = {**config, TRANSFORMS: TREE.to_tuple()}
    new_pipeline = build_pipeline(config, space, profile, random_state=0)
    old_pipeline = build_pipeline(old, space, profile, random_state=0)
    assert repr(old_pipeline.get_params()) == repr(new_pipeline.get_params())
    np.testing.assert_array_equal(clone(old_pipeline).fit(X, y).predict_proba(X),
                                  clone(new_pipeline).fit(X, y).predict_proba(X))
