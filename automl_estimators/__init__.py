"""automl-estimators: AutoML that behaves like any scikit-learn estimator."""

from .estimators import AutoClassifier, AutoRegressor, InconsistentVersionWarning
from .version import __version__

__all__ = ["AutoClassifier", "AutoRegressor", "InconsistentVersionWarning", "__version__"]
