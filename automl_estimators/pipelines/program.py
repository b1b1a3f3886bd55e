"""Program trees (:mod:`automl_estimators.spaces.program`) -> scikit-learn transformers.

A :class:`~automl_estimators.spaces.program.Transform` becomes its component, a
:class:`~automl_estimators.spaces.program.Union` a ``FeatureUnion``, a
:class:`~automl_estimators.spaces.program.Stack` a
:class:`~.components.StackingTransformer`, and a chain of them a ``Pipeline``.
"""

from __future__ import annotations

from sklearn.pipeline import FeatureUnion, Pipeline

from ..spaces.declarations import MODEL
from ..spaces.program import Input, Stack, Transform, Union, as_node, component_params
from .components import StackingTransformer
from .instantiation import make_component


def compile_transforms(tree, space, profile, random_state=None):
    """The unfitted transformer a tree describes (``None`` for the bare input).

    ``tree`` is a :class:`~automl_estimators.spaces.program.Node`, or an old fit's
    positional tuple (read by :func:`~automl_estimators.spaces.program.as_node`).
    """
    node = as_node(tree)
    if isinstance(node, Input):
        return None
    if isinstance(node, Union):
        branches = [compile_transforms(child, space, profile, random_state) or "passthrough"
                    for child in node.children]
        return FeatureUnion([(f"branch{i}", b) for i, b in enumerate(branches)])
    if isinstance(node, Transform):
        component = space.component(node.step, node.component)
        made = make_component(component, component_params(component, node.params),
                              sparse=profile.sparse, random_state=random_state,
                              n_rows=profile.n_rows)
    elif isinstance(node, Stack):
        component = space.component(MODEL, node.model)
        model = make_component(component, component_params(component, node.params),
                               sparse=profile.sparse, random_state=random_state)
        made = StackingTransformer(model, random_state=random_state)
    else:
        raise TypeError(f"unknown program node {node!r}")
    below = compile_transforms(node.child, space, profile, random_state)
    if below is None:
        return made
    if isinstance(below, Pipeline):
        return Pipeline([*below.steps, (f"step{len(below.steps)}", made)])
    return Pipeline([("step0", below), ("step1", made)])
