"""SMAC3 Bayesian optimisation, driven by ask/tell so that the estimator keeps the loop.

SMAC proposes (``ask``) and learns (``tell``); it never runs a trial, so the
estimator's clock, per-trial limits and workers rule (SMAC checks its own
walltime only between trials). Two surrogates:

- ``"rf"`` (default): SMAC's random forest with log expected improvement, the
  ``HyperparameterOptimizationFacade`` setting, made for mixed, conditional
  pipeline spaces like ours (auto-sklearn's choice);
- ``"gp"``: a Gaussian process with a Matérn kernel (SMAC's ``BlackBoxFacade``)
  with EI, PI or UCB, for small, mostly continuous spaces (``include`` one model).

Multi-fidelity: SMAC's ``SuccessiveHalving`` or ``Hyperband`` intensifier with
``eta``; the budget SMAC hands out is our fidelity in ``[min_fidelity, 1]`` (see
:func:`automl_estimators.pipelines.fidelity_shares` for how it is spent).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..scratch import ScratchFolder
from ..trial import Status
from .base import ETA, Candidate, SearchStrategy, StrategySettings, own_configspace

logger = logging.getLogger(__name__)


def _order_local_search(maximizer):
    """Make SMAC's proposals independent of Python's string hashing.

    SMAC 2.x's ``LocalSearch._get_initial_points`` removes repeated start points
    through a ``set`` of ``Configuration`` s, whose hash is their text's: the
    local searches then start in an order that changes with ``PYTHONHASHSEED``,
    and so do the proposals after the initial design (measured: the same
    ``random_state``, ``n_jobs=1`` and ``max_trials=24`` fit, two different
    leaderboards under ``PYTHONHASHSEED=1`` and ``2``). Here they start in the
    order of their text. A SMAC without that method is left as it is.
    """
    local_search = getattr(maximizer, "_local_search", None)
    if local_search is None or not hasattr(local_search, "_get_initial_points"):
        return
    base = type(local_search)
    local_search.__class__ = type(f"Ordered{base.__name__}", (base,),
                                  {"_get_initial_points": _initial_points_in_order})


def _initial_points_in_order(self, *args, **kwargs):
    """SMAC's start points of a local search, in the order of their text."""
    return sorted(super(type(self), self)._get_initial_points(*args, **kwargs), key=repr)

SURROGATES = ("rf", "gp")
ACQUISITIONS = ("ei", "pi", "ucb")
MULTI_FIDELITY = ("auto", "off", "successive_halving", "hyperband")
# Digits a fidelity is rounded to, so equal budgets compare equal in the history.
FIDELITY_DIGITS = 6
# Random configurations the acquisition search scores per surrogate refit
# (SMAC's HPO default: 10 000; its black-box default: 1 000). The ask blocks the
# loop, so it must stay well under a second.
CHALLENGERS = 1000


