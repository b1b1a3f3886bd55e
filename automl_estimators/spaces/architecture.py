"""The cell-based architecture space (NASNet / PNAS / AmoebaNet), as plain values.

A *cell* is a small graph of ``B`` blocks. Its hidden states are numbered: ``0``
is the output of the cell before the previous one, ``1`` the output of the
previous cell, and ``2 + j`` the output of block ``j``. A block picks two earlier
states, applies one operation to each and adds the results (PNAS found addition
as good as concatenation and cheaper). The cell's output is the concatenation of
the block outputs that no later block consumes (NASNet's rule). The network
stacks cells: for tabular input ``n_cells`` normal cells; for images and 1-D
signals ``n_cells`` normal cells per stage, stages separated by reduction cells,
whose operations on the cell inputs have stride 2 (see
:mod:`automl_estimators.nas.network`). :func:`kind_of` reads the kind from an
``image_shape``.

The architecture is a value of the search space (what a strategy may propose),
so it lives with the declarations: the space compiles its cells to ConfigSpace
hyperparameters, strategies mutate and encode it, and :mod:`automl_estimators.nas`
builds networks from it.

An :class:`Architecture` holds the cells only (NASNet's searched "genotype"); how
many cells are stacked and how wide they are stay estimator parameters
(``n_cells``, ``width``), as NASNet keeps N and F outside the search. Values are
frozen dataclasses of tuples: hashable and comparable (a configuration's identity,
:func:`automl_estimators.search.base.config_key`, holds them as they are), with a
``repr`` that is valid Python.

Search strategies use :func:`sample_architecture` (uniform, as PNAS's and
AmoebaNet's initial populations), :func:`mutate_architecture` (AmoebaNet's
hidden-state and operation mutations) and :func:`encode_architecture` (a
fixed-length vector for surrogate models, as PNAS's predictor).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from numbers import Integral

import numpy as np

TABULAR = "tabular"
IMAGE = "image"
SIGNAL = "signal"
KINDS = (TABULAR, IMAGE, SIGNAL)
# Kinds whose networks are convolutional: stages of normal cells separated by
# reduction cells, so their architectures hold a reduction cell too.
SPATIAL_KINDS = (IMAGE, SIGNAL)

# Operations on a vector of `width` units. Dense ops keep the width (so that the
# two branches of a block can be added); "narrow"/"wide" pass through a hidden
# layer of half / twice the width (a bottleneck, or a transformer-style MLP).
TABULAR_OPS = (
    "identity", "zero",
    "dense_relu", "dense_gelu", "dense_silu", "dense_tanh",
    "dense_relu_narrow", "dense_relu_wide",
    "batch_norm", "layer_norm", "dropout",
)
# DARTS's operation set (NASNet / PNAS share most of it), without "none":
# a zero branch in an image cell only wastes a slot.
IMAGE_OPS = (
    "identity",
    "sep_conv_3x3", "sep_conv_5x5",
    "dil_conv_3x3", "dil_conv_5x5",
    "max_pool_3x3", "avg_pool_3x3",
)
# The same operations in one dimension, for signals (a row is a sequence of
# ``length`` steps of ``channels`` values): kernel sizes as in the 1-D
# convolutional networks of MNIST-1D (Greydanus 2020) and time-series NAS.
SIGNAL_OPS = (
    "identity",
    "sep_conv_3", "sep_conv_5", "sep_conv_7",
    "dil_conv_3", "dil_conv_5",
    "max_pool_3", "avg_pool_3",
)
OPERATIONS = {TABULAR: TABULAR_OPS, IMAGE: IMAGE_OPS, SIGNAL: SIGNAL_OPS}


def kind_of(image_shape) -> str:
    """The architecture kind for rows of this ``image_shape``.

    ``None``: tabular. ``(length,)``: a one-channel signal. ``(height, width)``
    or ``(height, width, channels)``: an image, unless one of height and width
    is 1: a one-row (or one-column) image is a signal, so a signal of
    ``channels`` values per step is ``(1, length, channels)``, channels last
    like images. A 2-tuple is never read as ``(length, channels)``: it would be
    indistinguishable from ``(height, width)``.
    """
    if image_shape is None:
        return TABULAR
    shape = tuple(image_shape)
    if len(shape) == 1 or (len(shape) in (2, 3) and min(shape[:2]) == 1):
        return SIGNAL
    return IMAGE


def signal_layout(image_shape) -> tuple[int, int]:
    """``(length, channels)`` of a signal's ``image_shape`` (see :func:`kind_of`)."""
    shape = tuple(int(d) for d in image_shape)
    if kind_of(shape) != SIGNAL:
        raise ValueError(f"image_shape {shape} is not a signal; a signal is (length,) or "
                         "(1, length, channels).")
    if len(shape) == 1:
        return shape[0], 1
    return max(shape[:2]), (shape[2] if len(shape) == 3 else 1)


