"""One-shot architecture search: one supernet holds every cell at once (DARTS, ENAS).

The *supernet* is the network of :mod:`automl_estimators.nas.network` with each
cell replaced by its search graph: every edge from an earlier state ``j`` to a
block node ``i`` is a *mixed operation* holding the kind's whole operation set,
and a node adds what all its incoming edges give (Liu et al. 2019). All
candidate cells share these weights, so the search trains one network instead
of one per architecture. Two ways to search it:

- **DARTS** (Liu et al., ICLR 2019), first order: an edge outputs the
  softmax(alpha)-weighted sum of its operations, with one alpha matrix (edges x
  operations) per cell type (normal, reduction). Steps alternate: alphas
  (Adam, lr 3e-4, weight decay 1e-3, betas (0.5, 0.999), as DARTS) on a batch
  of the inner-validation rows, then the weights on a batch of the
  inner-training rows (the training rows split in two, as DARTS splits CIFAR's
  training set). The cell is derived per node: the two incoming edges whose
  strongest operation other than ``"zero"`` weighs most, each with that
  operation (DARTS's rule).
  *PC-DARTS* (Xu et al., ICLR 2020): with ``partial_channels = K > 1`` only
  ``1/K`` of an edge's channels go through the mixed operation and the rest
  bypass it, channels shuffled afterwards; the mixed operations then hold
  ``K`` times fewer activations and weights (PC-DARTS's edge normalisation is
  not implemented). Measured on CPU (one thread, 16x16 images, width 16, 3
  blocks, batch 64): K=4 took 1.7 s per step instead of 5.3 s and peaked
  360 MiB above the start instead of 1041 MiB; image supernets are costly on
  a CPU, whichever K.
- **ENAS** (Pham et al., ICML 2018): the same supernet, one child cell per
  step. A controller samples the child; the shared weights take a step on it
  (inner-training batch); then the controller learns by REINFORCE with an
  exponential-moving-average baseline from the inner-validation accuracy of
  children it samples under the shared weights (``1 / (1 + MSE)`` for
  regression). The controller is a per-decision categorical policy
  (independent logits for every input and operation choice of every block),
  not ENAS's LSTM: cheaper, and enough for cells of a few blocks. The child
  kept is the best on the inner-validation rows among the controller's most
  likely cell and ``n_children`` sampled ones. A child here concatenates all
  its block outputs (the supernet's fixed shape), where the derived network
  concatenates the unused ones only.

Collapse into skip connections, DARTS's known failure (Zela et al. 2020), is
guarded against two ways, both settings of :class:`OneShotSettings`:
P-DARTS's dropout on the identity operation during search (Chen et al. 2019;
the rate decays linearly to 0 over the epochs), and DARTS+'s early stopping
(Liang et al. 2019): the search stops once the derived normal cell holds
``skip_connection_limit`` identity operations, or when the derived architecture
has not changed for ``stable_epochs`` epochs. :attr:`OneShotResult.stopped_by`
says which ended it.

Operations come from the networks' own factory,
:func:`~automl_estimators.nas.network.make_operation`, so a derived cell
retrains with exactly the operations it was searched with; tabular, image and
1-D signal supernets alike. Training is float32 on every
device, seeded by the caller (:func:`~automl_estimators.nas.trainer.seeded_torch`)
and repeatable on CPU for a fixed seed and thread count.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, replace

import numpy as np

from ..spaces.architecture import (
    CELL_INPUTS,
    OPERATIONS,
    SIGNAL,
    SPATIAL_KINDS,
    TABULAR,
    Architecture,
    Block,
    signal_layout,
)
from ..spaces.recipe import ARCHITECTURE_SEARCHES
from .network import (
    FactorizedReduce,
    NetworkSpec,
    ReLUConvBN,
    conv_layers,
    make_operation,
)
from .torch_dependency import import_torch
from .trainer import CPU_BATCH_SIZE, CUDA_BATCH_SIZE, split_validation

torch = import_torch()
nn = torch.nn
F = torch.nn.functional

logger = logging.getLogger(__name__)

METHODS = ARCHITECTURE_SEARCHES
DARTS, PC_DARTS, ENAS = METHODS

# DARTS's architecture optimiser (Liu et al. 2019, section 3 and appendix A.1).
ALPHA_LEARNING_RATE = 3e-4
ALPHA_WEIGHT_DECAY = 1e-3
ALPHA_BETAS = (0.5, 0.999)
# DARTS initialises alphas near zero (1e-3 * N(0, 1)): every operation starts
# almost equally weighted, and the noise breaks ties reproducibly.
ALPHA_INIT_SCALE = 1e-3
# DARTS clips the weights' gradient norm at 5.
GRADIENT_CLIP = 5.0
# The training rows are split in two: weights learn on one half, alphas (or the
# controller) on the other, as DARTS halves CIFAR-10's training set.
INNER_VALIDATION_FRACTION = 0.5
# DARTS searched with 16 initial channels and evaluated with 36: image
# supernets hold every operation on every edge, so they are searched narrower.
MAX_SEARCH_CHANNELS = 16
# PC-DARTS's K on CIFAR-10: a quarter of the channels through the mixed operation.
PC_DARTS_PARTIAL_CHANNELS = 4
# DARTS+ stops when the normal cell holds two skip connections.
SKIP_CONNECTION_LIMIT = 2
# Epochs without a change of the derived architecture that end the search
# (DARTS+ waits 10 of 50 epochs for a stable ranking; searches here are shorter).
STABLE_EPOCHS = 5
# P-DARTS's dropout on skip connections: a starting rate, decayed to 0.
IDENTITY_DROPOUT = 0.2
# ENAS's controller: Adam at a higher rate than ENAS's 3.5e-4, since these logits
# see tens of updates, not thousands; ENAS's entropy bonus; a faster EMA than
# ENAS's 0.99 for the same reason.
CONTROLLER_LEARNING_RATE = 0.05
CONTROLLER_ENTROPY_WEIGHT = 1e-4
BASELINE_DECAY = 0.95
CONTROLLER_STEPS = 10
ENAS_CHILDREN = 10

# With a time bound, the estimators give the search this share of it and the
# training that follows the rest (see NeuralClassifier's architecture_search).
SEARCH_TIME_SHARE = 0.5

# Why a search ended (OneShotResult.stopped_by).
STOPPED_BY_EPOCHS = "epochs"
STOPPED_BY_TIME = "time"
STOPPED_BY_SKIP_CONNECTIONS = "skip_connections"
STOPPED_BY_STABLE = "stable"


# ------------------------------------------------------------- settings
@dataclass(frozen=True)
class OneShotSettings:
    """How to run one one-shot search.

    Parameters
    ----------
    method : {"darts", "pc_darts", "enas"}
        ``"pc_darts"`` is DARTS with ``partial_channels`` defaulting to
        :data:`PC_DARTS_PARTIAL_CHANNELS` (at most a divisor of the width).
    epochs : int
        Passes over the inner-training rows at most.
    batch_size : int or None
        Rows per step; None: 128 on CPU, 512 on CUDA.
    learning_rate, weight_decay : float
        AdamW's, for the supernet's weights (cosine decay over all steps).
    alpha_learning_rate, alpha_weight_decay : float
        Adam's, for DARTS's alphas.
    identity_dropout : float
        P-DARTS: dropout rate on the identity operation's output at the first
        epoch, decayed linearly to 0 at the last (DARTS only); 0: off.
    skip_connection_limit : int or None
        DARTS+: stop once the derived normal cell holds this many identity
        operations (DARTS only); None: never.
    stable_epochs : int or None
        Stop once the derived architecture has not changed for this many
        epochs; None: never.
    partial_channels : int or None
        PC-DARTS's ``K``: ``1/K`` of the channels through each mixed operation;
        None: 1, or :data:`PC_DARTS_PARTIAL_CHANNELS` for ``"pc_darts"``. Must
        divide the supernet's width.
    controller_learning_rate, controller_steps, baseline_decay, entropy_weight : float, int
        ENAS's controller: Adam's rate, REINFORCE steps per epoch, the EMA
        baseline's decay, the entropy bonus.
    n_children : int
        ENAS: children sampled (besides the most likely one) to pick the result.
    seed : int
        Seed of the split and of the batch and child order.
    max_time : float or None
        Seconds of search at most; the epoch in progress stops when it is up.
    """

    method: str = DARTS
    epochs: int = 50
    batch_size: int | None = None
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    alpha_learning_rate: float = ALPHA_LEARNING_RATE
    alpha_weight_decay: float = ALPHA_WEIGHT_DECAY
    identity_dropout: float = IDENTITY_DROPOUT
    skip_connection_limit: int | None = SKIP_CONNECTION_LIMIT
    stable_epochs: int | None = STABLE_EPOCHS
    partial_channels: int | None = None
    controller_learning_rate: float = CONTROLLER_LEARNING_RATE
    controller_steps: int = CONTROLLER_STEPS
    baseline_decay: float = BASELINE_DECAY
    entropy_weight: float = CONTROLLER_ENTROPY_WEIGHT
    n_children: int = ENAS_CHILDREN
    seed: int = 0
    max_time: float | None = None

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}.")
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}.")
        if not 0 <= self.identity_dropout < 1:
            raise ValueError(f"identity_dropout must be in [0, 1), got {self.identity_dropout}.")
        if self.partial_channels is not None and self.partial_channels < 1:
            raise ValueError(f"partial_channels must be a positive integer, got "
                             f"{self.partial_channels}.")

    def channel_fraction(self, width: int) -> int:
        """``K`` for a supernet of ``width``: the set value, or PC-DARTS's 4 (or the
        largest divisor of ``width`` below it) for ``"pc_darts"``."""
        if self.partial_channels is not None:
            return self.partial_channels
        return math.gcd(width, PC_DARTS_PARTIAL_CHANNELS) if self.method == PC_DARTS else 1


@dataclass(frozen=True)
class OneShotResult:
    """What a one-shot search found.

    Attributes
    ----------
    architecture : Architecture
        The derived (DARTS) or picked (ENAS) cells.
    method : str
    n_epochs : int
        Epochs run (the last one possibly cut by the time).
    stopped_by : {"epochs", "time", "skip_connections", "stable"}
    derived : tuple of Architecture
        The architecture derived after each epoch.
    operation_weights : dict
        Per cell type, an (edges x operations) array: DARTS's softmax of alpha,
        or ENAS's probability of each operation (controller's input choices aside).
    rewards : tuple of float
        ENAS: mean controller reward per epoch; empty for DARTS.
    seconds : float
        Wall time of the search.
    """

    architecture: Architecture
    method: str
    n_epochs: int
    stopped_by: str
    derived: tuple
    operation_weights: dict
    rewards: tuple
    seconds: float


# -------------------------------------------------------------- modules
def _channel_shuffle(x, groups: int):
    """Interleave ``groups`` blocks of channels (dim 1), as ShuffleNet and PC-DARTS."""
    n, channels = x.shape[:2]
    return x.reshape(n, groups, channels // groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)


class MixedOp(nn.Module):
    """One edge of the supernet: every operation of ``kind``.

    Called with ``weights`` it returns their weighted sum (DARTS); with
    ``index`` the one operation (an ENAS child). With ``partial_channels`` K > 1
    only the first ``1/K`` of the channels go through the operations; the rest
    bypass them (downsampled by a stride-2 max pool on a reducing edge) and the
    channels are shuffled (PC-DARTS).
    """

    def __init__(self, kind: str, width: int, stride: int = 1, partial_channels: int = 1):
        super().__init__()
        self.names = OPERATIONS[kind]
        self.partial_channels = partial_channels
        self.active_width = width // partial_channels
        self.ops = nn.ModuleList(make_operation(kind, name, self.active_width, stride)
                                 for name in self.names)
        self.identity = self.names.index("identity")
        self.identity_dropout = 0.0  # set by the search each epoch (P-DARTS)
        pool = nn.MaxPool1d if kind == SIGNAL else nn.MaxPool2d
        self.bypass = (pool(3, stride=2, padding=1) if stride == 2 and partial_channels > 1
                       else nn.Identity())

    def forward(self, x, weights=None, index=None):
        active = x if self.partial_channels == 1 else x[:, :self.active_width]
        if index is not None:
            out = self._run(index, active)
        else:
            out = sum(weight * self._run(i, active) for i, weight in enumerate(weights))
        if self.partial_channels == 1:
            return out
        out = torch.cat([out, self.bypass(x[:, self.active_width:])], dim=1)
        return _channel_shuffle(out, self.partial_channels)

    def _run(self, index: int, x):
        out = self.ops[index](x)
        if index == self.identity and self.training and self.identity_dropout > 0:
            out = F.dropout(out, self.identity_dropout)
        return out


def _edge_offsets(n_blocks: int) -> list[int]:
    """Index of the first incoming edge of each block node (node ``i`` reads ``2 + i`` states)."""
    return [sum(CELL_INPUTS + j for j in range(i)) for i in range(n_blocks)]


def n_edges(n_blocks: int) -> int:
    """Edges of a search cell of ``n_blocks`` nodes."""
    return sum(CELL_INPUTS + i for i in range(n_blocks))


class SearchCell(nn.Module):
    """A cell's search graph: a mixed operation from every earlier state to every node.

    Its output concatenates every node (DARTS), so its width does not depend
    on the cell a step samples or derives.
    """

    def __init__(self, n_blocks: int, preprocess0, preprocess1, make_edge):
        super().__init__()
        self.preprocess0 = preprocess0
        self.preprocess1 = preprocess1
        self.n_blocks = n_blocks
        self.offsets = _edge_offsets(n_blocks)
        self.edges = nn.ModuleList(make_edge(state) for i in range(n_blocks)
                                   for state in range(CELL_INPUTS + i))

    def forward(self, s0, s1, weights=None, blocks=None):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i, offset in enumerate(self.offsets):
            if blocks is None:
                node = sum(self.edges[offset + j](state, weights=weights[offset + j])
                           for j, state in enumerate(states))
            else:
                edges = self.edges
                node = sum(edges[offset + j](states[j], index=edges[offset + j].names.index(op))
                           for j, op in blocks[i].branches)
            states.append(node)
        return torch.cat(states[CELL_INPUTS:], dim=1)


def _projection(in_width: int, width: int) -> nn.Module:
    """ReLU, linear map, layer norm: a tabular cell's input map (as in network.py)."""
    return nn.Sequential(nn.ReLU(), nn.Linear(in_width, width), nn.LayerNorm(width))