@dataclass(frozen=True)
class SMAC(StrategySettings):
    """Settings of the SMAC3 search; pass as ``search=SMAC(...)`` (``search="smac"``: defaults).

    Parameters
    ----------
    surrogate : {"rf", "gp"}, default="rf"
        Random forest (mixed, conditional spaces) or Gaussian process with a
        Matérn kernel (small, continuous spaces).
    acquisition : {"ei", "pi", "ucb"}, default="ei"
        Acquisition function. The random forest uses log-EI; ``"pi"``/``"ucb"``
        need ``surrogate="gp"``.
    multi_fidelity : {"auto", "off", "successive_halving", "hyperband"}, default="auto"
        ``"auto"`` follows the size-aware policy (``search_plan_.multi_fidelity``).
    eta : int, default=3
        Successive halving keeps 1/eta of the configurations at each rung.
    n_initial : int, default=8
        Random configurations in the initial design, after the warm-start ones.
    random_fraction : float, default=0.2
        Share of proposals drawn at random (interleaved exploration).
    """

    surrogate: str = "rf"
    acquisition: str = "ei"
    multi_fidelity: str = "auto"
    eta: int = ETA
    n_initial: int = 8
    random_fraction: float = 0.2

    name = "smac"
    uses_fidelities = True

    def __post_init__(self):
        for field, value, options in (("surrogate", self.surrogate, SURROGATES),
                                      ("acquisition", self.acquisition, ACQUISITIONS),
                                      ("multi_fidelity", self.multi_fidelity, MULTI_FIDELITY)):
            if value not in options:
                raise ValueError(f"SMAC {field} must be one of {options}, got {value!r}.")
        if self.surrogate == "rf" and self.acquisition != "ei":
            raise ValueError(f"acquisition={self.acquisition!r} needs surrogate='gp'; the random "
                             "forest surrogate uses expected improvement ('ei').")
        if not (isinstance(self.eta, int) and self.eta >= 2):
            raise ValueError(f"SMAC eta must be an integer >= 2, got {self.eta!r}.")
        if not (isinstance(self.n_initial, int) and self.n_initial >= 0):
            raise ValueError(f"SMAC n_initial must be an integer >= 0, got {self.n_initial!r}.")
        if not 0.0 <= self.random_fraction <= 1.0:
            raise ValueError(f"SMAC random_fraction must be in [0, 1], got "
                             f"{self.random_fraction!r}.")

    def make(self, space, seed, *, plan=None, crash_cost=1.0):
        """The strategy for one fit."""
        if plan is not None:  # the size-aware policy, which honours self.multi_fidelity
            multi_fidelity, min_fidelity = plan.multi_fidelity, plan.min_fidelity
        else:
            multi_fidelity = "off" if self.multi_fidelity == "auto" else self.multi_fidelity
            min_fidelity = 1.0 / self.eta ** 2
        return SMACSearch(space, seed, settings=self, multi_fidelity=multi_fidelity,
                          min_fidelity=min_fidelity, crash_cost=crash_cost)