# Hidden states every cell starts with: the outputs of the two previous cells.
CELL_INPUTS = 2
# PNAS and NASNet use 5 blocks; 3 keeps a default network small and fast.
DEFAULT_BLOCKS = 3


@dataclass(frozen=True)
class Block:
    """Two (input state, operation) branches whose results are added.

    Addition is symmetric, so the branches are kept sorted: two blocks that
    compute the same thing are equal and hash alike.

    Parameters
    ----------
    inputs : tuple of two int
        Hidden states read by the branches (``0``, ``1``: the cell's inputs;
        ``2 + j``: block ``j`` of the same cell).
    ops : tuple of two str
        Operation applied to each input, from the kind's operation set.
    """

    inputs: tuple[int, int]
    ops: tuple[str, str]

    def __post_init__(self):
        inputs, ops = tuple(self.inputs), tuple(self.ops)
        if len(inputs) != 2 or len(ops) != 2:
            raise ValueError(f"A block has two inputs and two operations, got inputs={inputs!r} "
                             f"and ops={ops!r}.")
        for state in inputs:
            if not isinstance(state, Integral) or isinstance(state, bool) or state < 0:
                raise ValueError(f"Block inputs are non-negative state indices, got {state!r}.")
        for op in ops:
            if not isinstance(op, str):
                raise TypeError(f"Block operations are names (str), got {op!r}.")
        branches = sorted(zip((int(state) for state in inputs), (str(op) for op in ops)))
        object.__setattr__(self, "inputs", tuple(state for state, _ in branches))
        object.__setattr__(self, "ops", tuple(op for _, op in branches))

    @property
    def branches(self) -> tuple[tuple[int, str], tuple[int, str]]:
        """The ``(input, operation)`` pairs."""
        return tuple(zip(self.inputs, self.ops))


@dataclass(frozen=True)
class Architecture:
    """A normal cell and, for images, a reduction cell.

    Parameters
    ----------
    kind : {"tabular", "image", "signal"}
        Which operation set the cells use.
    normal : tuple of Block
        Blocks of the normal cell, in order; block ``j`` reads states ``< 2 + j``.
    reduction : tuple of Block
        Blocks of the reduction cell (images, signals), empty for tabular input.

    Examples
    --------
    >>> arch = Architecture("tabular", normal=(Block((1, 1), ("dense_relu", "identity")),))
    >>> arch.n_blocks
    1
    >>> arch == Architecture("tabular", normal=(Block((1, 1), ("identity", "dense_relu")),))
    True
    """

    kind: str
    normal: tuple[Block, ...]
    reduction: tuple[Block, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"Architecture kind must be one of {KINDS}, got {self.kind!r}.")
        object.__setattr__(self, "normal", tuple(self.normal))
        object.__setattr__(self, "reduction", tuple(self.reduction))
        if self.kind == TABULAR and self.reduction:
            raise ValueError("A tabular architecture has no reduction cell; pass reduction=().")
        if self.kind in SPATIAL_KINDS and len(self.reduction) != len(self.normal):
            raise ValueError(f"An {self.kind} architecture needs a reduction cell with as "
                             f"many blocks as the normal cell ({len(self.normal)}), got "
                             f"{len(self.reduction)}.")
        if not self.normal:
            raise ValueError("A cell needs at least one block.")
        operations = OPERATIONS[self.kind]
        for cell_name, blocks in self.cells:
            for index, block in enumerate(blocks):
                if not isinstance(block, Block):
                    raise TypeError(f"{cell_name} cell: block {index} is a "
                                    f"{type(block).__name__}, not a Block.")
                if max(block.inputs) >= CELL_INPUTS + index:
                    raise ValueError(f"{cell_name} cell: block {index} reads state "
                                     f"{max(block.inputs)}, but only states 0..."
                                     f"{CELL_INPUTS + index - 1} exist before it.")
                unknown = [op for op in block.ops if op not in operations]
                if unknown:
                    raise ValueError(f"{cell_name} cell: block {index} uses {unknown}, not in "
                                     f"the {self.kind} operations {operations}.")

    @property
    def n_blocks(self) -> int:
        """Blocks per cell."""
        return len(self.normal)

    @property
    def cells(self) -> tuple[tuple[str, tuple[Block, ...]], ...]:
        """``(name, blocks)`` of each cell type: normal, then reduction for images."""
        if self.kind in SPATIAL_KINDS:
            return (("normal", self.normal), ("reduction", self.reduction))
        return (("normal", self.normal),)


