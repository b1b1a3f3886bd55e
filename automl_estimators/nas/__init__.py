"""Neural architecture search: a cell-based space, torch networks, sklearn estimators.

Importing this package does not import torch; fitting a neural estimator does,
and raises an ImportError naming ``pip install 'automl-estimators[nas]'`` when
torch is missing (:func:`torch_available` tells beforehand).
"""

from .architecture import (
    IMAGE,
    IMAGE_OPS,
    TABULAR,
    TABULAR_OPS,
    Architecture,
    Block,
    default_architecture,
    encode_architecture,
    encoding_length,
    mutate_architecture,
    sample_architecture,
)
from .estimators import NeuralClassifier, NeuralRegressor
from .torch_dependency import INSTALL_HINT, torch_available

__all__ = [
    "IMAGE", "IMAGE_OPS", "INSTALL_HINT", "TABULAR", "TABULAR_OPS", "Architecture", "Block",
    "NeuralClassifier", "NeuralRegressor", "default_architecture", "encode_architecture",
    "encoding_length", "mutate_architecture", "sample_architecture", "torch_available",
]
