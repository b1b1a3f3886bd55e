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
global average pooling and a linear head. Signals (``image_shape`` ``(length,)``
or ``(1, length, channels)``, see
:func:`~automl_estimators.spaces.architecture.kind_of`) get the same network in
one dimension: the row is ``length`` steps of ``channels`` values, channels last.

Every operation of every kind comes from one factory, :func:`make_operation`,
which the cells and the one-shot supernets build from. ``activation`` is the
nonlinearity inside the convolutional operations and of the tabular
projections, head and hidden layers; the tabular ``dense_<activation>``
operations keep the one they name, since that choice is what the search picks.

Tabular input may end with categorical columns holding category indices (0:
unknown): each goes through its own ``nn.Embedding`` (fastai's and
pytorch-tabular's entity embeddings), and the embeddings are concatenated with
the numeric columns before the stem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..spaces.architecture import (
    IMAGE,
    OPERATIONS,
    SIGNAL,
    SPATIAL_KINDS,
    TABULAR,
    Architecture,
    cell_outputs,
    kind_of,
    signal_layout,
)
from ..spaces.recipe import ACTIVATIONS as ACTIVATION_NAMES
from .torch_dependency import import_torch

torch = import_torch()
nn = torch.nn
F = torch.nn.functional

# Rate of the tabular "dropout" operation (the usual MLP default).
DROPOUT_RATE = 0.2
# NASNet / DARTS on CIFAR use two reduction cells; a small image (or a short
# signal) gets fewer so that the last stage still sees at least 2x2 pixels (2 steps).
MAX_REDUCTIONS = 2
# fastai's rule of thumb for embedding sizes (``emb_sz_rule``):
# min(600, round(1.6 * n ** 0.56)) for a column of n categories.
MAX_EMBEDDING_DIM = 600
# The torch module of each activation name (:data:`.recipe.ACTIVATIONS`).
ACTIVATIONS = dict(zip(ACTIVATION_NAMES, (nn.ReLU, nn.GELU, nn.SiLU, nn.Tanh)))
# Kernel size of each convolution suffix in the operation names.
_KERNELS = {IMAGE: {"3x3": 3, "5x5": 5}, SIGNAL: {"3": 3, "5": 5, "7": 7}}


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
        Normal cells (tabular), or normal cells per stage (images, signals).
    width : int
        Units (tabular) or channels of the first stage (images, signals).
    image_shape : tuple of int or None
        ``(height, width)`` or ``(height, width, channels)`` for image
        architectures; ``(length,)`` or ``(1, length, channels)`` for signal ones.
    cardinalities : tuple of int
        Tabular only: the last ``len(cardinalities)`` input columns hold
        category indices, column ``i`` in ``[0, cardinalities[i])`` with 0 for
        an unknown category; each is embedded. Empty: all columns are numeric.
    embedding_dims : tuple of int
        The size of each categorical column's embedding.
    activation : {"relu", "gelu", "silu", "tanh"}
        Nonlinearity of the convolutional operations, the tabular projections,
        head and hidden layers (see the module doc).
    """

    architecture: Architecture
    n_inputs: int
    n_outputs: int
    n_cells: int
    width: int
    image_shape: tuple | None = None
    cardinalities: tuple = ()
    embedding_dims: tuple = ()
    activation: str = "relu"

    def __post_init__(self):
        kind = self.architecture.kind
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATION_NAMES}, got "
                             f"{self.activation!r}.")
        if len(self.cardinalities) != len(self.embedding_dims):
            raise ValueError(f"{len(self.cardinalities)} categorical columns but "
                             f"{len(self.embedding_dims)} embedding sizes; give one size "
                             "per column.")
        if len(self.cardinalities) > self.n_inputs:
            raise ValueError(f"{len(self.cardinalities)} categorical columns but only "
                             f"{self.n_inputs} input columns.")
        if self.cardinalities and kind in SPATIAL_KINDS:
            raise ValueError(f"Categorical columns are embedded by tabular networks only; "
                             f"an {kind} network reads its columns as values of one {kind}.")
        if kind == TABULAR:
            if self.image_shape is not None:
                raise ValueError("image_shape was given for a tabular architecture; use an "
                                 "image or signal architecture, or image_shape=None.")
            return
        if self.image_shape is None:
            example = "(8, 8) or (28, 28, 1)" if kind == IMAGE else "(40,) or (1, 40, 3)"
            raise ValueError(f"An {kind} architecture needs image_shape, e.g. {example}.")
        if kind_of(self.image_shape) != kind:
            raise ValueError(f"image_shape {tuple(self.image_shape)} describes "
                             f"{kind_of(self.image_shape)} rows, but the architecture is of "
                             f"kind {kind!r}; give an architecture of kind "
                             f"{kind_of(self.image_shape)!r}.")
        if math.prod(self.image_shape) != self.n_inputs:
            raise ValueError(f"image_shape {self.image_shape} holds "
                             f"{math.prod(self.image_shape)} values but X has "
                             f"{self.n_inputs} columns; X rows must be flattened {kind}s "
                             "(channels last).")

    @property
    def n_reductions(self) -> int:
        """Reduction cells of an image or signal network (0 for tabular)."""
        kind = self.architecture.kind
        if kind == TABULAR:
            return 0
        smallest = (min(self.image_shape[:2]) if kind == IMAGE
                    else signal_layout(self.image_shape)[0])
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
    networks = {TABULAR: TabularNetwork, IMAGE: ImageNetwork, SIGNAL: SignalNetwork}
    return networks[spec.architecture.kind](spec)


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters (elements of the tensors that require gradients)."""
    return sum(parameter.numel() for parameter in module.parameters()
               if parameter.requires_grad)


# ------------------------------------------------------------- operations
def make_operation(kind: str, name: str, width: int, stride: int = 1,
                   activation: str = "relu") -> nn.Module:
    """The operation ``name`` of ``kind`` on ``width`` units or channels.

    Parameters
    ----------
    kind : {"tabular", "image", "signal"}
    name : str
        One of the kind's operations
        (:data:`~automl_estimators.spaces.architecture.OPERATIONS`).
    width : int
        Units of a vector (tabular) or channels (images, signals); the
        operation keeps it.
    stride : {1, 2}
        2 halves an image's resolution or a signal's length (rounding up), as
        the operations of a reduction cell on the cell's inputs do; tabular
        operations have stride 1.
    activation : {"relu", "gelu", "silu", "tanh"}
        Nonlinearity of the convolutional operations and of the tabular
        ``dense_relu_narrow`` / ``dense_relu_wide`` hidden layers.

    Returns
    -------
    torch.nn.Module
    """
    if kind not in OPERATIONS:
        raise ValueError(f"kind must be one of {tuple(OPERATIONS)}, got {kind!r}.")
    if name not in OPERATIONS[kind]:
        raise ValueError(f"Unknown {kind} operation {name!r}; the {kind} operations are "
                         f"{OPERATIONS[kind]}.")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATION_NAMES}, got "
                         f"{activation!r}.")
    if stride not in (1, 2) or (kind == TABULAR and stride != 1):
        allowed = "1" if kind == TABULAR else "1 or 2"
        raise ValueError(f"stride of {kind} operations must be {allowed}, got {stride!r}.")
    if kind == TABULAR:
        return _tabular_operation(name, width, activation)
    return _spatial_operation(name, width, stride, 2 if kind == IMAGE else 1, activation,
                              _KERNELS[kind])


