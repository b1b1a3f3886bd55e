"""Arms of the NAS strategies benchmark: what each run fits.

- a search strategy's name (``random``, ``smac``, ``evolution``, ``controller``,
  ``progressive``, ``one_shot``, or any other name in
  ``automl_estimators.search.STRATEGIES``): ``AutoClassifier(neural=True,
  search=NAME, include=["neural_network"])``, networks only;
- ``neural_false``: ``AutoClassifier(neural=False)``, the default search over the
  non-neural pipelines;
- ``neural_auto``: ``AutoClassifier(neural="auto")``, the package's own choice of
  whether and how to search networks;
- a variant of a strategy (:data:`VARIANTS`): the same with other settings,
  e.g. ``controller_halving``, the controller with every child first trained
  with a third of its epochs and the best promoted
  (``Controller(min_fidelity=1/3)``), measured against ``controller``;
- ``hgb``: ``HistGradientBoostingClassifier(random_state=seed)`` at its defaults;
- ``logreg``: ``StandardScaler`` then ``LogisticRegression(max_iter=1000)`` (the
  default 100 iterations stop short of convergence on pixel data).

Every ``AutoClassifier`` arm gets ``time_budget=budget``, ``random_state=seed``,
``n_jobs`` and the dataset's ``image_shape``; the baselines take no budget.
"""
from __future__ import annotations

# Strategy arms named when --arms is not given; any name in STRATEGIES is accepted.
STRATEGY_ARMS = ("random", "smac", "evolution", "controller", "progressive", "one_shot")
PACKAGE_ARMS = ("neural_false", "neural_auto")
BASELINE_ARMS = ("hgb", "logreg")
DEFAULT_ARMS = STRATEGY_ARMS + PACKAGE_ARMS + BASELINE_ARMS
# Variant arm -> (strategy name, settings that differ from the strategy's defaults)
VARIANTS = {"controller_halving": ("controller", {"min_fidelity": 1.0 / 3.0})}
# Arms that train no network: they always run, and are recorded, as cpu.
CPU_ONLY_ARMS = ("neural_false",) + BASELINE_ARMS


def registered_strategies() -> tuple:
    """The strategy names this checkout of the package knows."""
    from automl_estimators.search import STRATEGIES

    return tuple(STRATEGIES)


def is_strategy(arm: str) -> bool:
    """Whether ``arm`` names a search strategy (rather than a package or baseline arm)."""
    return arm not in PACKAGE_ARMS + BASELINE_ARMS


def unavailable_reason(arm: str) -> str | None:
    """Why ``arm`` cannot run on this checkout, or None when it can."""
    name, settings = VARIANTS.get(arm, (arm, {}))
    if is_strategy(arm) and name not in registered_strategies():
        return (f"strategy {name!r} is not registered in automl_estimators.search.STRATEGIES "
                f"(registered: {', '.join(registered_strategies())})")
    if settings:
        from dataclasses import fields

        from automl_estimators.search import STRATEGIES

        known = {f.name for f in fields(STRATEGIES[name])}
        if not set(settings) <= known:
            return (f"{name}'s settings in this checkout lack "
                    f"{sorted(set(settings) - known)} (variant {arm!r})")
    return None


def check_arm_names(arms) -> None:
    """Reject names that are neither a known arm nor a plausible strategy name.

    A strategy not registered yet is accepted here (its runs are recorded as
    ``unavailable``); only malformed names are refused.

    Raises
    ------
    ValueError
        For an empty list or a name that is not an identifier.
    """
    if not arms:
        raise ValueError("no arms given; name at least one, e.g. --arms random,hgb.")
    bad = [a for a in arms if not a.isidentifier()]
    if bad:
        raise ValueError(f"arm names must be identifiers (a strategy name, "
                         f"{', '.join(PACKAGE_ARMS + BASELINE_ARMS)}), got {bad}.")


def run_device(arm: str, device: str) -> str:
    """The device a run of ``arm`` is recorded under: arms without networks run on cpu."""
    return "cpu" if arm in CPU_ONLY_ARMS else device


def estimator_params(arm: str, budget: float, seed: int, image_shape, n_jobs: int) -> dict:
    """``AutoClassifier`` parameters of a package arm (not of a baseline)."""
    from automl_estimators.spaces.neural import NAME

    common = {"time_budget": budget, "random_state": seed, "n_jobs": n_jobs,
              "image_shape": tuple(image_shape) if image_shape else None}
    if arm == "neural_false":
        return {**common, "neural": False}
    if arm == "neural_auto":
        return {**common, "neural": "auto"}
    if arm in VARIANTS:
        from automl_estimators.search import STRATEGIES

        name, settings = VARIANTS[arm]
        return {**common, "neural": True, "search": STRATEGIES[name](**settings),
                "include": [NAME]}
    return {**common, "neural": True, "search": arm, "include": [NAME]}


def make_estimator(arm: str, budget: float, seed: int, image_shape=None, n_jobs: int = 2):
    """The unfitted estimator of one run of ``arm``."""
    if arm == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=seed)
    if arm == "logreg":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    from automl_estimators import AutoClassifier

    return AutoClassifier(**estimator_params(arm, budget, seed, image_shape, n_jobs))
