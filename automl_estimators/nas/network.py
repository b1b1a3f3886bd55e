"""torch networks built from an :class:`~automl_estimators.spaces.architecture.Architecture`.

Importing this module imports torch (through
:func:`~automl_estimators.nas.torch_dependency.import_torch`, which says what to
install when it is missing); nothing imports it until a neural estimator is fitted.

Cells follow DARTS's implementation of NASNet cells (Liu et al. 2019): each cell
first maps both of its inputs to its own width (a 1x1 convolution, or a
factorised stride-2 reduction when the input is twice as large; a linear layer
with layer norm for vectors), then runs its blocks and concatenates the unused
block outputs. Images: the input row is the flattened pixel vector of an
``image_shape`` ``(height, width)`` or channels-last ``(height, width, channels)``
image; a stem convolution, then ``n_cells`` normal cells per stage, stages
separated by reduction cells that double the channels and halve the resolution,
global average pooling and a linear head.

Tabular input may end with categorical columns holding category indices (0:
unknown): each goes through its own ``nn.Embedding`` (fastai's and
pytorch-tabular's entity embeddings), and the embeddings are concatenated with
the numeric columns before the stem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..spaces.architecture import IMAGE, TABULAR, Architecture, cell_outputs
from .torch_dependency import import_torch

torch = import_torch()
nn = torch.nn
F = torch.nn.functional

# Rate of the tabular "dropout" operation (the usual MLP default).
DROPOUT_RATE = 0.2
# NASNet / DARTS on CIFAR use two reduction cells; a small image gets fewer so
# that the last stage still sees at least 2x2 pixels.
MAX_REDUCTIONS = 2
# fastai's rule of thumb for embedding sizes (``emb_sz_rule``):
# min(600, round(1.6 * n ** 0.56)) for a column of n categories.
MAX_EMBEDDING_DIM = 600


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to build (and rebuild, e.g. after unpickling) a network.

    Parameters
    ----------
    architecture : Architecture
    n_inputs : int
        Columns of the input matrix.
    n_outputs : int
        Classes (logits) or regression targets.
    n_cells : int
        Normal cells (tabular), or normal cells per stage (images).
    width : int
        Units (tabular) or channels of the first stage (images).
    image_shape : tuple of int or None
        ``(height, width)`` or ``(height, width, channels)`` for image architectures.
    cardinalities : tuple of int
        Tabular only: the last ``len(cardinalities)`` input columns hold
        category indices, column ``i`` in ``[0, cardinalities[i])`` with 0 for
        an unknown category; each is embedded. Empty: all columns are numeric.
    embedding_dims : tuple of int
        The size of each categorical column's embedding.
    """

    architecture: Architecture
    n_inputs: int
    n_outputs: int
    n_cells: int
    width: int
    image_shape: tuple | None = None
    cardinalities: tuple = ()
    embedding_dims: tuple = ()

    def __post_init__(self):
        kind = self.architecture.kind
        if len(self.cardinalities) != len(self.embedding_dims):
            raise ValueError(f"{len(self.cardinalities)} categorical columns but "
                             f"{len(self.embedding_dims)} embedding sizes; give one size "
                             "per column.")
        if len(self.cardinalities) > self.n_inputs:
            raise ValueError(f"{len(self.cardinalities)} categorical columns but only "
                             f"{self.n_inputs} input columns.")
        if self.cardinalities and kind == IMAGE:
            raise ValueError("Categorical columns are embedded by tabular networks only; "
                             "an image network reads pixels.")
        if kind == IMAGE:
            if self.image_shape is None:
                raise ValueError("An image architecture needs image_shape, e.g. (8, 8) or "
                                 "(28, 28, 1).")
            if math.prod(self.image_shape) != self.n_inputs:
                raise ValueError(f"image_shape {self.image_shape} holds "
                                 f"{math.prod(self.image_shape)} values but X has "
                                 f"{self.n_inputs} columns; X rows must be flattened images.")
        elif self.image_shape is not None:
            raise ValueError("image_shape was given for a tabular architecture; use an image "
                             "architecture (kind='image') or image_shape=None.")

    @property
    def n_reductions(self) -> int:
        """Reduction cells of an image network (0 for tabular)."""
        if self.architecture.kind != IMAGE:
            return 0
        smallest = min(self.image_shape[:2])
        return max(0, min(MAX_REDUCTIONS, int(math.log2(smallest)) - 1))

    @property
    def n_numeric(self) -> int:
        """Input columns read as numbers: those before the categorical ones."""
        return self.n_inputs - len(self.cardinalities)