def _tabular_operation(name: str, width: int, activation: str) -> nn.Module:
    """A tabular operation that maps ``width`` units to ``width`` units."""
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
        return nn.Sequential(nn.Linear(width, hidden), ACTIVATIONS[activation](),
                             nn.Linear(hidden, width))
    if name == "dense_relu_wide":
        return nn.Sequential(nn.Linear(width, 2 * width), ACTIVATIONS[activation](),
                             nn.Linear(2 * width, width))
    # dense_<name>: the operation names its own nonlinearity
    return nn.Sequential(nn.Linear(width, width), ACTIVATIONS[name[len("dense_"):]]())


def _spatial_operation(name: str, channels: int, stride: int, dims: int, activation: str,
                       kernels: dict) -> nn.Module:
    """An image (``dims=2``) or signal (``dims=1``) operation on ``channels`` channels."""
    if name == "identity":
        return (nn.Identity() if stride == 1
                else FactorizedReduce(channels, channels, dims, activation))
    family, size = name.rsplit("_", 1)  # "max_pool", "3x3"
    kernel_size = kernels[size]
    if family == "max_pool":
        max_pool = nn.MaxPool2d if dims == 2 else nn.MaxPool1d
        return max_pool(kernel_size, stride=stride, padding=kernel_size // 2)
    if family == "avg_pool":
        avg_pool = nn.AvgPool2d if dims == 2 else nn.AvgPool1d
        return avg_pool(kernel_size, stride=stride, padding=kernel_size // 2,
                        count_include_pad=False)
    if family == "sep_conv":
        return SepConv(channels, kernel_size, stride, dims, activation)
    return DilConv(channels, kernel_size, stride, 2, dims, activation)


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
def _projection(in_width: int, width: int, activation: str = "relu") -> nn.Module:
    """Activation, linear map to ``width``, layer norm (DARTS's ReLU-conv-BN for vectors)."""
    return nn.Sequential(ACTIVATIONS[activation](), nn.Linear(in_width, width),
                         nn.LayerNorm(width))


class TabularNetwork(nn.Module):
    """Embeddings, stem (linear + layer norm), ``n_cells`` normal cells, activation + linear head.

    The input's first ``spec.n_numeric`` columns are numbers; each remaining
    column holds category indices (floats of integer value, so that one matrix
    carries both) and is replaced by its embedding.
    """

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        width, activation = spec.width, spec.activation
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
            cell = Cell(blocks, _projection(width_prev_prev, width, activation),
                        _projection(width_prev, width, activation),
                        lambda name, state: make_operation(TABULAR, name, width,
                                                           activation=activation))
            self.cells.append(cell)
            width_prev_prev, width_prev = width_prev, width * cell.multiplier
        self.head = nn.Sequential(ACTIVATIONS[activation](), nn.Linear(width_prev, spec.n_outputs))

    def forward(self, x):
        if self.embeddings:
            codes = x[:, self.n_numeric:].long()
            x = torch.cat([x[:, :self.n_numeric]] + [
                embedding(codes[:, i]) for i, embedding in enumerate(self.embeddings)], dim=1)
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)


