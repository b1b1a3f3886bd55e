"""Neural architecture search: torch networks and sklearn estimators over the cell space.

The architecture values (cells, sampling, mutation, encoding) live with the
search space, :mod:`automl_estimators.spaces.architecture`, and are re-exported here.

Importing this package does not import torch; fitting a neural estimator does,
and raises an ImportError naming ``pip install 'automl-estimators[nas]'`` when
torch is missing (:func:`torch_available` tells beforehand).
"""

from ..spaces.architecture import (
    IMAGE,
    IMAGE_OPS,
    SIGNAL,
    SIGNAL_OPS,
    TABULAR,
    TABULAR_OPS,
    Architecture,
    Block,
    default_architecture,
    encode_architecture,
    encoding_length,
    kind_of,
    mutate_architecture,
    sample_architecture,
)
from .estimators import NeuralClassifier, NeuralRegressor
from .torch_dependency import INSTALL_HINT, torch_available

__all__ = [
    "IMAGE", "IMAGE_OPS", "INSTALL_HINT", "SIGNAL", "SIGNAL_OPS", "TABULAR", "TABULAR_OPS",
    "Architecture", "Block", "NeuralClassifier", "NeuralRegressor", "default_architecture",
    "encode_architecture", "encoding_length", "kind_of", "mutate_architecture",
    "sample_architecture", "torch_available",
]
