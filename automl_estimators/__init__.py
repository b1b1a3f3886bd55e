"""automl-estimators: AutoML that behaves like any scikit-learn estimator.

The estimators, and the subpackages and modules named as attributes
(``automl_estimators.spaces``, ``.search``, ``.export``), are imported on first use
(:pep:`562`): ``import automl_estimators`` imports neither scikit-learn nor pandas,
so that a Ctrl-C while the command line loads them ends it quietly
(:mod:`.__main__`).
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
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value  # looked up here from now on
        return value
    # A subpackage or module (automl_estimators.spaces.component_names(...), as the
    # README shows): before the estimators were imported on first use, importing the
    # package imported every one of them.
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise  # the module exists, one of its imports is missing
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_HOMES})
