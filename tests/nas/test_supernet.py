"""One-shot search: the supernet, DARTS, ENAS, the collapse guards, and the estimators' search."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.utils._param_validation import InvalidParameterError

from automl_estimators.nas import NeuralClassifier, NeuralRegressor, torch_available
from automl_estimators.spaces.architecture import (
    IMAGE_OPS,
    TABULAR,
    TABULAR_OPS,
    Architecture,
    Block,
    default_architecture,
    sample_architecture,
)

pytestmark = pytest.mark.skipif(not torch_available(), reason="torch is not installed")

if torch_available():
    import torch

    from automl_estimators.nas import supernet as one_shot
    from automl_estimators.nas.network import NetworkSpec
    from automl_estimators.nas.supernet import (
        MixedOp,
        OneShotSettings,
        Supernet,
        count_identities,
        derive_cell,
        n_edges,
        search_architecture,
    )
    from automl_estimators.nas.trainer import seeded_torch

CPU = "cpu"


def tabular_spec(n_blocks=2, n_cells=1, width=8, n_inputs=5, n_outputs=2, cardinalities=()):
    return NetworkSpec(default_architecture(TABULAR, n_blocks), n_inputs, n_outputs, n_cells,
                       width, None, cardinalities, tuple(2 for _ in cardinalities))


def image_spec(n_blocks=2, width=4):
    return NetworkSpec(default_architecture("image", n_blocks), 64, 3, 1, width, (8, 8))


def tabular_task(n_rows=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 5)).astype(np.float32)
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def image_task(n_rows=24):
    X, y = load_digits(n_class=3, return_X_y=True)
    X = (X[:n_rows] / 16).astype(np.float32)
    return X, y[:n_rows].astype(np.int64)


def run_search(spec, X, y, seed=0, **settings):
    settings = OneShotSettings(**{"epochs": 2, "batch_size": 16, "seed": seed, **settings})
    with seeded_torch(seed, torch.device(CPU), 1):
        return search_architecture(spec, X, y, torch.nn.CrossEntropyLoss(), settings,
                                   torch.device(CPU), classification=True)


def assert_valid(arch, kind, n_blocks):
    assert isinstance(arch, Architecture) and arch.kind == kind
    assert arch.n_blocks == n_blocks  # Architecture checks inputs and operations itself
    for _, blocks in arch.cells:
        for index, block in enumerate(blocks):
            assert max(block.inputs) < 2 + index


# ------------------------------------------------------------- supernet
def test_tabular_supernet_outputs_one_row_per_input_with_and_without_a_child():
    spec = tabular_spec(n_blocks=3, n_cells=2, n_inputs=6, n_outputs=4, cardinalities=(3, 5))
    net = Supernet(spec)
    assert set(net.alphas) == {"normal"}
    assert net.alphas["normal"].shape == (n_edges(3), len(TABULAR_OPS)) == (9, 11)
    X = torch.tensor(np.column_stack([np.random.default_rng(0).normal(size=(7, 4)),
                                      [0, 1, 2, 1, 0, 2, 1], [4, 3, 2, 1, 0, 0, 1]]),
                     dtype=torch.float32)
    assert net(X).shape == (7, 4)
    child = sample_architecture(np.random.default_rng(0), TABULAR, 3)
    assert net(X, child).shape == (7, 4)


def test_image_supernet_outputs_and_reduction_alphas():
    net = Supernet(image_spec(n_blocks=2))
    assert set(net.alphas) == {"normal", "reduction"}
    assert net.alphas["reduction"].shape == (5, len(IMAGE_OPS))
    assert any(net.reductions)  # 8x8 pixels: one reduction cell
    X = torch.rand(3, 64)
    assert net(X).shape == (3, 3)
    child = sample_architecture(np.random.default_rng(1), "image", 2)
    assert net(X, child).shape == (3, 3)


@pytest.mark.parametrize("shape", [(40,), (1, 20, 3)])
@pytest.mark.parametrize("partial_channels", [1, 2])
def test_signal_supernet_outputs_with_and_without_a_child(shape, partial_channels):
    n_inputs = int(np.prod(shape))
    spec = NetworkSpec(default_architecture("signal", 2), n_inputs, 3, 1, 4, shape)
    net = Supernet(spec, partial_channels)
    assert set(net.alphas) == {"normal", "reduction"} and any(net.reductions)
    X = torch.rand(5, n_inputs)
    assert net(X).shape == (5, 3)
    child = sample_architecture(np.random.default_rng(2), "signal", 2)
    assert net(X, child).shape == (5, 3)


def test_darts_on_a_signal_derives_a_signal_cell():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 20)).astype(np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(np.int64)
    spec = NetworkSpec(default_architecture("signal", 2), 20, 2, 1, 4, (20,))
    assert_valid(run_search(spec, X, y).architecture, "signal", 2)


def test_partial_channels_keep_shapes_and_shrink_the_mixed_operations():
    full, partial = Supernet(image_spec(width=8)), Supernet(image_spec(width=8), 4)
    X = torch.rand(2, 64)
    assert partial(X).shape == full(X).shape == (2, 3)

    def mixed_parameters(net):
        return sum(p.numel() for m in net.modules() if isinstance(m, MixedOp)
                   for p in m.parameters())

    # PC-DARTS's point: the mixed operations hold K times fewer channels; measured
    # here as parameters (their activations shrink the same way)
    assert mixed_parameters(partial) < mixed_parameters(full) / 3
    with pytest.raises(ValueError, match="must divide"):
        Supernet(image_spec(width=6), 4)
    assert OneShotSettings(method="pc_darts").channel_fraction(6) == 2
    assert OneShotSettings(method="darts").channel_fraction(8) == 1


def test_identity_dropout_acts_in_training_only():
    edge = MixedOp(TABULAR, 16)
    index = TABULAR_OPS.index("identity")
    x = torch.ones(50, 16)
    edge.identity_dropout = 0.5
    edge.train()
    assert (edge(x, index=index) == 0).any()
    assert not (edge(x, index=TABULAR_OPS.index("layer_norm")) != edge.ops[
        TABULAR_OPS.index("layer_norm")](x)).any()  # other operations untouched
    edge.eval()
    assert torch.equal(edge(x, index=index), x)


def test_derive_takes_the_two_strongest_edges_and_never_zero():
    # node 0 reads states 0, 1; node 1 reads states 0, 1, 2
    weights = np.full((n_edges(2), len(TABULAR_OPS)), 0.01)
    zero, dense, norm = (TABULAR_OPS.index(op) for op in ("zero", "dense_relu", "layer_norm"))
    weights[0, zero] = 0.99  # ignored: "zero" never wins; the edge's best is then 0.02
    weights[0, dense] = 0.02
    weights[1, norm] = 0.5
    weights[2, dense], weights[3, norm], weights[4, dense] = 0.3, 0.1, 0.6
    blocks = derive_cell(weights, 2, TABULAR_OPS)
    assert blocks == (Block((0, 1), ("dense_relu", "layer_norm")),
                      Block((0, 2), ("dense_relu", "dense_relu")))
    assert count_identities(Architecture(TABULAR, blocks)) == 0


# ---------------------------------------------------------------- DARTS
def test_darts_moves_the_alphas_and_derives_a_valid_architecture(monkeypatch):
    X, y = tabular_task()
    built = []
    monkeypatch.setattr(one_shot, "Supernet", lambda *a: built.append(Supernet(*a)) or built[-1])
    result = run_search(tabular_spec(n_blocks=3), X, y, epochs=3, stable_epochs=None,
                        skip_connection_limit=None, alpha_learning_rate=0.05)
    assert result.method == "darts" and result.n_epochs == 3 and result.stopped_by == "epochs"
    assert_valid(result.architecture, TABULAR, 3)
    assert result.architecture == result.derived[-1] == built[0].derive()
    weights = result.operation_weights["normal"]
    assert weights.shape == (9, len(TABULAR_OPS))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-5)
    # the alphas left their near-uniform start
    assert np.abs(weights - 1 / len(TABULAR_OPS)).max() > 1e-3


def test_darts_on_images_derives_normal_and_reduction_cells():
    X, y = image_task()
    result = run_search(image_spec(n_blocks=2), X, y, epochs=1, method="pc_darts",
                        partial_channels=2)
    assert_valid(result.architecture, "image", 2)
    assert set(result.operation_weights) == {"normal", "reduction"}


def test_the_search_is_reproducible_for_a_seed():
    X, y = tabular_task()
    a, b = (run_search(tabular_spec(), X, y, seed=3, epochs=2) for _ in range(2))
    assert a.architecture == b.architecture and a.derived == b.derived
    np.testing.assert_array_equal(a.operation_weights["normal"], b.operation_weights["normal"])
    c = run_search(tabular_spec(), X, y, seed=4, epochs=2)
    assert not np.array_equal(a.operation_weights["normal"], c.operation_weights["normal"])


# ------------------------------------------------------------ the guards
class IdentityBiased(Supernet if torch_available() else object):
    """A supernet whose alphas start on the identity operation (collapsed)."""

    def __init__(self, *args):
        super().__init__(*args)
        with torch.no_grad():
            self.alphas["normal"][:, TABULAR_OPS.index("identity")] = 5.0


def test_darts_plus_stops_when_the_normal_cell_collapses_into_skip_connections(monkeypatch):
    X, y = tabular_task()
    monkeypatch.setattr(one_shot, "Supernet", IdentityBiased)
    result = run_search(tabular_spec(n_blocks=2), X, y, epochs=10, stable_epochs=None)
    assert result.stopped_by == "skip_connections" and result.n_epochs == 1
    assert count_identities(result.architecture) >= 2
    # without the guard the same search runs all its epochs
    unguarded = run_search(tabular_spec(n_blocks=2), X, y, epochs=3, stable_epochs=None,
                           skip_connection_limit=None)
    assert unguarded.stopped_by == "epochs" and unguarded.n_epochs == 3


def test_search_stops_once_the_derived_architecture_is_stable():
    X, y = tabular_task()
    # alphas frozen: the derived architecture never changes
    result = run_search(tabular_spec(), X, y, epochs=10, alpha_learning_rate=0.0,
                        alpha_weight_decay=0.0, stable_epochs=2, skip_connection_limit=None)
    assert result.stopped_by == "stable" and result.n_epochs == 3
    assert len(set(result.derived)) == 1


# ----------------------------------------------------------------- ENAS
def test_enas_trains_its_controller_and_picks_a_valid_child():
    X, y = tabular_task()
    result = run_search(tabular_spec(n_blocks=3), X, y, epochs=3, method="enas",
                        stable_epochs=None, controller_steps=5, n_children=4)
    assert result.stopped_by == "epochs" and len(result.rewards) == 3
    assert all(0 <= reward <= 1 for reward in result.rewards)
    assert_valid(result.architecture, TABULAR, 3)
    probabilities = result.operation_weights["normal"]
    assert probabilities.shape == (6, len(TABULAR_OPS))  # 3 blocks x 2 branches
    # the policy moved from its uniform start
    assert np.abs(probabilities - 1 / len(TABULAR_OPS)).max() > 1e-3
    again = run_search(tabular_spec(n_blocks=3), X, y, epochs=3, method="enas",
                       stable_epochs=None, controller_steps=5, n_children=4)
    assert again.architecture == result.architecture and again.rewards == result.rewards


def test_enas_on_images():
    X, y = image_task()
    result = run_search(image_spec(n_blocks=1), X, y, epochs=1, method="enas",
                        controller_steps=2, n_children=2)
    assert_valid(result.architecture, "image", 1)


@pytest.mark.parametrize("settings, match", [
    ({"method": "nao"}, "method must be one of"), ({"epochs": 0}, "epochs"),
    ({"identity_dropout": 1.0}, "identity_dropout"), ({"partial_channels": 0}, "partial")])
def test_settings_are_checked(settings, match):
    with pytest.raises(ValueError, match=match):
        OneShotSettings(**settings)


# ---------------------------------------------------------- the estimators
SMALL = {"n_cells": 1, "n_blocks": 2, "width": 8, "max_epochs": 2, "batch_size": 16,
         "random_state": 0}


@pytest.mark.parametrize("method", ["darts", "enas"])
def test_classifier_search_then_refit_with_the_found_cells_gives_the_same_model(method):
    X, y = tabular_task(n_rows=48)
    searched = NeuralClassifier(architecture_search=method, **SMALL).fit(X, y)
    assert_valid(searched.architecture_, TABULAR, 2)
    assert searched.network_spec_.architecture == searched.architecture_
    assert searched.search_seconds_ > 0
    assert searched.search_stopped_by_ in ("epochs", "stable", "skip_connections")
    refit = NeuralClassifier(architecture=searched.architecture_, **SMALL).fit(X, y)
    np.testing.assert_array_equal(refit.predict_proba(X), searched.predict_proba(X))
    # and the search itself is repeatable
    again = clone(searched).fit(X, y)
    assert again.architecture_ == searched.architecture_
    np.testing.assert_array_equal(again.predict_proba(X), searched.predict_proba(X))


def test_regressor_search_and_refit():
    X, _ = tabular_task(n_rows=40)
    y = X[:, 0] - 2 * X[:, 1]
    searched = NeuralRegressor(architecture_search="darts", **SMALL).fit(X, y)
    refit = NeuralRegressor(architecture=searched.architecture_, **SMALL).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X), searched.predict(X))


def test_image_classifier_searches_image_cells():
    X, y = image_task(n_rows=30)
    model = NeuralClassifier(architecture_search="pc_darts", image_shape=(8, 8),
                             **{**SMALL, "width": 4, "max_epochs": 1}).fit(X, y)
    assert_valid(model.architecture_, "image", 2)
    assert model.predict(X[:5]).shape == (5,)


def test_max_time_is_shared_between_search_and_training(monkeypatch):
    from automl_estimators.nas import trainer

    seen = {}

    def recording(function, name):
        def wrapper(*args, **kwargs):
            seen[name] = args[4].max_time  # the settings
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(one_shot, "search_architecture",
                        recording(one_shot.search_architecture, "search"))
    monkeypatch.setattr(trainer, "train", recording(trainer.train, "train"))
    X, y = tabular_task()
    model = NeuralClassifier(architecture_search="darts", max_time=30.0, **SMALL).fit(X, y)
    assert seen["search"] == 30.0 * one_shot.SEARCH_TIME_SHARE
    assert seen["train"] == pytest.approx(30.0 - model.search_seconds_)


def test_architecture_and_architecture_search_exclude_each_other():
    X, y = tabular_task()
    with pytest.raises(ValueError, match="architecture and architecture_search"):
        NeuralClassifier(architecture=default_architecture(TABULAR, 2),
                         architecture_search="darts", **SMALL).fit(X, y)
    with pytest.raises(InvalidParameterError, match="architecture_search"):
        NeuralClassifier(architecture_search="random", **SMALL).fit(X, y)


# the estimators' contract holds with a search inside the fit
if torch_available():
    from sklearn.utils.estimator_checks import parametrize_with_checks

    from tests.nas.test_estimators import TINY

    # one of the two estimators (they share the search): the checks fit ~50 times
    @parametrize_with_checks([NeuralClassifier(architecture_search="enas", **TINY)])
    def test_sklearn_contract_with_a_search(estimator, check):
        check(estimator)
