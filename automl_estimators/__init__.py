"""automl-estimators: AutoML that behaves like any scikit-learn estimator."""

import logging

# A library's loggers print nothing unless the application configures logging
# (or ``verbose`` asks for it, see :mod:`.progress`): without this handler,
# logging's last resort would print the package's warnings at ``verbose=0``, in
# the fit's process and in its workers.
logging.getLogger(__name__).addHandler(logging.NullHandler())

from .errors import ParameterError  # noqa: E402
from .estimators import AutoClassifier, AutoRegressor, InconsistentVersionWarning  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ["AutoClassifier", "AutoRegressor", "InconsistentVersionWarning", "ParameterError",
           "__version__"]
