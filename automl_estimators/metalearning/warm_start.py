"""The warm start of one fit: what is evaluated before the strategy proposes.

Always the strong default first (HistGradientBoosting at scikit-learn's
defaults: a fit never ends worse than it). Then, by ``warm_start``:

- ``None``: the other models' default configurations, then the tuned boosted
  configurations (the static portfolio: :meth:`automl_estimators.spaces.Space.portfolio`,
  from ``DEFAULT_PORTFOLIO`` and ``TUNED_CONFIGS`` in :mod:`~automl_estimators.spaces.components`);
- ``"knn"`` / ``"portfolio"``: :data:`WARM_START_SIZE` configurations suggested
  from the shipped meta-data (:mod:`.suggestions`); without meta-data, the static
  portfolio, with a log line;
- ``"auto"``: the static portfolio first, then the ``"knn"`` suggestions it
  does not hold. Measured (``benchmarks/results/search_warmstart*.md``, 28
  datasets, leave-one-dataset-out): at 10 s the static portfolio beat both
  learned methods alone (cheap, diverse defaults finish where tuned
  configurations, often slower, do not), and k-NN beat the portfolio method;
  ``"auto"`` ties the static portfolio at 10 s and 30 s, which is why the
  estimators' default stays None.
- a list of configurations: those, adapted to the space; one it cannot hold is
  a ``ValueError``;
- ``False`` / ``True``: ``None`` / ``"auto"`` (scikit-learn's checks set the
  boolean ``warm_start`` of its own estimators).

:func:`inline_trials` says which of these may run in the fit's own process while
the workers start: the strong default, or its form with native categorical splits
(a column per categorical column, not per level), or its short form (fewer
iterations) when the budget is a second or two, or else the quick forest or the
quick model.
"""

from __future__ import annotations

import logging

from ..spaces import DEFAULT_MODEL, native_default, quick_forest, short_default
from ..spaces.components import QUICK_FOREST, QUICK_MODEL
from ..spaces.declarations import MODEL
from ..trial import Candidate, config_key
from ..user_warnings import warn
from .features import meta_features
from .suggestions import METHODS, load_metadata, suggest

logger = logging.getLogger(__name__)

# Suggested configurations evaluated after the strong default.
WARM_START_SIZE = 10
AUTO_METHOD = "knn"
# The origin of the strong default with native categorical splits
# (spaces.native_default), run in the fit's own process when the one-hot default would
# not finish in time there (plan.SearchPlan.native_inline_seconds); never the strong
# default of the selection rule.
NATIVE_DEFAULT_ORIGIN = "native_default"
# The origin of the strong default cut to its fewest iterations (spaces.short_default),
# run in the fit's own process when the default would not finish in time there
# (plan.SearchPlan.short_inline_seconds); never the strong default of the selection rule.
SHORT_DEFAULT_ORIGIN = "short_default"
# The origin of the quick forest (spaces.quick_forest), run in the fit's own process
# when neither form of the strong default is expected in time there
# (plan.SearchPlan.forest_inline_seconds). Where both it and the short form are, the
# one expected to take less runs (inline_trials): neither scores higher in general.
# Measured on the shared datasets' 5 s plans, seeds 0-2, each refit on all training
# rows (benchmarks/stand_ins.py, benchmarks/results/stand_ins_5s.md): short form
# minus forest on test, mean -0.0053, higher on 33 of 84 cells, lower on 42 (adult
# +0.031, soybean +0.020; wine_quality -0.106, electricity -0.051, letter -0.019);
# the one the plan expects cheaper 0.8487 mean, the short form always 0.8460. The
# cheaper leaves more of a budget of seconds to the refit and the search. Before,
# the short form came first: with the bins-aware estimate (plan.HGB_NODE_MODEL) it
# became expected in time on letter at 5 s (1.99 s; the forest 0.54 s), took 1.6 s
# of a 5 s fit and scored 0.952 against the forest's 0.963 (mean of three seeds), and on
# shuttle at 1 s it ran on the sample the plan had sized for the forest (0.993
# against 0.9997).
QUICK_FOREST_ORIGIN = "quick_forest"
# The origin of the quick model (spaces.components.QUICK_MODEL at its defaults), run
# there when the quick forest is not expected in time either
# (plan.SearchPlan.quick_inline_seconds).
QUICK_ORIGIN = "quick"


