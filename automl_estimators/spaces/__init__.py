"""Search spaces: declarative components compiled for each search strategy.

:class:`Space` is what a strategy may propose for one dataset: the catalogue of
:mod:`.components` filtered by task, data shape and the user's
``include``/``exclude``. Configurations are plain dicts (see
:func:`.configspace.decode`).
"""

from __future__ import annotations

from functools import cached_property
from numbers import Real

from ..user_warnings import warn
from .components import (
    ALL_COMPONENTS,
    DEFAULT_MODEL,
    DEFAULT_PORTFOLIO,
    NATIVE_ENCODING,
    ONE_HOT,
    QUICK_FOREST,
    TUNED_CONFIGS,
)
from .configspace import compiled_space, decode, encode
from .declarations import (
    ENCODING,
    FEATURES,
    MODEL,
    SCALING,
    STEPS,
    TASKS,
    Categorical,
    Component,
    Forbidden,
    Int,
    hp_key,
)
from .neural import NEURAL_COMPONENTS, neural_components
from .program import TRANSFORMS, as_node

__all__ = ["NATIVE_ENCODING", "STEPS", "Component", "Space", "component_names",
           "native_default", "one_hot_levels", "one_hot_width", "quick_forest", "short_default"]

# Default choice of each step in the compiled space (the model's is DEFAULT_MODEL).
STEP_DEFAULTS = {
    "imputation": "simple_imputer",
    SCALING: "standard",
    ENCODING: ONE_HOT,
    "features": "no_features",
    MODEL: DEFAULT_MODEL,
}


def one_hot_levels(profile) -> int:
    """Columns the one-hot encoding gives for the low-cardinality categorical
    columns of a :class:`~automl_estimators.data.DataProfile`'s data: one per level
    of each, at most the encoder's ``max_categories``. An upper bound: rare levels
    grouped by the encoder's ``min_frequency`` make it narrower."""
    encoder = next(c for c in ALL_COMPONENTS if c.name == ONE_HOT)
    cap = encoder.fixed["max_categories"]
    return sum(min(levels, cap) for levels in profile.categorical_levels)


def one_hot_width(profile) -> int:
    """Columns the preprocessing gives a model when categories are one-hot encoded:
    one per numeric or high-cardinality column, and :func:`one_hot_levels`. An
    upper bound, as that is."""
    return len(profile.numeric) + len(profile.high_cardinality) + one_hot_levels(profile)


def short_default(task: str) -> tuple[dict, float]:
    """The strong default (:data:`~.components.DEFAULT_MODEL` at its defaults) cut to
    the fewest iterations its searched range allows: the model hyperparameters to
    override (``{iterations name: the range's low end}``) and that share of its
    default iterations. Run where the default itself would not finish in time
    (:func:`automl_estimators.metalearning.warm_start.inline_trials`)."""
    return _fewest_iterations(DEFAULT_MODEL, task)


def native_default(space) -> dict | None:
    """The strong default with its categorical columns ordinal-encoded
    (:data:`~.components.NATIVE_ENCODING`), which HistGradientBoosting then splits
    natively (``categorical_features``): the same model on one column per
    categorical column instead of one per level, a fraction of the one-hot form's
    seconds where levels are many. None where ``space`` has no categorical
    columns, offers no such encoding, does not offer the strong default, or
    encodes that way by default already (``include`` left no other). Run in
    the fit's own process where the one-hot form would not finish in time
    (:func:`automl_estimators.metalearning.warm_start.inline_trials`)."""
    encodings = [c.name for c in space.steps.get(ENCODING, ())]
    if (NATIVE_ENCODING not in encodings or DEFAULT_MODEL not in space.models
            or space._step_defaults()[ENCODING] == NATIVE_ENCODING):
        return None
    return space.default_config(DEFAULT_MODEL, steps={ENCODING: NATIVE_ENCODING})