class SMACSearch(SearchStrategy):
    """SMAC3 over the compiled ConfigSpace of ``space``.

    Parameters
    ----------
    space : Space
    seed : int
    settings : SMAC
    multi_fidelity : {"off", "successive_halving", "hyperband"}
    min_fidelity : float
        Lowest fidelity successive halving uses.
    crash_cost : float
        Cost told for a failed trial (crash, timeout, memory-out): finite, so the
        surrogate learns to avoid failing regions (SMAC's default is infinite).
    """

    name = "smac"

    def __init__(self, space, seed, *, settings=SMAC(), multi_fidelity="off", min_fidelity=1.0,
                 crash_cost=1.0):
        super().__init__(space, seed)
        from smac import BlackBoxFacade, HyperparameterOptimizationFacade, Scenario
        from smac.acquisition.function import EI, LCB, PI
        from smac.intensifier import Hyperband, SuccessiveHalving

        smac_logger = logging.getLogger("smac")
        if smac_logger.level == logging.NOTSET:  # quiet unless the user configured it
            smac_logger.setLevel(logging.WARNING)
        self.settings = settings
        self.multi_fidelity = multi_fidelity if min_fidelity < 1.0 else "off"
        self.crash_cost = float(crash_cost)
        self._worst_cost = self.crash_cost
        self._folder = ScratchFolder("automl_estimators_smac_")
        try:
            # SMAC seeds and samples its own copy.
            configspace = own_configspace(space)
            multi = self.multi_fidelity != "off"
            scenario = Scenario(
                configspace, output_directory=Path(self._folder.path) / "smac", deterministic=True,
                n_trials=10**9, seed=int(seed) % 2**31, crash_cost=self.crash_cost,
                min_budget=float(min_fidelity) if multi else None,
                max_budget=1.0 if multi else None)
            facade = (BlackBoxFacade if settings.surrogate == "gp"
                      else HyperparameterOptimizationFacade)
            # Warm-start configurations are not part of the design: the search loop runs
            # them first and tells SMAC their results (see tell).
            initial = facade.get_initial_design(scenario, n_configs=settings.n_initial)
            if multi:
                intensifier_class = (Hyperband if self.multi_fidelity == "hyperband"
                                     else SuccessiveHalving)
                intensifier = intensifier_class(scenario, eta=settings.eta, seed=scenario.seed)
            else:
                intensifier = facade.get_intensifier(scenario, max_config_calls=1)
            acquisition = {"ei": EI(log=settings.surrogate == "rf"), "pi": PI(),
                           "ucb": LCB()}[settings.acquisition]
            model = None
            if settings.surrogate == "rf":
                from smac.model.random_forest import RandomForest

                # SMAC's forest, two settings changed (measured: 8 asks after 17 trials
                # took 2.3 s, now 0.26 s): max_leaf_nodes=2**20 made scikit-learn's
                # best-first tree builder allocate for a million nodes per tree, and
                # n_jobs=-1 sent ten tiny trees to joblib threads.
                model = RandomForest(scenario.configspace, log_y=True, seed=scenario.seed,
                                     max_leaf_nodes=None, n_jobs=1)
            maximizer = facade.get_acquisition_maximizer(scenario, challengers=CHALLENGERS)
            _order_local_search(maximizer)
            self._smac = facade(
                scenario, None, model=model, initial_design=initial, intensifier=intensifier,
                acquisition_function=acquisition, acquisition_maximizer=maximizer,
                random_design=facade.get_random_design(scenario,
                                                       probability=settings.random_fraction),
                logging_level=False, overwrite=True)
        except BaseException:  # no close() will come to remove the folder
            self._folder.remove()
            raise
        self._asked = {}  # candidate key -> SMAC TrialInfo
        # Seed of trials SMAC did not propose: its intensifier adopts the first it
        # finds in the run history, and later trials keep the seed SMAC gave them.
        self._tell_seed = 0

    def ask(self, n: int) -> list[Candidate]:
        candidates = []
        for _ in range(n):
            with warnings.catch_warnings():
                # SMAC's local search averages an empty list in its own logging.
                warnings.simplefilter("ignore", RuntimeWarning)
                info = self._smac.ask()
            fidelity = 1.0 if info.budget is None else round(float(info.budget),
                                                                FIDELITY_DIGITS)
            candidate = Candidate(self.space.decode(info.config), min(fidelity, 1.0), self.name)
            self._asked[candidate.key] = info
            self._tell_seed = info.seed
            candidates.append(candidate)
        return candidates

    def tell(self, candidate: Candidate, result) -> None:
        """Tell SMAC the cost (minus the score) of a trial.

        A trial SMAC did not propose (the warm start) is added to its run
        history at the full fidelity, so the surrogate learns from it too.
        """
        from smac.runhistory import StatusType, TrialInfo, TrialValue

        if result.status == Status.CANCELLED:
            return
        info = self._asked.pop(candidate.key, None)
        if info is None:
            if candidate.fidelity < 1.0:
                return
            info = TrialInfo(config=self.space.encode(candidate.config), seed=self._tell_seed,
                             budget=1.0 if self.multi_fidelity != "off" else None)
        if result.status == Status.OK:
            cost = -float(result.score)
            self._worst_cost = max(self._worst_cost, cost)
            status = StatusType.SUCCESS
        else:
            # Never better than a trial that ran: at least the worst cost seen.
            cost = self._worst_cost
            status = {Status.TIMEOUT: StatusType.TIMEOUT,
                      Status.MEMOUT: StatusType.MEMORYOUT}.get(result.status, StatusType.CRASHED)
        duration = result.duration if result.duration == result.duration else 0.0
        self._smac.tell(info, TrialValue(cost=cost, time=duration, status=status), save=False)

    def close(self) -> None:
        self._folder.remove()

