"""NeuralClassifier / NeuralRegressor: sklearn's contract, learning, pickling, errors."""

import importlib
import pickle
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_estimators.nas import (
    INSTALL_HINT,
    Architecture,
    Block,
    NeuralClassifier,
    NeuralRegressor,
    default_architecture,
)

# Small and fast, yet enough epochs to pass sklearn's accuracy checks.
TINY = {"n_cells": 1, "n_blocks": 1, "width": 8, "max_epochs": 30, "batch_size": 32,
        "learning_rate": 1e-2, "patience": 5, "random_state": 0}


@parametrize_with_checks([NeuralClassifier(**TINY), NeuralRegressor(**TINY)])
def test_sklearn_contract(estimator, check):
    pytest.importorskip("torch")
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def test_learns_digits_as_images(digits):
    pytest.importorskip("torch")
    X_train, X_test, y_train, y_test = digits
    model = NeuralClassifier(image_shape=(8, 8), n_cells=1, n_blocks=1, width=8, max_epochs=6,
                             batch_size=128, learning_rate=1e-2, random_state=0)
    model.fit(X_train, y_train)
    assert model.architecture_ == default_architecture("image", 1)
    assert model.network_spec_.n_reductions == 2
    assert model.score(X_test, y_test) > 0.9
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_learns_a_regression():
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5)) * [1, 10, 100, 1, 1]  # unscaled: standardised inside
    y = 3 * X[:, 0] - X[:, 1] / 10 + 50
    model = NeuralRegressor(**TINY).fit(X[:200], y[:200])
    assert model.score(X[200:], y[200:]) > 0.9


def test_pickle_round_trip_keeps_predictions(digits):
    pytest.importorskip("torch")
    X_train, X_test, y_train, _ = digits
    model = NeuralClassifier(**TINY).fit(X_train[:300], y_train[:300])
    state = model.__getstate__()
    assert "module_" not in state and "module_" in model.__dict__
    assert all(tensor.device.type == "cpu" for tensor in state["module_state_"].values())
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X_test), model.predict_proba(X_test))


def test_device_auto_is_cpu_without_cuda(monkeypatch):
    torch = pytest.importorskip("torch")
    from automl_estimators.nas.trainer import resolve_device

    model = NeuralRegressor(**TINY).fit(np.eye(4).repeat(5, axis=0), np.arange(20.0))
    assert model.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"


def test_trains_on_cuda_and_unpickles_on_cpu(digits):
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X_train, X_test, y_train, y_test = digits
    model = NeuralClassifier(image_shape=(8, 8), n_cells=1, width=16, max_epochs=10,
                             learning_rate=1e-2, random_state=0, device="auto")
    model.fit(X_train, y_train)
    assert model.device_ == "cuda" and next(model.module_.parameters()).is_cuda
    assert model.score(X_test, y_test) > 0.9
    again = pickle.loads(pickle.dumps(model))
    assert not next(again.module_.parameters()).is_cuda
    # CUDA predicts in mixed precision, the CPU copy in float32
    np.testing.assert_allclose(again.predict_proba(X_test), model.predict_proba(X_test),
                               atol=0.05)


def test_an_explicit_architecture_is_used_and_cloned():
    pytest.importorskip("torch")
    arch = Architecture("tabular", (Block((0, 1), ("dense_gelu", "layer_norm")),
                                    Block((1, 2), ("dropout", "dense_relu_narrow"))))
    model = NeuralClassifier(**TINY).set_params(architecture=arch)
    assert clone(model).architecture == arch
    X = np.random.default_rng(0).normal(size=(60, 3))
    model.fit(X, X[:, 0] > 0)
    assert model.architecture_ is arch and model.classes_.tolist() == [False, True]


@pytest.mark.parametrize("params, message", [
    ({"image_shape": (8, 8), "architecture": default_architecture("tabular")},
     "kind 'tabular'"),
    ({"architecture": default_architecture("image")}, "kind 'image'"),
    ({"image_shape": (4, 4)}, r"holds 16 values but X has 64"),
    ({"image_shape": (8, 0)}, "positive integers"),
    ({"image_shape": (2, 2, 2, 8)}, "height, width"),
])
def test_inconsistent_shapes_are_refused(params, message):
    pytest.importorskip("torch")
    X = np.zeros((10, 64))
    with pytest.raises(ValueError, match=message):
        NeuralClassifier(**TINY).set_params(**params).fit(X, np.arange(10) % 2)


def test_missing_torch_raises_what_to_install(monkeypatch):
    """Without torch the package still imports; fitting says what to install."""
    import automl_estimators

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    monkeypatch.setattr(automl_estimators, "nas", automl_estimators.nas)  # restored after
    for name in [name for name in sys.modules if name.startswith("automl_estimators.nas")]:
        monkeypatch.delitem(sys.modules, name)
    nas = importlib.import_module("automl_estimators.nas")
    assert not nas.torch_available()
    assert "pip install 'automl-estimators[nas]'" in INSTALL_HINT
    X, y = np.eye(4).repeat(3, axis=0), np.arange(12) % 2
    for estimator in (nas.NeuralClassifier(), nas.NeuralRegressor()):
        with pytest.raises(ImportError, match=r"pip install 'automl-estimators\[nas\]'"):
            estimator.fit(X, y)
    with pytest.raises(ImportError, match="automl-estimators"):
        importlib.import_module("automl_estimators.nas.network")
