"""Networks built from architectures: output shapes for tabular, image and signal
input, every operation of every kind, activations, embeddings of categorical columns."""

import random

import pytest

from automl_estimators.spaces.architecture import (
    IMAGE,
    IMAGE_OPS,
    SIGNAL,
    SIGNAL_OPS,
    TABULAR,
    TABULAR_OPS,
    default_architecture,
    sample_architecture,
)
from automl_estimators.spaces.recipe import ACTIVATIONS

torch = pytest.importorskip("torch")
from automl_estimators.nas.network import (
    NetworkSpec,
    SignalNetwork,
    build_network,
    count_parameters,
    embedding_size,
    make_operation,
)


def forward(spec, n_rows=4):
    network = build_network(spec).eval()
    with torch.no_grad():
        return network(torch.randn(n_rows, spec.n_inputs))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_cells", [1, 3])
def test_tabular_networks_map_rows_to_outputs(seed, n_cells):
    arch = sample_architecture(random.Random(seed), TABULAR, n_blocks=4)
    out = forward(NetworkSpec(arch, n_inputs=7, n_outputs=3, n_cells=n_cells, width=16))
    assert out.shape == (4, 3) and torch.isfinite(out).all()


@pytest.mark.parametrize("image_shape, reductions", [((8, 8), 2), ((28, 28, 1), 2),
                                                     ((5, 7, 3), 1), ((2, 2), 0)])
@pytest.mark.parametrize("seed", range(3))
def test_image_networks_map_flat_pixels_to_outputs(image_shape, reductions, seed):
    arch = sample_architecture(random.Random(seed), IMAGE, n_blocks=3)
    n_inputs = 1
    for size in image_shape:
        n_inputs *= size
    spec = NetworkSpec(arch, n_inputs=n_inputs, n_outputs=10, n_cells=1, width=4,
                       image_shape=image_shape)
    assert spec.n_reductions == reductions
    out = forward(spec, n_rows=2)
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_default_image_network_trains_a_step():
    spec = NetworkSpec(default_architecture(IMAGE), 784, 10, n_cells=1, width=4,
                       image_shape=(28, 28, 1))
    network = build_network(spec)
    loss = torch.nn.functional.cross_entropy(network(torch.randn(3, 784)), torch.tensor([0, 1, 2]))
    loss.backward()
    assert all(p.grad is not None for p in network.parameters())


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("name", TABULAR_OPS)
def test_every_tabular_operation_keeps_the_width(name, activation):
    op = make_operation(TABULAR, name, 6, activation=activation).eval()
    assert op(torch.randn(3, 6)).shape == (3, 6)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("size", [7, 8])
def test_every_image_operation_keeps_or_halves_the_resolution(name, size, activation):
    x = torch.randn(2, 4, size, size)
    assert make_operation(IMAGE, name, 4, 1, activation)(x).shape == (2, 4, size, size)
    half = (size + 1) // 2
    assert make_operation(IMAGE, name, 4, 2, activation)(x).shape == (2, 4, half, half)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("name", SIGNAL_OPS)
@pytest.mark.parametrize("length", [7, 8])
def test_every_signal_operation_keeps_or_halves_the_length(name, length, activation):
    x = torch.randn(2, 4, length)
    assert make_operation(SIGNAL, name, 4, 1, activation)(x).shape == (2, 4, length)
    half = (length + 1) // 2
    assert make_operation(SIGNAL, name, 4, 2, activation)(x).shape == (2, 4, half)


def test_signal_operations_are_one_dimensional_twins_of_the_image_ones():
    conv1d = [m for m in make_operation(SIGNAL, "sep_conv_7", 4).modules()
              if isinstance(m, torch.nn.Conv1d)]
    assert [m.kernel_size for m in conv1d] == [(7,), (1,), (7,), (1,)]
    dilated = make_operation(SIGNAL, "dil_conv_5", 4)[1]
    assert (dilated.kernel_size, dilated.dilation, dilated.groups) == ((5,), (2,), 4)
    assert isinstance(make_operation(SIGNAL, "max_pool_3", 4), torch.nn.MaxPool1d)
    reduce = make_operation(SIGNAL, "identity", 4, stride=2)
    assert isinstance(reduce.bn, torch.nn.BatchNorm1d)
    assert not any(isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d))
                   for name in SIGNAL_OPS for stride in (1, 2)
                   for m in make_operation(SIGNAL, name, 4, stride).modules())


@pytest.mark.parametrize("activation, module", [
    ("relu", torch.nn.ReLU), ("gelu", torch.nn.GELU), ("silu", torch.nn.SiLU),
    ("tanh", torch.nn.Tanh)])
