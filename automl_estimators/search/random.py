"""Random search: configurations drawn uniformly from the compiled ConfigSpace space."""

from __future__ import annotations

from ConfigSpace import ConfigurationSpace

from .base import Candidate, SearchStrategy


class RandomSearch(SearchStrategy):
    """Uniform sampling over the space; learns nothing from results."""

    name = "random"

    def __init__(self, space, seed: int):
        super().__init__(space, seed)
        # An own copy of the space, so its sampler's state belongs to this strategy.
        self._configspace = ConfigurationSpace.from_serialized_dict(
            space.configspace.to_serialized_dict())
        self._configspace.seed(seed)

    def ask(self, n: int) -> list[Candidate]:
        drawn = [self._configspace.sample_configuration() for _ in range(n)]
        return [Candidate(self.space.decode(c), 1.0, self.name) for c in drawn]
