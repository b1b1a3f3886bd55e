"""Tiny fits for the reliability tests: a trial count ends them, never the clock.

``time_budget`` is an upper bound generous enough for a loaded machine; the fits
stop at ``max_trials`` (the dummy fallback not counted), on one worker, with a
holdout and random search, so each takes about a second.
"""

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

from automl_estimators import AutoClassifier, AutoRegressor

ESTIMATORS = (AutoClassifier, AutoRegressor)
# search="random": SMAC (the choice from 20 s of budget) spends a second setting up
TINY = {"time_budget": 30, "max_trials": 2, "n_jobs": 1, "random_state": 0,
        "resampling": "holdout", "search": "random"}


@contextmanager
def no_leaked_warnings(*expected):
    """Fail if a warning the user would see (all but deprecations) is raised, other
    than those of the ``expected`` categories; yields the list of those caught."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = []
        yield seen
    for warning in caught:
        if issubclass(warning.category, expected):
            seen.append(warning)
        elif not issubclass(warning.category, (DeprecationWarning, PendingDeprecationWarning)):
            pytest.fail(f"leaked {warning.category.__name__}: {warning.message} "
                        f"({warning.filename}:{warning.lineno})")


def tiny_fit(estimator_class, X, y, **params):
    """Fit ``estimator_class`` with :data:`TINY` (overridden by ``params``); no warning
    may leak."""
    with no_leaked_warnings():
        return estimator_class(**{**TINY, **params}).fit(X, y)


def target_for(estimator_class, X, column=0):
    """A learnable target: the sign of one numeric column (classes), or twice it plus one."""
    values = pd.to_numeric(pd.DataFrame(X).iloc[:, column], errors="coerce")
    values = values.fillna(0.0).to_numpy(dtype=float)
    if estimator_class is AutoClassifier:
        return (values > 0).astype(int)
    return 2.0 * values + 1.0


def numeric_frame(n_rows=80, n_columns=3, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n_rows, n_columns)),
                        columns=[f"f{i}" for i in range(n_columns)])


@pytest.fixture(params=ESTIMATORS, ids=lambda cls: cls.__name__)
def estimator_class(request):
    """Each case runs for AutoClassifier and AutoRegressor."""
    return request.param