def test_the_activation_is_the_nonlinearity_of_convolutions_and_hidden_layers(activation, module):
    def nonlinearities(op):
        return {type(m) for m in op.modules()
                if isinstance(m, (torch.nn.ReLU, torch.nn.GELU, torch.nn.SiLU, torch.nn.Tanh))}

    for kind, name, stride in [(IMAGE, "sep_conv_3x3", 1), (IMAGE, "dil_conv_5x5", 2),
                               (IMAGE, "identity", 2), (SIGNAL, "sep_conv_5", 2),
                               (SIGNAL, "identity", 2), (TABULAR, "dense_relu_wide", 1),
                               (TABULAR, "dense_relu_narrow", 1)]:
        assert nonlinearities(make_operation(kind, name, 4, stride, activation)) == {module}
    # a dense_<name> operation keeps the nonlinearity it names
    assert nonlinearities(make_operation(TABULAR, "dense_tanh", 4, activation=activation)) == {
        torch.nn.Tanh}
    for kind in (TABULAR, IMAGE, SIGNAL):
        spec = NetworkSpec(default_architecture(kind, 1), 8, 2, n_cells=1, width=4,
                           image_shape=None if kind == TABULAR else {IMAGE: (2, 4),
                                                                     SIGNAL: (8,)}[kind],
                           activation=activation)
        network = build_network(spec)
        assert nonlinearities(network) == {module}
        assert isinstance(network.head[0], module)


@pytest.mark.parametrize("kind, name, stride, activation, message", [
    ("graph", "identity", 1, "relu", "kind must be one of"),
    (IMAGE, "sep_conv_3", 1, "relu",
     r"Unknown image operation 'sep_conv_3'; the image operations are \('identity'"),
    (SIGNAL, "sep_conv_3x3", 1, "relu", "Unknown signal operation 'sep_conv_3x3'"),
    (TABULAR, "dense_relu", 2, "relu", "stride of tabular operations must be 1, got 2"),
    (IMAGE, "identity", 3, "relu", "stride of image operations must be 1 or 2, got 3"),
    (SIGNAL, "identity", 1, "elu", "activation must be one of"),
])
def test_make_operation_refuses_what_it_cannot_build(kind, name, stride, activation, message):
    with pytest.raises(ValueError, match=message):
        make_operation(kind, name, 4, stride, activation)


@pytest.mark.parametrize("image_shape, length, channels, reductions", [
    ((40,), 40, 1, 2), ((1, 40, 3), 40, 3, 2), ((40, 1), 40, 1, 2), ((1, 5, 2), 5, 2, 1),
    ((3,), 3, 1, 0), ((1, 2, 4), 2, 4, 0)])
@pytest.mark.parametrize("seed", range(3))
def test_signal_networks_map_flat_steps_to_outputs(image_shape, length, channels, reductions,
                                                   seed):
    arch = sample_architecture(random.Random(seed), SIGNAL, n_blocks=3)
    spec = NetworkSpec(arch, n_inputs=length * channels, n_outputs=5, n_cells=1, width=4,
                       image_shape=image_shape)
    assert spec.n_reductions == reductions
    network = build_network(spec)
    assert isinstance(network, SignalNetwork) and network.signal_layout == (length, channels)
    out = forward(spec, n_rows=3)
    assert out.shape == (3, 5) and torch.isfinite(out).all()
    # each reduction halves the length (rounding up) and doubles the channels
    steps = length
    for _ in range(reductions):
        steps = (steps + 1) // 2
    assert network.head[-1].in_features == 4 * 2 ** reductions * network.cells[-1].multiplier
    with torch.no_grad():
        features = network.stem(network.to_channels_first(torch.randn(2, length * channels)))
        s0 = s1 = features
        for cell in network.cells:
            s0, s1 = s1, cell(s0, s1)
    assert s1.shape[-1] == steps


def test_signal_rows_are_read_channels_last():
    spec = NetworkSpec(default_architecture(SIGNAL, 1), n_inputs=6, n_outputs=1, n_cells=1,
                       width=2, image_shape=(1, 3, 2))
    network = build_network(spec)
    rows = torch.arange(12.0).reshape(2, 6)  # step t, channel c at column 2 t + c
    as_signal = network.to_channels_first(rows)
    assert as_signal.shape == (2, 2, 3)
    assert as_signal[0].tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]


def test_default_signal_network_trains_a_step():
    spec = NetworkSpec(default_architecture(SIGNAL), 40 * 3, 4, n_cells=1, width=4,
                       image_shape=(1, 40, 3), activation="silu")
    network = build_network(spec)
    loss = torch.nn.functional.cross_entropy(network(torch.randn(3, 120)),
                                             torch.tensor([0, 1, 2]))
    loss.backward()
    assert all(p.grad is not None for p in network.parameters())