class Supernet(nn.Module):
    """The search network for a :class:`~automl_estimators.nas.network.NetworkSpec`.

    The spec's architecture sets only the kind and the number of blocks per
    cell; its stem, cell layout (``n_cells``, reductions for images), width
    and embeddings are those of the network the spec builds.

    Parameters
    ----------
    spec : NetworkSpec
    partial_channels : int
        PC-DARTS's K (1: every channel through every mixed operation).

    Attributes
    ----------
    alphas : nn.ParameterDict
        One (edges x operations) matrix per cell type: ``"normal"`` and, for
        images, ``"reduction"``.
    """

    def __init__(self, spec: NetworkSpec, partial_channels: int = 1):
        super().__init__()
        self.kind = spec.architecture.kind
        self.n_blocks = spec.architecture.n_blocks
        self.operations = OPERATIONS[self.kind]
        if spec.width % partial_channels:
            raise ValueError(f"partial_channels={partial_channels} must divide the supernet's "
                             f"width {spec.width}.")
        cell_names = [name for name, _ in spec.architecture.cells]
        self.alphas = nn.ParameterDict({
            name: nn.Parameter(ALPHA_INIT_SCALE * torch.randn(n_edges(self.n_blocks),
                                                              len(self.operations)))
            for name in cell_names})
        if self.kind == TABULAR:
            self._build_tabular(spec, partial_channels)
        else:
            self._build_spatial(spec, partial_channels)

    def _build_tabular(self, spec, k):
        width, self.n_numeric = spec.width, spec.n_numeric
        self.embeddings = nn.ModuleList(
            nn.Embedding(n, dim) for n, dim in zip(spec.cardinalities, spec.embedding_dims))
        with torch.no_grad():  # the unknown category at the centre, as TabularNetwork
            for embedding in self.embeddings:
                embedding.weight[0].zero_()
        self.stem = nn.Sequential(nn.Linear(spec.n_numeric + sum(spec.embedding_dims), width),
                                  nn.LayerNorm(width))
        self.cells, self.reductions = nn.ModuleList(), []
        width_prev_prev = width_prev = width
        for _ in range(spec.n_cells):
            self.cells.append(SearchCell(
                self.n_blocks, _projection(width_prev_prev, width), _projection(width_prev, width),
                lambda state: MixedOp(TABULAR, width, 1, k)))
            self.reductions.append(False)
            width_prev_prev, width_prev = width_prev, width * self.n_blocks
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(width_prev, spec.n_outputs))

    def _build_spatial(self, spec, k):
        """Images (2-D) and signals (1-D): stem, stages of cells, pooled head."""
        if self.kind == SIGNAL:
            self.dims, self.layout = 1, signal_layout(spec.image_shape)
            in_channels = self.layout[1]
        else:
            height, width_px, *channels = spec.image_shape
            self.dims, self.layout = 2, (height, width_px, channels[0] if channels else 1)
            in_channels = self.layout[2]
        conv, batch_norm = conv_layers(self.dims)
        self.embeddings, c = nn.ModuleList(), spec.width
        self.stem = nn.Sequential(conv(in_channels, c, 3, padding=1, bias=False), batch_norm(c))
        self.cells, self.reductions = nn.ModuleList(), []
        c_prev_prev = c_prev = c
        previous_reduced = False
        for stage in range(spec.n_reductions + 1):
            for reduction in [True] * bool(stage) + [False] * spec.n_cells:
                c_cell = c * 2 ** stage
                preprocess0 = (FactorizedReduce(c_prev_prev, c_cell, self.dims) if previous_reduced
                               else ReLUConvBN(c_prev_prev, c_cell, 1, dims=self.dims))

                def make_edge(state, c_cell=c_cell, reduction=reduction):
                    stride = 2 if reduction and state < CELL_INPUTS else 1
                    return MixedOp(self.kind, c_cell, stride, k)

                self.cells.append(SearchCell(self.n_blocks, preprocess0,
                                             ReLUConvBN(c_prev, c_cell, 1, dims=self.dims),
                                             make_edge))
                self.reductions.append(reduction)
                previous_reduced = reduction
                c_prev_prev, c_prev = c_prev, c_cell * self.n_blocks
        pool = nn.AdaptiveAvgPool2d(1) if self.dims == 2 else nn.AdaptiveAvgPool1d(1)
        self.head = nn.Sequential(nn.ReLU(), pool, nn.Flatten(), nn.Linear(c_prev, spec.n_outputs))

    # ------------------------------------------------------------ parameters
    def weight_parameters(self) -> list:
        """The shared weights (everything but the alphas)."""
        return [p for name, p in self.named_parameters() if not name.startswith("alphas.")]

    def architecture_parameters(self) -> list:
        """DARTS's alphas."""
        return list(self.alphas.values())

    def set_identity_dropout(self, rate: float) -> None:
        """P-DARTS: the dropout rate on every identity operation's output."""
        for module in self.modules():
            if isinstance(module, MixedOp):
                module.identity_dropout = rate

    # ---------------------------------------------------------------- forward
    def forward(self, x, architecture: Architecture | None = None):
        """The outputs of the weighted supernet, or of one child ``architecture``."""
        if self.kind == TABULAR:
            if len(self.embeddings):
                codes = x[:, self.n_numeric:].long()
                x = torch.cat([x[:, :self.n_numeric]] + [
                    embedding(codes[:, i]) for i, embedding in enumerate(self.embeddings)], dim=1)
        elif self.dims == 1:
            length, channels = self.layout
            x = (x.reshape(-1, 1, length) if channels == 1 else
                 x.reshape(-1, length, channels).permute(0, 2, 1).contiguous())
        else:
            height, width, channels = self.layout
            x = (x.reshape(-1, 1, height, width) if channels == 1 else
                 x.reshape(-1, height, width, channels).permute(0, 3, 1, 2).contiguous())
        weights = None if architecture is not None else {
            name: F.softmax(alpha, dim=-1) for name, alpha in self.alphas.items()}
        s0 = s1 = self.stem(x)
        for cell, reduction in zip(self.cells, self.reductions):
            name = "reduction" if reduction else "normal"
            if architecture is None:
                s0, s1 = s1, cell(s0, s1, weights=weights[name])
            else:
                s0, s1 = s1, cell(s0, s1, blocks=getattr(architecture, name))
        return self.head(s1)

    # ----------------------------------------------------------------- derive
    def operation_weights(self) -> dict:
        """softmax(alpha) per cell type, as numpy arrays."""
        return {name: F.softmax(alpha.detach(), dim=-1).cpu().numpy()
                for name, alpha in self.alphas.items()}

    def derive(self) -> Architecture:
        """DARTS's discrete architecture from the current alphas."""
        weights = self.operation_weights()
        cells = {name: derive_cell(w, self.n_blocks, self.operations)
                 for name, w in weights.items()}
        return Architecture(self.kind, cells["normal"], cells.get("reduction", ()))


