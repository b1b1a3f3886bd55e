"""The neural components' declarations: consistent with the estimators, buildable,
and usable behind the package's column preprocessing."""

import inspect

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from automl_estimators import data
from automl_estimators.nas.components import NEURAL_COMPONENTS
from automl_estimators.pipelines.builder import make_component
from automl_estimators.pipelines.preprocessing import column_preprocessor
from automl_estimators.spaces.declarations import MODEL, hp_key
from tests.conftest import load


@pytest.mark.parametrize("component", NEURAL_COMPONENTS, ids=lambda c: c.tasks[0])
def test_declarations_match_the_estimator(component):
    parameters = inspect.signature(component.estimator_class()).parameters
    assert component.step == MODEL and component.seeded and not component.accepts_sparse
    assert component.iterations == "max_epochs"
    for hp in component.hyperparameters:
        assert hp.name in parameters
        if hp.name != "batch_size":  # the estimator's "auto" is not a searchable size
            assert parameters[hp.name].default == hp.default, hp.name


@pytest.mark.parametrize("component", NEURAL_COMPONENTS, ids=lambda c: c.tasks[0])
def test_low_fidelity_gets_a_share_of_the_epochs(component):
    config = {hp_key(component, "learning_rate"): 0.01, hp_key(component, "width"): 32}
    model = make_component(component, config, random_state=3, iteration_share=0.25)
    assert (model.max_epochs, model.learning_rate, model.width, model.random_state) == \
        (12, 0.01, 32, 3)


def test_fits_behind_the_column_preprocessing():
    """Mixed numeric and categorical columns, as a search pipeline gives them."""
    pytest.importorskip("torch")
    X, y = load("credit-g", 200)
    X = data.check_X(X)
    y, _ = data.check_y_classification(X, y, "test")
    profile = data.profile(X, y, "classification")
    assert profile.categorical
    component = NEURAL_COMPONENTS[0]
    pipeline = Pipeline([
        ("preprocess", column_preprocessor(
            profile, imputer=SimpleImputer(), scaler=StandardScaler(),
            encoder=OneHotEncoder(handle_unknown="ignore", sparse_output=False))),
        ("model", make_component(component, {hp_key(component, "max_epochs"): 10},
                                 random_state=0)),
    ])
    proba = pipeline.fit(X, y).predict_proba(X)
    assert proba.shape == (200, 2) and np.isfinite(proba).all()