def embedding_size(n_categories: int, width: int) -> int:
    """fastai's embedding size for a column of ``n_categories`` (unknown included).

    Capped at ``n_categories - 1`` and at ``width``: the stem starts with a
    linear map, so an embedding of ``n - 1`` dimensions already places the
    column's ``n`` categories anywhere in the stem's output, and one of
    ``width`` dimensions spans all of it; more only adds parameters to fit.
    """
    size = min(MAX_EMBEDDING_DIM, round(1.6 * n_categories ** 0.56))
    return max(1, min(size, n_categories - 1, width))


def build_network(spec: NetworkSpec) -> nn.Module:
    """The untrained network a spec describes (initialised from torch's current seed)."""
    if spec.architecture.kind == TABULAR:
        return TabularNetwork(spec)
    return ImageNetwork(spec)


# ------------------------------------------------------------------ cells
class Zero(nn.Module):
    """The "no connection" operation: zeros of the input's shape."""

    def forward(self, x):
        return x.mul(0.0)


class Cell(nn.Module):
    """One cell: two preprocessed inputs, the blocks, the concatenated unused outputs.

    Parameters
    ----------
    blocks : tuple of Block
    preprocess0, preprocess1 : nn.Module
        Map the cell's inputs (states 0 and 1) to the cell's width.
    make_op : callable
        ``make_op(name, state)`` builds the operation of a branch reading ``state``
        (a reduction cell strides the operations on states 0 and 1).
    """

    def __init__(self, blocks, preprocess0, preprocess1, make_op):
        super().__init__()
        self.preprocess0 = preprocess0
        self.preprocess1 = preprocess1
        self.inputs = [block.inputs for block in blocks]
        self.ops = nn.ModuleList(
            nn.ModuleList(make_op(op, state) for state, op in block.branches) for block in blocks)
        self.outputs = cell_outputs(blocks)

    @property
    def multiplier(self) -> int:
        """Output width over cell width: the number of concatenated block outputs."""
        return len(self.outputs)

    def forward(self, s0, s1):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for (left, right), (op_left, op_right) in zip(self.inputs, self.ops):
            states.append(op_left(states[left]) + op_right(states[right]))
        return torch.cat([states[i] for i in self.outputs], dim=1)


# ---------------------------------------------------------------- tabular
def tabular_op(name: str, width: int) -> nn.Module:
    """A tabular operation that maps ``width`` units to ``width`` units."""
    activations = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}
    if name == "identity":
        return nn.Identity()
    if name == "zero":
        return Zero()
    if name == "batch_norm":
        return nn.BatchNorm1d(width)
    if name == "layer_norm":
        return nn.LayerNorm(width)
    if name == "dropout":
        return nn.Dropout(DROPOUT_RATE)
    if name == "dense_relu_narrow":
        hidden = max(width // 2, 1)
        return nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, width))
    if name == "dense_relu_wide":
        return nn.Sequential(nn.Linear(width, 2 * width), nn.ReLU(), nn.Linear(2 * width, width))
    if name.startswith("dense_") and name[6:] in activations:
        return nn.Sequential(nn.Linear(width, width), activations[name[6:]]())
    raise ValueError(f"Unknown tabular operation {name!r}.")


def _projection(in_width: int, width: int) -> nn.Module:
    """ReLU, linear map to ``width``, layer norm (DARTS's ReLU-conv-BN for vectors)."""
    return nn.Sequential(nn.ReLU(), nn.Linear(in_width, width), nn.LayerNorm(width))


class TabularNetwork(nn.Module):
    """Embeddings, stem (linear + layer norm), ``n_cells`` normal cells, ReLU + linear head.

    The input's first ``spec.n_numeric`` columns are numbers; each remaining
    column holds category indices (floats of integer value, so that one matrix
    carries both) and is replaced by its embedding.
    """

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        width = spec.width
        self.n_numeric = spec.n_numeric
        self.embeddings = nn.ModuleList(
            nn.Embedding(n, dim) for n, dim in zip(spec.cardinalities, spec.embedding_dims))
        # torch's N(0, 1) initialisation puts the categories at the scale of the
        # standardised numbers, so that a short training (small data, a low
        # fidelity) already uses them: with a target set by a 20-level column,
        # the default network reached 3-fold accuracy 0.93-0.97 on 150 rows,
        # fastai's N(0, 0.01) 0.55-0.66 (measured, 3 seeds). The unknown
        # category starts at the centre, the zero vector.
        with torch.no_grad():
            for embedding in self.embeddings:
                embedding.weight[0].zero_()
        stem_inputs = spec.n_numeric + sum(spec.embedding_dims)
        self.stem = nn.Sequential(nn.Linear(stem_inputs, width), nn.LayerNorm(width))
        blocks = spec.architecture.normal
        self.cells = nn.ModuleList()
        width_prev_prev = width_prev = width
        for _ in range(spec.n_cells):
            cell = Cell(blocks, _projection(width_prev_prev, width),
                        _projection(width_prev, width),
                        lambda name, state: tabular_op(name, width))
            self.cells.append(cell)
            width_prev_prev, width_prev = width_prev, width * cell.multiplier
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(width_prev, spec.n_outputs))

    def forward(self, x):
        if self.embeddings:
            codes = x[:, self.n_numeric:].long()
            x = torch.cat([x[:, :self.n_numeric]] + [
                embedding(codes[:, i]) for i, embedding in enumerate(self.embeddings)], dim=1)
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)