def cell_outputs(blocks: tuple[Block, ...]) -> tuple[int, ...]:
    """States a cell concatenates as its output: the blocks no later block reads."""
    consumed = {state for block in blocks for state in block.inputs}
    return tuple(CELL_INPUTS + j for j in range(len(blocks)) if CELL_INPUTS + j not in consumed)


# ------------------------------------------------------------- defaults
# DARTS (second order) cells, Liu et al. 2019, in this module's numbering; a
# strong published image cell, and short enough for CPU training.
_DARTS_NORMAL = (
    Block((0, 1), ("sep_conv_3x3", "sep_conv_3x3")),
    Block((0, 1), ("sep_conv_3x3", "sep_conv_3x3")),
    Block((0, 1), ("identity", "sep_conv_3x3")),
    Block((0, 2), ("identity", "dil_conv_3x3")),
)
_DARTS_REDUCTION = (
    Block((0, 1), ("max_pool_3x3", "max_pool_3x3")),
    Block((1, 2), ("max_pool_3x3", "identity")),
    Block((0, 2), ("max_pool_3x3", "identity")),
    Block((1, 2), ("max_pool_3x3", "identity")),
)


def default_architecture(kind: str = TABULAR, n_blocks: int = DEFAULT_BLOCKS) -> Architecture:
    """A sensible architecture for ``kind`` with ``n_blocks`` blocks per cell.

    Tabular: a chain of residual MLP blocks (``x + W2 relu(W1 x)``, the ResNet
    baseline of Gorishniy et al. 2021). Images: the first blocks of the DARTS
    cells, continued by residual separable convolutions beyond four blocks.
    Signals: the image cells with each operation's 1-D twin.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    if not isinstance(n_blocks, Integral) or n_blocks < 1:
        raise ValueError(f"n_blocks must be a positive integer, got {n_blocks!r}.")

    def residual(op, j):
        previous = CELL_INPUTS + j - 1  # block j-1, or the previous cell for j = 0
        return Block((previous, previous), (op, "identity"))

    if kind == TABULAR:
        return Architecture(TABULAR, tuple(residual("dense_relu_wide", j) for j in range(n_blocks)))
    extra = tuple(residual("sep_conv_3x3", j) for j in range(len(_DARTS_NORMAL), n_blocks))
    normal, reduction = (_DARTS_NORMAL + extra)[:n_blocks], (_DARTS_REDUCTION + extra)[:n_blocks]
    if kind == SIGNAL:  # the same cells, in one dimension
        normal, reduction = _one_dimensional(normal), _one_dimensional(reduction)
    return Architecture(kind, normal, reduction)


def _one_dimensional(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """Image blocks with their operations' 1-D twins (``sep_conv_3x3`` -> ``sep_conv_3``)."""
    return tuple(Block(block.inputs, tuple(op.rsplit("x", 1)[0] if op[-1].isdigit() else op
                                           for op in block.ops)) for block in blocks)


# ------------------------------------------------------------ sampling
class _Draws:
    """Uniform draws from a ``random.Random`` or a ``numpy.random.Generator``."""

    def __init__(self, rng):
        if isinstance(rng, random.Random):
            self.below = rng.randrange
        elif isinstance(rng, np.random.Generator):
            self.below = lambda n: int(rng.integers(n))
        else:
            raise TypeError(f"rng must be a random.Random or a numpy.random.Generator, got "
                            f"{type(rng).__name__}; e.g. random.Random(seed).")

    def choice(self, options):
        return options[self.below(len(options))]


