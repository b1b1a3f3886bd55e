"""Genetic programming over pipeline trees (TPOT-style), with DEAP; ``search="genetic"``.

A program is a strongly typed tree: ``pipeline(model, imputation, encoding)`` at
the root; under the model, a tree of transformations of the input matrix
(scalers and feature steps, unions of two branches, and stacking of another
model's out-of-fold predictions); hyperparameters are typed terminals whose
values come from the grids of :mod:`automl_estimators.spaces.grid`, compiled from
the same declarations as the ConfigSpace space. A tree is turned into a program
configuration (:mod:`automl_estimators.pipelines.program`) in the parent process;
the estimator builds and runs the pipeline like any other candidate.

Evolution is an asynchronous (mu + lambda) loop behind ask/tell: survivors are
chosen by NSGA-II on (validation score, complexity); offspring come from
crossover or one of four mutations (insert a node, shrink a node, replace a node
or a subtree, change a hyperparameter); a pipeline already asked is never asked
again. Pitfalls handled (measured here): every type has a terminal and trees are
grown by :func:`grow`, which always terminates; DEAP's operators draw from its
module's ``random``, which is pointed at the strategy's own ``random.Random``
for the duration of each call (:func:`_deap_random`), so the global generator is
never seeded nor consumed.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import random
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real

from deap import base, gp, tools

from ..pipelines.program import (
    INPUT,
    TRANSFORM_STEPS,
    TRANSFORMS,
    complexity,
    node_params,
    program_from_config,
)
from ..spaces.declarations import ENCODING, IMPUTATION, MODEL, SCALING, hp_key
from ..spaces.grid import grid_values, nearest
from .base import Candidate, SearchStrategy, StrategySettings, config_key

logger = logging.getLogger(__name__)

# Fresh trees tried before the search is taken as exhausted (every one a repeat).
MAX_REPEATS = 200
# Height of the trees of the initial population: pipeline -> model -> matrix (2)
# up to three transformations under the model (5).
INIT_HEIGHT = (2, 5)
# Height of a subtree grown by the "replace subtree" mutation.
SUBTREE_HEIGHT = (0, 3)
# Name of the input terminal of type Pixels (the input under an image model).
PIXELS_INPUT = "X_pixels"


# ------------------------------------------------------------------ types
class Program:
    """Type of a whole pipeline (the root)."""


class Model:
    """Type of a model over a matrix."""


class Matrix:
    """Type of a feature matrix (the preprocessed input or a transformation of it)."""


class Pixels:
    """Type of the matrix an image model reads: the input, at most rescaled.

    A model fixed to an ``image_shape`` reads the columns as pixels, so no feature
    step, union or stacking may change them before it (the ConfigSpace forbids the
    same); scalers keep the columns and may.
    """


class Imputation:
    """Type of a choice of imputer with its hyperparameters."""


class Encoding:
    """Type of a choice of categorical encoder with its hyperparameters."""


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


# ---------------------------------------------------- the primitive set
def _active(component, values: dict) -> dict:
    """Flat keys of a component's hyperparameters, conditional ones only when active."""
    active = component.active(values)
    return {hp_key(component, hp.name): values[hp.name] for hp in component.hyperparameters
            if hp.name in active}


def _make_pipeline(model, imputation, encoding=()):
    name, values, matrix = model
    return (*imputation, *encoding, (MODEL, name), *values, (TRANSFORMS, matrix))


def _named(component, values) -> dict:
    """A primitive's hyperparameter arguments (declaration order) by name."""
    return dict(zip((hp.name for hp in component.hyperparameters), values))


def _make_model(component, matrix, *values):
    return component.name, tuple(_active(component, _named(component, values)).items()), matrix


def _make_step(component, matrix, *values):
    params = node_params(component, _active(component, _named(component, values)))
    return ("step", component.step, component.name, params, matrix)


def _make_stack(component, matrix, *values):
    params = node_params(component, _active(component, _named(component, values)))
    return ("stack", component.name, params, matrix)


def _make_union(left, right):
    return ("union", left, right)


def _choice_items(component) -> list[tuple]:
    """Every (component, grid values) combination of a terminal-only step, as config items."""
    grids = [grid_values(hp) for hp in component.hyperparameters]
    out = []
    for values in itertools.product(*grids):
        params = dict(zip((hp.name for hp in component.hyperparameters), values))
        out.append(((component.step, component.name), *_active(component, params).items()))
    return out