def warm_start_candidates(warm_start, space, X, y, profile) -> list[Candidate]:
    """The candidates evaluated first, strong default first (see the module doc).

    Meta-features use a fixed seed: a dataset gets the same suggestions whatever
    the fit's ``random_state``.
    """
    portfolio = space.portfolio()
    default = [Candidate(portfolio[0], 1.0, "default")]
    static = default + [Candidate(c, 1.0, "default") for c in portfolio[1:]]
    if warm_start is None or warm_start is False:
        return static
    if warm_start is True:
        warm_start = "auto"
    if not isinstance(warm_start, str):
        return default + [Candidate(c, 1.0, "warm_start") for c in _explicit(warm_start, space)]
    method = AUTO_METHOD if warm_start == "auto" else warm_start
    first = static if warm_start == "auto" else default
    if method not in METHODS:
        raise ValueError(f"warm_start must be 'auto', {', '.join(map(repr, METHODS))}, None or "
                         f"a list of configurations; got {warm_start!r}.")
    metadata = load_metadata()
    if metadata is None:
        logger.info("no meta-data shipped: warm start from the models' defaults")
        return static
    features = meta_features(X, y, profile) if method == "knn" else None
    suggested = suggest(features, space, WARM_START_SIZE, method, metadata=metadata)
    held = {config_key(c.config) for c in first}
    return first + [Candidate(c, 1.0, "warm_start") for c in suggested
                    if config_key(c) not in held]


def _explicit(configs, space) -> list[dict]:
    out = []
    for i, config in enumerate(configs):
        if not isinstance(config, dict):
            raise TypeError(f"warm_start[{i}] must be a configuration dict (as in "
                            f"best_config_), got {type(config).__name__}.")
        problems, unknown = space.value_problems(config)
        if problems:
            raise ValueError(f"warm_start[{i}]: {'; '.join(problems)}. Give values the "
                             "search space allows (search_space_ lists them).")
        if unknown:
            warn(f"warm_start[{i}]: {'; '.join(unknown)}: ignored.", UserWarning)
        reason = space.violation(config)
        if reason is not None:
            raise ValueError(f"warm_start[{i}] combines choices this search does not make "
                             f"together: {reason}. Choose another, or include only these "
                             "components to search them together.")
        adapted = space.adapt(config)
        if adapted is None:
            raise ValueError(
                f"warm_start[{i}] uses a component this search cannot offer "
                f"(model {config.get('model')!r}); the models on offer are "
                f"{list(space.models)} (see include/exclude and the data's shape).")
        out.append(adapted)
    return out


def inline_trials(plan, space, warm_start) -> tuple:
    """The trials the search loop may run in the fit's own process while its workers
    start (``SearchLoop.inline``), each with its expected seconds there, the first
    expected in time runs: the strong default (``plan.inline_seconds``), then the
    same with native categorical splits where the data has categorical columns
    (``plan.native_inline_seconds``, :data:`NATIVE_DEFAULT_ORIGIN`), then the same
    with the fewest iterations its range allows (``plan.short_inline_seconds``,
    :data:`SHORT_DEFAULT_ORIGIN`) and the quick forest
    (``plan.forest_inline_seconds``, :data:`QUICK_FOREST_ORIGIN`), the one expected
    to take less first (see :data:`QUICK_FOREST_ORIGIN`), then the quick model at
    its defaults (``plan.quick_inline_seconds``, :data:`QUICK_ORIGIN`); the quick
    forest and model when the space offers them. The default's forms need
    ``warm_start`` to start with the strong default (not with the model excluded,
    or the neural branch on)."""
    trials, stand_ins = [], []
    if warm_start and warm_start[0].config.get(MODEL) == DEFAULT_MODEL:
        overrides, _ = short_default(space.task)
        short = Candidate(space.default_config(DEFAULT_MODEL, overrides), 1.0,
                          SHORT_DEFAULT_ORIGIN)
        trials.append((warm_start[0], plan.inline_seconds))
        native = native_default(space)
        if native is not None:
            trials.append((Candidate(native, 1.0, NATIVE_DEFAULT_ORIGIN),
                           plan.native_inline_seconds))
        stand_ins.append((short, plan.short_inline_seconds))
    if QUICK_FOREST in space.models:
        forest = space.default_config(QUICK_FOREST, quick_forest(space.task)[0])
        stand_ins.append((Candidate(forest, 1.0, QUICK_FOREST_ORIGIN),
                          plan.forest_inline_seconds))
    # stable: the short form first at equal seconds
    trials += sorted((trial for trial in stand_ins if trial[1] is not None),
                     key=lambda trial: trial[1])
    quick = QUICK_MODEL[space.task]
    if quick in space.models:
        trials.append((Candidate(space.default_config(quick), 1.0, QUICK_ORIGIN),
                       plan.quick_inline_seconds))
    return tuple((candidate, seconds) for candidate, seconds in trials
                 if seconds is not None)
