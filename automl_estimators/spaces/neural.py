"""The neural estimators as model components of the search space, declared once.

Declared here, below :mod:`automl_estimators.nas`: a declaration names its
estimator class by import path (:data:`ESTIMATORS`), which the pipeline builder
imports only when it builds one, so spaces never import the torch estimators.
Kept apart from the catalogue (:mod:`automl_estimators.spaces.components`): a
:class:`~automl_estimators.spaces.Space` offers them only when the neural branch
is on (``neural=True``, which the estimators set when torch is importable); then
random and SMAC search, the ensemble and export treat them like any other model.
Like the catalogue's twins (``random_forest``), the classifier and the regressor
share one public name.

Random and SMAC search tune the training settings, the macro-architecture
(cells, blocks per cell, width) and the cells through ``architecture_seed``
(0: the default cells; any other value: the cells
:func:`~automl_estimators.spaces.architecture.sample_architecture` draws from that
seed, so a configuration stays a flat dict of numbers that ConfigSpace can
hold). Regularized evolution (:mod:`automl_estimators.search.evolution`) sets
the cells explicitly instead: the ``architecture`` strategy parameter, an
:class:`~automl_estimators.spaces.architecture.Architecture` value in the
configuration under :data:`ARCHITECTURE_KEY`.
``max_epochs`` is the iterations hyperparameter, so successive halving gives a
network a share of its epochs. With the ``ordinal`` encoding the pipeline
builder gives a network the positions of the encoded columns as
``categorical_features`` (the ``categorical_parameter``), so it embeds them;
with ``one_hot`` it reads indicator columns like any other numbers. Ranges: learning rate and weight decay as in
auto-PyTorch's tabular space; defaults are the estimators' defaults.
"""

from __future__ import annotations

from dataclasses import replace

from .declarations import (
    CLASSIFICATION,
    MODEL,
    REGRESSION,
    Categorical,
    Component,
    Float,
    Int,
)

NAME = "neural_network"
ESTIMATORS = "automl_estimators.nas.estimators"

NEURAL_HYPERPARAMETERS = (
    Float("learning_rate", 1e-4, 1e-1, 1e-3, log=True),
    Float("weight_decay", 1e-5, 1e-1, 1e-2, log=True),
    # The estimator's default is "auto" (128 on CPU, 512 on CUDA); a searched
    # value is an explicit size, whose default is the CPU one.
    Int("batch_size", 32, 512, 128, log=True),
    Int("max_epochs", 10, 200, 50, log=True),
    Int("n_cells", 1, 4, 2),
    Int("n_blocks", 1, 5, 3),
    Int("width", 16, 256, 64, log=True),
    # Any seed is as likely as any other: the integer is an identity, not a scale.
    Int("architecture_seed", 0, 2**20, 0),
)
# Configuration key of an explicit architecture (see make_component's strategy parameters).
ARCHITECTURE_KEY = f"{MODEL}:{NAME}:architecture"

NEURAL_CLASSIFIER = Component(
    NAME, MODEL, tasks=(CLASSIFICATION,), estimator=f"{ESTIMATORS}:NeuralClassifier",
    hyperparameters=NEURAL_HYPERPARAMETERS + (
        Categorical("class_weight", (None, "balanced"), None),),
    accepts_sparse=False,
    seeded=True,
    iterations="max_epochs",
    strategy_parameters=("architecture", "architecture_search"),
    categorical_parameter="categorical_features",
)
NEURAL_REGRESSOR = Component(
    NAME, MODEL, tasks=(REGRESSION,), estimator=f"{ESTIMATORS}:NeuralRegressor",
    hyperparameters=NEURAL_HYPERPARAMETERS,
    accepts_sparse=False,
    seeded=True,
    iterations="max_epochs",
    strategy_parameters=("architecture", "architecture_search"),
    categorical_parameter="categorical_features",
)
NEURAL_COMPONENTS = (NEURAL_CLASSIFIER, NEURAL_REGRESSOR)


def neural_components(image_shape=None) -> tuple:
    """The neural components for data of this shape: ``image_shape`` (or None) fixed."""
    return tuple(replace(component, fixed={**component.fixed, "image_shape": image_shape})
                 for component in NEURAL_COMPONENTS)