def derive_cell(weights: np.ndarray, n_blocks: int, operations: tuple) -> tuple:
    """DARTS's rule: per node, the two incoming edges whose strongest operation other
    than ``"zero"`` weighs most, each with that operation.

    Parameters
    ----------
    weights : ndarray of shape (n_edges(n_blocks), len(operations))
        Operation weights per edge, edges ordered by node, then by input state.
    """
    candidates = [i for i, name in enumerate(operations) if name != "zero"]
    blocks = []
    for i, offset in enumerate(_edge_offsets(n_blocks)):
        edges = []
        for state in range(CELL_INPUTS + i):
            row = weights[offset + state]
            best = max(candidates, key=lambda op: row[op])
            edges.append((row[best], state, operations[best]))
        # strongest first; sorted() is stable, so a tie keeps the lower state
        top = sorted(edges, key=lambda edge: -edge[0])[:2]
        blocks.append(Block(tuple(state for _, state, _ in top), tuple(op for *_, op in top)))
    return tuple(blocks)


def count_identities(architecture: Architecture) -> int:
    """Identity operations in the normal cell (DARTS+'s collapse signal)."""
    return sum(op == "identity" for block in architecture.normal for op in block.ops)


# ------------------------------------------------------------- controller
class Controller(nn.Module):
    """ENAS's controller as independent categorical decisions.

    For every cell type, block and branch: one logit vector over the input
    states the block may read and one over the operations. Lives on the CPU.
    """

    def __init__(self, kind: str, n_blocks: int, cell_names):
        super().__init__()
        self.kind, self.cell_names, self.n_blocks = kind, tuple(cell_names), n_blocks
        self.operations = OPERATIONS[kind]
        self.input_logits = nn.ParameterList(
            nn.Parameter(torch.zeros(CELL_INPUTS + i)) for _ in self.cell_names
            for i in range(n_blocks) for _ in range(2))
        self.op_logits = nn.ParameterList(
            nn.Parameter(torch.zeros(len(self.operations))) for _ in self.cell_names
            for _ in range(n_blocks) for _ in range(2))

    def sample(self, generator):
        """(architecture, sum of log-probabilities, sum of entropies) of one draw."""
        choices, log_prob, entropy = [], 0.0, 0.0
        for logits in self._decisions():
            distribution = torch.distributions.Categorical(logits=logits)
            choice = torch.multinomial(distribution.probs.detach(), 1, generator=generator)[0]
            log_prob = log_prob + distribution.log_prob(choice)
            entropy = entropy + distribution.entropy()
            choices.append(int(choice))
        return self._architecture(choices), log_prob, entropy

    def most_likely(self) -> Architecture:
        """The architecture of every decision's most probable choice."""
        return self._architecture([int(torch.argmax(logits)) for logits in self._decisions()])

    def operation_weights(self) -> dict:
        """Per cell type, (blocks x 2) rows of operation probabilities."""
        probabilities = [F.softmax(logits.detach(), dim=0).numpy() for logits in self.op_logits]
        per_cell = 2 * self.n_blocks
        return {name: np.stack(probabilities[i * per_cell:(i + 1) * per_cell])
                for i, name in enumerate(self.cell_names)}

    def _decisions(self):
        for inputs, ops in zip(self.input_logits, self.op_logits):
            yield inputs
            yield ops

    def _architecture(self, choices) -> Architecture:
        cells, position = {}, 0
        for name in self.cell_names:
            blocks = []
            for _ in range(self.n_blocks):
                (in_a, op_a, in_b, op_b), position = choices[position:position + 4], position + 4
                blocks.append(Block((in_a, in_b), (self.operations[op_a], self.operations[op_b])))
            cells[name] = tuple(blocks)
        return Architecture(self.kind, cells["normal"], cells.get("reduction", ()))


