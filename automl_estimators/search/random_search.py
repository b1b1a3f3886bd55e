"""Random search: configurations drawn uniformly from the compiled ConfigSpace space."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Candidate, SearchStrategy, StrategySettings, own_configspace


@dataclass(frozen=True)
class Random(StrategySettings):
    """Settings of random search (it has none); ``search="random"``."""

    name = "random"

    def make(self, space, seed, *, plan=None, crash_cost=None):
        """The strategy for one fit."""
        return RandomSearch(space, seed)


class RandomSearch(SearchStrategy):
    """Uniform sampling over the space, always at full fidelity; learns nothing from results."""

    name = "random"

    def __init__(self, space, seed: int):
        super().__init__(space, seed)
        self._configspace = own_configspace(space, seed)

    def ask(self, n: int) -> list[Candidate]:
        drawn = [self._configspace.sample_configuration() for _ in range(n)]
        return [Candidate(self.space.decode(c), 1.0, self.name) for c in drawn]
