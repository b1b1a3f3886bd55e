"""Configuration -> unfitted scikit-learn ``Pipeline``.

The only place where a configuration (see :mod:`automl_estimators.spaces`)
becomes estimator objects; search strategies, the final refit and export all go
through :func:`build_pipeline`.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from ..spaces.declarations import ENCODING, FEATURES, IMPUTATION, MODEL, SCALING, hp_key
from .preprocessing import column_preprocessor


def make_component(component, config: dict, *, sparse: bool = False, random_state=None):
    """Instantiate one component with the configuration's hyperparameters.

    Returns ``None`` for a step's "nothing" choice (e.g. ``no_scaling``).
    """
    cls = component.estimator_class(sparse)
    if cls is None:
        return None
    kwargs = dict(component.fixed)
    if sparse:
        kwargs.update(component.sparse_fixed)
    for hp in component.hyperparameters:
        key = hp_key(component, hp.name)
        if key in config:
            kwargs[hp.name] = config[key]
    if component.seeded:
        kwargs["random_state"] = random_state
    return cls(**kwargs)


def build_pipeline(config: dict, space, profile, random_state=None) -> Pipeline:
    """Build the unfitted pipeline a configuration describes.

    Parameters
    ----------
    config : dict
        A typed configuration of ``space``.
    space : Space
        The space the configuration comes from.
    profile : DataProfile
        Column kinds and sparsity of the training data.
    random_state : int or None
        Seed given to every seeded component.
    """
    def make(step):
        if step not in space.steps:
            return None
        component = space.component(step, config[step])
        return make_component(component, config, sparse=profile.sparse, random_state=random_state)

    steps = [("preprocess", column_preprocessor(
        profile, imputer=make(IMPUTATION), scaler=make(SCALING), encoder=make(ENCODING)))]
    features = make(FEATURES)
    if features is not None:
        steps.append(("features", features))
    steps.append(("model", make(MODEL)))
    return Pipeline(steps)
