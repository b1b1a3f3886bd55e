"""The search interface: strategies propose (``ask``) and learn (``tell``), nothing else.

The estimator's search loop (:mod:`automl_estimators.search_loop`) owns the clock,
the workers and the history; a strategy never runs a trial.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from ConfigSpace import ConfigurationSpace

from ..trial import Candidate, config_key

__all__ = ["ETA", "Candidate", "SearchStrategy", "StrategySettings", "config_key",
           "own_configspace"]

# Successive halving's factor: the top 1/ETA of a rung is promoted, with ETA times
# the fidelity (Hyperband's and ASHA's default). The plan's fidelities and the
# strategies' own eta default to it.
ETA = 3


def own_configspace(space, seed=None) -> ConfigurationSpace:
    """A copy of the space's ConfigSpace, so a strategy's sampling state is its own."""
    return space.new_configspace(seed)


class StrategySettings:
    """What the settings of a strategy declare (``SMAC``, ``Random``, ...: frozen
    dataclasses, ``search=`` values, whose ``make`` builds the strategy for one fit).

    The size-aware policy (:func:`automl_estimators.plan.make_plan`) reads these
    declarations instead of strategy names, so adding a strategy needs no edit there.
    """

    name: ClassVar[str] = "base"
    # Whether the strategy proposes candidates at the plan's fidelities (successive
    # halving): the plan then chooses them (``multi_fidelity``, ``min_fidelity``).
    # Such settings have a ``multi_fidelity`` option: "auto" (the plan's policy),
    # "off" or a schedule, which the plan honours.
    uses_fidelities: ClassVar[bool] = False
    # Whether the strategy proposes neural networks only, so ``neural="auto"``
    # turns the neural branch on.
    networks_only: ClassVar[bool] = False

    def make(self, space, seed: int, *, plan=None, crash_cost=1.0) -> SearchStrategy:
        """The strategy for one fit over ``space``."""
        raise NotImplementedError


class SearchStrategy(ABC):
    """Base of every strategy.

    Parameters
    ----------
    space : Space
        What may be proposed.
    seed : int
        Seed of the strategy's own random generator (never a global one).
    """

    name = "base"

    def __init__(self, space, seed: int):
        self.space = space
        self.seed = seed

    @abstractmethod
    def ask(self, n: int) -> list[Candidate]:
        """Up to ``n`` new candidates (fewer, or none, when the space is exhausted)."""

    def tell(self, candidate: Candidate, result) -> None:
        """Learn from a finished trial (a :class:`~automl_estimators.trial.TrialResult`)."""

    def report(self) -> dict:
        """What the strategy learned, for the user (``search_report_``): e.g. a
        controller's mean reward per round, a predictor's rank correlation. Plain
        values (numbers, strings, lists, dicts of them); empty by default."""
        return {}

    def close(self) -> None:
        """Release what the strategy holds (files, clients); called once the search ends."""