# ----------------------------------------------------------------- search
class _Rows:
    """Tensors of the inner split and shuffled batches of them."""

    def __init__(self, X, y, rows, batch_size, device, generator):
        self.X = torch.tensor(X[rows], device=device)
        self.y = torch.tensor(y[rows], device=device)
        self.batch_size = min(batch_size, len(rows))
        self.generator = generator

    @property
    def n_batches(self) -> int:
        n_rows = len(self.y)
        return max(n_rows // self.batch_size + (n_rows % self.batch_size > 1), 1)

    def batches(self) -> list:
        order = torch.randperm(len(self.y), generator=self.generator).to(self.X.device)
        starts = list(range(0, len(order), self.batch_size))
        if len(starts) > 1 and len(order) - starts[-1] == 1:
            starts.pop()  # batch norm cannot train on one row: it joins the batch before
        ends = starts[1:] + [len(order)]
        return [order[start:end] for start, end in zip(starts, ends)]


class _Clock:
    def __init__(self, max_time):
        self.started, self.max_time = time.monotonic(), max_time

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def out(self) -> bool:
        return self.max_time is not None and self.seconds > self.max_time


def search_spec(spec: NetworkSpec) -> NetworkSpec:
    """The spec the supernet is built from: image supernets at most
    :data:`MAX_SEARCH_CHANNELS` wide."""
    if spec.architecture.kind in SPATIAL_KINDS and spec.width > MAX_SEARCH_CHANNELS:
        return replace(spec, width=MAX_SEARCH_CHANNELS)
    return spec


def search_architecture(spec: NetworkSpec, X: np.ndarray, y: np.ndarray, loss_fn,
                        settings: OneShotSettings, device, *,
                        classification: bool) -> OneShotResult:
    """Search the cells of ``spec``'s kind and block count on (X, y) in one shot.

    Run it under :func:`~automl_estimators.nas.trainer.seeded_torch`: the
    supernet's initialisation, dropout and batch order follow torch's seed.

    Parameters
    ----------
    spec : NetworkSpec
        The network to search cells for (see :class:`Supernet`; images are
        searched at most :data:`MAX_SEARCH_CHANNELS` wide).
    X : ndarray of shape (n_rows, n_inputs), float32
        What the network reads.
    y : ndarray
        Class indices (int64) or standardised targets (float32, one column).
    loss_fn : torch.nn.Module
    settings : OneShotSettings
    device : torch.device
    classification : bool
        Split stratified; ENAS rewards accuracy (else ``1 / (1 + MSE)``).
    """
    clock = _Clock(settings.max_time)
    spec = search_spec(spec)
    supernet = Supernet(spec, settings.channel_fraction(spec.width)).to(device)
    train_rows, validation_rows = split_validation(y, INNER_VALIDATION_FRACTION, settings.seed,
                                                   classification)
    if validation_rows is None:  # too few rows to split: both steps read all of them
        validation_rows = train_rows
    generator = torch.Generator().manual_seed(settings.seed)
    batch_size = settings.batch_size or (CUDA_BATCH_SIZE if device.type == "cuda"
                                         else CPU_BATCH_SIZE)
    inner_train = _Rows(X, y, train_rows, batch_size, device, generator)
    inner_validation = _Rows(X, y, validation_rows, batch_size, device, generator)
    search = _DartsSearch if settings.method in (DARTS, PC_DARTS) else _EnasSearch
    return search(supernet, inner_train, inner_validation, loss_fn, settings, clock,
                  classification, generator).run()


class _OneShotSearch:
    """The epoch loop and stopping rules both methods share."""

    def __init__(self, supernet, inner_train, inner_validation, loss_fn, settings, clock,
                 classification, generator):
        self.supernet, self.settings, self.clock = supernet, settings, clock
        self.inner_train, self.inner_validation = inner_train, inner_validation
        self.loss_fn, self.classification, self.generator = loss_fn, classification, generator
        self.optimizer = torch.optim.AdamW(supernet.weight_parameters(), lr=settings.learning_rate,
                                           weight_decay=settings.weight_decay)
        horizon = settings.epochs * inner_train.n_batches
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step / horizon, 1))))
        self.rewards = []

    def run(self) -> OneShotResult:
        derived, stopped_by = [], STOPPED_BY_EPOCHS
        for epoch in range(self.settings.epochs):
            if self.settings.method != ENAS:  # DARTS's collapse guard; ENAS samples paths
                rate = self.settings.identity_dropout * (1 - epoch / self.settings.epochs)
                self.supernet.set_identity_dropout(rate)
            finished = self.epoch()
            derived.append(self.current())
            stopped_by = self._stop(derived, finished) or stopped_by
            if stopped_by != STOPPED_BY_EPOCHS:
                logger.info("%s search stopped by %s after %d epochs", self.settings.method,
                            stopped_by, epoch + 1)
                break
        self.supernet.set_identity_dropout(0.0)
        return OneShotResult(
            architecture=self.final(derived), method=self.settings.method,
            n_epochs=len(derived), stopped_by=stopped_by, derived=tuple(derived),
            operation_weights=self.operation_weights(), rewards=tuple(self.rewards),
            seconds=self.clock.seconds)

    def _stop(self, derived, finished) -> str | None:
        limit, stable = self.settings.skip_connection_limit, self.settings.stable_epochs
        if (limit is not None and self.settings.method != ENAS
                and count_identities(derived[-1]) >= limit):
            return STOPPED_BY_SKIP_CONNECTIONS
        if stable is not None and len(derived) > stable and all(
                arch == derived[-1] for arch in derived[-stable - 1:]):
            return STOPPED_BY_STABLE
        if not finished or self.clock.out():
            return STOPPED_BY_TIME
        return None

    def weight_step(self, batch, architecture=None):
        """One AdamW step of the shared weights on an inner-training batch."""
        X, y = self.inner_train.X[batch], self.inner_train.y[batch]
        self.optimizer.zero_grad(set_to_none=True)
        self.loss_fn(self.supernet(X, architecture), y).backward()
        nn.utils.clip_grad_norm_(self.supernet.weight_parameters(), GRADIENT_CLIP)
        self.optimizer.step()
        self.scheduler.step()

    # per method
    def epoch(self) -> bool:
        """One epoch; False when the time ran out inside it."""
        raise NotImplementedError

    def current(self) -> Architecture:
        raise NotImplementedError

    def final(self, derived) -> Architecture:
        raise NotImplementedError

    def operation_weights(self) -> dict:
        raise NotImplementedError


