"""``AutoClassifier`` and ``AutoRegressor``: scikit-learn estimators that search for their model.

Orchestration only (scikit-learn's ``BaseSearchCV`` shape): validate, profile,
plan, fit a fallback, run the search loop, finish, set attributes. Proposals
live in :mod:`.search`, the loop in :mod:`.search_loop`, trials in
:mod:`.evaluation` and :mod:`.runners`, the final model's choice and refit in
:mod:`.finish`, the clock in :mod:`.budget`.
"""

from __future__ import annotations

import logging
import math
from contextlib import closing
from functools import partial, wraps
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from joblib import cpu_count
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import data, host_speed, plotting
from .budget import MIN_TRIAL_SECONDS, Budget
from .cores import resolve_n_jobs
from .ensemble import ENSEMBLE_SIZE
from .errors import ParameterError
from .evaluation import Evaluator
from .export import export as export_script
from .finish import Final, Finisher, fit_fallback
from .history import History
from .interrupts import Interrupts
from .metalearning.suggestions import METHODS
from .metalearning.warm_start import inline_trials, warm_start_candidates
from .nas.torch_dependency import INSTALL_HINT, neural_dependencies
from .pipelines import build_pipeline, fidelity_shares
from .plan import (
    INLINE_MEMORY_FACTOR,
    WORKERLESS_BUDGET,
    inline_within_memory,
    make_plan,
    make_splits,
)
from .progress import Reporter
from .runners import check_address, dask_client
from .runners.processes import check_not_in_worker_start
from .scoring import get_metric, predictions_of
from .search import SETTINGS, STRATEGIES, make_strategy
from .search_loop import SearchLoop
from .spaces import Space, one_hot_width
from .spaces.architecture import kind_of
from .spaces.neural import NAME as NEURAL
from .summary import as_html, as_text, describe_fit
from .trial import Limits
from .user_warnings import warn
from .version import __version__

logger = logging.getLogger(__name__)

CLASSIFICATION, REGRESSION = "classification", "regression"


class InconsistentVersionWarning(UserWarning):
    """A fitted estimator was unpickled under other versions than it was pickled with.

    As scikit-learn's warning of that name, for this package's version (and
    scikit-learn's, which scikit-learn checks only for its own estimators).

    Attributes
    ----------
    estimator_name : str
    original_versions, current_versions : dict
        Package name -> version when pickled, and now.
    """

    def __init__(self, *, estimator_name, original_versions, current_versions):
        self.estimator_name = estimator_name
        self.original_versions = dict(original_versions)
        self.current_versions = dict(current_versions)

    def __str__(self):
        changed = [f"{name} {self.original_versions.get(name, 'unknown')} (now {version})"
                   for name, version in self.current_versions.items()
                   if self.original_versions.get(name) != version]
        return (f"Trying to unpickle {self.estimator_name} fitted with {', '.join(changed)}. "
                "Its model may fail or predict differently: refit it under the installed "
                "versions, or install the versions it was fitted with.")


def _versions() -> dict:
    """The versions a pickle records and checks when loaded."""
    return {"automl-estimators": __version__, "scikit-learn": sklearn.__version__}


def _default_output(method):
    """Run ``method`` under scikit-learn's default ``transform_output``, whatever the
    user set (``sklearn.set_config(transform_output="pandas")``): the pipelines are
    fitted in workers, which do not share the parent's configuration, so they must
    fit and predict in the parent under the same one. Under pandas output a
    model fitted on arrays between steps warned at every predict that X had
    feature names it was not fitted with."""
    @wraps(method)
    def under_default_output(self, *args, **kwargs):
        with sklearn.config_context(transform_output="default"):
            return method(self, *args, **kwargs)
    return under_default_output


