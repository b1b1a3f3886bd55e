"""Progressive neural architecture search (Liu et al. 2018, PNAS), scaled down.

Cells grow one block per step, from simple to complex, and a predictor picks
which of the many one-block-larger cells are worth training:

- Step 1: every distinct 1-block cell is enumerated; ``beam_size`` of them,
  drawn at random from the strategy's seed, are the step's networks (all of
  them when there are fewer).
- Step ``b`` (2 to ``max_blocks``): every expansion of the ``beam_size`` best
  ``(b - 1)``-block cells by one block (every pair of (earlier state,
  operation) branches for the new block, deduplicated) is ranked by a predictor
  fit on every result so far (:class:`~.predictor.ArchitecturePredictor`, an
  ensemble of small MLPs); the top ``beam_size`` are the step's networks.
- After ``max_blocks``: cells stop growing (the networks' declared ``n_blocks``
  range ends, and so does a fixed-length encoding); each further step ranks
  the one-edit neighbours (one input or one operation of one block changed) of
  the ``beam_size`` best ``max_blocks``-block cells with the predictor refit on
  everything, and trains the top ``beam_size``: a predictor-guided local search
  around the best cells. When every neighbour of the beam was proposed, the
  neighbours of every proposed cell are ranked instead; only when those run out
  too, every ``max_blocks``-block cell has been proposed and ``ask`` returns
  fewer candidates than asked (none).

Asynchronous workers: a step starts once all its ``beam_size`` networks are told.
While some are still training, ``ask`` hands out the next-ranked cells of the
same step (the predictor's ranks ``beam_size + 1, ...``; for step 1 further
random 1-block cells): they are trials of that step like the others, join the
predictor's data and the beam, and never wait. With one worker the strategy is
PNAS exactly (each step's networks told before the next step is ranked).

As in PNAS the same cell serves as normal and reduction cell: an image or
signal architecture has ``reduction == normal`` (a reduction cell applies its
operations with stride 2 to the cell inputs, states 0 and 1, so any cell is a
valid reduction cell). Training hyperparameters stay at the component's
defaults, with ``n_blocks`` set to the cell's blocks; every network is trained
at full fidelity, as PNAS trained every cell for the same epochs.

The predictor's quality is measured as in PNAS's Figure 4: the predictor fit
when step ``b`` starts ranks that step's cells before any of them is trained;
once they are told, :meth:`ProgressiveSearch.report` gives Spearman's rank
correlation between those predictions and the scores. A failed trial scores
``-crash_cost`` (no better than the dummy). Results of other models (the warm
start) are ignored. Over a space without ``neural_network`` the strategy
proposes nothing.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from functools import cache
from itertools import combinations_with_replacement
from numbers import Integral

import numpy as np

from ..spaces.architecture import CELL_INPUTS, OPERATIONS, SPATIAL_KINDS, Architecture, Block
from ..spaces.declarations import MODEL, hp_key
from ..spaces.neural import ARCHITECTURE_KEY, BLOCKS, NAME, NEURAL_HYPERPARAMETERS
from .base import Candidate, SearchStrategy, StrategySettings
from .predictor import N_MEMBERS, ArchitecturePredictor, rank_correlation

__all__ = ["Progressive", "ProgressiveSearch", "cell_expansions", "cell_neighbours",
           "one_block_cells"]

# The most blocks a cell may have: the upper end of the networks' declared n_blocks.
MAX_BLOCKS = next(hp.high for hp in NEURAL_HYPERPARAMETERS if hp.name == BLOCKS)


@dataclass(frozen=True)
class Progressive(StrategySettings):
    """Settings of progressive NAS; ``search="progressive"``.

    Parameters
    ----------
    max_blocks : int
        Blocks of the largest cells (PNAS: 5). 3, the default network's block
        count: with the default beam, the cells reach it after 24 networks,
        what a fit of minutes trains on small data; 5 would need 40 before the
        search starts refining full-size cells.
    beam_size : int
        Networks trained per step, and the best cells expanded at the next one
        (PNAS's K: 256, over thousands of trained networks). 8 gives the
        predictor's first fit 8 results, and a fit reaches ``max_blocks`` soon.
    n_predictors : int
        MLPs in the predictor's ensemble (PNAS: 5).
    """

    max_blocks: int = 3
    beam_size: int = 8
    n_predictors: int = N_MEMBERS

    name = "progressive"
    networks_only = True

    def __post_init__(self):
        for field_name in ("max_blocks", "beam_size", "n_predictors"):
            value = getattr(self, field_name)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Progressive needs {field_name} to be a positive integer, "
                                 f"got {value!r}.")
        if self.max_blocks > MAX_BLOCKS:
            raise ValueError(f"Progressive needs max_blocks <= {MAX_BLOCKS} (the networks' "
                             f"n_blocks range), got {self.max_blocks}.")

    def make(self, space, seed, *, plan=None, crash_cost=1.0):
        """The strategy for one fit."""
        return ProgressiveSearch(space, seed, settings=self, crash_cost=crash_cost)


@dataclass
class _Trial:
    """One proposed network: its step, the prediction it was chosen by, its reward."""

    step: int
    predicted: float
    reward: float | None = None


@dataclass
class _Step:
    """The cells of one step, best first; the first ``beam_size`` are its networks."""

    number: int
    n_blocks: int
    queue: deque  # (architecture, predicted score) not proposed yet
    core: frozenset  # the architectures the step trains before the next one starts


class ProgressiveSearch(SearchStrategy):
    """Progressive NAS: cells grown block by block, expansions ranked by a predictor.

    Parameters
    ----------
    space : Space
    seed : int
        Seed of the strategy's own ``numpy.random.Generator`` (the step-1 draw,
        the order that breaks the predictor's ties, the predictors' seeds).
    settings : Progressive
    crash_cost : float
        A failed trial's reward is ``-crash_cost``.
    """

    name = "progressive"

    def __init__(self, space, seed: int, settings: Progressive = Progressive(),
                 crash_cost: float = 1.0):
        super().__init__(space, seed)
        self.settings = settings
        self.crash_cost = crash_cost
        self._rng = np.random.default_rng(seed)
        self._trials = {}  # Architecture -> _Trial, in proposal order
        self._steps = []
        self._component = space.component(MODEL, NAME) if NAME in space.models else None
        if self._component is not None:
            # the kind of the component's fixed image_shape (spaces.architecture.kind_of)
            self.kind = self._component.cells.kind
            self._base = space.default_config(NAME)
            self._n_blocks_key = hp_key(self._component, BLOCKS)

    def ask(self, n: int) -> list[Candidate]:
        if self._component is None:
            return []
        candidates = []
        for _ in range(n):
            arch = self._next_architecture()
            if arch is None:
                break
            candidates.append(Candidate({**self._base, self._n_blocks_key: arch.n_blocks,
                                         ARCHITECTURE_KEY: arch}, 1.0, self.name))
        return candidates

    def tell(self, candidate: Candidate, result) -> None:
        config = candidate.config
        if candidate.origin != self.name or config.get(MODEL) != NAME:
            return  # the warm start's models
        trial = self._trials.get(config.get(ARCHITECTURE_KEY))
        if trial is None or trial.reward is not None:
            return
        ok = result.ok and math.isfinite(result.score)
        trial.reward = float(result.score) if ok else -self.crash_cost

    def report(self) -> dict:
        """Per step: the predictor's rank correlation on the step's cells (from
        step 2; NaN while fewer than two are told or all scores tie), the
        networks told, the best score, and the cells' block count."""
        by_step = {step.number: [] for step in self._steps}
        for trial in self._trials.values():
            if trial.reward is not None:
                by_step[trial.step].append(trial)
        return {
            "rank_correlation_per_step": {
                number: rank_correlation([t.predicted for t in told], [t.reward for t in told])
                for number, told in by_step.items() if number > 1},
            "networks_trained_per_step": {number: len(told) for number, told in by_step.items()},
            "best_per_step": {number: max(t.reward for t in told)
                              for number, told in by_step.items() if told},
            "blocks_per_step": {step.number: step.n_blocks for step in self._steps},
        }

    # -------------------------------------------------------------- internals
    def _next_architecture(self) -> Architecture | None:
        step = self._steps[-1] if self._steps else None
        if step is None or not step.queue or self._told(step.core):
            following = self._first_step() if step is None else self._following_step(step)
            if not following.queue:
                return None  # every cell the next step could train was proposed
            self._steps.append(following)
            step = following
        arch, predicted = step.queue.popleft()
        self._trials[arch] = _Trial(step.number, predicted)
        return arch

    def _told(self, architectures) -> bool:
        return all(arch in self._trials and self._trials[arch].reward is not None
                   for arch in architectures)

    def _first_step(self) -> _Step:
        cells = [self._cell((block,)) for block in one_block_cells(self.kind)]
        cells = [cells[i] for i in self._rng.permutation(len(cells))]
        return _Step(1, 1, deque((cell, math.nan) for cell in cells),
                     frozenset(cells[:self.settings.beam_size]))

    def _following_step(self, step: _Step) -> _Step:
        beam = self._beam(step.n_blocks)
        if step.n_blocks < self.settings.max_blocks:
            n_blocks = step.n_blocks + 1
            pool = self._unproposed(self._cell(normal) for arch in beam
                                    for normal in cell_expansions(arch.normal, self.kind))
        else:
            n_blocks = step.n_blocks
            pool = self._unproposed(self._cell(normal) for arch in beam
                                    for normal in cell_neighbours(arch.normal, self.kind))
            if not pool:  # the beam's neighbourhood is spent: every proposed cell's
                pool = self._unproposed(
                    self._cell(normal) for arch in list(self._trials)
                    if arch.n_blocks == n_blocks
                    for normal in cell_neighbours(arch.normal, self.kind))
        # a random order first, so that the seed breaks the predictor's ties
        pool = [pool[i] for i in self._rng.permutation(len(pool))]
        predicted = self._fit_predictor().predict(pool)
        order = np.argsort(-predicted, kind="stable")
        queue = deque((pool[i], float(predicted[i])) for i in order)
        return _Step(step.number + 1, n_blocks, queue,
                     frozenset(pool[i] for i in order[:self.settings.beam_size]))

    def _beam(self, n_blocks: int) -> list[Architecture]:
        """The best told cells of ``n_blocks`` blocks (the proposed ones while none is told)."""
        cells = [(arch, trial) for arch, trial in self._trials.items()
                 if arch.n_blocks == n_blocks]
        told = [(arch, trial) for arch, trial in cells if trial.reward is not None]
        ranked = sorted(told, key=lambda pair: -pair[1].reward) if told else cells
        return [arch for arch, _ in ranked[:self.settings.beam_size]]

    def _unproposed(self, cells) -> list[Architecture]:
        return [cell for cell in dict.fromkeys(cells) if cell not in self._trials]

    def _fit_predictor(self) -> ArchitecturePredictor:
        told = [(arch, trial.reward) for arch, trial in self._trials.items()
                if trial.reward is not None]
        predictor = ArchitecturePredictor(self.settings.max_blocks,
                                          seed=int(self._rng.integers(2**31 - 1)),
                                          n_members=self.settings.n_predictors)
        return predictor.fit([arch for arch, _ in told], [reward for _, reward in told])

    def _cell(self, normal: tuple[Block, ...]) -> Architecture:
        """The architecture with ``normal`` as its normal and (image, signal) reduction cell."""
        return Architecture(self.kind, normal, normal if self.kind in SPATIAL_KINDS else ())


