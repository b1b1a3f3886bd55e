"""Pickles and joblib files: identical predictions in a fresh process, and a clear
warning when loaded under other versions than they were written with."""

import json
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import sklearn

import automl_estimators
from automl_estimators import AutoClassifier, AutoRegressor, InconsistentVersionWarning
from automl_estimators import estimators as estimators_module

from .conftest import numeric_frame, target_for, tiny_fit

REPOSITORY = Path(__file__).resolve().parents[2]

LOAD_AND_PREDICT = """
import json, pickle, sys, warnings
import joblib, numpy as np, pandas as pd
warnings.simplefilter("error")  # same versions: loading must not warn
X = pd.read_pickle(sys.argv[1])
out = {}
for path in sys.argv[2:]:
    model = joblib.load(path) if path.endswith(".joblib") else pickle.load(open(path, "rb"))
    method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    out[path] = getattr(model, method)(X).tolist()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def fitted():
    """(X, {name: fitted estimator}): both estimators on numeric and categorical columns."""
    X = numeric_frame()
    X["cat"] = np.where(X["f1"] > 0, "u", "v")
    X.loc[::9, "f2"] = np.nan
    return X, {cls.__name__: tiny_fit(cls, X, target_for(cls, X))
               for cls in (AutoClassifier, AutoRegressor)}


def test_round_trip_in_a_fresh_process(fitted, tmp_path):
    X, models = fitted
    X.to_pickle(tmp_path / "X.pkl")
    expected, paths = {}, []
    for name, model in models.items():
        method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
        for path in (tmp_path / f"{name}.pkl", tmp_path / f"{name}.joblib"):
            if path.suffix == ".joblib":
                joblib.dump(model, path)
            else:
                path.write_bytes(pickle.dumps(model))
            expected[str(path)] = getattr(model, method)(X)
            paths.append(str(path))
    run = subprocess.run([sys.executable, "-c", LOAD_AND_PREDICT, str(tmp_path / "X.pkl"),
                          *paths], check=False, capture_output=True, text=True,
                         cwd=REPOSITORY,
                         env={"PYTHONPATH": str(REPOSITORY), "PATH": "/usr/bin:/bin"},
                         timeout=300)
    assert run.returncode == 0, run.stderr
    loaded = json.loads(run.stdout)
    assert set(loaded) == set(expected)
    for path, predictions in expected.items():
        np.testing.assert_array_equal(np.asarray(loaded[path]), predictions)


def test_pickle_records_the_versions(fitted):
    _, models = fitted
    state = models["AutoClassifier"].__getstate__()
    assert state["_versions"] == {"automl-estimators": automl_estimators.__version__,
                                  "scikit-learn": sklearn.__version__}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = pickle.loads(pickle.dumps(models["AutoClassifier"]))
    assert "_versions" not in vars(again)


@pytest.mark.parametrize("package", ["automl-estimators", "scikit-learn"])
def test_other_versions_warn_when_loaded(fitted, monkeypatch, package):
    X, models = fitted
    model = models["AutoRegressor"]
    written = {**estimators_module._versions(), package: "0.0.1"}
    monkeypatch.setattr(estimators_module, "_versions", lambda: written)
    data = pickle.dumps(model)
    monkeypatch.undo()
    with pytest.warns(InconsistentVersionWarning) as caught:
        loaded = pickle.loads(data)
    ours = [w.message for w in caught if isinstance(w.message, InconsistentVersionWarning)]
    assert len(ours) == 1
    text = str(ours[0])
    current = {"automl-estimators": automl_estimators.__version__,
               "scikit-learn": sklearn.__version__}[package]
    assert f"AutoRegressor fitted with {package} 0.0.1 (now {current})" in text
    assert "refit it under the installed versions, or install the versions" in text
    assert ours[0].original_versions[package] == "0.0.1"
    assert issubclass(InconsistentVersionWarning, UserWarning)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_pickle_without_versions_warns(fitted):
    model = fitted[1]["AutoClassifier"]
    state = model.__getstate__()
    del state["_versions"]
    loaded = AutoClassifier.__new__(AutoClassifier)
    with pytest.warns(InconsistentVersionWarning, match="automl-estimators unknown"):
        loaded.__setstate__(state)


def test_an_unfitted_estimator_loads_without_warning(monkeypatch):
    monkeypatch.setattr(estimators_module, "_versions", lambda: {"automl-estimators": "0.0.1"})
    data = pickle.dumps(AutoClassifier(time_budget=5))
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pickle.loads(data).time_budget == 5