# ------------------------------------------------------------------ image
class ReLUConvBN(nn.Sequential):
    """ReLU, convolution, batch norm."""

    def __init__(self, c_in, c_out, kernel_size, stride=1, padding=0):
        super().__init__(nn.ReLU(),
                         nn.Conv2d(c_in, c_out, kernel_size, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out))


class DilConv(nn.Sequential):
    """ReLU, dilated depthwise convolution, pointwise convolution, batch norm."""

    def __init__(self, channels, kernel_size, stride, dilation):
        padding = dilation * (kernel_size - 1) // 2
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size, stride, padding, dilation=dilation,
                      groups=channels, bias=False),
            nn.Conv2d(channels, channels, 1, bias=False),
            nn.BatchNorm2d(channels))


class SepConv(nn.Sequential):
    """A depthwise-separable convolution applied twice (NASNet's "sep conv")."""

    def __init__(self, channels, kernel_size, stride):
        super().__init__(DilConv(channels, kernel_size, stride, dilation=1),
                         DilConv(channels, kernel_size, 1, dilation=1))


class FactorizedReduce(nn.Module):
    """Halve the resolution with two stride-2 1x1 convolutions, one shifted by a pixel.

    The shifted branch reads a copy padded at the bottom-right, so odd sizes give
    ``ceil(size / 2)`` like the strided convolutions and pools. A single output
    channel has no shifted branch (a convolution with no output channels
    corrupts memory in torch's CPU backward, measured with torch 2.13).
    """

    def __init__(self, c_in, c_out):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv_even = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.conv_odd = (nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False) if c_out > 1
                         else None)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        if self.conv_odd is None:
            return self.bn(self.conv_even(x))
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_even(x), self.conv_odd(shifted)], dim=1))


def image_op(name: str, channels: int, stride: int) -> nn.Module:
    """An image operation on ``channels`` channels; ``stride=2`` halves the resolution."""
    if name == "identity":
        return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    kernels = {"3x3": 3, "5x5": 5}
    if name.startswith("sep_conv_") and name[9:] in kernels:
        return SepConv(channels, kernels[name[9:]], stride)
    if name.startswith("dil_conv_") and name[9:] in kernels:
        return DilConv(channels, kernels[name[9:]], stride, dilation=2)
    raise ValueError(f"Unknown image operation {name!r}.")


class ImageNetwork(nn.Module):
    """Stem, stages of normal cells separated by reduction cells, pooled linear head."""

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        height, width_px, *channels = spec.image_shape
        self.image_shape = (height, width_px, channels[0] if channels else 1)
        arch, c = spec.architecture, spec.width
        self.stem = nn.Sequential(
            nn.Conv2d(self.image_shape[2], c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        self.cells = nn.ModuleList()
        c_prev_prev = c_prev = c
        previous_reduced = False
        for stage in range(spec.n_reductions + 1):
            layout = [(True, arch.reduction)] if stage else []
            layout += [(False, arch.normal)] * spec.n_cells
            for reduction, blocks in layout:
                c_cell = c * 2 ** stage
                preprocess0 = (FactorizedReduce(c_prev_prev, c_cell) if previous_reduced
                               else ReLUConvBN(c_prev_prev, c_cell, 1))

                def make_op(name, state, c_cell=c_cell, reduction=reduction):
                    stride = 2 if reduction and state < 2 else 1
                    return image_op(name, c_cell, stride)

                cell = Cell(blocks, preprocess0, ReLUConvBN(c_prev, c_cell, 1), make_op)
                self.cells.append(cell)
                previous_reduced = reduction
                c_prev_prev, c_prev = c_prev, c_cell * cell.multiplier
        self.head = nn.Sequential(nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(c_prev, spec.n_outputs))

    def forward(self, x):
        height, width, channels = self.image_shape
        # A permuted single-channel view looks channels-last to torch, which then
        # keeps every later activation channels-last; on that layout torch 2.13's
        # CPU backward of a strided 1x1 convolution (FactorizedReduce) corrupts
        # memory (measured), so activations keep the default layout.
        if channels == 1:
            x = x.reshape(-1, 1, height, width)
        else:
            x = x.reshape(-1, height, width, channels).permute(0, 3, 1, 2).contiguous()
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)
