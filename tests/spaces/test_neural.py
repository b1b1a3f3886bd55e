"""The neural components' declarations: consistent with the estimators and buildable
(no torch needed; tests/nas/test_estimators.py fits one behind the preprocessing)."""

import inspect

import pytest

from automl_estimators.pipelines.instantiation import make_component
from automl_estimators.spaces.declarations import MODEL, hp_key
from automl_estimators.spaces.neural import NEURAL_COMPONENTS


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

