"""Program configurations: pipelines whose feature transformations form a tree.

The flat configurations of :class:`~automl_estimators.spaces.Space` pick one
component per step. Genetic programming (:mod:`automl_estimators.search.genetic`)
searches a larger set: the same imputation, encoding and model keys, and under
:data:`TRANSFORMS` a tree of transformations applied between the column
preprocessing and the model. The tree is made of frozen, hashable nodes:

- :data:`INPUT` (an :class:`Input`) — the preprocessed input matrix;
- :class:`Transform` — a scaling or feature component applied to its child's output;
- :class:`Union` — both branches' columns side by side;
- :class:`Stack` — the child's columns plus a model's out-of-fold predictions.

A node's ``params`` is a tuple of ``(hyperparameter, value)`` pairs. Every flat
configuration has an equivalent program (:func:`program_from_config`). Turning a
tree into scikit-learn objects is :mod:`automl_estimators.pipelines.program`'s
job; this module only describes trees, so that spaces never import pipelines.

Fits made before the nodes existed stored their trees as positional tuples
(``("X",)``, ``("step", step, component, params, child)``, ``("union", left,
right)``, ``("stack", model, params, child)``), pickled in ``best_config_`` and
the leaderboard, or as nested lists in JSON; :func:`as_node` reads them, and
:meth:`Node.to_tuple` writes one back for JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .declarations import FEATURES, MODEL, SCALING, hp_key

__all__ = [
    "INPUT",
    "TRANSFORMS",
    "TRANSFORM_STEPS",
    "Input",
    "Node",
    "Stack",
    "Transform",
    "Union",
    "as_node",
    "complexity",
    "component_params",
    "is_program",
    "node_params",
    "program_from_config",
]

TRANSFORMS = "transforms"
# Steps whose components become transformation nodes of a program.
TRANSFORM_STEPS = (SCALING, FEATURES)


class Node:
    """Base of the nodes of a transformation tree (frozen dataclasses, hashable).

    Their ``repr`` is what :func:`~automl_estimators.search.base.config_key`
    hashes, so it holds every field and nothing else (the dataclass default).
    """

    __slots__ = ()

    @property
    def children(self) -> tuple[Node, ...]:
        """The nodes whose output this node reads."""
        return ()

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, parents before their children."""
        yield self
        for child in self.children:
            yield from child.walk()

    def components(self) -> Iterator[tuple[str, str]]:
        """``(step, component name)`` of every component the tree uses."""
        for node in self.walk():
            if isinstance(node, Transform):
                yield node.step, node.component
            elif isinstance(node, Stack):
                yield MODEL, node.model

    def count(self) -> int:
        """Operators in the tree (the input not counted)."""
        return sum(not isinstance(node, Input) for node in self.walk())

    def render(self) -> str:
        """The tree as short text, hyperparameters left out: ``pca(standard(X))``."""
        raise NotImplementedError

    def to_tuple(self) -> tuple:
        """The positional tuple of fits made before the nodes (for JSON and old readers)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Input(Node):
    """The preprocessed input matrix (the leaf of every tree)."""

    def render(self) -> str:
        return "X"

    def to_tuple(self) -> tuple:
        return ("X",)


@dataclass(frozen=True)
class Transform(Node):
    """A component of a transformation step applied to ``child``'s output.

    Parameters
    ----------
    step : str
        One of :data:`TRANSFORM_STEPS`.
    component : str
        The component's name at ``step``.
    params : tuple of (str, object)
        Its hyperparameters (the active ones) by name.
    child : Node
    """

    step: str
    component: str
    params: tuple
    child: Node

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.child,)

    def render(self) -> str:
        return f"{self.component}({self.child.render()})"

    def to_tuple(self) -> tuple:
        return ("step", self.step, self.component, self.params, self.child.to_tuple())


@dataclass(frozen=True)
class Union(Node):
    """Both branches' columns side by side."""

    left: Node
    right: Node

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def render(self) -> str:
        return f"union({self.left.render()}, {self.right.render()})"

    def to_tuple(self) -> tuple:
        return ("union", self.left.to_tuple(), self.right.to_tuple())


@dataclass(frozen=True)
class Stack(Node):
    """``child``'s columns plus the out-of-fold predictions of a model.

    Parameters
    ----------
    model : str
        The model's component name.
    params : tuple of (str, object)
        Its hyperparameters (the active ones) by name.
    child : Node
    """

    model: str
    params: tuple
    child: Node

    @property
    def children(self) -> tuple[Node, ...]:
        return (self.child,)

    def render(self) -> str:
        return f"stack[{self.model}]({self.child.render()})"

    def to_tuple(self) -> tuple:
        return ("stack", self.model, self.params, self.child.to_tuple())


INPUT = Input()


def as_node(tree) -> Node:
    """A tree as nodes, from nodes or from the positional tuples (or JSON lists) of
    fits made before the nodes; raises ``ValueError`` on anything else."""
    if isinstance(tree, Node):
        return tree
    if isinstance(tree, (tuple, list)) and tree:
        kind, *fields = tree
        if kind == "X" and not fields:
            return INPUT
        if kind == "step" and len(fields) == 4:
            step, component, params, child = fields
            return Transform(step, component, _pairs(params), as_node(child))
        if kind == "union" and len(fields) == 2:
            return Union(as_node(fields[0]), as_node(fields[1]))
        if kind == "stack" and len(fields) == 3:
            model, params, child = fields
            return Stack(model, _pairs(params), as_node(child))
    raise ValueError(f"not a program tree: {tree!r}; expected a Node or a positional tuple "
                     "such as ('step', 'scaling', 'standard', (), ('X',))")


def _pairs(params) -> tuple:
    # JSON turns the pairs into lists; nodes keep tuples so that they hash.
    return tuple((name, value) for name, value in params)


def is_program(config: dict) -> bool:
    """Whether a configuration is a program (else a flat configuration)."""
    return TRANSFORMS in config


def component_params(component, params) -> dict:
    """A node's ``(name, value)`` pairs as flat configuration keys of ``component``."""
    return {hp_key(component, name): value for name, value in params}


def node_params(component, config: dict) -> tuple:
    """A component's hyperparameters in a flat configuration, as a node's pairs."""
    return tuple((hp.name, config[hp_key(component, hp.name)])
                 for hp in component.hyperparameters if hp_key(component, hp.name) in config)


def program_from_config(config: dict, space) -> dict:
    """The program equivalent of a flat configuration; a program comes back as a copy,
    its tree as nodes (an old fit's tuples read by :func:`as_node`)."""
    if is_program(config):
        return {**config, TRANSFORMS: as_node(config[TRANSFORMS])}
    node = INPUT
    program = {}
    for key, value in config.items():
        step = key.split(":", 1)[0]
        if step not in TRANSFORM_STEPS:
            program[key] = value
    for step in TRANSFORM_STEPS:
        if step not in space.steps:
            continue
        component = space.component(step, config[step])
        if component.estimator is not None:
            node = Transform(step, component.name, node_params(component, config), node)
    program[TRANSFORMS] = node
    return program


def complexity(config: dict, space) -> int:
    """Operators in a pipeline: the model plus every transformation (preprocessing
    of columns, always present, not counted). The second objective of genetic search."""
    return 1 + program_from_config(config, space)[TRANSFORMS].count()