def sample_architecture(rng, kind: str = TABULAR, n_blocks: int = DEFAULT_BLOCKS) -> Architecture:
    """A uniformly random architecture: every input and operation drawn independently.

    Parameters
    ----------
    rng : random.Random or numpy.random.Generator
        Source of randomness; the same generator state gives the same architecture.
    kind : {"tabular", "image"}
    n_blocks : int
        Blocks per cell.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    if not isinstance(n_blocks, Integral) or n_blocks < 1:
        raise ValueError(f"n_blocks must be a positive integer, got {n_blocks!r}.")
    draws, operations = _Draws(rng), OPERATIONS[kind]

    def cell():
        return tuple(
            Block(tuple(draws.below(CELL_INPUTS + j) for _ in range(2)),
                  tuple(draws.choice(operations) for _ in range(2)))
            for j in range(n_blocks))

    return Architecture(kind, cell(), cell() if kind in SPATIAL_KINDS else ())


def mutate_architecture(arch: Architecture, rng) -> Architecture:
    """A copy of ``arch`` with exactly one input or one operation of one block changed.

    AmoebaNet's two mutations (Real et al. 2019): pick a cell, a block and a
    branch, then either rewire the branch to another earlier state or swap its
    operation for another one. The new value always differs from the old one,
    and every choice is valid, so the result is a valid, different architecture.
    """
    draws = _Draws(rng)
    cell_index = draws.below(len(arch.cells))
    blocks = list(arch.cells[cell_index][1])
    block_index = draws.below(len(blocks))
    branches = [list(branch) for branch in blocks[block_index].branches]
    branch = branches[draws.below(2)]
    if draws.below(2) == 0:
        states = [s for s in range(CELL_INPUTS + block_index) if s != branch[0]]
        branch[0] = draws.choice(states)
    else:
        branch[1] = draws.choice([op for op in OPERATIONS[arch.kind] if op != branch[1]])
    blocks[block_index] = Block(tuple(b[0] for b in branches), tuple(b[1] for b in branches))
    cells = [arch.normal, arch.reduction]
    cells[cell_index] = tuple(blocks)
    return Architecture(arch.kind, cells[0], cells[1])


# ------------------------------------------------------------ encoding
def encoding_length(kind: str, max_blocks: int) -> int:
    """Length of :func:`encode_architecture` vectors for a space of ``kind`` cells."""
    n_cells = 2 if kind in SPATIAL_KINDS else 1
    per_branch = (CELL_INPUTS + max_blocks - 1) + len(OPERATIONS[kind])
    return n_cells * max_blocks * 2 * per_branch


def encode_architecture(arch: Architecture, max_blocks: int | None = None) -> np.ndarray:
    """The architecture as a fixed-length 0/1 vector (for surrogate models).

    Per cell, per block slot, per branch: a one-hot of the input state (over the
    ``CELL_INPUTS + max_blocks - 1`` states any block may read) followed by a
    one-hot of the operation. Block slots past ``arch.n_blocks`` stay zero, so
    architectures with up to ``max_blocks`` blocks share one length,
    :func:`encoding_length` ``(kind, max_blocks)``.

    Parameters
    ----------
    arch : Architecture
    max_blocks : int, optional
        Largest block count of the space; defaults to ``arch.n_blocks``.
    """
    max_blocks = arch.n_blocks if max_blocks is None else max_blocks
    if max_blocks < arch.n_blocks:
        raise ValueError(f"max_blocks={max_blocks} is below the architecture's {arch.n_blocks} "
                         "blocks.")
    operations = OPERATIONS[arch.kind]
    n_states = CELL_INPUTS + max_blocks - 1
    per_branch = n_states + len(operations)
    vector = np.zeros(encoding_length(arch.kind, max_blocks))
    for cell_index, (_, blocks) in enumerate(arch.cells):
        for block_index, block in enumerate(blocks):
            for branch_index, (state, op) in enumerate(block.branches):
                start = ((cell_index * max_blocks + block_index) * 2 + branch_index) * per_branch
                vector[start + state] = 1.0
                vector[start + n_states + operations.index(op)] = 1.0
    return vector

