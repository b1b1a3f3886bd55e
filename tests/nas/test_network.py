"""Networks built from architectures: output shapes for tabular and image input,
embeddings of categorical columns."""

import random

import pytest

from automl_estimators.spaces.architecture import (
    IMAGE,
    IMAGE_OPS,
    TABULAR,
    TABULAR_OPS,
    default_architecture,
    sample_architecture,
)

torch = pytest.importorskip("torch")
from automl_estimators.nas.network import (
    NetworkSpec,
    build_network,
    embedding_size,
    image_op,
    tabular_op,
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


@pytest.mark.parametrize("name", TABULAR_OPS)
def test_every_tabular_operation_keeps_the_width(name):
    assert tabular_op(name, 6).eval()(torch.randn(3, 6)).shape == (3, 6)


@pytest.mark.parametrize("name", IMAGE_OPS)
@pytest.mark.parametrize("size", [7, 8])
def test_every_image_operation_keeps_or_halves_the_resolution(name, size):
    x = torch.randn(2, 4, size, size)
    assert image_op(name, 4, stride=1)(x).shape == (2, 4, size, size)
    half = (size + 1) // 2
    assert image_op(name, 4, stride=2)(x).shape == (2, 4, half, half)


def test_specs_refuse_inconsistent_shapes():
    with pytest.raises(ValueError, match="needs image_shape"):
        NetworkSpec(default_architecture(IMAGE), 64, 2, 1, 4)
    with pytest.raises(ValueError, match="tabular architecture"):
        NetworkSpec(default_architecture(TABULAR), 64, 2, 1, 4, image_shape=(8, 8))
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
