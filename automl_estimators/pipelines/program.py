"""Program configurations: pipelines whose feature transformations form a tree.

The flat configurations of :mod:`automl_estimators.spaces` pick one component per
step. Genetic programming (:mod:`automl_estimators.search.genetic`) searches a
larger set: the same imputation, encoding and model keys, and under
:data:`TRANSFORMS` a tree of transformations applied between the column
preprocessing and the model. A tree is a plain, hashable nested tuple:

- ``INPUT`` — the preprocessed input matrix;
- ``("step", step, component, params, child)`` — a scaling or feature component
  applied to ``child``'s output;
- ``("union", left, right)`` — both branches' columns side by side;
- ``("stack", model, params, child)`` — ``child``'s columns plus a model's
  out-of-fold predictions (:class:`~.components.StackingTransformer`).

``params`` is a tuple of ``(hyperparameter, value)`` pairs. Every flat
configuration has an equivalent program (:func:`program_from_config`).
"""

from __future__ import annotations

from sklearn.pipeline import FeatureUnion, Pipeline

from ..spaces.declarations import FEATURES, MODEL, SCALING, hp_key
from .components import StackingTransformer
from .instantiation import make_component

TRANSFORMS = "transforms"
INPUT = ("X",)
# Steps whose components become transformation nodes of a program.
TRANSFORM_STEPS = (SCALING, FEATURES)


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
    """The program equivalent of a flat configuration (programs are returned as they are)."""
    if is_program(config):
        return dict(config)
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
            node = ("step", step, component.name, node_params(component, config), node)
    program[TRANSFORMS] = node
    return program


def compile_transforms(node, space, profile, random_state=None):
    """The unfitted transformer a tree describes (``None`` for the bare input)."""
    if node == INPUT:
        return None
    kind = node[0]
    if kind == "union":
        branches = [compile_transforms(child, space, profile, random_state) or "passthrough"
                    for child in node[1:]]
        return FeatureUnion([(f"branch{i}", b) for i, b in enumerate(branches)])
    if kind == "step":
        _, step, name, params, child = node
        component = space.component(step, name)
        made = make_component(component, component_params(component, params),
                              sparse=profile.sparse, random_state=random_state)
    elif kind == "stack":
        _, name, params, child = node
        component = space.component(MODEL, name)
        model = make_component(component, component_params(component, params),
                               sparse=profile.sparse, random_state=random_state)
        made = StackingTransformer(model, random_state=random_state)
    else:
        raise ValueError(f"unknown program node {node!r}")
    below = compile_transforms(child, space, profile, random_state)
    if below is None:
        return made
    if isinstance(below, Pipeline):
        return Pipeline([*below.steps, (f"step{len(below.steps)}", made)])
    return Pipeline([("step0", below), ("step1", made)])


def render(node) -> str:
    """A tree as short text, hyperparameters left out: ``pca(standard(X))``."""
    if node == INPUT:
        return "X"
    if node[0] == "union":
        return f"union({render(node[1])}, {render(node[2])})"
    if node[0] == "stack":
        return f"stack[{node[1]}]({render(node[3])})"
    return f"{node[2]}({render(node[4])})"


def count_nodes(node) -> int:
    """Operators in a tree (the input not counted)."""
    if node == INPUT:
        return 0
    if node[0] == "union":
        return 1 + count_nodes(node[1]) + count_nodes(node[2])
    return 1 + count_nodes(node[-1])


def complexity(config: dict, space) -> int:
    """Operators in a pipeline: the model plus every transformation (preprocessing
    of columns, always present, not counted). The second objective of genetic search."""
    return 1 + count_nodes(program_from_config(config, space)[TRANSFORMS])
