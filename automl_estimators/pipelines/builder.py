"""Configuration -> unfitted scikit-learn ``Pipeline``.

The only place where a configuration (see :mod:`automl_estimators.spaces`)
becomes estimator objects; search strategies, the final refit and export all go
through :func:`build_pipeline`.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from ..spaces.declarations import ENCODING, FEATURES, IMPUTATION, MODEL, SCALING
from ..spaces.program import TRANSFORMS, as_node
from .instantiation import make_component
from .preprocessing import column_preprocessor
from .program import compile_transforms
from .width import preprocessed_width, transformed_width


def fidelity_shares(config: dict, space, fidelity: float) -> tuple[float, float]:
    """How a fidelity is spent: (share of the model's iterations, share of training rows).

    A model that declares an iterations hyperparameter gets fewer iterations on
    all rows; any other model gets all its iterations on fewer rows.
    """
    if fidelity >= 1.0:
        return 1.0, 1.0
    if space.component(MODEL, config[MODEL]).iterations:
        return fidelity, 1.0
    return 1.0, fidelity


def ordinal_positions(profile, encoder) -> list[int]:
    """Where the ordinal-encoded columns sit in :func:`column_preprocessor`'s output.

    The ``ColumnTransformer`` writes the categorical branch first (with an
    ``OrdinalEncoder``, one code column per input column), so the codes are
    columns ``0 .. len(profile.categorical) - 1`` in every fit of the pipeline
    (each cross-validation fold, the refit, the exported script's fit), whatever
    the width of the numeric branch after them (the imputer's ``add_indicator``
    appends columns, a column empty at fit is dropped). Reading them from the
    fitted transformer's ``output_indices_`` would be as exact but too late: the
    model's parameters are set here, on the unfitted pipeline that workers fit
    and export writes out.

    Returns an empty list when ``encoder`` is not an ``OrdinalEncoder`` (one-hot
    columns are plain numbers) or there are no low-cardinality categoricals.
    """
    if profile.sparse or not profile.categorical or not isinstance(encoder, OrdinalEncoder):
        return []
    return list(range(len(profile.categorical)))


def extrapolates(config: dict, space) -> bool:
    """Whether a model of the configuration extrapolates (``Component.extrapolates``):
    the pipeline's own, or one a program stacks."""
    models = [config[MODEL]]
    if TRANSFORMS in config:
        models += [name for step, name in as_node(config[TRANSFORMS]).components()
                   if step == MODEL]
    return any(space.component(MODEL, name).extrapolates for name in models)


def build_pipeline(config: dict, space, profile, random_state=None,
                   fidelity: float = 1.0) -> Pipeline:
    """Build the unfitted pipeline a configuration describes.

    Parameters
    ----------
    config : dict
        A typed configuration of ``space``, flat or a program
        (:mod:`~automl_estimators.pipelines.program`).
    space : Space
        The space the configuration comes from.
    profile : DataProfile
        Column kinds, sparsity and rows of the training data.
    random_state : int or None
        Seed given to every seeded component.
    fidelity : float
        In (0, 1]; below 1 the model gets a share of its iterations where it
        declares them (see :func:`fidelity_shares`).

    A model that declares a ``categorical_parameter`` (HistGradientBoosting's
    and a network's ``categorical_features``) is given the :func:`ordinal_positions` of the
    encoded columns when nothing (a features step, a program's transformations)
    stands between the column preprocessing and the model. The model's
    ``width_bounded`` parameters (HistGradientBoosting's ``max_leaf_nodes``) are
    bounded by the columns the steps before it give at most
    (:mod:`~automl_estimators.pipelines.width`). Where a model
    :func:`extrapolates`, the numeric columns are clipped to their training range
    (:class:`~.preprocessing.RangeClipper`).
    """
    iteration_share, _ = fidelity_shares(config, space, fidelity)

    def make(step, n_columns=None):
        if step not in space.steps:
            return None
        component = space.component(step, config[step])
        return make_component(component, config, sparse=profile.sparse, random_state=random_state,
                              iteration_share=iteration_share if step == MODEL else 1.0,
                              n_rows=profile.n_rows, n_columns=n_columns)

    encoder, imputer = make(ENCODING), make(IMPUTATION)
    width = preprocessed_width(profile, imputer, encoder)
    clip = extrapolates(config, space)
    if TRANSFORMS in config:  # a program: its tree replaces the scaling and features steps
        steps = [("preprocess", column_preprocessor(
            profile, imputer=imputer, scaler=None, encoder=encoder, clip=clip))]
        transforms = compile_transforms(config[TRANSFORMS], space, profile, random_state,
                                        n_columns=width)
        if transforms is not None:
            steps.append(("transforms", transforms))
    else:
        steps = [("preprocess", column_preprocessor(
            profile, imputer=imputer, scaler=make(SCALING), encoder=encoder, clip=clip))]
        features = make(FEATURES)
        if features is not None:
            steps.append(("features", features))
    for _, step in steps[1:]:  # the model is bounded by the columns it is given
        width = transformed_width(step, width, profile.n_classes)
    model = make(MODEL, n_columns=width)
    parameter = space.component(MODEL, config[MODEL]).categorical_parameter
    positions = ordinal_positions(profile, encoder)
    if parameter and positions and len(steps) == 1:
        model.set_params(**{parameter: positions})
    steps.append(("model", model))
    return Pipeline(steps)
