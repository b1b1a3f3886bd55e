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