class _DartsSearch(_OneShotSearch):
    """First-order DARTS: an alpha step on inner-validation, then a weight step."""

    def __init__(self, *args):
        super().__init__(*args)
        self.alpha_optimizer = torch.optim.Adam(
            self.supernet.architecture_parameters(), lr=self.settings.alpha_learning_rate,
            betas=ALPHA_BETAS, weight_decay=self.settings.alpha_weight_decay)

    def epoch(self) -> bool:
        self.supernet.train()
        validation_batches = self.inner_validation.batches()
        for step, batch in enumerate(self.inner_train.batches()):
            if step and self.clock.out():
                return False
            rows = validation_batches[step % len(validation_batches)]
            self.alpha_optimizer.zero_grad(set_to_none=True)
            self.loss_fn(self.supernet(self.inner_validation.X[rows]),
                         self.inner_validation.y[rows]).backward()
            self.alpha_optimizer.step()
            self.weight_step(batch)
        return True

    def current(self) -> Architecture:
        return self.supernet.derive()

    def final(self, derived) -> Architecture:
        return derived[-1]

    def operation_weights(self) -> dict:
        return self.supernet.operation_weights()


class _EnasSearch(_OneShotSearch):
    """ENAS: shared-weight steps on sampled children, then REINFORCE on the controller."""

    def __init__(self, *args):
        super().__init__(*args)
        names = list(self.supernet.alphas)
        self.controller = Controller(self.supernet.kind, self.supernet.n_blocks, names)
        self.controller_optimizer = torch.optim.Adam(
            self.controller.parameters(), lr=self.settings.controller_learning_rate)
        self.baseline = None

    def epoch(self) -> bool:
        self.supernet.train()
        for step, batch in enumerate(self.inner_train.batches()):
            if step and self.clock.out():
                return False
            with torch.no_grad():
                child, _, _ = self.controller.sample(self.generator)
            self.weight_step(batch, child)
        validation_batches = self.inner_validation.batches()
        rewards = []
        for step in range(self.settings.controller_steps):
            if self.clock.out():
                break
            child, log_prob, entropy = self.controller.sample(self.generator)
            reward = self._reward(child, validation_batches[step % len(validation_batches)])
            decay = self.settings.baseline_decay
            self.baseline = reward if self.baseline is None else (
                decay * self.baseline + (1 - decay) * reward)
            loss = -(reward - self.baseline) * log_prob - self.settings.entropy_weight * entropy
            self.controller_optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.controller_optimizer.step()
            rewards.append(reward)
        self.rewards.append(float(np.mean(rewards)) if rewards else math.nan)
        return True

    def _reward(self, child, rows) -> float:
        """Accuracy (or ``1 / (1 + MSE)``) of ``child`` under the shared weights.

        Batch statistics, as during the shared steps: the running ones mix
        every child trained so far.
        """
        with torch.no_grad():
            outputs = self.supernet(self.inner_validation.X[rows], child)
            y = self.inner_validation.y[rows]
            if self.classification:
                return float((outputs.argmax(dim=1) == y).float().mean())
            return float(1.0 / (1.0 + F.mse_loss(outputs, y)))

    def current(self) -> Architecture:
        return self.controller.most_likely()

    def final(self, derived) -> Architecture:
        """The best on all inner-validation rows of the most likely child and
        ``n_children`` samples; the first one on a tie."""
        with torch.no_grad():
            children = [self.controller.most_likely()] + [
                self.controller.sample(self.generator)[0]
                for _ in range(self.settings.n_children)]
        batches = self.inner_validation.batches()
        sizes = [len(rows) for rows in batches]
        rewards = [np.average([self._reward(child, rows) for rows in batches], weights=sizes)
                   for child in children]
        return children[int(np.argmax(rewards))]

    def operation_weights(self) -> dict:
        return self.controller.operation_weights()
