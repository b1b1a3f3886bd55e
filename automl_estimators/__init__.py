"""automl-estimators: AutoML that behaves like any scikit-learn estimator.

The estimators are imported on first use (:pep:`562`): ``import automl_estimators``
and the command line's start import neither scikit-learn nor pandas, so that
``automl-estimators --version`` answers at once and a Ctrl-C while the command
line loads them ends it quietly (:mod:`.command`).
"""

import importlib
import logging

# A library's loggers print nothing unless the application configures logging
# (or ``verbose`` asks for it, see :mod:`.progress`): without this handler,
# logging's last resort would print the package's warnings at ``verbose=0``, in
# the fit's process and in its workers.
logging.getLogger(__name__).addHandler(logging.NullHandler())

from .version import __version__  # noqa: E402

# Public name -> the module that defines it.
_HOMES = {"AutoClassifier": "estimators", "AutoRegressor": "estimators",
          "InconsistentVersionWarning": "estimators", "ParameterError": "errors"}

__all__ = ["AutoClassifier", "AutoRegressor", "InconsistentVersionWarning", "ParameterError",
           "__version__"]


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    globals()[name] = value  # looked up here from now on
    return value


def __dir__():
    return sorted({*globals(), *_HOMES})
