"""Genetic programming over pipeline trees (TPOT-style), with DEAP; ``search="genetic"``.

The trees and their typed primitive set come from the space
(:class:`automl_estimators.spaces.primitives.PrimitiveSet`); a tree is turned into
a program configuration (:mod:`automl_estimators.spaces.program`) in the parent
process, and the estimator builds and runs the pipeline like any other candidate.

Evolution is an asynchronous (mu + lambda) loop behind ask/tell: survivors are
chosen by NSGA-II on (validation score, complexity); offspring come from
crossover or one of four mutations (insert a node, shrink a node, replace a node
or a subtree, change a hyperparameter); a pipeline already asked is never asked
again. Pitfalls handled (measured here): every type has a terminal and trees are
grown by :func:`grow`, which always terminates; DEAP's mutations draw from its
module's ``random``, which is pointed at the strategy's own ``random.Random``
for the duration of each call (:func:`_deap_random`), so the global generator is
never seeded nor consumed; crossover is :func:`one_point_crossover`, whose
choices, unlike DEAP's, do not depend on the types' memory addresses.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real

from deap import base, gp, tools

from ..spaces.primitives import PrimitiveSet, Program
from ..spaces.program import complexity
from .base import Candidate, SearchStrategy, StrategySettings, config_key

logger = logging.getLogger(__name__)

# Fresh trees tried before the search is taken as exhausted (every one a repeat).
MAX_REPEATS = 200
# Height of the trees of the initial population: pipeline -> model -> matrix (2)
# up to three transformations under the model (5).
INIT_HEIGHT = (2, 5)
# Height of a subtree grown by the "replace subtree" mutation.
SUBTREE_HEIGHT = (0, 3)


# ------------------------------------------------------------ individuals
class Fitness(base.Fitness):
    """(validation score: maximised, complexity: minimised)."""

    weights = (1.0, -1.0)


class Individual(gp.PrimitiveTree):
    """A program tree with its fitness."""

    def __init__(self, content):
        super().__init__(content)
        self.fitness = Fitness()


# --------------------------------------------------------------- settings
@dataclass(frozen=True)
class Genetic(StrategySettings):
    """Settings of genetic programming search; ``search="genetic"`` uses the defaults.

    Parameters
    ----------
    population_size : int, default=20
        Survivors kept by NSGA-II (mu); also the size of the random initial population.
    offspring_size : int, default=20
        Children bred from the survivors at a time (lambda).
    crossover_rate : float, default=0.1
        Share of children made by crossover; the rest by mutation (TPOT's split).
    max_height : int, default=8
        Height limit of a tree (bloat control besides the complexity objective).
    """

    population_size: int = 20
    offspring_size: int = 20
    crossover_rate: float = 0.1
    max_height: int = 8

    name = "genetic"

    def __post_init__(self):
        for field in ("population_size", "offspring_size", "max_height"):
            value = getattr(self, field)
            if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Genetic {field} must be a positive integer, got {value!r}.")
        if self.max_height < INIT_HEIGHT[0] + 1:
            raise ValueError(f"Genetic max_height must be at least {INIT_HEIGHT[0] + 1} "
                             f"(pipeline, model, input), got {self.max_height}.")
        if not isinstance(self.crossover_rate, Real) or not 0 <= self.crossover_rate <= 1:
            raise ValueError(f"Genetic crossover_rate must be in [0, 1], got "
                             f"{self.crossover_rate!r}.")

    def make(self, space, seed, *, plan=None, crash_cost=1.0):
        """The strategy for one fit (always at full fidelity)."""
        return GeneticSearch(space, seed, settings=self, crash_cost=crash_cost)


# ------------------------------------------------------- tree generation
def grow(pset, rng: random.Random, min_height: int, max_height: int, type_) -> list:
    """A random expression of ``type_`` (DEAP's grow method, made total).

    Below ``min_height`` a primitive is chosen where the type has one; at the
    drawn height a terminal; in between, either with equal odds. A type with only
    terminals (a hyperparameter) always takes a terminal, so generation ends on
    every type.
    """
    height = rng.randint(min_height, max_height)
    expr = []
    stack = [(0, type_)]
    while stack:
        depth, type_ = stack.pop()
        primitives, terminals = pset.primitives[type_], pset.terminals[type_]
        use_terminal = (not primitives or depth >= height
                        or (depth >= min_height and rng.random() < 0.5))
        if use_terminal and terminals:
            expr.append(rng.choice(terminals))
            continue
        primitive = rng.choice(primitives)
        expr.append(primitive)
        for arg in reversed(primitive.args):
            stack.append((depth + 1, arg))
    return expr


def one_point_crossover(first, second, rng: random.Random):
    """``first`` with a subtree swapped for a subtree of ``second`` of the same type.

    DEAP's ``gp.cxOnePoint`` draws the type from a ``set`` of types, whose order
    follows the types' ``id``: it changed between runs of the same seed. Here the
    types come in the order they appear in ``first``; the draws are DEAP's.
    """
    if len(first) < 2 or len(second) < 2:
        return first
    positions1, positions2 = {}, {}
    for positions, tree in ((positions1, first), (positions2, second)):
        for index, node in enumerate(tree[1:], 1):
            positions.setdefault(node.ret, []).append(index)
    common = [type_ for type_ in positions1 if type_ in positions2]
    if common:
        type_ = rng.choice(common)
        slice1 = first.searchSubtree(rng.choice(positions1[type_]))
        slice2 = second.searchSubtree(rng.choice(positions2[type_]))
        first[slice1] = second[slice2]
    return first


_DEAP_LOCK = threading.Lock()


@contextmanager
def _deap_random(rng: random.Random):
    """Point ``deap.gp``'s ``random`` at ``rng`` while DEAP's operators run."""
    with _DEAP_LOCK:
        saved = gp.random
        gp.random = rng
        try:
            yield
        finally:
            gp.random = saved


# ------------------------------------------------------------ the search
class GeneticSearch(SearchStrategy):
    """Strongly typed genetic programming with NSGA-II selection, by ask/tell.

    Parameters
    ----------
    space : Space
    seed : int
    settings : Genetic
    crash_cost : float
        A failed trial's score is ``-crash_cost`` (no better than the dummy).
    """

    name = "genetic"

    def __init__(self, space, seed: int, *, settings: Genetic | None = None,
                 crash_cost: float = 1.0):
        super().__init__(space, seed)
        self.settings = settings or Genetic()
        self.crash_score = -float(crash_cost)
        self.rng = random.Random(seed)
        self.primitives = PrimitiveSet(space)
        self.pset = self.primitives.pset
        self.evaluated: list[Individual] = []   # told, with fitness
        self._asked: dict = {}                   # key -> individual awaiting its result
        # Keys bred, asked or told: never bred again. The loop's history would
        # answer a repeat without running it, but breeding makes mostly repeats
        # (measured, 300 asks with random scores: 61% of children on the
        # classification space, 75% on ridge+standard, up to 30 in a row) and
        # the loop takes 50 repeats in a row for an exhausted space; filtering
        # them here keeps every proposal new, within a generation too, and lets
        # the strategy itself say when the space is exhausted (see _unique).
        # Repeated results the loop tells are learned once (below), so no
        # separate set of told keys is kept.
        self._known: set = set()
        self._queue: list[Individual] = []
        self._initialised = False
        self.generations = 0

    # ---------------------------------------------------------- interface
    def ask(self, n: int) -> list[Candidate]:
        out = []
        while len(out) < n:
            if not self._queue:
                self._breed()
            if not self._queue:
                break  # every tree tried was a repeat: the space is exhausted
            individual = self._queue.pop(0)
            config = self.primitives.to_config(individual)
            candidate = Candidate(config, 1.0, self.name)
            self._asked[candidate.key] = individual
            out.append(candidate)
        return out

    def tell(self, candidate: Candidate, result) -> None:
        key = candidate.key
        individual = self._asked.pop(key, None)
        if individual is None:
            if key in self._known:  # the loop telling a repeat's result again: learned once
                return
            try:  # a warm start: learn it as if it had been bred
                individual = Individual(self.primitives.from_config(candidate.config))
            except (KeyError, ValueError) as exc:
                logger.debug("genetic search cannot represent %s: %s", candidate.config, exc)
                return
            self._known.add(key)
        score = result.score if result.ok and math.isfinite(result.score) else self.crash_score
        individual.fitness.values = (float(score), float(complexity(candidate.config,
                                                                     self.space)))
        self.evaluated.append(individual)

    # ----------------------------------------------------------- breeding
    def _breed(self):
        """Queue the next batch: the initial population, then offspring of the survivors."""
        settings = self.settings
        if not self._initialised or not self.evaluated:
            self._initialised = True
            make = self._random_tree
            size = settings.population_size
        else:
            survivors = tools.selNSGA2(self.evaluated, settings.population_size)
            self.evaluated = list(survivors)  # (mu + lambda): the rest is dropped
            make = functools.partial(self._child, survivors)
            size = settings.offspring_size
            self.generations += 1
        for _ in range(size):
            child = self._unique(make)
            if child is None:
                return
            self._queue.append(child)

    def _unique(self, make):
        """A tree whose program was never bred nor told, from ``make`` then fresh
        trees; ``None`` when all of them were repeats (the space is exhausted)."""
        for attempt in range(MAX_REPEATS):
            tree = make() if attempt < MAX_REPEATS // 2 else self._random_tree()
            key = config_key(self.primitives.to_config(tree))
            if key not in self._known:
                self._known.add(key)
                return tree
        return None

    def _random_tree(self) -> Individual:
        low, high = INIT_HEIGHT
        return Individual(grow(self.pset, self.rng, low, min(high, self.settings.max_height),
                               Program))

    def _child(self, parents) -> Individual:
        """One offspring: crossover of two parents or a mutation of one, within the height."""
        first = self._copy(self.rng.choice(parents))
        with _deap_random(self.rng):
            if len(parents) > 1 and self.rng.random() < self.settings.crossover_rate:
                second = self._copy(self.rng.choice(parents))
                child = one_point_crossover(first, second, self.rng)
            else:
                child = self._mutate(first)
        if child.height > self.settings.max_height:
            return self._mutate_hyperparameter(self._copy(self.rng.choice(parents)))
        return child

    @staticmethod
    def _copy(individual) -> Individual:
        return Individual(list(individual))

    def _mutate(self, tree) -> Individual:
        operator = self.rng.choice(("insert", "shrink", "replace", "subtree", "hyperparameter"))
        if operator == "insert":
            (tree,) = gp.mutInsert(tree, self.pset)
        elif operator == "shrink":
            (tree,) = gp.mutShrink(tree)
        elif operator == "replace":
            (tree,) = gp.mutNodeReplacement(tree, self.pset)
        elif operator == "subtree":
            (tree,) = gp.mutUniform(tree, self._subtree_expr, self.pset)
        else:
            tree = self._mutate_hyperparameter(tree)
        return tree

    def _subtree_expr(self, pset, type_):
        return grow(pset, self.rng, *SUBTREE_HEIGHT, type_)

    def _mutate_hyperparameter(self, tree) -> Individual:
        """Another grid value for one hyperparameter terminal of the tree."""
        hp_types = self.primitives.hyperparameter_types
        positions = [i for i, node in enumerate(tree)
                     if isinstance(node, gp.Terminal) and node.ret in hp_types]
        if positions:
            index = self.rng.choice(positions)
            tree[index] = self.rng.choice(self.pset.terminals[tree[index].ret])
        return tree
