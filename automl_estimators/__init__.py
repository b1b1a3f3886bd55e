"""automl-estimators: AutoML that behaves like any scikit-learn estimator."""

from .estimators import AutoClassifier, AutoRegressor

__version__ = "0.1.0"
__all__ = ["AutoClassifier", "AutoRegressor", "__version__"]
