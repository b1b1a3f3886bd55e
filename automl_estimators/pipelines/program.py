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
from .width import transformed_width


def compile_transforms(tree, space, profile, random_state=None, n_columns=None):
    """The unfitted transformer a tree describes (``None`` for the bare input).

    ``tree`` is a :class:`~automl_estimators.spaces.program.Node`, or an old fit's
    positional tuple (read by :func:`~automl_estimators.spaces.program.as_node`).
    ``n_columns``: an upper bound on the columns the tree's input holds
    (:func:`~.width.preprocessed_width`), which bounds a stacked model's
    ``width_bounded`` parameters as it does the pipeline's model.
    """
    node = as_node(tree)
    if isinstance(node, Input):
        return None
    if isinstance(node, Union):
        branches = [compile_transforms(child, space, profile, random_state, n_columns)
                    or "passthrough" for child in node.children]
        return FeatureUnion([(f"branch{i}", b) for i, b in enumerate(branches)])
    below = compile_transforms(node.child, space, profile, random_state, n_columns)
    if isinstance(node, Transform):
        component = space.component(node.step, node.component)
        made = make_component(component, component_params(component, node.params),
                              sparse=profile.sparse, random_state=random_state,
                              n_rows=profile.n_rows)
    elif isinstance(node, Stack):
        component = space.component(MODEL, node.model)
        width = None if n_columns is None else transformed_width(
            below, n_columns, profile.n_classes)
        model = make_component(component, component_params(component, node.params),
                               sparse=profile.sparse, random_state=random_state,
                               n_columns=width)
        made = StackingTransformer(model, random_state=random_state)
    else:
        raise TypeError(f"unknown program node {node!r}")
    if below is None:
        return made
    if isinstance(below, Pipeline):
        return Pipeline([*below.steps, (f"step{len(below.steps)}", made)])
    return Pipeline([("step0", below), ("step1", made)])
