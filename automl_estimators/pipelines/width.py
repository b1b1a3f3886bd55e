"""Upper bounds on the columns each step of an unfitted pipeline hands on.

Read from the training data's profile and the unfitted steps, before anything is
fitted: :func:`~.builder.build_pipeline` and :func:`~.program.compile_transforms`
give the model :func:`transformed_width` of what stands before it, so that
:func:`~.instantiation.make_component` can bound its ``width_bounded`` parameters
(``Component.width_bounded``). Bounds, not counts: a one-hot encoding that groups
rare levels, a percentile selection or a PCA that keeps part of the variance give
fewer columns once fitted.
"""

from __future__ import annotations

from math import comb

from sklearn.decomposition import TruncatedSVD
from sklearn.kernel_approximation import Nystroem
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures

from ..spaces import one_hot_levels
from .components import SeededTargetEncoder, StackingTransformer


def preprocessed_width(profile, imputer=None, encoder=None) -> int:
    """Columns out of :func:`~.preprocessing.column_preprocessor` at most: the
    encoded categorical columns (a one-hot encoding's levels,
    :func:`~automl_estimators.spaces.one_hot_levels`; a target encoding's one per
    class of a multiclass target; one code otherwise), one per high-cardinality
    column, and each numeric column twice where the imputer adds missing-value
    indicators."""
    indicators = 2 if getattr(imputer, "add_indicator", False) else 1
    if profile.sparse:
        return profile.n_features * indicators
    if isinstance(encoder, OneHotEncoder):
        categorical = one_hot_levels(profile)
    elif isinstance(encoder, SeededTargetEncoder) and profile.n_classes > 2:
        categorical = len(profile.categorical) * profile.n_classes
    else:
        categorical = len(profile.categorical)
    return categorical + len(profile.high_cardinality) + len(profile.numeric) * indicators


def transformed_width(transformer, n_columns: int, n_classes: int = 0) -> int:
    """Columns out of ``transformer`` (unfitted) at most, given ``n_columns`` in and
    the target's ``n_classes`` (0 for regression).

    A ``Pipeline`` chains its steps, a ``FeatureUnion`` adds its branches;
    ``PolynomialFeatures`` gives every product of at most ``degree`` columns;
    ``Nystroem`` and ``TruncatedSVD`` their ``n_components``; a
    ``StackingTransformer`` adds its model's predictions (one per class for a
    classifier, one for a regressor); any other step (scalers, selections, PCA; ``None`` or
    ``"passthrough"``) at most keeps them.
    """
    n = int(n_columns)
    if isinstance(transformer, Pipeline):
        for _, step in transformer.steps:
            n = transformed_width(step, n, n_classes)
        return n
    if isinstance(transformer, FeatureUnion):
        return sum(transformed_width(branch, n, n_classes)
                   for _, branch in transformer.transformer_list)
    if isinstance(transformer, PolynomialFeatures):
        degrees = range(1, int(transformer.degree) + 1)
        terms = (sum(comb(n, d) for d in degrees) if transformer.interaction_only
                 else comb(n + transformer.degree, transformer.degree) - 1)
        return terms + int(transformer.include_bias)
    if isinstance(transformer, (Nystroem, TruncatedSVD)):
        return int(transformer.n_components)
    if isinstance(transformer, StackingTransformer):
        return n + max(n_classes, 1)
    return n
