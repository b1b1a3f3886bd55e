"""NeuralClassifier / NeuralRegressor: sklearn's contract, learning, pickling, errors."""

import importlib
import pickle
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_estimators import data
from automl_estimators.nas import (
    INSTALL_HINT,
    Architecture,
    Block,
    NeuralClassifier,
    NeuralRegressor,
    default_architecture,
)
from automl_estimators.pipelines.instantiation import make_component
from automl_estimators.pipelines.preprocessing import column_preprocessor
from automl_estimators.spaces.declarations import hp_key
from automl_estimators.spaces.neural import NEURAL_COMPONENTS
from tests.conftest import load

# Small and fast, yet enough epochs to pass sklearn's accuracy checks.
TINY = {"n_cells": 1, "n_blocks": 1, "width": 8, "max_epochs": 30, "batch_size": 32,
        "learning_rate": 1e-2, "patience": 5, "random_state": 0}


# float32 matrix products round a row's output differently with the size of the batch it
# is in (by ~1e-7 here, CPU-dependent), below any score's resolution but above the check's
# atol=1e-7.
BATCH_ROUNDING = {"check_methods_subset_invariance":
                  "float32 matrix products round by ~1e-7 with the batch's size"}


@parametrize_with_checks([NeuralClassifier(**TINY), NeuralRegressor(**TINY)],
                         expected_failed_checks=lambda estimator: BATCH_ROUNDING)
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