class _AutoBase(BaseEstimator):
    """Shared parameters, fit loop and prediction plumbing of the two estimators."""

    _task = None
    _parameter_constraints: ClassVar[dict] = {
        "time_budget": [Interval(Real, 0, None, closed="neither")],
        "per_trial_time_limit": [Interval(Real, 0, None, closed="neither"), None],
        "memory_limit": [Interval(Integral, 16, None, closed="left"), None],
        "metric": [str, callable, None],
        "resampling": [StrOptions({"auto", "holdout", "cv"})],
        "resampling_size": [Interval(Real, 0, 1, closed="neither"),
                            Interval(Integral, 2, None, closed="left"), None],
        "search": [StrOptions({"auto"} | set(STRATEGIES)), *SETTINGS],
        "include": [list, tuple, None],
        "exclude": [list, tuple, None],
        "max_trials": [Interval(Integral, 1, None, closed="left"), None],
        "max_parameters": [Interval(Integral, 1, None, closed="left"), None],
        "max_predict_latency": [Interval(Real, 0, None, closed="neither"), None],
        "ensemble_size": [Interval(Integral, 0, None, closed="left")],
        "warm_start": [StrOptions({"auto", *METHODS}), list, tuple, "boolean", None],
        "n_jobs": [Integral, None],
        "dask_client": [None, str, HasMethods(["submit", "scatter"])],
        "neural": [StrOptions({"auto"}), "boolean"],
        "image_shape": [tuple, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, *, time_budget=60, per_trial_time_limit=None, memory_limit=4096,
                 metric=None, resampling="auto", resampling_size=None, search="auto",
                 include=None, exclude=None, max_trials=None, max_parameters=None,
                 max_predict_latency=None, ensemble_size=ENSEMBLE_SIZE, warm_start=None,
                 n_jobs=None, dask_client=None, neural="auto", image_shape=None,
                 random_state=None, verbose=0):
        self.time_budget = time_budget
        self.per_trial_time_limit = per_trial_time_limit
        self.memory_limit = memory_limit
        self.metric = metric
        self.resampling = resampling
        self.resampling_size = resampling_size
        self.search = search
        self.include = include
        self.exclude = exclude
        self.max_trials = max_trials
        self.max_parameters = max_parameters
        self.max_predict_latency = max_predict_latency
        self.ensemble_size = ensemble_size
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.dask_client = dask_client
        self.neural = neural
        self.image_shape = image_shape
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_clone__(self):
        # A dask Client cannot be copied: clones share the user's client.
        params = self.get_params(deep=False)
        client = params.pop("dask_client")
        return type(self)(**{k: clone(v, safe=False) for k, v in params.items()},
                          dask_client=client)

    def __getstate__(self):
        # A dask Client cannot be pickled; a fitted model does not need it.
        state = super().__getstate__()
        if state.get("dask_client") is not None and not isinstance(state["dask_client"], str):
            state = {**state, "dask_client": None}
        return {**state, "_versions": _versions()}

    def __setstate__(self, state):
        state = dict(state)
        # A pickle without versions predates their recording.
        original = state.pop("_versions", {"automl-estimators": "unknown",
                                           "scikit-learn": "unknown"})
        if original != _versions() and "model_" in state:
            warn(InconsistentVersionWarning(
                estimator_name=type(self).__name__, original_versions=original,
                current_versions=_versions()))
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    # ------------------------------------------------------------------ fit
    @_default_output
    def fit(self, X, y, **fit_params):
        """Search for the best pipeline within ``time_budget`` seconds and refit it.

        Parameters
        ----------
        X : array-like, DataFrame or sparse matrix of shape (n_samples, n_features)
            Numeric, string, categorical, boolean, datetime or duration columns;
            missing values allowed. A polars DataFrame or a pyarrow Table is read
            as a pandas one (its column names kept).
        y : array-like of shape (n_samples,)
            Class labels (classification) or numeric targets (regression).
        **fit_params
            None are supported: ``sample_weight`` and any other raise a
            ``TypeError`` that says what to do instead. (A named
            ``sample_weight`` parameter would tell scikit-learn's
            meta-estimators, through ``has_fit_parameter``, that weights work.)

        Returns
        -------
        self

        Raises
        ------
        KeyboardInterrupt
            When interrupted (Ctrl-C) before the dummy fallback is fitted: there
            is no model to end with yet.

        Notes
        -----
        Interrupting (Ctrl-C, i.e. SIGINT) once the dummy fallback is fitted ends
        the fit early, fitted, with a ``RuntimeWarning`` that says when and what
        ``model_`` is:

        - The first Ctrl-C stops the search within about half a second: running
          trials are stopped (``"cancelled"`` in ``leaderboard_``), and the
          finishing step runs as usual on the trials that finished (ensemble
          and refit on all rows, within what is left of ``time_budget``).
        - A second Ctrl-C skips or aborts the finishing step at once: ``model_``
          is the best trial's model as fitted during search when one is held
          (``refit_ == "search-time model"``), else the dummy fallback.
        - Further presses are ignored until the trial workers are stopped and
          the temporary files removed (seconds); ``fit`` then returns.

        Trial workers ignore SIGINT, so a terminal's Ctrl-C stops them only
        through this. No worker process outlives ``fit``, whether it ends
        normally, by an error or by an interrupt. When ``fit`` runs outside the
        main thread, or SIGINT has a handler other than Python's default, the
        handler is left alone; a ``KeyboardInterrupt`` raised during the search
        or the finishing step then counts as a first or second Ctrl-C.
        """
        budget = Budget(float(self.time_budget) if isinstance(self.time_budget, Real) else 1.0)
        check_not_in_worker_start(f"{type(self).__name__}.fit")
        # A fit that fails leaves the estimator unfitted, never the new classes or
        # width beside the previous fit's model (predict then gave wrong labels)
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)
        self._check_fit_params(fit_params)
        self._validate_params()
        self._check_resampling_size()
        check_address(self.dask_client)
        X, dates = data.check_X_and_dates(X)
        validate_data(self, X, reset=True, skip_check_array=True)
        target_name = y.name if isinstance(getattr(y, "name", None), str) else None
        if target_name in getattr(self, "feature_names_in_", ()):
            # y named after one of X's columns (y = X["a"] > 0): as the exported script's
            # default target it would be read as the target, and the feature go missing
            target_name = None
        y = self._check_y(X, y)
        task = self._task
        n_classes = len(self.classes_) if task == CLASSIFICATION else None
        metric = get_metric(self.metric, task).bind(
            X, self.classes_ if task == CLASSIFICATION else None)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        profile = data.profile(X, y, task, dates)
        self._check_image_shape(profile.n_features)
        neural = self._neural_setting()
        torch_available, cuda_available = neural_dependencies(neural)
        plan = make_plan(profile, self.resampling, self.resampling_size,
                         time_budget=float(self.time_budget),
                         per_trial_time_limit=self.per_trial_time_limit, search=self.search,
                         neural=neural, image_shape=self.image_shape,
                         torch_available=torch_available, cuda_available=cuda_available,
                         host_slowdown=self._host_slowdown())
        space = Space.for_profile(task, profile, include=self.include, exclude=self.exclude,
                                  seed=seed, neural=plan.neural, image_shape=self.image_shape,
                                  one_hot_features=one_hot_width(profile),
                                  stops_early=plan.stops_early)
        self._check_networks_on_offer(plan, space, torch_available)
        n_jobs = self._trial_workers()
        reporter = Reporter(self.verbose, budget, metric.name)
        interrupts = Interrupts(clock=budget.elapsed)
        try:
            splits = make_splits(plan, y, task == CLASSIFICATION, seed)
            history = History()
            # first: it scores the metric (a ParameterError when it cannot), before any
            # progress line comes between the user and that error
            fallback = fit_fallback(self._fallback_estimator(), X, y, splits, task=task,
                                    metric=metric, n_classes=n_classes, history=history,
                                    budget=budget)
            reporter.phase("%s: %d rows x %d columns, metric %s, %s, n_jobs=%d",
                           type(self).__name__, profile.n_rows, profile.n_features, metric.name,
                           plan.reason, n_jobs)
            final = Final(fallback, history.results[0])
            search_report = {}
            if budget.remaining() < MIN_TRIAL_SECONDS:
                warn(
                    f"time_budget={self.time_budget:g}s left no time for a trial after "
                    "validating the data and fitting the dummy fallback: the model is the "
                    "dummy (it predicts the training prior or mean). Give a larger "
                    "time_budget (a few seconds at least).", UserWarning)
            # From here a Ctrl-C stops the search (the dummy serves at worst); the
            # handler is held until the workers are stopped (see .interrupts).
            with interrupts:
                if budget.remaining() >= MIN_TRIAL_SECONDS and not interrupts.stop:
                    search_report, final = self._search_and_finish(
                        X, y, splits, history, fallback, budget, reporter, interrupts,
                        task=task, metric=metric, n_classes=n_classes, seed=seed,
                        profile=profile, plan=plan, space=space, n_jobs=n_jobs)
        except BaseException:
            reporter.close(summary=False)  # no progress line between the user and the error
            raise
        reporter.close()
        self.profile_ = profile
        self.target_name_ = target_name
        self.search_report_ = search_report
        self._set_fitted_attributes(final, history, space, metric, plan, budget)
        self.interrupted_at_ = None
        if interrupts.count:
            self.interrupted_at_ = interrupts.at if interrupts.at is not None else self.fit_time_
            self._warn_interrupted(interrupts, final)
        chosen = final.chosen
        reporter.phase("done in %.1fs (budget %.1fs): %d trials, final %s, validation %s=%.4f",
                       self.fit_time_, self.time_budget, self.n_trials_,
                       f"ensemble of {len(final.members)}" if final.members else
                       space.describe(chosen.config) if chosen.config else "dummy",
                       metric.name, self.best_score_)
        return self

    def _search_and_finish(self, X, y, splits, history, fallback, budget, reporter, interrupts,
                           *, task, metric, n_classes, seed, profile, plan, space, n_jobs):
        """Run the search loop, then the finishing step; (strategy report, Final).

        A second Ctrl-C (before or during the finishing step) ends it with the
        model already held: the best trial's as fitted during search, else the dummy.
        """
        def build(config, fidelity=1.0):
            pipeline = build_pipeline(config, space, profile, random_state=seed,
                                      fidelity=fidelity)
            return pipeline, fidelity_shares(config, space, fidelity)[1]

        def unfitted(config):
            return build(config)[0]

        limits = Limits(self.max_parameters, self.max_predict_latency)
        # A failed trial is worth no more than the dummy fallback (trial 0).
        dummy_score = history.results[0].score
        crash_cost = -dummy_score if np.isfinite(dummy_score) else 0.0
        # The workers start first (in the background, see runners.pool), while the
        # strategy sets up.
        with dask_client(self.dask_client, budget.total) as client, \
                Evaluator(X, y, splits, task=task, metric=metric, n_classes=n_classes,
                          n_workers=n_jobs, memory_limit=self.memory_limit,
                          dask_client=client, workers=plan.workers,
                          preload=("torch",) if NEURAL in space.models else ()
                          ) as evaluator, \
                closing(make_strategy(self.search, space, seed, plan=plan,
                                      crash_cost=crash_cost)) as strategy:
            # Whether the workers are up: closing them before waits for nothing (the
            # budget keeps budget.STARTING_SHUTDOWN_MARGIN), and a short refit then
            # runs in this process (Finisher.reserve).
            budget.workers_up = evaluator.ready
            finisher = Finisher(
                task, metric, y, splits, n_classes, self.ensemble_size,
                n_threads=evaluator.n_workers, train_rows=len(splits[0][0]),
                all_rows=profile.n_rows, budget=budget, reporter=reporter,
                limits=limits, memory_limit=self.memory_limit, n_workers=evaluator.n_workers)
            reporter.phase("searching with %s over %d models", strategy.name,
                           len(space.models))
            warm_start = warm_start_candidates(self.warm_start, space, X, y, profile)
            inline = inline_trials(plan, space, warm_start)
            data_bytes = data.size_in_bytes(X) if inline else 0
            if not inline_within_memory(data_bytes, self.memory_limit):
                reporter.phase("no trial in this process while the workers start: "
                               "memory_limit=%s MB is below %d x the data's %.1f MB",
                               self.memory_limit, INLINE_MEMORY_FACTOR, data_bytes / 2**20)
                inline = ()
            # The loop evaluates the warm start first; strategies learn it by tell.
            SearchLoop(strategy, evaluator, history, budget, reporter, build,
                       space.describe, finisher.reserve, max_trials=self.max_trials,
                       per_trial_time_limit=plan.trial_time_limit, seed=seed,
                       return_models=plan.return_models, limits=limits,
                       interrupts=interrupts, inline=inline,
                       default_seconds=plan.default_seconds,
                       host_slowdown=plan.host_slowdown,
                       only_time_bounded=(STRATEGIES[plan.strategy].networks_only
                                          or set(space.models) == {NEURAL}),
                       refit_early=partial(finisher.refit_early, history, evaluator,
                                           unfitted),
                       ).run(warm_start)
            reporter.phase("search ended at %.1fs (%.1fs left)", budget.elapsed(),
                           budget.remaining())
            search_report = _strategy_report(strategy)
            if interrupts.abort:
                return search_report, finisher.keep(history, fallback)
            try:
                with interrupts.abortable():
                    final = finisher.finish(history, evaluator, unfitted, fallback)
            except KeyboardInterrupt:
                if not interrupts.holds_signal:  # raised by a handler not ours
                    interrupts.note()
                reporter.phase("finishing step interrupted: keeping the model held")
                final = finisher.keep(history, fallback)
        return search_report, final

    def _warn_interrupted(self, interrupts, final):
        """Say that Ctrl-C stopped the fit, and what ``model_`` is."""
        trials = sum(r.origin != "dummy" for r in self.history_)
        if final.members:
            kept = (f"an ensemble of {len(final.members)} trials refit on all rows "
                    f"(validation {self.best_score_:.4g})")
        elif self.refit_ == "dummy":
            kept = "the dummy fallback (it beat every finished trial)"
        else:
            kept = (f"trial {final.chosen.trial_id}'s pipeline "
                    + ("refit on all rows" if self.refit_ == "all rows"
                       else "refit on part of the rows" if self.refit_ == "part of the rows"
                       else "as fitted during search, on its training split")
                    + f" (validation {self.best_score_:.4g})")
        step = ("; a second Ctrl-C skipped the finishing step" if interrupts.abort else "")
        warn(f"fit interrupted (Ctrl-C) at {self.interrupted_at_:.1f}s of its "
             f"{self.time_budget:g}s "
             f"budget: the search stopped after {trials} trials{step}; model_ is "
             f"{kept}.", RuntimeWarning)

    def _check_fit_params(self, fit_params):
        if "sample_weight" in fit_params:
            raise TypeError(
                f"{type(self).__name__}.fit does not support sample_weight: the search "
                "neither fits nor scores with weights. Repeat or subsample rows in "
                "proportion to their weights instead, or, for classes, pass a metric "
                "that weighs them (e.g. metric='balanced_accuracy').")
        if fit_params:
            raise TypeError(f"{type(self).__name__}.fit got unexpected keyword argument(s) "
                            f"{sorted(fit_params)}; it takes X and y only.")

    def _trial_workers(self) -> int:
        """Trials at once: ``n_jobs`` (:func:`~.cores.resolve_n_jobs`), at most the usable
        cores (more processes than cores only share them, each starting and loading the
        data)."""
        if self.n_jobs == 0:
            raise ValueError("n_jobs=0 would run no trial; use a positive number of trials "
                             "at once, -1 for all cores, or None for one.")
        return min(resolve_n_jobs(self.n_jobs), cpu_count())

    def _host_slowdown(self) -> float:
        """How many times slower than the plan's cost models' host this machine runs now
        (:func:`~.host_speed.slowdown`), measured for a fit the clock bounds; 1 under
        ``max_trials``, whose trials do not depend on the machine's speed (see
        ``random_state``), and below :data:`~.plan.WORKERLESS_BUDGET`. There the bound
        it sets (:func:`~.plan.inline_limit`) acts only from about 3.2x slower, and
        the measure took the time the workerless sample was sized for: the A/B at 1 s
        of session 40 ended adult on the dummy in 3 of 3 seeds (0.7607 against
        0.8725-0.8763), and ames_housing on ridge regression in 2 of 3."""
        if self.max_trials is not None or float(self.time_budget) < WORKERLESS_BUDGET:
            return 1.0
        return host_speed.slowdown()

    def _neural_setting(self):
        """``neural``, where ``include`` naming ``neural_network`` asks for networks:
        ``"auto"`` then means True (the networks are searched, torch needed).

        Raises
        ------
        ValueError
            If ``include`` names ``neural_network`` and ``neural=False``.
        """
        if NEURAL not in list(self.include or ()):
            return self.neural
        if not isinstance(self.neural, str) and not self.neural:
            raise ParameterError(f"include names {NEURAL!r} but neural=False turns the "
                                 "networks off; set neural='auto' (or True) to search them, or "
                                 f"leave {NEURAL!r} out of include.")
        return True

    def _check_networks_on_offer(self, plan, space, torch_available):
        """A strategy that searches neural networks only needs them in the space.

        Raises
        ------
        ValueError
            If the networks are off (``neural=False``, or left out by ``include`` /
            ``exclude``) under such a strategy, which would propose nothing and end on
            the warm start's models silently.
        ImportError
            If torch is not installed.
        """
        if not STRATEGIES[plan.strategy].networks_only or NEURAL in space.models:
            return
        if not torch_available and isinstance(self.neural, str):
            raise ImportError(f"search={plan.strategy!r} searches neural networks only, "
                              f"which need torch: {INSTALL_HINT}; or choose a strategy that "
                              "searches pipelines (search='auto', 'smac', 'random' or "
                              "'genetic').")
        if not plan.neural:
            why, fix = "neural=False turns them off", "set neural='auto' (or True)"
        else:
            why, fix = ("include/exclude leave them out",
                        f"keep {NEURAL!r} in include and out of exclude")
        raise ParameterError(f"search={plan.strategy!r} searches neural networks only, but "
                             f"{why}; {fix}, or choose a strategy that searches pipelines "
                             "(search='auto', 'smac', 'random' or 'genetic').")

    def _check_resampling_size(self):
        size = self.resampling_size
        if size is None:
            return
        if self.resampling == "cv" and not isinstance(size, Integral):
            raise ValueError(f"resampling='cv' needs an integer number of folds >= 2 as "
                             f"resampling_size, got {size!r}.")
        if self.resampling == "holdout" and (isinstance(size, Integral) or not 0 < size < 1):
            raise ValueError(f"resampling='holdout' needs a validation fraction in (0, 1) as "
                             f"resampling_size, got {size!r}.")
        if self.resampling == "auto":
            raise ValueError("resampling_size needs resampling='cv' or 'holdout'; with "
                             "resampling='auto' the size is chosen from the data.")

    def _check_image_shape(self, n_features):
        shape = self.image_shape
        if shape is None:
            return
        forms = ("(height, width) or (height, width, channels) for an image, (length,) or "
                 "(1, length, channels) for a 1-D signal")
        if len(shape) not in (1, 2, 3) or not all(
                isinstance(d, Integral) and not isinstance(d, bool) and d > 0 for d in shape):
            raise ValueError(f"image_shape must be {forms}, of positive integers; got "
                             f"{shape!r}.")
        if math.prod(shape) != n_features:
            kind = kind_of(shape)
            raise ParameterError(f"image_shape={shape!r} holds {math.prod(shape)} values per "
                                 f"{kind}, but X has {n_features} columns; give the shape of one "
                                 f"row, channels last: {forms}.")

    def _fallback_estimator(self):
        raise NotImplementedError

    def _set_fitted_attributes(self, final, history, space, metric, plan, budget):
        chosen = final.chosen
        self.model_ = final.model
        # A trial's own model was fitted during search, on its training split only.
        self.refit_ = ("dummy" if chosen.origin == "dummy" else "search-time model"
                       if final.model is chosen.model else "all rows"
                       if final.rows_share >= 1.0 else "part of the rows")
        self.ensemble_ = final.model if final.members else None
        self.best_pipeline_ = final.best_model if final.best_model is not None else final.model
        self.best_config_ = dict(chosen.config)
        self.best_score_ = chosen.score if final.score is None else final.score
        self.metric_ = metric.name
        self.search_plan_ = plan
        self.search_space_ = space
        # Fitted models are not kept in the history: they would bloat every pickle.
        self.history_ = history.without_models()
        self.leaderboard_ = history.leaderboard(
            lambda c: space.describe(c) if c else "dummy (fallback)")
        weights = dict(final.members)
        self.leaderboard_.insert(
            self.leaderboard_.columns.get_loc("score") + 1, "ensemble_weight",
            [weights.get(t, 0.0) for t in self.leaderboard_["trial"]])
        self.n_trials_ = len(history.results)
        self.fit_time_ = budget.elapsed()

    # -------------------------------------------------------------- predict
    def _check_X_predict(self, X):
        check_is_fitted(self)
        X = data.dataframe_as_pandas(X)  # a polars frame's names are checked as pandas'
        categorical = set(self.profile_.all_categorical)
        # scikit-learn's feature-names check (validate_data): names must match those
        # at fit, in order; names at fit but none now (or the reverse) is a warning,
        # and the columns are then taken by position.
        names = getattr(self, "feature_names_in_", None)
        if names is not None and not isinstance(X, pd.DataFrame):
            # The pipelines select columns by name: give the positions their fit names.
            X = check_array(X, accept_sparse=True, dtype=None, ensure_all_finite=False)
            validate_data(self, X, reset=False, skip_check_array=True)
            X = pd.DataFrame(X.toarray() if sp.issparse(X) else X, columns=names)
        elif names is None and isinstance(X, pd.DataFrame) and not self.profile_.sparse:
            # Fitted on positions (no names, or not all strings): read them by position.
            validate_data(self, X, reset=False, skip_check_array=True)
            X = X.set_axis(range(X.shape[1]), axis=1)
        elif names is None and isinstance(X, pd.DataFrame):  # fitted on a sparse matrix
            validate_data(self, X, reset=False, skip_check_array=True)  # its names warning
            # once, not again from each pipeline's imputer; sparse, as the rows at fit
            X = sp.csr_matrix(check_array(X, dtype=np.float64, ensure_all_finite=False))
        elif sp.issparse(X) and not self.profile_.sparse:
            X = X.toarray()  # fitted on dense rows: a scaler centres them (sparse: an error)
        X = data.check_X(X, min_samples=1, categorical=categorical, dates=self.profile_.dates)
        validate_data(self, X, reset=False, skip_check_array=True)
        return X

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    # -------------------------------------------------------------- inspect
    def summary(self):
        """What the fit did, on one screen: print it.

        The strategy and the model families searched, seconds against the
        budget, trials by status, the plan and its reason, the final model
        (an ensemble's members with their weights, or the single pipeline),
        its validation score, and the top trials. A notebook shows the same as
        a table (``_repr_html_``).

        Returns
        -------
        str
        """
        check_is_fitted(self)
        return as_text(describe_fit(self))

    def _html_repr(self):
        # scikit-learn's _repr_html_ and _repr_mimebundle_ both call this: a fitted
        # estimator shows its summary above scikit-learn's diagram of its parameters.
        if not self.__sklearn_is_fitted__():
            return super()._html_repr()
        return as_html(describe_fit(self)) + super()._html_repr()

    def plot_search(self, ax=None, *, color_by="model"):
        """Best validation score so far against the seconds of the fit (needs matplotlib).

        Each trial is a point at the time it ended, coloured by model family
        (``color_by="origin"``: by who proposed it), failed trials are markers at
        the bottom, and the budget is a dashed line. See
        :func:`automl_estimators.plotting.plot_search`.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None: a new figure.
        color_by : {"model", "origin"}, default="model"

        Returns
        -------
        matplotlib Axes
        """
        check_is_fitted(self)
        return plotting.plot_search(self.history_, self.metric_, self.time_budget,
                                    fit_time=self.fit_time_, color_by=color_by, ax=ax)

    def plot_leaderboard(self, top=10, ax=None):
        """The ``top`` ranked trials as bars with their scores and fit times (needs matplotlib).

        Parameters
        ----------
        top : int, default=10
        ax : matplotlib Axes, default=None

        Returns
        -------
        matplotlib Axes
        """
        check_is_fitted(self)
        return plotting.plot_leaderboard(self.leaderboard_, self.metric_, top=top, ax=ax)

    def plot_ensemble(self, ax=None):
        """The final model's members and their weights; one bar of weight 1 when a
        single pipeline won (needs matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes, default=None

        Returns
        -------
        matplotlib Axes
        """
        check_is_fitted(self)
        return plotting.plot_ensemble(self.leaderboard_, self.metric_, self.best_score_,
                                      self.best_config_, ax=ax)

    def plot_pareto(self, ax=None):
        """Validation score against complexity, the non-dominated front highlighted
        (needs matplotlib).

        Complexity is recorded by ``search="genetic"`` (operators in a pipeline)
        and by neural networks (trainable parameters).

        Parameters
        ----------
        ax : matplotlib Axes, default=None

        Returns
        -------
        matplotlib Axes

        Raises
        ------
        ValueError
            When the fit recorded no complexity.
        """
        check_is_fitted(self)
        return plotting.plot_pareto(self.history_, self.search_space_, self.metric_,
                                    strategy=self.search_plan_.strategy, ax=ax)

    # --------------------------------------------------------------- export
    def export(self, path):
        """Write ``model_`` as a standalone Python script that fits and predicts from CSV.

        The script rebuilds the final model with scikit-learn / xgboost code
        (non-default parameters only; this package is imported only for its own
        components), reads a CSV as ``fit`` reads its input, fits on all its rows
        and writes predictions: ``python PATH TRAIN.csv [--target COLUMN]
        [--predict TEST.csv] [--output PREDICTIONS.csv]``. See
        :func:`automl_estimators.export.export`.

        Parameters
        ----------
        path : str or path-like
            The file to write.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        return export_script(self, path)


class AutoClassifier(ClassifierMixin, _AutoBase):
    """A classifier that searches preprocessing + model pipelines within a time budget.

    Parameters
    ----------
    time_budget : float, default=60
        Seconds for the whole ``fit``, refit included; ``fit`` ends within
        ``time_budget + max(1 s, 5 %)``.
    per_trial_time_limit : float, default=None
        Seconds one trial (all its folds) may take; ``None``: a quarter of the budget
        (``search_plan_.trial_time_limit``).
        The first trial, the strong default, may use the whole search time.
    memory_limit : int, default=4096
        Megabytes a trial's worker may allocate beyond its start size (Linux);
        ``None``: no limit. A trial past it is stopped and recorded as ``memout``.
    metric : str or callable, default=None
        A scikit-learn scorer name (``sklearn.metrics.get_scorer_names()``) or a
        scorer ``callable(estimator, X, y)``, greater is better; ``None``: accuracy.
    resampling : {"auto", "holdout", "cv"}, default="auto"
        How trials are validated; ``"auto"``: 5-fold cross-validation on small data
        (at most 5000 rows, and at most ~2800 cells per second of budget), holdout
        otherwise (see ``search_plan_``).
    resampling_size : int or float, default=None
        Folds for ``"cv"`` (int >= 2) or validation fraction for ``"holdout"``.
    search : {"auto", "random", "smac", "genetic", "evolution", "controller", \
            "progressive", "one_shot"} or settings, default="auto"
        Search strategy: ``"smac"`` (SMAC3 Bayesian optimisation, with successive
        halving on large data), ``"genetic"`` (TPOT-style genetic programming over
        pipeline trees with unions and stacking, NSGA-II on score and
        complexity), ``"evolution"`` (regularized evolution of neural
        architectures, with successive halving over epochs), ``"controller"``
        (a REINFORCE-trained LSTM controller, NAS-RL), ``"progressive"``
        (progressive NAS with an accuracy predictor, PNAS), ``"one_shot"`` (a
        DARTS or ENAS supernet search, then the derived cell retrained) -- these
        four propose neural networks only --, ``"random"``, or ``"auto"``: the
        size-aware policy's choice (SMAC from 20 s of budget, see ``search_plan_``). Pass
        ``automl_estimators.search.SMAC(surrogate="gp", acquisition="ucb",
        multi_fidelity="hyperband", eta=3)`` or ``Genetic(population_size=20)``
        to set a strategy's options (``Evolution(population_size=20)`` likewise).
    include, exclude : list of str, default=None
        Component names (models and preprocessors) to restrict the search to, or to
        leave out; see :func:`automl_estimators.spaces.component_names`.
        ``include`` restricts each step it names a component of (the others stay
        open); a named component the data rules out (``pca`` on fewer than 3
        columns) is left out with a ``UserWarning``. Naming ``neural_network``
        asks for networks: under ``neural="auto"`` they are searched (torch
        needed), with ``neural=False`` it is a ``ValueError``.
    max_trials : int, default=None
        Stop after this many trials (the dummy fallback not counted).
    max_parameters : int, default=None
        Most trainable parameters the final model may hold (MnasNet-style size
        constraint). Only networks report their parameters (``n_parameters`` in
        a trial's ``info``); every other model is within the limit. A trial over
        it is kept in ``leaderboard_`` with status ``"infeasible"`` and an error
        saying by how much, counts as failed for the search strategy, and is
        never the final model nor an ensemble member; an ensemble's members
        together keep to it. When no trial within the limits beats the dummy
        fallback, the fit ends on the dummy with a warning naming the limit.
        ``None``: no limit.
    max_predict_latency : float, default=None
        Most seconds per predicted row the final model may take, as
        ``max_parameters`` does. Every trial reports its seconds per row
        (``predict_seconds_per_row`` in its ``info``), measured in its worker on
        its validation rows, one thread, model fitted on the training split:
        ``predict`` in your process, after the refit on all rows, with other
        threads and batch sizes, can differ from it (a k-NN's predictions slow
        down with its training rows). An ensemble's members' seconds add up.
        ``None``: no limit.
    ensemble_size : int, default=50
        Greedy picks of ensemble selection (Caruana et al., with replacement)
        over the trials' validation predictions; the members are refit on all
        rows within the budget. 0 or 1: the single best pipeline. The ensemble
        is kept only when it beats the best pipeline on validation and its
        refit fits in the time left.
    warm_start : {"auto", "knn", "portfolio"}, bool, list of dict or None, default=None
        What is evaluated first, after the strong default (HistGradientBoosting at
        its defaults, always first): None, the other models' defaults, then a few
        tuned boosted configurations; "knn", configurations that did best on the
        nearest earlier datasets (meta-features); "portfolio", a greedy portfolio
        over earlier datasets; "auto": None's, then "knn"'s; or an
        explicit list of configurations (e.g. other fits' ``best_config_``);
        False is None and True is "auto" (scikit-learn's boolean convention). The
        learned methods read the meta-data shipped with the package and fall back
        to None's defaults without it.
    n_jobs : int, default=None
        Trials run at once (``-1``: all cores); also the threads of the final refit.
    dask_client : distributed.Client or str, default=None
        Run trials on a Dask cluster: a client (yours: never closed here; clones
        share it, pickles drop it) or a scheduler address (a client is opened
        and closed within ``fit``; a scheduler that does not answer within a
        tenth of the budget, 0.5 to 5 s, leaves the trials to local processes,
        with a ``UserWarning``). Trials at once: the cluster's worker threads.
    neural : {"auto", True, False}, default="auto"
        Whether neural networks (``neural_network``: cell-based networks,
        :class:`~automl_estimators.nas.NeuralClassifier`) join the search.
        ``"auto"``: when torch is installed and a CUDA GPU is present, or
        ``image_shape`` is given, or ``search="evolution"``, or on CPU when the
        data is tabular with at least 10,000 rows and one default network is
        expected to train within a trial's time limit (an estimate from the
        rows, columns and epochs, see :func:`automl_estimators.plan.
        estimate_network_seconds`); ``search_plan_.reason`` gives the estimate
        and the limit. Without torch the branch is skipped with a log line.
        True: always; raises ImportError naming the install command when torch
        is missing.
    image_shape : tuple of int, default=None
        The shape of one row of X, channels last, when each row is a flattened
        image, ``(height, width)`` or ``(height, width, channels)``, or a 1-D
        signal, ``(length,)`` or ``(1, length, channels)`` (the product must
        equal the number of columns): the neural networks are then
        convolutional (2-D or 1-D), and no step changes the columns before them.
    random_state : int, RandomState or None, default=None
        Seed of resampling, search and models; with an int and ``n_jobs=1`` and
        ``max_trials`` set, two fits give the same model.
    verbose : int, default=0
        0: silent; 1: progress bar and phase logs; 2: one log line per trial; 3:
        also each failed trial's traceback.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.
    best_pipeline_ : Pipeline
        The best single pipeline refitted on all rows (trained on class indices
        ``0..n_classes-1``; ``classes_`` maps them back); inside an ensemble,
        its best-scoring member.
    model_ : Pipeline or EnsembleClassifier
        The final model used by ``predict``: ``ensemble_`` when there is one,
        else ``best_pipeline_``.
    ensemble_ : EnsembleClassifier or None
        The weighted ensemble (``members_``, ``weights_``), or None when a single
        pipeline won.
    best_config_ : dict
        Configuration of ``best_pipeline_`` (empty for the dummy fallback).
    best_score_ : float
        Validation score of ``model_`` (the ensemble's blended predictions,
        scored fold by fold like a trial).
    leaderboard_ : pandas.DataFrame
        One row per trial, best first; failed trials last with their status and
        error (``"infeasible"``: it scored, but over ``max_parameters`` or
        ``max_predict_latency``); ``ensemble_weight`` is each trial's weight in ``ensemble_`` (0
        when not a member).
    history_ : list of TrialResult
        Every trial in the order it was started.
    n_trials_ : int
        Trials run, the dummy fallback included.
    search_plan_ : SearchPlan
        Resampling, row cap, strategy and neural branch (``neural``) chosen, with the reason.
    interrupted_at_ : float or None
        Seconds into the fit at which Ctrl-C stopped the search (the fit then
        finished on the trials done, with a ``RuntimeWarning``); None when nothing
        interrupted it.
    search_report_ : dict
        What the search strategy learned, in its own terms (empty for most
        strategies): e.g. the controller's mean reward per round, the
        progressive search's predictor rank correlation.
    profile_ : DataProfile
        Column kinds and sizes inferred from the training data.
    search_space_ : Space
        The components and hyperparameters the search could propose.
    metric_ : str
    fit_time_ : float
        Wall-clock seconds of ``fit``.
    refit_ : {"all rows", "part of the rows", "search-time model", "dummy"}
        How ``model_`` was fitted: ``"all rows"``: refit on all rows; ``"part of
        the rows"``: on large data, the refit on all rows was not expected to
        finish within the budget, and the chosen trial was refit on a random
        share of them, as many as the time allowed and at least twice the rows it
        was searched on;
        ``"search-time model"``: the refit did not finish within the budget, or
        it learned less than the trial's fold models had (on the validation
        rows it was trained on, it scored below their unseen score: a fit that
        diverged on all rows), and ``model_`` is the chosen trial's model as
        fitted during search, on its training split only; ``"dummy"``: the dummy
        fallback (fitted on all rows) beat every pipeline on validation, under
        the default selection rule by more than the noise.
    target_name_ : str or None
        Name of y when it was a named pandas Series (the exported script's
        default target column), else None; None too when that name is also one of
        X's columns (``y = X["a"] > 0``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from automl_estimators import AutoClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AutoClassifier(time_budget=10, random_state=0).fit(X, y)
    >>> clf.predict(X[:2]).shape
    (2,)
    """

    _task = CLASSIFICATION

    def _check_y(self, X, y):
        encoded, self.classes_ = data.check_y_classification(X, y, type(self).__name__)
        return encoded

    def _fallback_estimator(self):
        return DummyClassifier(strategy="prior")

    @_default_output
    def predict(self, X):
        """Predicted class labels for X."""
        X = self._check_X_predict(X)
        return self.classes_[np.asarray(self.model_.predict(X), dtype=int)]

    @_default_output
    def predict_proba(self, X):
        """Class probabilities for X, columns in the order of ``classes_``."""
        X = self._check_X_predict(X)
        return predictions_of(self.model_, X, len(self.classes_)).values.astype(np.float64)


class AutoRegressor(RegressorMixin, _AutoBase):
    """A regressor that searches preprocessing + model pipelines within a time budget.

    Parameters are those of :class:`AutoClassifier`; ``metric=None`` means R².

    Attributes
    ----------
    n_features_in_, feature_names_in_, best_pipeline_, model_, ensemble_, best_config_,
    best_score_, leaderboard_, history_, n_trials_, search_plan_, search_report_,
    profile_, search_space_, metric_, fit_time_, refit_, target_name_
        As in :class:`AutoClassifier`.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from automl_estimators import AutoRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = AutoRegressor(time_budget=10, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _task = REGRESSION

    def _check_y(self, X, y):
        return data.check_y_regression(X, y, type(self).__name__)

    def _fallback_estimator(self):
        return DummyRegressor(strategy="mean")

    @_default_output
    def predict(self, X):
        """Predicted values for X."""
        X = self._check_X_predict(X)
        return np.asarray(self.model_.predict(X), dtype=np.float64)


def _strategy_report(strategy) -> dict:
    """The strategy's :meth:`~automl_estimators.search.base.SearchStrategy.report`; a
    strategy's bug there costs the report, never the fit."""
    try:
        return dict(strategy.report())
    except Exception as exc:  # noqa: BLE001
        warn(f"the {strategy.name} strategy failed to report: "
             f"{type(exc).__name__}: {exc}", RuntimeWarning)
        return {}