# ------------------------------------------------- images and signals
def conv_layers(dims: int):
    """(convolution, batch norm) classes of ``dims`` dimensions (1: signals, 2: images)."""
    return {1: (nn.Conv1d, nn.BatchNorm1d), 2: (nn.Conv2d, nn.BatchNorm2d)}[dims]


class ReLUConvBN(nn.Sequential):
    """Activation (ReLU by default), convolution, batch norm."""

    def __init__(self, c_in, c_out, kernel_size, stride=1, padding=0, dims=2,
                 activation="relu"):
        conv, batch_norm = conv_layers(dims)
        super().__init__(ACTIVATIONS[activation](),
                         conv(c_in, c_out, kernel_size, stride, padding, bias=False),
                         batch_norm(c_out))


class DilConv(nn.Sequential):
    """Activation, dilated depthwise convolution, pointwise convolution, batch norm."""

    def __init__(self, channels, kernel_size, stride, dilation, dims=2, activation="relu"):
        conv, batch_norm = conv_layers(dims)
        padding = dilation * (kernel_size - 1) // 2
        super().__init__(
            ACTIVATIONS[activation](),
            conv(channels, channels, kernel_size, stride, padding, dilation=dilation,
                 groups=channels, bias=False),
            conv(channels, channels, 1, bias=False),
            batch_norm(channels))


class SepConv(nn.Sequential):
    """A depthwise-separable convolution applied twice (NASNet's "sep conv")."""

    def __init__(self, channels, kernel_size, stride, dims=2, activation="relu"):
        super().__init__(DilConv(channels, kernel_size, stride, 1, dims, activation),
                         DilConv(channels, kernel_size, 1, 1, dims, activation))


class FactorizedReduce(nn.Module):
    """Halve the resolution with two stride-2 1x1 convolutions, one shifted by a pixel.

    The shifted branch reads a copy padded at the bottom-right (the end, for a
    signal), so odd sizes give ``ceil(size / 2)`` like the strided convolutions
    and pools. A single output channel has no shifted branch (a convolution with
    no output channels corrupts memory in torch's CPU backward, measured with
    torch 2.13).
    """

    def __init__(self, c_in, c_out, dims=2, activation="relu"):
        super().__init__()
        conv, batch_norm = conv_layers(dims)
        self.dims = dims
        self.activation = ACTIVATIONS[activation]()
        self.conv_even = conv(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.conv_odd = (conv(c_in, c_out // 2, 1, stride=2, bias=False) if c_out > 1
                         else None)
        self.bn = batch_norm(c_out)

    def forward(self, x):
        x = self.activation(x)
        if self.conv_odd is None:
            return self.bn(self.conv_even(x))
        if self.dims == 1:
            shifted = F.pad(x, (0, 1))[:, :, 1:]
        else:
            shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_even(x), self.conv_odd(shifted)], dim=1))


