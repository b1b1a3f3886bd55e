"""Compile component declarations to a ConfigSpace ``ConfigurationSpace``.

Layout (auto-sklearn's): one categorical hyperparameter per step that has more
than one choice, named after the step; each component's hyperparameters under
``"<step>:<component>:<name>"``, active only when the step picks that component.
Categorical choices are encoded as strings (``None`` and booleans travel badly
through some ConfigSpace versions) and decoded by :func:`decode`.
"""

from __future__ import annotations

import ConfigSpace as CS

from .declarations import Categorical, Component, Float, Int, hp_key


def _token(value) -> str:
    return str(value)


def _compile_hyperparameter(key: str, hp):
    if isinstance(hp, Float):
        return CS.Float(key, (hp.low, hp.high), default=hp.default, log=hp.log)
    if isinstance(hp, Int):
        if hp.log:  # searched as a log float, rounded on decode (see declarations.Int)
            return CS.Float(key, (hp.low, hp.high), default=hp.default, log=True)
        return CS.Integer(key, (hp.low, hp.high), default=hp.default)
    if isinstance(hp, Categorical):
        return CS.Categorical(key, [_token(c) for c in hp.choices], default=_token(hp.default))
    raise TypeError(f"unknown hyperparameter declaration {hp!r}")


def compile_space(steps: dict[str, tuple[Component, ...]], defaults: dict[str, str], seed=None):
    """Build the ``ConfigurationSpace`` of a pipeline from its steps' components.

    Parameters
    ----------
    steps : dict
        Step name to the components offered for it, in pipeline order.
    defaults : dict
        Step name to the default component's name.
    seed : int or None
        Seed of the space's own sampler.
    """
    space = CS.ConfigurationSpace(seed=seed)
    for step, components in steps.items():
        choice = None
        if len(components) > 1:
            names = [c.name for c in components]
            choice = CS.Categorical(step, names, default=defaults.get(step, names[0]))
            space.add(choice)
        for component in components:
            compiled = {
                hp.name: _compile_hyperparameter(hp_key(component, hp.name), hp)
                for hp in component.hyperparameters
            }
            space.add(list(compiled.values()))
            for hp in component.hyperparameters:
                conditions = []
                if choice is not None:
                    conditions.append(CS.EqualsCondition(compiled[hp.name], choice, component.name))
                for parent, values in hp.active_if.items():
                    conditions.append(CS.InCondition(
                        compiled[hp.name], compiled[parent], [_token(v) for v in values]))
                if len(conditions) == 1:
                    space.add(conditions[0])
                elif conditions:
                    space.add(CS.AndConjunction(*conditions))
    _forbid_column_changes_before_images(space, steps)
    return space


def _forbid_column_changes_before_images(space, steps):
    """A model fixed to an ``image_shape`` reads the columns as pixels: no feature
    step (PCA, selection, polynomials) may change them before it."""
    from .declarations import FEATURES, MODEL

    models, features = steps.get(MODEL, ()), steps.get(FEATURES, ())
    changing = [c.name for c in features if c.estimator is not None]
    if len(features) < 2 or not changing:
        return
    for model in models:
        if not model.reads_pixels:
            continue
        clause = CS.ForbiddenInClause(space[FEATURES], changing)
        space.add(clause if len(models) == 1 else CS.ForbiddenAndConjunction(
            CS.ForbiddenEqualsClause(space[MODEL], model.name), clause))


def decode(values: dict, steps: dict[str, tuple[Component, ...]]) -> dict:
    """Turn a ConfigSpace configuration (or its dict) into typed Python values.

    Returns a flat dict: every step name maps to the chosen component's name and
    every active hyperparameter key to a value of its declared type.
    """
    values = dict(values)
    config = {}
    for step, components in steps.items():
        chosen = values.get(step, components[0].name) if len(components) > 1 else components[0].name
        config[step] = chosen
        component = next(c for c in components if c.name == chosen)
        for hp in component.hyperparameters:
            key = hp_key(component, hp.name)
            if key not in values:
                continue
            value = values[key]
            if isinstance(hp, Int):
                value = int(min(max(round(float(value)), hp.low), hp.high))
            elif isinstance(hp, Float):
                value = float(value)
            else:
                value = {_token(c): c for c in hp.choices}[_token(value)]
            config[key] = value
    return config


def encode(config: dict, space: CS.ConfigurationSpace) -> CS.Configuration:
    """Inverse of :func:`decode`: typed values back to a ``Configuration``."""
    values = {}
    for key, value in config.items():
        if key not in space:
            continue
        hp = space[key]
        if isinstance(hp, CS.CategoricalHyperparameter):
            values[key] = _token(value)
        elif isinstance(hp, CS.UniformFloatHyperparameter):
            values[key] = float(value)
        else:
            values[key] = int(value)
    return CS.Configuration(space, values=values)
