"""A space compiled to DEAP's strongly typed primitive set, and trees <-> programs.

A program is a strongly typed tree: ``pipeline(model, imputation, encoding)`` at
the root; under the model, a tree of transformations of the input matrix
(scalers and feature steps, unions of two branches, and stacking of another
model's out-of-fold predictions; under an image or signal network, the input
alone: :class:`Pixels`); hyperparameters are typed terminals whose
values come from the grids of :mod:`.grid`, compiled from the same declarations
as the ConfigSpace space. :meth:`PrimitiveSet.to_config` turns a tree into a
program configuration (:mod:`.program`) in the parent process, so no DEAP object
ever travels to a worker; the primitives themselves are ``functools.partial``
objects, never lambdas, so that what holds them still pickles.

Every type has at least one terminal (checked when the set is built): DEAP's
generators can then end a tree on any type. Breeding the trees is the genetic
search's job (:mod:`automl_estimators.search.genetic`).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

from deap import gp

from .declarations import ENCODING, IMPUTATION, MODEL, hp_key
from .grid import grid_values, nearest
from .program import (
    INPUT,
    TRANSFORM_STEPS,
    TRANSFORMS,
    Input,
    Node,
    Stack,
    Transform,
    Union,
    node_params,
    program_from_config,
)

__all__ = ["Encoding", "Imputation", "Matrix", "Model", "Pixels", "PrimitiveSet", "Program"]

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
    """Type of the matrix an image or signal model reads: the input itself.

    A model fixed to an ``image_shape`` reads the columns as pixels (or the
    steps of a signal), so no feature step, union or stacking may change them
    before it (the ConfigSpace forbids feature steps likewise). No scaler
    either, unlike the flat pipelines' scaling step: a network standardises each
    channel itself, so a scaler would add only a per-pixel rescaling that
    distorts the image, and a tree of transformations in front of a network
    would be searched for nothing. The type's one terminal is the input.
    """


class Imputation:
    """Type of a choice of imputer with its hyperparameters."""


class Encoding:
    """Type of a choice of categorical encoder with its hyperparameters."""


# ------------------------------------------------ values of the primitives
@dataclass(frozen=True)
class _ModelChoice:
    """The value of a Model-typed subtree: a model, its active hyperparameters
    (flat keys), and the tree of the matrix it reads."""

    name: str
    items: tuple
    matrix: Node


def _active(component, values: dict) -> dict:
    """Flat keys of a component's hyperparameters, conditional ones only when active."""
    active = component.active(values)
    return {hp_key(component, hp.name): values[hp.name] for hp in component.hyperparameters
            if hp.name in active}


def _named(component, values) -> dict:
    """A primitive's hyperparameter arguments (declaration order) by name."""
    return dict(zip((hp.name for hp in component.hyperparameters), values))


def _make_pipeline(model: _ModelChoice, imputation, encoding=()):
    return (*imputation, *encoding, (MODEL, model.name), *model.items, (TRANSFORMS, model.matrix))


def _make_model(component, matrix, *values) -> _ModelChoice:
    return _ModelChoice(component.name,
                        tuple(_active(component, _named(component, values)).items()), matrix)


def _make_step(component, matrix, *values) -> Transform:
    params = node_params(component, _active(component, _named(component, values)))
    return Transform(component.step, component.name, params, matrix)


def _make_stack(component, matrix, *values) -> Stack:
    params = node_params(component, _active(component, _named(component, values)))
    return Stack(component.name, params, matrix)


def _choice_items(component) -> list[tuple]:
    """Every (component, grid values) combination of a terminal-only step, as config items."""
    grids = [grid_values(hp) for hp in component.hyperparameters]
    out = []
    for values in itertools.product(*grids):
        params = dict(zip((hp.name for hp in component.hyperparameters), values))
        out.append(((component.step, component.name), *_active(component, params).items()))
    return out


# --------------------------------------------------------- the primitive set
class PrimitiveSet:
    """The typed primitives and terminals of a space, and trees <-> programs.

    Built from ``space.steps``: the include/exclude and data-shape filtering of the
    flat search apply unchanged.

    Parameters
    ----------
    space : Space

    Attributes
    ----------
    pset : deap.gp.PrimitiveSetTyped
        The compiled set (its order of primitives and terminals is what a seeded
        search draws from: keep it).
    """

    def __init__(self, space):
        self.space = space
        pset = gp.PrimitiveSetTyped("program", [], Program)
        self._hp_types = {}
        pset.addTerminal(INPUT, Matrix, name="X")
        pset.addPrimitive(Union, [Matrix, Matrix], Matrix, name="union")
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
        """The program configuration a tree (a prefix expression) describes."""
        stack = []
        for node in reversed(tree):
            value = self.pset.context[node.name]
            if isinstance(node, gp.Terminal):
                stack.append(value)
            else:
                stack.append(value(*[stack.pop() for _ in range(node.arity)]))
        return dict(stack.pop())

    def from_config(self, config: dict) -> gp.PrimitiveTree:
        """The tree of a configuration (flat or program, an old fit's tuple tree
        included); off-grid values snap to the grid. A ``KeyError`` or ``ValueError``
        when the space cannot express it."""
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
        return gp.PrimitiveTree(expr)

    def _matrix_expr(self, node: Node, pixels=False) -> list:
        """The prefix expression of a matrix node; under an image or signal model
        (``pixels``) only the input can be expressed (a ``ValueError`` otherwise)."""
        if isinstance(node, Input):
            return [self.pset.mapping[PIXELS_INPUT if pixels else "X"]]
        if pixels:
            raise ValueError(f"an image or signal model reads its input as it is; it cannot "
                             f"read the output of {node.render()}")
        if isinstance(node, Union):
            return [self.pset.mapping["union"], *self._matrix_expr(node.left),
                    *self._matrix_expr(node.right)]
        if isinstance(node, Stack):
            component, primitive = self.space.component(MODEL, node.model), f"stack_{node.model}"
            child_pixels = component.reads_pixels
        else:
            component, primitive, child_pixels = (
                self.space.component(node.step, node.component), node.component, False)
        return [self.pset.mapping[primitive], *self._matrix_expr(node.child, child_pixels),
                *self._hp_terminals(component, dict(node.params))]

    def _hp_terminals(self, component, values: dict) -> list:
        out = []
        for hp in component.hyperparameters:
            given = values.get(hp.name)
            value = nearest(hp, hp.default if given is None else given,
                            self.space.tuned_values(component, hp.name))
            out.append(self.pset.mapping[f"{hp_key(component, hp.name)}={value!r}"])
        return out


def _items_name(items) -> str:
    (_, name), *params = items
    inside = ", ".join(f"{key.rsplit(':', 1)[1]}={value!r}" for key, value in params)
    return f"{name}({inside})"
