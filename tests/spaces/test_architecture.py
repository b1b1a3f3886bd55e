"""The architecture space: validity, hashing, determinism, mutation and encoding (no torch)."""

import random
from collections import Counter

import numpy as np
import pytest

from automl_estimators.spaces.architecture import (
    CELL_INPUTS,
    IMAGE,
    IMAGE_OPS,
    KINDS,
    OPERATIONS,
    SIGNAL,
    SIGNAL_OPS,
    SPATIAL_KINDS,
    TABULAR,
    TABULAR_OPS,
    Architecture,
    Block,
    cell_outputs,
    default_architecture,
    encode_architecture,
    encoding_length,
    kind_of,
    mutate_architecture,
    sample_architecture,
    signal_layout,
)

SEEDS = range(30)


def samples(kind, n_blocks=3):
    return [sample_architecture(random.Random(seed), kind, n_blocks) for seed in SEEDS]


def branch_changes(before: Architecture, after: Architecture) -> list[tuple]:
    """(old branch, new branch) pairs that differ, over all cells and blocks."""
    changes = []
    for (_, old_blocks), (_, new_blocks) in zip(before.cells, after.cells):
        for old, new in zip(old_blocks, new_blocks):
            removed = Counter(old.branches) - Counter(new.branches)
            added = Counter(new.branches) - Counter(old.branches)
            changes += list(zip(removed.elements(), added.elements()))
            assert sum(removed.values()) == sum(added.values())
    return changes


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_blocks", [1, 3, 5])
def test_samples_are_valid(kind, n_blocks):
    for arch in samples(kind, n_blocks):
        assert arch.kind == kind and arch.n_blocks == n_blocks
        assert bool(arch.reduction) == (kind in SPATIAL_KINDS)
        for _, blocks in arch.cells:
            for index, block in enumerate(blocks):
                assert all(0 <= state < CELL_INPUTS + index for state in block.inputs)
                assert set(block.ops) <= set(OPERATIONS[kind])
        # re-validating through the constructor accepts it unchanged
        assert Architecture(arch.kind, arch.normal, arch.reduction) == arch


@pytest.mark.parametrize("kind", KINDS)
def test_samples_are_hashable_and_written_as_code(kind):
    archs = samples(kind)
    assert len(set(archs)) == len({repr(a) for a in archs})
    assert {a: i for i, a in enumerate(archs)}[archs[0]] == 0
    namespace = {"Architecture": Architecture, "Block": Block}
    for arch in archs:
        assert eval(repr(arch), namespace) == arch  # the repr is code


@pytest.mark.parametrize("make_rng", [random.Random, np.random.default_rng])
@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_architecture(make_rng, kind):
    assert sample_architecture(make_rng(7), kind) == sample_architecture(make_rng(7), kind)
    assert len({sample_architecture(make_rng(seed), kind) for seed in SEEDS}) > 25
    arch = default_architecture(kind)
    assert mutate_architecture(arch, make_rng(3)) == mutate_architecture(arch, make_rng(3))


def test_sampling_rejects_a_seed_instead_of_a_generator():
    with pytest.raises(TypeError, match="random.Random"):
        sample_architecture(0)


@pytest.mark.parametrize("kind", KINDS)
def test_mutation_changes_exactly_one_input_or_operation(kind):
    rng = random.Random(0)
    kinds_of_change = Counter()
    for arch in samples(kind, n_blocks=4):
        for _ in range(10):
            child = mutate_architecture(arch, rng)
            assert child != arch and child.kind == kind and child.n_blocks == arch.n_blocks
            changes = branch_changes(arch, child)
            assert len(changes) == 1, changes
            (old_state, old_op), (new_state, new_op) = changes[0]
            assert (old_state != new_state) + (old_op != new_op) == 1
            kinds_of_change["input" if old_state != new_state else "op"] += 1
            arch = child
    assert kinds_of_change["input"] > 50 and kinds_of_change["op"] > 50


def test_mutation_reaches_both_image_cells():
    arch = default_architecture(IMAGE)
    mutated_cells = set()
    for seed in SEEDS:
        child = mutate_architecture(arch, random.Random(seed))
        mutated_cells |= {name for (name, old), (_, new) in zip(arch.cells, child.cells)
                          if old != new}
    assert mutated_cells == {"normal", "reduction"}


