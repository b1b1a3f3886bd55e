"""The neural estimators as model components of the search space, declared once.

Declared here, below :mod:`automl_estimators.nas`: a declaration names its
estimator class by import path (:data:`ESTIMATORS`), which the pipeline builder
imports only when it builds one, so spaces never import the torch estimators.
Kept apart from the catalogue (:mod:`automl_estimators.spaces.components`): a
:class:`~automl_estimators.spaces.Space` offers them only when the neural branch
is on (``neural=True``, which the estimators set when torch is importable); then
random and SMAC search, the ensemble and export treat them like any other model.
Like the catalogue's twins (``random_forest``), the classifier and the regressor
share one public name.

What is searched:

- the training recipe: learning rate, weight decay, batch size, ``activation``,
  ``optimizer`` and ``lr_schedule`` (and the classifier's ``class_weight``);
- the size: cells stacked (``n_cells``), blocks per cell (``n_blocks``), width,
  and the epoch budget ``max_epochs``, the iterations hyperparameter, so
  successive halving gives a network a share of its epochs
  (:data:`SIZE_HYPERPARAMETERS`);
- the cells themselves (:class:`CellSpace`): for every block slot of every cell
  type (normal; and reduction for images and signals), for each of its two
  branches, a categorical hyperparameter for the state it reads and one for the
  operation it applies, active while the model is the network and ``n_blocks``
  reaches the slot. A surrogate model (SMAC's random forest) learns from these
  choices directly: Bayesian optimisation over architectures, the encoding the
  NAS-Bench-101 and -201 baselines gave SMAC and BOHB (one categorical per
  operation choice and per input choice).

The cell hyperparameters are not in ``Component.hyperparameters`` (the pipeline
builder would hand them to the estimator one by one): a component declares them
through its ``cells`` (:class:`CellSpace`), and
:func:`~automl_estimators.spaces.configspace.decode` gathers them into one
:class:`~automl_estimators.spaces.architecture.Architecture` under
:data:`ARCHITECTURE_KEY` (the estimator's ``architecture`` strategy parameter),
which is what the builder, export, the history and regularized evolution
(:mod:`automl_estimators.search.evolution`) see; ``encode`` turns it back into
the categoricals. A configuration without :data:`ARCHITECTURE_KEY` (a model's
default configuration, the portfolio, the meta-learned warm start) is the
network with the default cells of its ``n_blocks``
(:func:`~automl_estimators.spaces.architecture.default_architecture`), exactly
what the estimator builds when its ``architecture`` is None; it encodes to those
cells. The defaults of the cell hyperparameters are the default cells of the
largest block count, whose first blocks are the default cells of every smaller
count, so the space's default configuration decodes to the estimator's default
network. (The estimator's ``architecture_seed`` is a user option, not searched:
a seed is an identity no surrogate can learn from.)

With the ``ordinal`` encoding the pipeline builder gives a network the positions
of the encoded columns as ``categorical_features`` (the
``categorical_parameter``), so it embeds them; with ``one_hot`` it reads
indicator columns like any other numbers. Ranges: learning rate and weight decay
as in auto-PyTorch's tabular space; defaults are the estimators' defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from numbers import Integral

from .architecture import (
    CELL_INPUTS,
    OPERATIONS,
    SPATIAL_KINDS,
    TABULAR,
    Architecture,
    Block,
    default_architecture,
    kind_of,
)
from .declarations import (
    CLASSIFICATION,
    MODEL,
    REGRESSION,
    Categorical,
    Component,
    Float,
    Int,
)
from .recipe import ACTIVATIONS, LR_SCHEDULES, OPTIMIZERS

NAME = "neural_network"
ESTIMATORS = "automl_estimators.nas.estimators"
# The hyperparameter that counts the blocks of each cell; its upper bound is the
# number of block slots the cell hyperparameters declare.
BLOCKS = "n_blocks"

NEURAL_HYPERPARAMETERS = (
    Float("learning_rate", 1e-4, 1e-1, 1e-3, log=True),
    Float("weight_decay", 1e-5, 1e-1, 1e-2, log=True),
    # The estimator's default is "auto" (128 on CPU, 512 on CUDA); a searched
    # value is an explicit size, whose default is the CPU one.
    Int("batch_size", 32, 512, 128, log=True),
    Categorical("activation", ACTIVATIONS, "relu"),
    Categorical("optimizer", OPTIMIZERS, "adamw"),
    Categorical("lr_schedule", LR_SCHEDULES, "cosine"),
    Int("max_epochs", 10, 200, 50, log=True),
    Int("n_cells", 1, 4, 2),
    Int(BLOCKS, 1, 5, 3),
    Int("width", 16, 256, 64, log=True),
)
# The network's size (NASNet's N and F, and the blocks per cell) and its epoch
# budget: what makes a network costly rather than what trains it well. Everything
# else a neural component declares is its training recipe (recipe_hyperparameters).
SIZE_HYPERPARAMETERS = ("n_cells", BLOCKS, "width", "max_epochs")
# The estimator parameter that the cell hyperparameters set, as one value.
ARCHITECTURE = "architecture"
# Configuration key of the architecture (see make_component's strategy parameters).
ARCHITECTURE_KEY = f"{MODEL}:{NAME}:{ARCHITECTURE}"


@dataclass(frozen=True)
class CellSpace:
    """A network's cells declared as categorical hyperparameters.

    Per cell type (``"normal"``; and ``"reduction"`` for images and signals),
    per block slot ``j < max_blocks``, per branch ``k`` in (0, 1): the state the
    branch reads, ``"<cell>_block<j>_input<k>"`` (one of ``0 ... j + 1``: the
    two cell inputs and the blocks before it), and the operation it applies,
    ``"<cell>_block<j>_op<k>"`` (the kind's
    :data:`~automl_estimators.spaces.architecture.OPERATIONS`). Slot ``j`` is
    active only while ``n_blocks > j``. Defaults: the cells of
    :func:`~automl_estimators.spaces.architecture.default_architecture`
    ``(kind, max_blocks)``, whose first ``n`` blocks are the default cells of
    ``n`` blocks.

    The compiler (:mod:`~automl_estimators.spaces.configspace`) adds
    :attr:`hyperparameters` to the space under the component's keys; decoding
    makes one :class:`~automl_estimators.spaces.architecture.Architecture` of
    them (:meth:`decode`), the value of the estimator parameter
    :attr:`parameter`, and encoding takes it apart again (:meth:`encode`).

    Parameters
    ----------
    kind : {"tabular", "image", "signal"}
        Which operation set the cells use, and whether there is a reduction cell.
    max_blocks : int
        Block slots per cell: the upper bound of the component's ``n_blocks``.
    """

    kind: str = TABULAR
    max_blocks: int = 5

    # The component hyperparameter that counts the blocks (the slots in use) and
    # the estimator parameter the decoded architecture sets.
    blocks = BLOCKS
    parameter = ARCHITECTURE

    def __post_init__(self):
        if self.kind not in OPERATIONS:
            raise ValueError(f"CellSpace kind must be one of {tuple(OPERATIONS)}, got "
                             f"{self.kind!r}.")
        if not isinstance(self.max_blocks, Integral) or self.max_blocks < 1:
            raise ValueError(f"CellSpace max_blocks must be a positive integer, got "
                             f"{self.max_blocks!r}.")

    @property
    def cell_names(self) -> tuple[str, ...]:
        """The cell types: ``("normal",)``, or ``("normal", "reduction")`` for
        images and signals (the order of ``Architecture.cells``)."""
        return ("normal", "reduction") if self.kind in SPATIAL_KINDS else ("normal",)

    @property
    def hyperparameters(self) -> tuple[Categorical, ...]:
        """The categorical declarations, slot by slot (input, then operation, per branch)."""
        return _cell_hyperparameters(self.kind, self.max_blocks)

    def default(self, n_blocks: int) -> Architecture:
        """The estimator's default cells for ``n_blocks`` blocks."""
        return default_architecture(self.kind, n_blocks)

    def admits(self, architecture) -> bool:
        """Whether ``architecture`` is one of this space's: same kind, at most
        ``max_blocks`` blocks."""
        return (isinstance(architecture, Architecture) and architecture.kind == self.kind
                and architecture.n_blocks <= self.max_blocks)

    def decode(self, values: dict, n_blocks: int) -> Architecture:
        """The architecture of ``n_blocks`` blocks that the cell values describe.

        Parameters
        ----------
        values : dict
            Cell hyperparameter name to its typed value; a slot value missing
            takes the default cells' value.
        n_blocks : int
            Blocks per cell (the component's ``n_blocks``).
        """
        if not isinstance(n_blocks, Integral) or not 1 <= n_blocks <= self.max_blocks:
            raise ValueError(f"n_blocks must be an integer in [1, {self.max_blocks}], got "
                             f"{n_blocks!r}.")
        values = {**self._values_of(self.default(self.max_blocks)), **values}
        cells = [tuple(Block(tuple(values[_input_name(cell, j, k)] for k in (0, 1)),
                             tuple(values[_op_name(cell, j, k)] for k in (0, 1)))
                       for j in range(n_blocks))
                 for cell in self.cell_names]
        return Architecture(self.kind, cells[0], cells[1] if len(cells) > 1 else ())

    def encode(self, architecture: Architecture) -> dict:
        """The cell values of ``architecture``, and ``n_blocks``: its block count.

        Only the slots in use (the active hyperparameters) have a value. Branches
        come in the block's canonical order (:attr:`Block.branches`), so equal
        blocks encode alike.
        """
        if not self.admits(architecture):
            raise ValueError(
                f"Cannot encode {architecture!r} in a space of {self.kind} cells of at most "
                f"{self.max_blocks} blocks; give an Architecture of kind {self.kind!r} with "
                f"1 to {self.max_blocks} blocks (Space.adapt drops one that does not fit).")
        return {**self._values_of(architecture), self.blocks: architecture.n_blocks}

    def _values_of(self, architecture: Architecture) -> dict:
        values = {}
        for cell, (_, blocks) in zip(self.cell_names, architecture.cells):
            for j, block in enumerate(blocks):
                for k, (state, op) in enumerate(block.branches):
                    values[_input_name(cell, j, k)] = state
                    values[_op_name(cell, j, k)] = op
        return values