# ------------------------------------------------------ categorical embeddings
def coded_data(n_rows=300, n_levels=20, seed=0):
    """Columns: a noise number, a code of ``n_levels`` levels that sets the target, a
    3-level code; classes and targets are a fixed random function of the level."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, n_levels, n_rows)
    X = np.column_stack([rng.normal(size=n_rows), level, rng.integers(0, 3, n_rows)])
    lookup = np.random.default_rng(seed + 1)
    return X.astype(float), lookup.integers(0, 3, n_levels)[level], lookup.normal(
        size=n_levels)[level]


@pytest.mark.parametrize("categorical_features", [[1, 2], [-2, -1], [False, True, True]])
def test_categorical_columns_are_embedded_not_standardised(categorical_features):
    pytest.importorskip("torch")
    X, y, _ = coded_data()
    model = NeuralClassifier(**TINY).set_params(width=16, categorical_features=categorical_features)
    model.fit(X, y)
    assert model.is_categorical_.tolist() == [False, True, True]
    assert [c.tolist() for c in model.categories_] == [list(range(20)), [0, 1, 2]]
    # one row per category seen plus the unknown one; fastai's sizes (9 and 3 here)
    sizes = [(e.num_embeddings, e.embedding_dim) for e in model.module_.embeddings]
    assert sizes == [(21, 9), (4, 3)]
    assert model.module_.stem[0].in_features == 1 + 9 + 3
    assert model.x_mean_[1:].tolist() == [0, 0] and model.x_scale_[1:].tolist() == [1, 1]
    assert model.x_mean_[0] != 0


def test_embedding_dim_sets_every_size_and_auto_is_capped_by_width():
    pytest.importorskip("torch")
    X, y, _ = coded_data()
    fixed = NeuralClassifier(**TINY).set_params(categorical_features=[1, 2], embedding_dim=5)
    sizes = [e.embedding_dim for e in fixed.fit(X, y).module_.embeddings]
    assert sizes == [5, 5]
    narrow = NeuralClassifier(**TINY).set_params(categorical_features=[1, 2], width=4)
    assert [e.embedding_dim for e in narrow.fit(X, y).module_.embeddings] == [4, 3]


def test_categorical_columns_can_be_named_in_a_dataframe():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("torch")
    X, y, _ = coded_data()
    frame = pd.DataFrame(X, columns=["noise", "level", "size"])
    model = NeuralClassifier(**TINY).set_params(categorical_features=["level"]).fit(frame, y)
    assert model.is_categorical_.tolist() == [False, True, False]
    assert len(model.module_.embeddings) == 1


@pytest.mark.parametrize("Estimator, score", [(NeuralClassifier, 0.9), (NeuralRegressor, 0.9)])
def test_embeddings_learn_a_target_set_by_a_20_level_category(Estimator, score):
    pytest.importorskip("torch")
    X, y_class, y_value = coded_data(n_rows=400)
    y = y_class if Estimator is NeuralClassifier else y_value
    model = Estimator(**TINY).set_params(width=16, categorical_features=[1, 2])
    model.fit(X[:300], y[:300])
    # chance is about 0.4 (the largest class) or an R^2 of 0
    assert model.score(X[300:], y[300:]) > score


def test_unknown_codes_share_the_unknown_embedding():
    pytest.importorskip("torch")
    X, y, _ = coded_data()
    keep = X[:, 1] % 2 == 0  # odd levels never seen at fit
    model = NeuralClassifier(**TINY).set_params(categorical_features=[1, 2]).fit(X[keep], y[keep])
    assert model.categories_[0].tolist() == list(range(0, 20, 2))
    # -1 is OrdinalEncoder's unknown_value; 20 and 1e9 are past the fitted codes
    unknown = np.array([[0.3, code, 1.0] for code in (-1, np.nan, 3, 20, 1e9, -7)])
    proba = model.predict_proba(unknown)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba, np.repeat(proba[:1], len(unknown), axis=0), rtol=1e-6)
    assert not np.allclose(model.predict_proba([[0.3, 2.0, 1.0]]), proba[:1])


def test_missing_codes_at_fit_train_the_unknown_embedding():
    pytest.importorskip("torch")
    X, y, _ = coded_data()
    X[::10, 2] = np.nan  # NaN is allowed in categorical columns only
    X[1::10, 2] = -1
    model = NeuralRegressor(**TINY).set_params(categorical_features=[2]).fit(X, y)
    assert model.categories_[0].tolist() == [0, 1, 2]
    assert np.isfinite(model.predict(X)).all()


def test_pickle_and_clone_keep_categorical_settings():
    pytest.importorskip("torch")
    X, y, _ = coded_data()
    model = NeuralClassifier(**TINY).set_params(categorical_features=[1], embedding_dim=3)
    assert clone(model).get_params() == model.get_params()
    model.fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    assert [e.embedding_dim for e in again.module_.embeddings] == [3]
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("params, change, message", [
    ({"categorical_features": [3]}, None,
     r"integer indices must be in \[-n_features, n_features - 1\] = \[-3, 2\], got \[3\]"),
    ({"categorical_features": [-4, 1]}, None, r"got \[-4\]"),
    ({"categorical_features": [True, False]}, None,
     r"boolean mask must have shape \(n_features,\) = \(3,\), got: \(2,\)"),
    ({"categorical_features": [1.0]}, None, "array-like of bool, int or str, got: float64"),
    ({"categorical_features": [[1]]}, None, "1-dimensional"),
    ({"categorical_features": ["level"]}, None, "data without feature names"),
    ({"categorical_features": [1]}, (1, 2.5), "holds 2.5, which is not an integer category code"),
    ({"categorical_features": [1]}, (0, np.nan), "Input X contains NaN"),
    ({"categorical_features": [1]}, (1, np.inf), "Input X contains infinity"),
    ({"embedding_dim": 0}, None, "'embedding_dim' parameter"),
    ({"embedding_dim": "fastai"}, None, "'embedding_dim' parameter"),
])
def test_bad_categorical_input_is_refused(params, change, message):
    pytest.importorskip("torch")
    X, y, _ = coded_data(n_rows=40)
    if change is not None:
        column, value = change
        X[5, column] = value
    with pytest.raises(ValueError, match=message):
        NeuralClassifier(**TINY).set_params(**params).fit(X, y)


def test_non_integer_codes_are_refused_at_predict_too():
    pytest.importorskip("torch")
    X, y, _ = coded_data(n_rows=40)
    model = NeuralClassifier(**TINY).set_params(categorical_features=[1], max_epochs=1)
    model.fit(X, y)
    with pytest.raises(ValueError, match=r"Categorical column 1 holds 0.5"):
        model.predict([[0.0, 0.5, 1.0]])


def test_categorical_features_with_images_are_refused():
    pytest.importorskip("torch")
    X = np.random.default_rng(0).integers(0, 3, size=(10, 4)).astype(float)
    model = NeuralClassifier(**TINY).set_params(image_shape=(2, 2), categorical_features=[0])
    with pytest.raises(ValueError, match="categorical_features cannot be used with image_shape"):
        model.fit(X, np.arange(10) % 2)


def test_fits_behind_the_column_preprocessing():
    """The declared neural component, fitted behind the package's column preprocessing:
    mixed numeric and categorical columns, as a search pipeline gives them."""
    pytest.importorskip("torch")
    X, y = load("credit-g", 200)
    X = data.check_X(X)
    y, _ = data.check_y_classification(X, y, "test")
    profile = data.profile(X, y, "classification")
    assert profile.categorical
    component = NEURAL_COMPONENTS[0]
    pipeline = Pipeline([
        ("preprocess", column_preprocessor(
            profile, imputer=SimpleImputer(), scaler=StandardScaler(),
            encoder=OneHotEncoder(handle_unknown="ignore", sparse_output=False))),
        ("model", make_component(component, {hp_key(component, "max_epochs"): 10},
                                 random_state=0)),
    ])
    proba = pipeline.fit(X, y).predict_proba(X)
    assert proba.shape == (200, 2) and np.isfinite(proba).all()


# ------------------------------------------------------------ 1-D signals
def motif_signals(n_rows, length=40, seed=0):
    """Noisy signals holding one motif at a random step: a rising edge (class 1) or a
    falling one (class 0). Both motifs sum to 0 and have the same energy, so neither
    the signal's mean nor its spread tells the classes apart, nor does any one step:
    a shift-invariant task that a pooled convolution reads at once."""
    rng = np.random.default_rng(seed)
    motif = np.array([-1.5, -1.5, -1.5, 1.5, 1.5, 1.5])
    y = rng.integers(0, 2, n_rows)
    X = rng.normal(scale=0.5, size=(n_rows, length))
    for row, start in enumerate(rng.integers(0, length - len(motif) + 1, n_rows)):
        X[row, start:start + len(motif)] += motif if y[row] else -motif
    return X, y


SIGNAL_TINY = {**TINY, "n_blocks": 2, "max_epochs": 5}


@pytest.mark.parametrize("image_shape, n_columns, channels", [
    ((40,), 40, 1), ((1, 40, 3), 120, 3), ((40, 1), 40, 1)])
@pytest.mark.parametrize("Estimator", [NeuralClassifier, NeuralRegressor])
def test_signal_networks_train_and_predict_the_right_shapes(image_shape, n_columns, channels,
                                                            Estimator):
    pytest.importorskip("torch")
    from automl_estimators.nas.network import SignalNetwork

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, n_columns)) * 10 + 5  # unscaled: standardised per channel
    y = np.arange(30) % 3
    model = Estimator(**SIGNAL_TINY).set_params(image_shape=image_shape).fit(X, y)
    assert isinstance(model.module_, SignalNetwork)
    assert model.architecture_ == default_architecture("signal", 2)
    assert model.network_spec_.n_reductions == 2  # 40 -> 20 -> 10 steps
    assert model.x_mean_.shape == (n_columns,)
    # one mean per channel, repeated along the steps (channels last)
    np.testing.assert_array_equal(model.x_mean_, np.tile(model.x_mean_[:channels], 40))
    if Estimator is NeuralClassifier:
        assert model.predict_proba(X[:7]).shape == (7, 3)
    assert model.predict(X[:7]).shape == (7,)


def test_a_signal_network_learns_a_shift_invariant_motif():
    pytest.importorskip("torch")
    X, y = motif_signals(300)
    model = NeuralClassifier(image_shape=(40,), n_cells=1, n_blocks=2, width=8, max_epochs=10,
                             batch_size=32, learning_rate=1e-2, random_state=0)
    model.fit(X[:200], y[:200])
    # chance is 0.5; the tabular network of the same size scored 0.49-0.63 (4 seeds)
    assert model.score(X[200:], y[200:]) >= 0.9


def test_a_signal_architecture_is_used_and_its_kind_checked():
    pytest.importorskip("torch")
    arch = Architecture("signal", (Block((0, 1), ("dil_conv_5", "sep_conv_7")),),
                        (Block((0, 1), ("max_pool_3", "avg_pool_3")),))
    X, y = motif_signals(30)
    model = NeuralClassifier(**TINY).set_params(image_shape=(1, 40), architecture=arch)
    assert model.fit(X, y).architecture_ is arch
    seeded = NeuralClassifier(**TINY).set_params(image_shape=(40,), architecture_seed=3)
    assert seeded.fit(X, y).architecture_.kind == "signal"


@pytest.mark.parametrize("params, n_columns, message", [
    ({"architecture": default_architecture("signal")}, 40, "kind 'signal' but image_shape=None"),
    ({"image_shape": (40,), "architecture": default_architecture("image")}, 40,
     r"kind 'image' but image_shape=\(40,\) asks for 'signal'"),
    ({"image_shape": (8, 8), "architecture": default_architecture("signal")}, 64,
     "asks for 'image'"),
    ({"image_shape": (1, 40, 3)}, 40, "holds 120 values but X has 40 columns"),
    ({"image_shape": (0,)}, 40, r"\(length,\) or \(1, length, channels\) for signals"),
    ({"image_shape": (40.0,)}, 40, "positive integers"),
    ({"image_shape": (40,), "categorical_features": [0]}, 40,
     "categorical_features cannot be used with image_shape"),
])
def test_inconsistent_signal_settings_are_refused(params, n_columns, message):
    pytest.importorskip("torch")
    X = np.zeros((10, n_columns))
    with pytest.raises(ValueError, match=message):
        NeuralClassifier(**TINY).set_params(**params).fit(X, np.arange(10) % 2)


def test_pickle_round_trip_of_a_signal_network_keeps_predictions():
    pytest.importorskip("torch")
    X, y = motif_signals(60)
    X3 = np.repeat(X, 3, axis=1)  # (1, 40, 3): every step's value in 3 channels
    model = NeuralClassifier(**SIGNAL_TINY).set_params(image_shape=(1, 40, 3),
                                                       activation="gelu").fit(X3, y)
    again = pickle.loads(pickle.dumps(model))
    assert type(again.module_) is type(model.module_)
    assert again.n_parameters_ == model.n_parameters_
    np.testing.assert_array_equal(again.predict_proba(X3), model.predict_proba(X3))


# ------------------------------------------------------------- the recipe
RECIPE_DEFAULTS = {"activation": "relu", "optimizer": "adamw", "lr_schedule": "cosine"}
RECIPE_VALUES = [("activation", value) for value in ("relu", "gelu", "silu", "tanh")] + [
    ("optimizer", value) for value in ("adamw", "sgd", "nadam", "rmsprop")] + [
    ("lr_schedule", value) for value in ("cosine", "one_cycle", "constant")]


@pytest.fixture(scope="module")
def small_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("name, value", RECIPE_VALUES)
def test_every_recipe_value_trains_and_is_reproducible(small_problem, name, value):
    pytest.importorskip("torch")
    X, y = small_problem
    params = {**TINY, "max_epochs": 3, name: value}
    first = NeuralClassifier(**params).fit(X, y)
    proba = first.predict_proba(X)
    assert np.isfinite(proba).all() and np.isfinite(first.loss_curve_).all()
    np.testing.assert_array_equal(NeuralClassifier(**params).fit(X, y).predict_proba(X), proba)
    default = NeuralClassifier(**{**params, name: RECIPE_DEFAULTS[name]}).fit(X, y)
    # a value other than the default changes the training (so it is used)
    assert np.array_equal(default.predict_proba(X), proba) == (value == RECIPE_DEFAULTS[name])


@pytest.mark.parametrize("image_shape, n_columns", [(None, 4), ((2, 2), 4), ((4,), 4)])
def test_defaults_train_as_before_the_recipe_was_a_parameter(small_problem, image_shape,
                                                            n_columns):
    """The defaults are the recipe of before: ReLU, AdamW, cosine."""
    pytest.importorskip("torch")
    X, y = small_problem
    params = {**TINY, "max_epochs": 3, "image_shape": image_shape}
    implicit = NeuralRegressor(**params).fit(X, y)
    explicit = NeuralRegressor(**params, **RECIPE_DEFAULTS).fit(X, y)
    assert implicit.get_params() == explicit.get_params()
    np.testing.assert_array_equal(implicit.predict(X), explicit.predict(X))
    assert implicit.loss_curve_ == explicit.loss_curve_


@pytest.mark.parametrize("name, value", [
    ("activation", "elu"), ("activation", "ReLU"), ("optimizer", "adam"),
    ("lr_schedule", None), ("lr_schedule", "step")])
def test_unknown_recipe_values_are_refused(small_problem, name, value):
    X, y = small_problem
    message = f"The '{name}' parameter of NeuralClassifier must be a str among"
    with pytest.raises(ValueError, match=message):
        NeuralClassifier(**TINY).set_params(**{name: value}).fit(X, y)


def test_recipe_parameters_clone_and_pickle(small_problem):
    pytest.importorskip("torch")
    X, y = small_problem
    model = NeuralClassifier(**TINY, activation="silu", optimizer="nadam",
                             lr_schedule="one_cycle")
    assert {k: model.get_params()[k] for k in RECIPE_DEFAULTS} == {
        "activation": "silu", "optimizer": "nadam", "lr_schedule": "one_cycle"}
    assert clone(model).get_params() == model.get_params()
    model.set_params(max_epochs=3).fit(X, y)
    assert model.network_spec_.activation == "silu"
    again = pickle.loads(pickle.dumps(model))
    assert again.get_params() == model.get_params()
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("image_shape, n_columns", [(None, 4), ((2, 2), 4), ((4,), 4)])
def test_n_parameters_counts_the_trainable_weights(small_problem, image_shape, n_columns):
    pytest.importorskip("torch")
    X, y = small_problem
    model = NeuralClassifier(**TINY, image_shape=image_shape).set_params(max_epochs=1).fit(X, y)
    assert model.n_parameters_ == sum(p.numel() for p in model.module_.parameters()) > 0
    assert isinstance(model.n_parameters_, int)
    wider = NeuralClassifier(**TINY, image_shape=image_shape).set_params(max_epochs=1, width=16)
    assert wider.fit(X, y).n_parameters_ > model.n_parameters_