# ----------------------------------------------------------------- cells
@cache
def _blocks_at(kind: str, index: int) -> tuple[Block, ...]:
    """Every distinct block at position ``index`` of a cell (two branches, each an
    earlier state and an operation; a block is a sorted pair, so no twin twice)."""
    branches = [(state, op) for state in range(CELL_INPUTS + index) for op in OPERATIONS[kind]]
    return tuple(Block((a[0], b[0]), (a[1], b[1]))
                 for a, b in combinations_with_replacement(branches, 2))


def one_block_cells(kind: str) -> tuple[Block, ...]:
    """The block of every distinct 1-block cell of ``kind``."""
    return _blocks_at(kind, 0)


def cell_expansions(blocks: tuple[Block, ...], kind: str) -> list[tuple[Block, ...]]:
    """``blocks`` followed by each distinct block that may come next."""
    return [blocks + (block,) for block in _blocks_at(kind, len(blocks))]


def cell_neighbours(blocks: tuple[Block, ...], kind: str) -> list[tuple[Block, ...]]:
    """Every cell that differs from ``blocks`` in one input or one operation of one
    block (AmoebaNet's two mutations, all of them)."""
    neighbours = []
    for index, block in enumerate(blocks):
        for changed, (state, op) in enumerate(block.branches):
            kept_state, kept_op = block.branches[1 - changed]
            options = [(other, op) for other in range(CELL_INPUTS + index) if other != state]
            options += [(state, other) for other in OPERATIONS[kind] if other != op]
            for new_state, new_op in options:
                new = Block((new_state, kept_state), (new_op, kept_op))
                neighbours.append(blocks[:index] + (new,) + blocks[index + 1:])
    # a block of two equal branches gives each neighbour twice
    return list(dict.fromkeys(neighbours))
