"""A warning the package gives names the user's own line, whatever the depth it is
raised at (automl_estimators/user_warnings.py)."""

import warnings

import numpy as np
import pandas as pd

from automl_estimators import AutoClassifier

TINY = {"time_budget": 30, "max_trials": 1, "n_jobs": 1, "random_state": 0,
        "resampling": "holdout", "search": "random"}


def _caught(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, UserWarning)]


def test_warnings_from_every_depth_of_a_fit_name_the_caller_s_line():
    X = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7})
    y = np.arange(60) % 2
    fitted = AutoClassifier(**TINY).fit(X, y)
    cases = {
        # the estimator's fit itself
        "budget": lambda: AutoClassifier(time_budget=0.05, n_jobs=1).fit(X, y),
        # the search space, two calls down
        "include": lambda: AutoClassifier(**TINY, include=["pca", "knn"]).fit(X, y),
        # the finishing step, several calls down
        "nothing scored": lambda: AutoClassifier(
            **TINY, metric=lambda estimator, X_, y_: float("nan")).fit(X, y),
        # the data's check at predict
        "predict": lambda: fitted.predict(X.assign(a=["x"] * 60)),
    }
    for case, call in cases.items():
        caught = _caught(call)
        assert caught, case
        assert {w.filename for w in caught} == {__file__}, (case, [
            (w.filename, str(w.message)[:60]) for w in caught])

