"""Compile component declarations to a ConfigSpace ``ConfigurationSpace``.

Layout (auto-sklearn's): one categorical hyperparameter per step that has more
than one choice, named after the step; each component's hyperparameters under
``"<step>:<component>:<name>"``, active only when the step picks that component.
Categorical choices are encoded as strings (``None`` and booleans travel badly
through some ConfigSpace versions) and decoded by :func:`decode`.

A component's cells (``Component.cells``, a network's
:class:`~automl_estimators.spaces.neural.CellSpace`) are compiled like its own
hyperparameters, under the same keys, with ``active_if`` conditions on its block
count; :func:`decode` gathers them into one architecture value and
:func:`encode` takes it apart, so a configuration holds the architecture, never
its parts.
"""

from __future__ import annotations

import copy

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


# Compiling a space takes ~0.5 s (ConfigSpace checks every condition as it is added),
# half of a 1 s budget, and every fit of the same task and data kind declares the same
# steps: each distinct declaration is compiled once per process and copied from its
# serialized form (~0.06 s). The declarations' repr is the key: frozen dataclasses
# of plain values, it names every component, hyperparameter, range and default.
_COMPILED: dict[str, dict] = {}
_COMPILED_MAX = 16


def compiled_space(steps: dict[str, tuple[Component, ...]], defaults: dict[str, str],
                   forbidden=(), seed=None):
    """:func:`compile_space`, compiled once per distinct ``(steps, defaults, forbidden)``
    per process.

    Returns a new ``ConfigurationSpace`` each call (its sampler seeded with ``seed``),
    so no caller shares another's sampling state.
    """
    key = repr((steps, defaults, forbidden))
    if key not in _COMPILED:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = compile_space(steps, defaults, forbidden).to_serialized_dict()
    # from_serialized_dict consumes the dict it reads: it gets a copy
    space = CS.ConfigurationSpace.from_serialized_dict(copy.deepcopy(_COMPILED[key]))
    if seed is not None:
        space.seed(seed)
    return space


def compile_space(steps: dict[str, tuple[Component, ...]], defaults: dict[str, str],
                  forbidden=(), seed=None):
    """Build the ``ConfigurationSpace`` of a pipeline from its steps' components.

    Parameters
    ----------
    steps : dict
        Step name to the components offered for it, in pipeline order.
    defaults : dict
        Step name to the default component's name.
    forbidden : tuple of Forbidden
        Pairs of choices no configuration holds (forbidden clauses).
    seed : int or None
        Seed of the space's own sampler.
    """
    space = CS.ConfigurationSpace(seed=seed)
    # Everything in one add: ConfigSpace rebuilds its condition cache after each
    # call (79 calls took 0.19 s of a 1 s fit's first compile).
    hyperparameters, conditions = [], []
    for step, components in steps.items():
        choice = None
        if len(components) > 1:
            names = [c.name for c in components]
            choice = CS.Categorical(step, names, default=defaults.get(step, names[0]))
            hyperparameters.append(choice)
        for component in components:
            declared = _declared(component)
            compiled = {hp.name: _compile_hyperparameter(hp_key(component, hp.name), hp)
                        for hp in declared}
            hyperparameters.extend(compiled.values())
            for hp in declared:
                parts = []
                if choice is not None:
                    parts.append(CS.EqualsCondition(compiled[hp.name], choice, component.name))
                for parent, values in hp.active_if.items():
                    parts.append(CS.InCondition(
                        compiled[hp.name], compiled[parent],
                        _condition_values(compiled[parent], values)))
                if len(parts) == 1:
                    conditions.append(parts[0])
                elif parts:
                    conditions.append(CS.AndConjunction(*parts))
    space.add(hyperparameters, conditions)
    _forbid_column_changes_before_images(space, steps)
    if forbidden:
        space.add([CS.ForbiddenAndConjunction(
            *(CS.ForbiddenEqualsClause(space[step], name) for step, name in (p.first, p.second)))
            for p in forbidden])
    return space


def _declared(component: Component) -> tuple:
    """Every hyperparameter the space holds for ``component``: its own and its cells'."""
    cells = component.cells.hyperparameters if component.cells is not None else ()
    return tuple(component.hyperparameters) + tuple(cells)


def _condition_values(parent, values) -> list:
    """Allowed parent values as the compiled parent holds them (categoricals as tokens)."""
    if isinstance(parent, CS.CategoricalHyperparameter):
        return [_token(v) for v in values]
    return list(values)


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
    every active hyperparameter key to a value of its declared type. A chosen
    component's cells (``Component.cells``) become one value under the key of
    their estimator parameter (a network's
    :data:`~automl_estimators.spaces.neural.ARCHITECTURE_KEY`), not one key per
    cell hyperparameter.
    """
    values = dict(values)
    config = {}
    for step, components in steps.items():
        component = _chosen(values, step, components)
        if component is None:
            raise ValueError(f"{values[step]!r} is not offered at the {step!r} step; choose "
                             f"one of {[c.name for c in components]}.")
        config[step] = component.name
        for hp in component.hyperparameters:
            key = hp_key(component, hp.name)
            if key in values:
                config[key] = _typed(hp, values[key])
        cells = component.cells
        if cells is not None:
            cell_values = {hp.name: _typed(hp, values[hp_key(component, hp.name)])
                           for hp in cells.hyperparameters
                           if hp_key(component, hp.name) in values}
            n_blocks = config.get(hp_key(component, cells.blocks),
                                  component.defaults()[cells.blocks])
            config[hp_key(component, cells.parameter)] = cells.decode(cell_values, n_blocks)
    return config


def _chosen(config: dict, step: str, components: tuple[Component, ...]) -> Component | None:
    """The component ``config`` picks at ``step`` (None: one the step does not offer)."""
    if len(components) == 1:
        return components[0]
    name = config.get(step, components[0].name)
    return next((c for c in components if c.name == name), None)


def _typed(hp, value):
    if isinstance(hp, Int):
        return int(min(max(round(float(value)), hp.low), hp.high))
    if isinstance(hp, Float):
        return float(value)
    return {_token(c): c for c in hp.choices}[_token(value)]


def encode(config: dict, space: CS.ConfigurationSpace,
           steps: dict[str, tuple[Component, ...]]) -> CS.Configuration:
    """Inverse of :func:`decode`: typed values back to a ``Configuration``.

    A chosen component's cells value is taken apart into its cell
    hyperparameters (and sets the block count: the network trained is the one
    the architecture describes); without one, the component's default cells for
    the configuration's block count (what its estimator builds). Keys the space
    does not hold are ignored.
    """
    values = {key: _raw(space[key], value) for key, value in config.items() if key in space}
    for step, components in steps.items():
        component = _chosen(config, step, components)
        cells = None if component is None else component.cells
        if cells is None:
            continue
        architecture = config.get(hp_key(component, cells.parameter))
        if architecture is None:
            architecture = cells.default(int(config.get(hp_key(component, cells.blocks),
                                                        component.defaults()[cells.blocks])))
        for name, value in cells.encode(architecture).items():
            key = hp_key(component, name)
            values[key] = _raw(space[key], value)
    return CS.Configuration(space, values=values)


def _raw(hp, value):
    if isinstance(hp, CS.CategoricalHyperparameter):
        return _token(value)
    if isinstance(hp, CS.UniformFloatHyperparameter):
        return float(value)
    return int(value)