def test_count_parameters_counts_the_trainable_elements():
    spec = NetworkSpec(default_architecture(SIGNAL, 2), 40, 3, n_cells=1, width=4,
                       image_shape=(40,))
    network = build_network(spec)
    total = sum(p.numel() for p in network.parameters())
    assert count_parameters(network) == total > 0
    network.head[-1].weight.requires_grad_(False)
    assert count_parameters(network) == total - network.head[-1].weight.numel()


def test_specs_refuse_inconsistent_shapes():
    with pytest.raises(ValueError, match="needs image_shape"):
        NetworkSpec(default_architecture(IMAGE), 64, 2, 1, 4)
    with pytest.raises(ValueError, match="tabular architecture"):
        NetworkSpec(default_architecture(TABULAR), 64, 2, 1, 4, image_shape=(8, 8))
    with pytest.raises(ValueError, match=r"e.g. \(40,\) or \(1, 40, 3\)"):
        NetworkSpec(default_architecture(SIGNAL), 40, 2, 1, 4)
    with pytest.raises(ValueError, match="describes signal rows, but the architecture is of "
                                         "kind 'image'"):
        NetworkSpec(default_architecture(IMAGE), 40, 2, 1, 4, image_shape=(1, 40))
    with pytest.raises(ValueError, match="describes image rows"):
        NetworkSpec(default_architecture(SIGNAL), 64, 2, 1, 4, image_shape=(8, 8))
    with pytest.raises(ValueError, match="holds 120 values but X has 40 columns"):
        NetworkSpec(default_architecture(SIGNAL), 40, 2, 1, 4, image_shape=(1, 40, 3))
    with pytest.raises(ValueError, match="embedded by tabular networks only"):
        NetworkSpec(default_architecture(SIGNAL), 40, 2, 1, 4, image_shape=(40,),
                    cardinalities=(3,), embedding_dims=(2,))
    with pytest.raises(ValueError, match="activation must be one of"):
        NetworkSpec(default_architecture(TABULAR), 4, 2, 1, 4, activation="ReLU")
    with pytest.raises(ValueError, match="holds 64 values"):
        NetworkSpec(default_architecture(IMAGE), 60, 2, 1, 4, image_shape=(8, 8))
    with pytest.raises(ValueError, match="embedded by tabular networks only"):
        NetworkSpec(default_architecture(IMAGE), 64, 2, 1, 4, image_shape=(8, 8),
                    cardinalities=(3,), embedding_dims=(2,))
    with pytest.raises(ValueError, match="one size per column"):
        NetworkSpec(default_architecture(TABULAR), 4, 2, 1, 4, cardinalities=(3, 5),
                    embedding_dims=(2,))


def test_categorical_columns_go_through_their_embeddings():
    spec = NetworkSpec(default_architecture(TABULAR), n_inputs=4, n_outputs=2, n_cells=1,
                       width=8, cardinalities=(3, 6), embedding_dims=(2, 5))
    network = build_network(spec).eval()
    assert spec.n_numeric == 2
    assert [(e.num_embeddings, e.embedding_dim) for e in network.embeddings] == [(3, 2), (6, 5)]
    assert network.stem[0].in_features == 2 + 2 + 5
    # the unknown category (index 0) starts at the origin, the others at random
    assert all(not e.weight[0].any() and e.weight[1:].all() for e in network.embeddings)
    x = torch.tensor([[0.5, -1.0, 0.0, 5.0], [0.5, -1.0, 2.0, 1.0]])
    with torch.no_grad():
        out = network(x)
        again = network(torch.tensor([[0.5, -1.0, 2.0, 1.0]]))
    assert out.shape == (2, 2) and not torch.allclose(out[0], out[1])
    torch.testing.assert_close(out[1:], again)


def test_only_categorical_columns():
    spec = NetworkSpec(default_architecture(TABULAR), n_inputs=1, n_outputs=1, n_cells=1,
                       width=4, cardinalities=(4,), embedding_dims=(3,))
    with torch.no_grad():
        assert build_network(spec).eval()(torch.tensor([[0.0], [3.0]])).shape == (2, 1)


@pytest.mark.parametrize("n_categories, width, size", [
    (2, 64, 1), (3, 64, 2), (4, 64, 3), (21, 64, 9), (21, 4, 4), (1001, 64, 64),
    (1001, 1000, 77), (10**7, 10**4, 600)])
def test_embedding_sizes_follow_fastai_capped_by_categories_and_width(n_categories, width, size):
    assert embedding_size(n_categories, width) == size
