"""Shared fixtures: small slices of ../shared/datasets."""

import json
from pathlib import Path

import pandas as pd
import pytest

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def load(name, n_rows=None, seed=0):
    """(X, y) of a shared dataset, optionally a random slice of ``n_rows`` rows."""
    manifest = {d["name"]: d for d in json.loads((DATASETS / "manifest.json").read_text())}
    if name not in manifest:
        pytest.skip(f"dataset {name} not in {DATASETS}")
    frame = pd.read_csv(DATASETS / manifest[name]["file"])
    if n_rows is not None and n_rows < len(frame):
        frame = frame.sample(n=n_rows, random_state=seed)
    y = frame.pop("target")
    return frame.reset_index(drop=True), y.reset_index(drop=True)


@pytest.fixture(scope="session")
def credit():
    """Mixed numeric / string columns, binary target."""
    return load("credit-g", 300)


@pytest.fixture(scope="session")
def mpg():
    """Small regression data."""
    return load("auto_mpg", 200)


@pytest.fixture(scope="session")
def iris_fit():
    """A small random search on iris that ends on an ensemble (plots and summary read it)."""
    from sklearn.datasets import load_iris

    from automl_estimators import AutoClassifier

    X, y = load_iris(return_X_y=True)
    return AutoClassifier(time_budget=30, max_trials=6, n_jobs=1, random_state=0,
                          search="random").fit(X, y)


@pytest.fixture(scope="session")
def genetic_fit():
    """A small genetic search on iris over three models, a single pipeline at the end."""
    from sklearn.datasets import load_iris

    from automl_estimators import AutoClassifier

    X, y = load_iris(return_X_y=True)
    return AutoClassifier(time_budget=30, max_trials=12, n_jobs=1, random_state=0,
                          search="genetic", ensemble_size=0,
                          include=["logistic_regression", "knn", "naive_bayes"]).fit(X, y)