class PrimitiveSet:
    """The typed primitives and terminals of a space, and trees <-> programs.

    Built from ``space.steps``: the include/exclude and data-shape filtering of the
    flat search apply unchanged.
    """

    def __init__(self, space):
        self.space = space
        pset = gp.PrimitiveSetTyped("program", [], Program)
        self._hp_types = {}
        pset.addTerminal(INPUT, Matrix, name="X")
        pset.addPrimitive(_make_union, [Matrix, Matrix], Matrix, name="union")
        choice_types = [Model, Imputation] + ([Encoding] if ENCODING in space.steps else [])
        pset.addPrimitive(_make_pipeline, choice_types, Program, name="pipeline")
        images = [c for c in space.steps[MODEL] if c.reads_pixels]
        if images:
            pset.addTerminal(INPUT, Pixels, name=PIXELS_INPUT)
        for component in space.steps[MODEL]:
            hp_types = self._terminals(pset, component)
            matrix = Pixels if component in images else Matrix
            pset.addPrimitive(functools.partial(_make_model, component), [matrix, *hp_types],
                              Model, name=component.name)
            pset.addPrimitive(functools.partial(_make_stack, component), [matrix, *hp_types],
                              Matrix, name=f"stack_{component.name}")
            # A model terminal: the model at its defaults on the input.
            pset.addTerminal(_make_model(component, INPUT, *component.defaults().values()),
                             Model, name=f"{component.name}_default")
        for step in TRANSFORM_STEPS:
            for component in space.steps.get(step, ()):
                if component.estimator is None:
                    continue
                hp_types = self._terminals(pset, component)
                pset.addPrimitive(functools.partial(_make_step, component),
                                  [Matrix, *hp_types], Matrix, name=component.name)
                if images and step == SCALING:
                    pset.addPrimitive(functools.partial(_make_step, component),
                                      [Pixels, *hp_types], Pixels,
                                      name=_pixels_name(component.name))
        for step, type_ in ((IMPUTATION, Imputation), (ENCODING, Encoding)):
            for component in space.steps.get(step, ()):
                for items in _choice_items(component):
                    pset.addTerminal(items, type_, name=_items_name(items))
        default = program_from_config(space.default_config(), space)
        pset.addTerminal(tuple(default.items()), Program, name="default_pipeline")
        self.pset = pset
        missing = [t for t in pset.primitives if not pset.terminals[t]]
        if missing:  # generation could not end on these types (DEAP's pitfall)
            raise RuntimeError(f"types without a terminal: {missing}")

    @property
    def hyperparameter_types(self) -> set:
        """The terminal types that hold hyperparameter values."""
        return set(self._hp_types.values())

    def _terminals(self, pset, component) -> list[type]:
        """Terminal types (one per hyperparameter) of a component, created once."""
        types = []
        for hp in component.hyperparameters:
            key = hp_key(component, hp.name)
            if key not in self._hp_types:
                self._hp_types[key] = type(key, (), {"__doc__": f"Values of {key}."})
                for value in grid_values(hp, extra=self.space.tuned_values(component, hp.name)):
                    pset.addTerminal(value, self._hp_types[key], name=f"{key}={value!r}")
            types.append(self._hp_types[key])
        return types

    # --------------------------------------------------------- trees
    def to_config(self, tree) -> dict:
        """The program configuration a tree describes."""
        stack = []
        for node in reversed(tree):
            value = self.pset.context[node.name]
            if isinstance(node, gp.Terminal):
                stack.append(value)
            else:
                stack.append(value(*[stack.pop() for _ in range(node.arity)]))
        return dict(stack.pop())

    def from_config(self, config: dict) -> Individual:
        """The tree of a configuration (flat or program); off-grid values snap to the grid."""
        program = program_from_config(config, self.space)
        model = self.space.component(MODEL, program[MODEL])
        expr = [self.pset.mapping["pipeline"], self.pset.mapping[model.name]]
        expr += self._matrix_expr(program[TRANSFORMS], pixels=model.reads_pixels)
        expr += self._hp_terminals(model, {hp.name: program.get(hp_key(model, hp.name))
                                           for hp in model.hyperparameters})
        for step in (IMPUTATION, ENCODING):
            if step not in self.space.steps:
                continue
            component = self.space.component(step, program[step])
            values = {}
            for hp in component.hyperparameters:
                given = program.get(hp_key(component, hp.name), hp.default)
                values[hp.name] = nearest(hp, given)
            items = ((step, component.name), *_active(component, values).items())
            expr.append(self.pset.mapping[_items_name(items)])
        return Individual(expr)

    def _matrix_expr(self, node, pixels=False) -> list:
        """The prefix expression of a matrix node; under an image model (``pixels``)
        only the input and scalers can be expressed (a ``ValueError`` otherwise)."""
        if node == INPUT:
            return [self.pset.mapping[PIXELS_INPUT if pixels else "X"]]
        if pixels and (node[0] != "step" or node[1] != SCALING):
            raise ValueError(f"an image model cannot read the output of {node[0]} "
                             f"{node[-3] if node[0] == 'step' else node[1]!r}")
        if node[0] == "union":
            return [self.pset.mapping["union"], *self._matrix_expr(node[1]),
                    *self._matrix_expr(node[2])]
        if node[0] == "stack":
            _, name, params, child = node
            component, primitive = self.space.component(MODEL, name), f"stack_{name}"
            child_pixels = component.reads_pixels
        else:
            _, step, name, params, child = node
            component = self.space.component(step, name)
            primitive, child_pixels = (_pixels_name(name), True) if pixels else (name, False)
        return [self.pset.mapping[primitive], *self._matrix_expr(child, child_pixels),
                *self._hp_terminals(component, dict(params))]

    def _hp_terminals(self, component, values: dict) -> list:
        out = []
        for hp in component.hyperparameters:
            given = values.get(hp.name)
            value = nearest(hp, hp.default if given is None else given,
                            self.space.tuned_values(component, hp.name))
            out.append(self.pset.mapping[f"{hp_key(component, hp.name)}={value!r}"])
        return out


def _pixels_name(name: str) -> str:
    """The name of a scaler's primitive over pixels (DEAP's names are unique)."""
    return f"{name}_pixels"


def _items_name(items) -> str:
    (_, name), *params = items
    inside = ", ".join(f"{key.rsplit(':', 1)[1]}={value!r}" for key, value in params)
    return f"{name}({inside})"


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
        self._known: set = set()                 # keys asked or told: never asked again
        self._told: set = set()
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
        if key in self._told:  # a repeated proposal told the same result again
            return
        individual = self._asked.pop(key, None)
        if individual is None:  # a warm start: learn it as if it had been bred
            try:
                individual = self.primitives.from_config(candidate.config)
            except (KeyError, ValueError) as exc:
                logger.debug("genetic search cannot represent %s: %s", candidate.config, exc)
                return
        self._known.add(key)
        self._told.add(key)
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
        """A tree whose program was never asked, from ``make`` then fresh trees."""
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
                child, _ = gp.cxOnePoint(first, second)
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
