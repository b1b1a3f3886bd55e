"""The vocabulary in which every component and hyperparameter is declared, once.

A :class:`Component` names an estimator class by import path and lists its tunable
hyperparameters. The same declarations are compiled to a ConfigSpace space
(:mod:`automl_estimators.spaces.configspace`), turned into pipelines
(:mod:`automl_estimators.pipelines.builder`), DEAP primitives
(:mod:`automl_estimators.spaces.primitives`) and exported code. Nothing else in
the package lists hyperparameters.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# Pipeline steps, in the order they are applied.
IMPUTATION = "imputation"
SCALING = "scaling"
ENCODING = "encoding"
FEATURES = "features"
MODEL = "model"
STEPS = (IMPUTATION, SCALING, ENCODING, FEATURES, MODEL)

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)


@dataclass(frozen=True)
class Float:
    """A real-valued hyperparameter in ``[low, high]``, optionally on a log scale."""

    name: str
    low: float
    high: float
    default: float
    log: bool = False
    active_if: Mapping[str, tuple] = field(default_factory=dict)

    def __post_init__(self):
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"{self.name}: default {self.default} outside [{self.low}, {self.high}]")


@dataclass(frozen=True)
class Int:
    """An integer hyperparameter in ``[low, high]``.

    Log-scaled integers are searched as log-scaled floats and rounded when a
    pipeline is built: SMAC's log-integer values were lost through pickling under
    Dask (measured here), floats are not.
    """

    name: str
    low: int
    high: int
    default: int
    log: bool = False
    active_if: Mapping[str, tuple] = field(default_factory=dict)

    def __post_init__(self):
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"{self.name}: default {self.default} outside [{self.low}, {self.high}]")


@dataclass(frozen=True)
class Categorical:
    """A choice among ``choices`` (strings, numbers, booleans or ``None``)."""

    name: str
    choices: tuple
    default: Any
    active_if: Mapping[str, tuple] = field(default_factory=dict)

    def __post_init__(self):
        if self.default not in self.choices:
            raise ValueError(f"{self.name}: default {self.default!r} not in {self.choices}")


Hyperparameter = Float | Int | Categorical


def draw(hp: Hyperparameter, rng):
    """A uniform draw of one declared hyperparameter (log-uniform where declared),
    from a ``random.Random``: what strategies that set values themselves
    (evolution, one-shot retraining) draw, outside ConfigSpace's sampler."""
    if isinstance(hp, Categorical):
        return rng.choice(hp.choices)
    if hp.log:
        value = math.exp(rng.uniform(math.log(hp.low), math.log(hp.high)))
    else:
        value = rng.uniform(hp.low, hp.high)
    if isinstance(hp, Int):
        return int(min(max(round(value), hp.low), hp.high))
    return float(value)


