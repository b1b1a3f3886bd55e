"""The search interface: strategies propose (``ask``) and learn (``tell``), nothing else.

The estimator's search loop (:mod:`automl_estimators.search_loop`) owns the clock,
the workers and the history; a strategy never runs a trial.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from ConfigSpace import ConfigurationSpace

from ..trial import Candidate, config_key

__all__ = ["Candidate", "SearchStrategy", "config_key", "own_configspace"]


def own_configspace(space, seed=None) -> ConfigurationSpace:
    """A copy of the space's ConfigSpace, so a strategy's sampling state is its own."""
    configspace = ConfigurationSpace.from_serialized_dict(space.configspace.to_serialized_dict())
    if seed is not None:
        configspace.seed(seed)
    return configspace


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

    def close(self) -> None:
        """Release what the strategy holds (files, clients); called once the search ends."""