def quick_forest(task: str) -> tuple[dict, int, float]:
    """The quick forest (:data:`~.components.QUICK_FOREST` at its defaults) with the
    fewest trees its searched range allows: the model hyperparameters to override,
    its trees, and the share of the columns each split considers (its
    ``max_features`` default). Run in the fit's own process where neither form of
    the strong default would finish in time
    (:func:`automl_estimators.metalearning.warm_start.inline_trials`)."""
    overrides, _ = _fewest_iterations(QUICK_FOREST, task)
    defaults = _model_component(QUICK_FOREST, task).defaults()
    return overrides, next(iter(overrides.values())), float(defaults["max_features"])


def _model_component(name: str, task: str) -> Component:
    return next(c for c in ALL_COMPONENTS if c.step == MODEL and c.name == name
                and task in c.tasks)


def _fewest_iterations(name: str, task: str) -> tuple[dict, float]:
    """``{iterations name: its range's low end}`` of model ``name``, and that share
    of its default iterations."""
    model = _model_component(name, task)
    iterations = next(hp for hp in model.hyperparameters if hp.name == model.iterations)
    return {iterations.name: iterations.low}, iterations.low / iterations.default


def component_names(task: str) -> list[str]:
    """Names usable in ``include``/``exclude`` for a task (``neural_network`` included:
    it is offered when the neural branch is on)."""
    return sorted({c.name for c in ALL_COMPONENTS + NEURAL_COMPONENTS if task in c.tasks})