@dataclass(frozen=True)
class Component:
    """One choice for one pipeline step.

    Parameters
    ----------
    name : str
        Public name, used by ``include``/``exclude`` and in the leaderboard. Twins
        across tasks (e.g. ``random_forest``) share a name.
    step : str
        One of :data:`STEPS`.
    tasks : tuple of str
        Tasks the component serves.
    estimator : str or None
        ``"module:Class"`` import path; ``None`` for the step's "nothing" choice.
    hyperparameters : tuple
        Tunable hyperparameters; their defaults are the estimator's defaults
        unless a comment says why not.
    fixed : mapping
        Constructor arguments that are not searched.
    sparse_estimator, sparse_fixed
        Replacement class / arguments when the input is a sparse matrix.
    accepts_sparse : bool
        Whether the component works on sparse input.
    min_features, max_features : int or None
        The component is offered only when the number of input columns is in range.
        A feature step's ``max_features`` also holds for the columns an encoding
        gives it: it is not combined with a one-hot encoding wider than that
        (:attr:`~automl_estimators.spaces.Space.forbidden`).
    precedes : tuple of str or None
        A feature step's models: the names of the only models it may feed
        (``None``: any).
    seeded : bool
        Whether the estimator takes ``random_state``.
    iterations : str or None
        The hyperparameter that counts iterations (trees, boosting rounds,
        epochs): multi-fidelity search scales it at a low fidelity. Components
        without one are given a share of the training rows instead.
    stopped_iterations : int or None
        The high end of the ``iterations`` range where the model stops early in
        every fit of a trial (on a validation split of its training rows, once the
        score stops improving): a :class:`~automl_estimators.spaces.Space` for such
        data (``stops_early``) widens the range to it, and its tuned configurations
        of the model run that many. ``None``: the range stays as declared.
    strategy_parameters : tuple of str
        Constructor parameters that no space declares but a specialised
        strategy may set (a network's ``architecture``, set by regularized
        evolution): taken from the configuration's
        ``"<step>:<component>:<parameter>"`` key when present.
    categorical_parameter : str or None
        A model's constructor parameter for the positions of columns that hold
        integer category codes (HistGradientBoosting's and a network's
        ``categorical_features``, which split on categories natively): set by
        :func:`~automl_estimators.pipelines.builder.build_pipeline` when the
        pipeline encodes categoricals as ordinal codes and hands the encoded
        columns to the model unchanged.
    scale_target : bool
        Regression only: the model learns a standardised target, mapped back at
        prediction (``TransformedTargetRegressor`` with a ``StandardScaler``,
        made by :func:`~automl_estimators.pipelines.instantiation.make_component`).
        For models whose hyperparameters assume a target of unit scale: an SVR's
        ``epsilon`` and ``C``, the L1 penalty of lasso and elastic net, the step
        sizes of SGD and of a network. Trees and ridge do not need it.
    scale_inputs : bool
        The model sees standardised columns whatever comes before it (a
        ``StandardScaler`` in front of it in one pipeline, made by
        :func:`~automl_estimators.pipelines.instantiation.make_component`; centred
        only on dense data). For linear models fitted by an iterative solver, whose
        convergence and penalty depend on the columns' scales: after the flat
        space's ``no_scaling`` or in a program tree without a scaling node,
        logistic regression's solver ran to its iteration limit (5.7x the CPU over
        the shared classification datasets, up to 16x on one), and SGD regression
        diverged (``benchmarks/results/linear_scaling.md``).
    extrapolates : bool
        A model whose predictions grow without bound with an input beyond the
        training range (linear models, networks, Gaussian naive Bayes), unlike
        trees and neighbours, whose predictions stay where the range ends:
        :func:`~automl_estimators.pipelines.builder.build_pipeline` clips the numeric
        columns to their training range in front of it
        (:class:`~automl_estimators.pipelines.preprocessing.RangeClipper`), in a
        flat pipeline and when a program stacks it.
    row_bounded : tuple of str
        Constructor parameters that count something scikit-learn cannot have more
        of than training rows (``QuantileTransformer``'s ``n_quantiles``,
        ``Nystroem``'s ``n_components``): where they exceed the data's rows,
        scikit-learn fits with one per row and warns.
        :func:`~automl_estimators.pipelines.instantiation.make_component`, given the
        rows, sets them to at most that many, so that the final refit and the
        exported script fit the same model without the warning.
    width_bounded : tuple of (str, int)
        ``(parameter, most)`` pairs: the parameter times the columns that reach the
        component is at most ``most``, and never below the parameter's default
        (:func:`~automl_estimators.pipelines.instantiation.make_component`, given an
        upper bound on those columns from :mod:`~automl_estimators.pipelines.width`).
        For a memory that grows with both: HistGradientBoosting's grower keeps a
        histogram of every column for each node it may still split, so its peak
        grows with ``max_leaf_nodes`` x columns, whatever the rows and iterations
        (``benchmarks/results/memory_hgb_grower.md``).
    cells : CellSpace or None
        A network's cells, searched as categorical hyperparameters of their own
        and handed to the estimator as one value, the strategy parameter
        ``cells.parameter`` (:class:`~automl_estimators.spaces.neural.CellSpace`);
        kept out of ``hyperparameters``, which the estimator takes one by one.
    """

    name: str
    step: str
    tasks: tuple = TASKS
    estimator: str | None = None
    hyperparameters: tuple = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)
    sparse_estimator: str | None = None
    sparse_fixed: Mapping[str, Any] = field(default_factory=dict)
    accepts_sparse: bool = True
    min_features: int | None = None
    max_features: int | None = None
    precedes: tuple | None = None
    seeded: bool = False
    iterations: str | None = None
    stopped_iterations: int | None = None
    strategy_parameters: tuple = ()
    categorical_parameter: str | None = None
    scale_target: bool = False
    scale_inputs: bool = False
    extrapolates: bool = False
    row_bounded: tuple = ()
    width_bounded: tuple = ()
    cells: Any = None

    def applies_to(self, task: str, sparse: bool, n_features: int) -> bool:
        """Whether the component can be offered for data of this shape and task."""
        if task not in self.tasks or (sparse and not self.accepts_sparse):
            return False
        if self.min_features is not None and n_features < self.min_features:
            return False
        return self.max_features is None or n_features <= self.max_features

    def estimator_class(self, sparse: bool = False):
        """Import and return the estimator class (``None`` for a "nothing" choice)."""
        path = self.sparse_estimator if sparse and self.sparse_estimator else self.estimator
        return None if path is None else import_path(path)

    def defaults(self) -> dict:
        """The default value of every hyperparameter, by hyperparameter name."""
        return {hp.name: hp.default for hp in self.hyperparameters}

    def stopping_early(self) -> Component:
        """The component for data on which it stops early in every fit: its
        ``iterations`` range up to :attr:`stopped_iterations` (itself without one)."""
        if self.stopped_iterations is None:
            return self
        return replace(self, hyperparameters=tuple(
            replace(hp, high=self.stopped_iterations) if hp.name == self.iterations else hp
            for hp in self.hyperparameters))

    @property
    def reads_pixels(self) -> bool:
        """Whether the component is fixed to an ``image_shape`` (reads its columns as
        pixels, so no step may change the columns before it)."""
        return self.fixed.get("image_shape") is not None

    def active(self, values: dict) -> set:
        """Names of the hyperparameters active under ``values`` (by hyperparameter
        name), following ``active_if`` chains: a child is active only while its
        parents are active and hold an allowed value."""
        active = {hp.name for hp in self.hyperparameters if not hp.active_if}
        changed = True
        while changed:
            changed = False
            for hp in self.hyperparameters:
                if hp.name not in active and all(
                        parent in active and values.get(parent) in allowed
                        for parent, allowed in hp.active_if.items()):
                    active.add(hp.name)
                    changed = True
        return active


def import_path(path: str):
    """Import ``"package.module:Name"`` and return the named object."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def hp_key(component: Component, hp_name: str) -> str:
    """Flat configuration key of a component's hyperparameter."""
    return f"{component.step}:{component.name}:{hp_name}"


@dataclass(frozen=True)
class Forbidden:
    """Two choices no configuration may hold together: ``first`` and ``second`` are
    ``(step, component name)``; ``reason`` says why, for messages."""

    first: tuple
    second: tuple
    reason: str

    def violated_by(self, config: dict) -> bool:
        """Whether a flat configuration holds both choices."""
        return all(config.get(step) == name for step, name in (self.first, self.second))