def _input_name(cell: str, block: int, branch: int) -> str:
    return f"{cell}_block{block}_input{branch}"


def _op_name(cell: str, block: int, branch: int) -> str:
    return f"{cell}_block{block}_op{branch}"


@cache
def _cell_hyperparameters(kind: str, max_blocks: int) -> tuple[Categorical, ...]:
    space = CellSpace(kind, max_blocks)
    default = space._values_of(space.default(max_blocks))
    declared = []
    for cell in space.cell_names:
        for j in range(max_blocks):
            # slot 0 is used by every block count; slot j only when n_blocks > j
            active_if = {BLOCKS: tuple(range(j + 1, max_blocks + 1))} if j else {}
            for k in (0, 1):
                names = (_input_name(cell, j, k), _op_name(cell, j, k))
                choices = (tuple(range(CELL_INPUTS + j)), OPERATIONS[kind])
                declared += [Categorical(name, options, default[name], active_if=active_if)
                             for name, options in zip(names, choices)]
    return tuple(declared)


def cells_for(image_shape) -> CellSpace:
    """The cells searched for rows of this ``image_shape`` (None: tabular), with
    as many block slots as ``n_blocks`` allows."""
    blocks = next(hp for hp in NEURAL_HYPERPARAMETERS if hp.name == BLOCKS)
    return CellSpace(kind_of(image_shape), blocks.high)