class Space:
    """The components and hyperparameters a search may propose for one dataset.

    Parameters
    ----------
    task : {"classification", "regression"}
    sparse : bool
        Whether the input is a sparse matrix.
    n_features : int
        Number of input columns.
    has_categorical : bool
        Whether there are categorical columns (adds the encoding step).
    include, exclude : list of str or None
        Component names. ``include`` restricts each step it names components of;
        ``exclude`` removes components.
    seed : int or None
        Seed of the compiled ConfigSpace space (strategies sample their own
        seeded copies of it).
    neural : bool
        Whether the neural network components
        (:data:`.neural.NEURAL_COMPONENTS`) are offered;
        declaring them needs no torch, fitting them does.
    image_shape : tuple of int or None
        Shape of one row as an image, fixed in the neural components.
    one_hot_features : int or None
        Columns a one-hot encoding of the categories gives (:func:`one_hot_width`);
        None: ``n_features``.
    stops_early : bool
        Whether every fit of a trial trains on enough rows for the boosted models to
        stop early (``plan.SearchPlan.stops_early``): their iteration ranges and
        tuned configurations reach ``Component.stopped_iterations``.

    Attributes
    ----------
    forbidden : tuple of Forbidden
        Pairs of choices no flat configuration holds together (compiled into the
        ConfigSpace space as forbidden clauses; :meth:`violation`): a feature
        step before a model it does not feed (``Component.precedes``), and a
        feature step after a one-hot encoding wider than its ``max_features``.
        A pair that would leave a step no other choice (``include`` restricted
        it to that component) or that the default configuration holds is not
        forbidden: the user asked for it.
    """

    def __init__(self, task, *, sparse=False, n_features=1, has_categorical=False,
                 include=None, exclude=None, seed=None, neural=False, image_shape=None,
                 one_hot_features=None, stops_early=False):
        if task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        self.task = task
        self.sparse = sparse
        self.stops_early = stops_early
        self.seed = seed
        self.neural = neural
        catalogue = ALL_COMPONENTS + (neural_components(image_shape) if neural else ())
        known = set(component_names(task))
        for label, names in (("include", include), ("exclude", exclude)):
            unknown = sorted(set(names or ()) - known)
            if unknown:
                raise ValueError(
                    f"Unknown component name(s) in {label}: {unknown}. "
                    f"Valid names for {task}: {sorted(known)}.")
        steps, self.fixed_steps, applicable = {}, (), set()
        data = f"{'sparse' if sparse else 'dense'}, {n_features} features"
        for step in STEPS:
            if step == ENCODING and not has_categorical:
                continue
            offered = [c.stopping_early() if stops_early else c for c in catalogue
                       if c.step == step and c.applies_to(task, sparse, n_features)]
            applicable |= {c.name for c in offered}
            choices = len(offered)
            if include and any(c.name in include for c in offered):
                offered = [c for c in offered if c.name in include]
            offered = [c for c in offered if c.name not in set(exclude or ())]
            if not offered:
                raise ValueError(
                    f"include/exclude leave no component for the '{step}' step on this data "
                    f"({data}); allow at least one of: "
                    f"{sorted({c.name for c in catalogue if c.step == step and task in c.tasks})}.")
            steps[step] = tuple(offered)
            if len(offered) == 1 < choices:  # the user's choice: shown by describe
                self.fixed_steps += (step,)
        left_out = sorted(set(include or ()) - applicable)
        if left_out:
            warn(f"include names {left_out}, which cannot be used on this data "
                 f"({data}): left out, and each step they belong to is searched "
                 "over all its components that can.", UserWarning)
        self.steps = steps
        self.one_hot_features = n_features if one_hot_features is None else one_hot_features
        self.forbidden = self._forbidden()

    @classmethod
    def for_profile(cls, task, profile, **settings):
        """The space for the data ``profile`` describes (``data.DataProfile``): its
        sparsity, feature count and categorical columns; ``settings`` are the
        constructor's other arguments."""
        return cls(task, sparse=profile.sparse, n_features=profile.n_features,
                   has_categorical=profile.has_categorical, **settings)

    def _forbidden(self) -> tuple:
        pairs = []
        models = self.steps[MODEL]
        encodings = [c.name for c in self.steps.get(ENCODING, ())]
        for feature in self.steps.get(FEATURES, ()):
            if feature.precedes is not None:
                fed = [m.name for m in models if m.name in feature.precedes]
                pairs += [Forbidden((FEATURES, feature.name), (MODEL, model.name),
                                    f"{feature.name} feeds only the linear models "
                                    f"({', '.join(fed) or 'none on offer'})")
                          for model in models if model.name not in feature.precedes]
            if (feature.max_features is not None and ONE_HOT in encodings
                    and self.one_hot_features > feature.max_features):
                pairs.append(Forbidden(
                    (ENCODING, ONE_HOT), (FEATURES, feature.name),
                    f"one-hot encoding gives up to {self.one_hot_features} columns, more than "
                    f"{feature.name}'s max_features={feature.max_features}"))
        default = self._step_defaults()
        return tuple(pair for pair in pairs
                     if all(len(self.steps[step]) > 1 for step, _ in (pair.first, pair.second))
                     and not pair.violated_by(default))

    def violation(self, config: dict) -> str | None:
        """Why a flat configuration is not allowed here (a :attr:`forbidden` pair it
        holds, a step it lacks at its default), or None."""
        choices = {**self._step_defaults(), **{s: config[s] for s in self.steps if s in config}}
        return next((pair.reason for pair in self.forbidden if pair.violated_by(choices)), None)

    # ---------------------------------------------------------------- lookup
    def component(self, step: str, name: str) -> Component:
        """The component called ``name`` at ``step``."""
        for component in self.steps[step]:
            if component.name == name:
                return component
        raise KeyError(f"no component {name!r} at step {step!r}")

    @property
    def models(self) -> tuple[str, ...]:
        """Names of the models on offer."""
        return tuple(c.name for c in self.steps[MODEL])

    # --------------------------------------------------------- configurations
    @cached_property
    def configspace(self):
        """The compiled ConfigSpace ``ConfigurationSpace``."""
        return self.new_configspace(self.seed)

    def new_configspace(self, seed=None):
        """A ConfigSpace ``ConfigurationSpace`` of its own (a strategy samples from it
        without touching anyone else's sampling state), from the per-process cache."""
        return compiled_space(self.steps, self._step_defaults(), self.forbidden, seed=seed)

    def _step_defaults(self) -> dict:
        defaults = {}
        for step, components in self.steps.items():
            names = [c.name for c in components]
            wanted = STEP_DEFAULTS.get(step)
            defaults[step] = wanted if wanted in names else names[0]
        return defaults

    def _allowed(self, choices: dict) -> dict:
        """``choices`` (step -> component name) with each step other than the model
        that a :attr:`forbidden` pair holds moved to its first choice that none
        does."""
        choices = dict(choices)
        for step in self.steps:
            pairs = [p for p in self.forbidden if step in (p.first[0], p.second[0])]
            if step == MODEL or not any(p.violated_by(choices) for p in pairs):
                continue
            choices[step] = next(
                (c.name for c in self.steps[step]
                 if not any(p.violated_by({**choices, step: c.name}) for p in pairs)),
                choices[step])
        return choices

    def default_config(self, model: str | None = None, overrides: dict | None = None,
                       steps: dict | None = None) -> dict:
        """Every step at its default, with ``model`` (or the default model) at its
        defaults, except the model hyperparameters named in ``overrides``, and each
        step named in ``steps`` (step -> component name) at that component, at its
        defaults.

        A network's default configuration names no architecture (no
        :data:`~.neural.ARCHITECTURE_KEY`): its estimator then builds the default
        cells of its ``n_blocks``, the same network as the space's default cell
        hyperparameters describe (:meth:`encode` gives it those), and the
        configuration stays what a user would write, in the portfolio, the
        warm start and exported code.
        """
        choices = self._step_defaults()
        for step, name in (steps or {}).items():
            choices[step] = self.component(step, name).name
        if model is not None:
            choices[MODEL] = self.component(MODEL, model).name
            choices = self._allowed(choices)
        overrides = dict(overrides or {})
        config = {}
        for step, name in choices.items():
            component = self.component(step, name)
            config[step] = name
            values = {hp.name: hp.default for hp in component.hyperparameters}
            if step == MODEL:
                values.update({k: v for k, v in overrides.items() if k in values})
            active = component.active(values)
            for hp in component.hyperparameters:
                if hp.name in active:
                    config[hp_key(component, hp.name)] = values[hp.name]
                    if step == MODEL:
                        overrides.pop(hp.name, None)
        if overrides:
            raise KeyError(f"{choices[MODEL]} has no active hyperparameter(s) "
                           f"{sorted(overrides)} under these values")
        return config

    def portfolio(self) -> list[dict]:
        """Every model's default configuration, best first, then the
        :data:`~.components.TUNED_CONFIGS` of the models on offer.

        The first is the strong default every fit starts from.
        """
        names = [m for m in DEFAULT_PORTFOLIO[self.task] if m in self.models]
        names += [m for m in self.models if m not in names]
        return ([self.default_config(m) for m in names]
                + [self.default_config(m, overrides) for m in names
                   for overrides in self._tuned(self.component(MODEL, m))])

    def tuned_values(self, component: Component, name: str) -> tuple:
        """The values :data:`~.components.TUNED_CONFIGS` gives hyperparameter ``name``
        of a model (none for other steps), for grids that must hold them."""
        if component.step != MODEL:
            return ()
        return tuple(c[name] for c in self._tuned(component) if name in c)

    def _tuned(self, model: Component) -> list[dict]:
        """``model``'s :data:`~.components.TUNED_CONFIGS` as this space runs them: to
        its ``stopped_iterations`` where every fit stops early (:attr:`stops_early`)."""
        tuned = TUNED_CONFIGS[self.task].get(model.name, ())
        if not (self.stops_early and model.stopped_iterations):
            return list(tuned)
        return [{**c, model.iterations: model.stopped_iterations} if model.iterations in c
                else dict(c) for c in tuned]

    def decode(self, configuration) -> dict:
        """A ConfigSpace ``Configuration`` (or its dict) as a typed configuration
        (a network's cells as one architecture under :data:`~.neural.ARCHITECTURE_KEY`)."""
        return decode(configuration, self.steps)

    def encode(self, config: dict):
        """A typed configuration as a ConfigSpace ``Configuration`` (a network
        without an architecture: its default cells)."""
        return encode(config, self.configspace, self.steps)

    def value_problems(self, config: dict) -> tuple[list[str], list[str]]:
        """What :meth:`adapt` would silently change in ``config`` for the components it
        chooses: (values of the wrong type, outside their range or not among their
        choices; keys that are no hyperparameter of their component, which it drops:
        a typo, or an earlier version's key). For a configuration the user wrote
        (``warm_start``); another dataset's is adapted without a word."""
        problems, unknown = [], []
        for step, components in self.steps.items():
            component = next((c for c in components if c.name == config.get(step)), None)
            if component is None:
                continue
            prefix = hp_key(component, "")
            declared = {hp.name: hp for hp in component.hyperparameters}
            for key, value in config.items():
                if not isinstance(key, str) or not key.startswith(prefix):
                    continue
                name = key[len(prefix):]
                hp = declared.get(name)
                if hp is None:
                    if component.cells is None or name != component.cells.parameter:
                        unknown.append(f"{key!r} is no hyperparameter of {component.name} "
                                       f"(its hyperparameters: {sorted(declared)})")
                elif isinstance(hp, Categorical):
                    if value not in hp.choices:
                        problems.append(f"{key}={value!r} is not one of {list(hp.choices)}")
                elif isinstance(value, bool) or not isinstance(value, Real) \
                        or not hp.low <= value <= hp.high:
                    problems.append(f"{key}={value!r} is not a number in "
                                    f"[{hp.low:g}, {hp.high:g}]")
                elif isinstance(hp, Int) and not hp.log and value != int(value):
                    problems.append(f"{key}={value!r} is not an integer")
        return problems, unknown

    def adapt(self, config: dict) -> dict | None:
        """A configuration from another dataset's space, made valid for this one.

        Steps this space lacks are dropped (e.g. encoding without categorical
        columns) and steps the configuration lacks take their defaults, as do
        the active hyperparameters it lacks (a complete configuration, which
        ConfigSpace requires); hyperparameters outside a range are clipped,
        unknown and inactive ones dropped (an earlier version's
        ``architecture_seed`` among them). None as well when it holds a pair of
        choices forbidden here (:meth:`violation`). A network keeps its architecture
        (:data:`~.neural.ARCHITECTURE_KEY`) when this space's cells admit it (same
        kind, not more blocks than offered), its ``n_blocks`` set to match;
        otherwise the architecture is dropped and the network takes its default
        cells. Returns
        None when a chosen component is not offered here (excluded, or unsuited to
        the data). Program configurations keep their tree when its components are
        offered (as nodes, an old fit's tuples converted).
        """
        if self.violation(config):
            return None
        defaults = self._step_defaults()
        adapted = {}
        for step, components in self.steps.items():
            name = config.get(step, defaults[step])
            component = next((c for c in components if c.name == name), None)
            if component is None:
                return None
            adapted[step] = name
            values = {}
            for hp in component.hyperparameters:
                value = config.get(hp_key(component, hp.name), hp.default)
                if isinstance(hp, Categorical):
                    value = value if value in hp.choices else hp.default
                else:
                    value = type(hp.default)(min(max(value, hp.low), hp.high))
                values[hp.name] = value
            cells = component.cells
            architecture = config.get(hp_key(component, cells.parameter)) if cells else None
            if cells is not None and cells.admits(architecture):
                values[cells.blocks] = architecture.n_blocks
                adapted[hp_key(component, cells.parameter)] = architecture
            active = component.active(values)
            adapted.update((hp_key(component, n), v) for n, v in values.items() if n in active)
        if TRANSFORMS in config:
            tree = as_node(config[TRANSFORMS])
            if not self._offers_tree(tree):
                return None
            adapted[TRANSFORMS] = tree
            adapted = {k: v for k, v in adapted.items()
                       if k.split(":", 1)[0] not in (SCALING, FEATURES)}
        return adapted

    def _offers_tree(self, tree) -> bool:
        return all(any(c.name == name for c in self.steps.get(step, ()))
                   for step, name in tree.components())

    def describe(self, config: dict) -> str:
        """A short, readable summary: the chosen component of each step, or for a
        program the model over its tree of transformations."""
        if TRANSFORMS in config:
            return f"{config[MODEL]}({as_node(config[TRANSFORMS]).render()})"
        parts = [config[MODEL]]
        shown = [s for s in self.steps if s != MODEL and (
            len(self.steps[s]) > 1 or s in getattr(self, "fixed_steps", ()))]
        parts += [config[s] for s in shown if not config[s].startswith("no_")]
        return " + ".join(parts)