@pytest.mark.parametrize("kind", KINDS)
def test_encoding_has_a_fixed_length_and_tells_architectures_apart(kind):
    max_blocks = 5
    length = encoding_length(kind, max_blocks)
    vectors = {}
    for n_blocks in (1, 3, 5):
        for arch in samples(kind, n_blocks):
            vector = encode_architecture(arch, max_blocks)
            assert vector.shape == (length,)
            # one input bit and one operation bit per branch
            assert vector.sum() == 2 * 2 * arch.n_blocks * len(arch.cells)
            vectors[arch] = vector.tobytes()
    assert len(set(vectors.values())) == len(vectors)
    assert encode_architecture(samples(kind)[0]).shape == (encoding_length(kind, 3),)


def test_encoding_rejects_a_too_small_block_count():
    with pytest.raises(ValueError, match="max_blocks"):
        encode_architecture(default_architecture(TABULAR, 4), max_blocks=3)


def test_blocks_are_symmetric():
    assert Block((1, 0), ("dense_relu", "identity")) == Block((0, 1), ("identity", "dense_relu"))
    assert hash(Block([1, 0], ["zero", "dropout"])) == hash(Block((0, 1), ("dropout", "zero")))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_blocks", range(1, 7))
def test_default_architectures_are_valid(kind, n_blocks):
    arch = default_architecture(kind, n_blocks)
    assert arch.kind == kind and arch.n_blocks == n_blocks
    assert cell_outputs(arch.normal)[-1] == CELL_INPUTS + n_blocks - 1


def test_cell_output_is_the_unused_blocks():
    blocks = (Block((0, 1), ("identity", "identity")),      # state 2, read by block 1
              Block((2, 2), ("identity", "identity")),      # state 3, unused
              Block((0, 1), ("identity", "identity")))      # state 4, unused
    assert cell_outputs(blocks) == (3, 4)


@pytest.mark.parametrize("arguments, message", [
    ((TABULAR, (Block((2, 1), ("identity", "zero")),)), "reads state 2"),
    ((TABULAR, (Block((0, 1), ("identity", "sep_conv_3x3")),)), "not in the tabular"),
    ((IMAGE, (Block((0, 1), ("identity", "dense_relu")),),
      (Block((0, 1), ("identity", "identity")),)), "not in the image"),
    ((TABULAR, (Block((0, 1), ("identity", "zero")),), (Block((0, 1), ("zero", "zero")),)),
     "no reduction cell"),
    ((IMAGE, (Block((0, 1), ("identity", "identity")),)), "reduction cell"),
    (("graph", (Block((0, 1), ("identity", "zero")),)), "kind"),
    ((TABULAR, ()), "at least one block"),
])
def test_invalid_architectures_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        Architecture(*arguments)


def test_invalid_blocks_are_refused():
    with pytest.raises(ValueError, match="two inputs"):
        Block((0, 1, 1), ("identity", "zero"))
    with pytest.raises(ValueError, match="non-negative"):
        Block((-1, 0), ("identity", "zero"))
    with pytest.raises(TypeError, match="names"):
        Block((0, 1), ("identity", 3))


def test_operation_sets_match_the_issue():
    assert {"identity", "zero", "batch_norm", "layer_norm", "dropout"} <= set(TABULAR_OPS)
    assert {"sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "max_pool_3x3", "avg_pool_3x3",
            "identity"} <= set(IMAGE_OPS)


@pytest.mark.parametrize("shape, kind", [
    (None, TABULAR), ((40,), SIGNAL), ((1, 40), SIGNAL), ((40, 1), SIGNAL),
    ((1, 40, 3), SIGNAL), ((8, 8), IMAGE), ((28, 28, 1), IMAGE), ((32, 32, 3), IMAGE)])
def test_kind_of_reads_the_shape(shape, kind):
    assert kind_of(shape) == kind


def test_signal_layout_is_length_then_channels():
    assert signal_layout((40,)) == (40, 1)
    assert signal_layout((1, 40, 3)) == (40, 3)
    with pytest.raises(ValueError, match="not a signal"):
        signal_layout((8, 8))


def test_default_signal_architecture_is_the_image_one_in_one_dimension():
    image, signal = default_architecture(IMAGE, 4), default_architecture(SIGNAL, 4)
    assert [b.inputs for b in signal.normal] == [b.inputs for b in image.normal]
    assert all(op in SIGNAL_OPS for _, blocks in signal.cells for b in blocks for op in b.ops)