class _ConvolutionalNetwork(nn.Module):
    """Stem, stages of normal cells separated by reduction cells, pooled linear head.

    Shared by :class:`ImageNetwork` (``dims=2``) and :class:`SignalNetwork`
    (``dims=1``); a subclass turns the flattened rows into ``(batch, channels,
    *size)`` tensors.
    """

    def __init__(self, spec: NetworkSpec, in_channels: int, dims: int):
        super().__init__()
        arch, c, activation = spec.architecture, spec.width, spec.activation
        conv, batch_norm = conv_layers(dims)
        self.stem = nn.Sequential(conv(in_channels, c, 3, padding=1, bias=False),
                                  batch_norm(c))
        self.cells = nn.ModuleList()
        c_prev_prev = c_prev = c
        previous_reduced = False
        for stage in range(spec.n_reductions + 1):
            layout = [(True, arch.reduction)] if stage else []
            layout += [(False, arch.normal)] * spec.n_cells
            for reduction, blocks in layout:
                c_cell = c * 2 ** stage
                preprocess0 = (FactorizedReduce(c_prev_prev, c_cell, dims, activation)
                               if previous_reduced
                               else ReLUConvBN(c_prev_prev, c_cell, 1, dims=dims,
                                               activation=activation))

                def make_op(name, state, c_cell=c_cell, reduction=reduction):
                    stride = 2 if reduction and state < 2 else 1
                    return make_operation(arch.kind, name, c_cell, stride, activation)

                cell = Cell(blocks, preprocess0,
                            ReLUConvBN(c_prev, c_cell, 1, dims=dims, activation=activation),
                            make_op)
                self.cells.append(cell)
                previous_reduced = reduction
                c_prev_prev, c_prev = c_prev, c_cell * cell.multiplier
        pool = nn.AdaptiveAvgPool2d(1) if dims == 2 else nn.AdaptiveAvgPool1d(1)
        self.head = nn.Sequential(ACTIVATIONS[activation](), pool, nn.Flatten(),
                                  nn.Linear(c_prev, spec.n_outputs))

    def forward(self, x):
        s0 = s1 = self.stem(self.to_channels_first(x))
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.head(s1)


class ImageNetwork(_ConvolutionalNetwork):
    """The convolutional network on flattened channels-last images."""

    def __init__(self, spec: NetworkSpec):
        height, width_px, *channels = spec.image_shape
        image_shape = (height, width_px, channels[0] if channels else 1)
        super().__init__(spec, image_shape[2], dims=2)
        self.image_shape = image_shape

    def to_channels_first(self, x):
        """``(batch, channels, height, width)`` from flattened channels-last rows."""
        height, width, channels = self.image_shape
        # A permuted single-channel view looks channels-last to torch, which then
        # keeps every later activation channels-last; on that layout torch 2.13's
        # CPU backward of a strided 1x1 convolution (FactorizedReduce) corrupts
        # memory (measured), so activations keep the default layout.
        if channels == 1:
            return x.reshape(-1, 1, height, width)
        return x.reshape(-1, height, width, channels).permute(0, 3, 1, 2).contiguous()


class SignalNetwork(_ConvolutionalNetwork):
    """The convolutional network in one dimension, on flattened channels-last signals.

    Conv1d / BatchNorm1d / MaxPool1d / AvgPool1d in place of their 2-D twins;
    a reduction cell halves the length (rounding up) and doubles the channels.
    """

    def __init__(self, spec: NetworkSpec):
        length, channels = signal_layout(spec.image_shape)
        super().__init__(spec, channels, dims=1)
        self.signal_layout = (length, channels)

    def to_channels_first(self, x):
        """``(batch, channels, length)`` from flattened channels-last rows."""
        length, channels = self.signal_layout
        if channels == 1:
            return x.reshape(-1, 1, length)
        return x.reshape(-1, length, channels).permute(0, 2, 1).contiguous()
