"""Search strategies behind one ask/tell interface (see :mod:`.base`).

``search`` is a name (``"random"``, ``"smac"``, ``"genetic"``, ``"evolution"``,
``"controller"``, ``"one_shot"``, ``"progressive"``, ``"auto"``) or a settings object
(:class:`SMAC`, :class:`Random`, :class:`Genetic`, :class:`Evolution`, :class:`Controller`,
:class:`OneShot`, :class:`Progressive`) whose ``make`` builds the strategy for one fit.
"""

from .base import Candidate, SearchStrategy, config_key
from .controller import Controller, ControllerSearch
from .evolution import Evolution, EvolutionSearch
from .genetic import Genetic, GeneticSearch
from .one_shot import OneShot, OneShotSearch
from .progressive import Progressive, ProgressiveSearch
from .random_search import Random, RandomSearch
from .smac import SMAC, SMACSearch

# Name -> settings class; the name's defaults are the class's defaults.
STRATEGIES = {"random": Random, "smac": SMAC, "genetic": Genetic, "evolution": Evolution,
              "controller": Controller, "one_shot": OneShot, "progressive": Progressive}
SETTINGS = tuple(STRATEGIES.values())


def make_strategy(search, space, seed: int, *, plan=None, crash_cost=1.0) -> SearchStrategy:
    """The strategy ``search`` asks for over ``space``.

    ``"auto"`` takes the size-aware policy's choice (``plan.strategy``; random
    without a plan).
    """
    if isinstance(search, str):
        if search == "auto":
            search = plan.strategy if plan is not None else "random"
        search = STRATEGIES[search]()
    return search.make(space, seed, plan=plan, crash_cost=crash_cost)


__all__ = [
    "SETTINGS",
    "SMAC",
    "STRATEGIES",
    "Candidate",
    "Controller",
    "ControllerSearch",
    "Evolution",
    "EvolutionSearch",
    "Genetic",
    "GeneticSearch",
    "OneShot",
    "OneShotSearch",
    "Progressive",
    "ProgressiveSearch",
    "Random",
    "RandomSearch",
    "SMACSearch",
    "SearchStrategy",
    "config_key",
    "make_strategy",
]