def recipe_hyperparameters(component: Component) -> tuple:
    """A neural component's training recipe: its hyperparameters other than the
    network's size and epoch budget (:data:`SIZE_HYPERPARAMETERS`)."""
    return tuple(hp for hp in component.hyperparameters
                 if hp.name not in SIZE_HYPERPARAMETERS)


NEURAL_CLASSIFIER = Component(
    NAME, MODEL, tasks=(CLASSIFICATION,), estimator=f"{ESTIMATORS}:NeuralClassifier",
    hyperparameters=NEURAL_HYPERPARAMETERS + (
        Categorical("class_weight", (None, "balanced"), None),),
    accepts_sparse=False,
    seeded=True,
    iterations="max_epochs",
    extrapolates=True,
    strategy_parameters=(ARCHITECTURE, "architecture_search"),
    categorical_parameter="categorical_features",
    cells=cells_for(None),
)
NEURAL_REGRESSOR = Component(
    NAME, MODEL, tasks=(REGRESSION,), estimator=f"{ESTIMATORS}:NeuralRegressor",
    hyperparameters=NEURAL_HYPERPARAMETERS,
    accepts_sparse=False,
    seeded=True,
    iterations="max_epochs",
    extrapolates=True,
    strategy_parameters=(ARCHITECTURE, "architecture_search"),
    categorical_parameter="categorical_features",
    cells=cells_for(None),
)
NEURAL_COMPONENTS = (NEURAL_CLASSIFIER, NEURAL_REGRESSOR)


# Default size of a convolutional (image or signal) network in the search: a
# stage's channels double and each cell concatenates its unused blocks, so the
# estimator's tabular-sized defaults (width 64, 2 cells per stage) grow into
# millions of parameters. Measured on MNIST-1D (4000 signals of 40 steps, 2 CPU
# cores): width 64 x 2 cells, 2.7M parameters, 0.69 s per batch of 128 on one
# thread (50 epochs would not fit a 300 s fit); width 16 x 1 cell, 93k
# parameters, test accuracy 0.979 after 23 epochs (early stopped) in 174 s on a
# loaded machine, 0.969 with 2 blocks in 52 s.
SPATIAL_DEFAULTS = {"width": 16, "n_cells": 1}


def neural_components(image_shape=None) -> tuple:
    """The neural components for data of this shape: ``image_shape`` (or None)
    fixed, the cells of its kind searched, and for images and signals the
    smaller default size :data:`SPATIAL_DEFAULTS`."""
    spatial = kind_of(image_shape) in SPATIAL_KINDS

    def sized(hp):
        if spatial and hp.name in SPATIAL_DEFAULTS:
            return replace(hp, default=SPATIAL_DEFAULTS[hp.name])
        return hp

    return tuple(replace(component, fixed={**component.fixed, "image_shape": image_shape},
                         cells=cells_for(image_shape),
                         hyperparameters=tuple(sized(hp) for hp in component.hyperparameters))
                 for component in NEURAL_COMPONENTS)
