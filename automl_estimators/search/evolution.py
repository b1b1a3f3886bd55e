"""Regularized (aging) evolution of neural architectures (Real et al. 2019, AmoebaNet).

A population of the last ``population_size`` evaluated networks; each new child
comes from a tournament: ``sample_size`` members drawn at random, the best one
copied with exactly one change (AmoebaNet: one mutation per child, so the
tournament judges one change at a time): with probability ``recipe_mutation``
one hyperparameter of its training recipe redrawn (learning rate, weight decay,
batch size, activation, optimizer, schedule, class weights:
:func:`~automl_estimators.spaces.neural.recipe_hyperparameters`), otherwise its
cells mutated (:func:`~automl_estimators.spaces.architecture.mutate_architecture`:
one input or one operation of one block). The oldest member leaves when a child
joins, whatever its score (the "aging" that regularizes: a network stays only
while its descendants keep scoring). The first ``population_size`` proposals are
random: random cells and a random recipe, each hyperparameter drawn from its
declaration (log-uniform where declared). The network's size and epoch budget
(``n_cells``, ``n_blocks``, ``width``, ``max_epochs``:
:data:`~automl_estimators.spaces.neural.SIZE_HYPERPARAMETERS`) stay at the
component's defaults throughout, as NASNet and AmoebaNet search cells at a fixed
N and F: a tournament at equal size compares how networks are built and
trained, not how big they are.

Successive halving over epochs: every child is first trained at the lowest rung
(``min_fidelity`` of its epochs); a trial is promoted to the next rung (``eta``
times the epochs) once it ranks in the top ``1/eta`` of its rung's results so
far (asynchronous successive halving, ASHA). Fitness in the tournament is the
lowest-rung score, which every member has, so members compare on equal terms;
only promoted, full-fidelity trials compete for the final model.

The strategy proposes ``neural_network`` configurations only, each with an
explicit :class:`~automl_estimators.spaces.architecture.Architecture` under
:data:`~automl_estimators.spaces.neural.ARCHITECTURE_KEY`. Over a space without
neural networks (the neural branch off, or ``include`` leaving them out) it
proposes nothing, and the search ends after the warm start. Results of other
models (the warm start) are ignored.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

from ..spaces.architecture import mutate_architecture, sample_architecture
from ..spaces.declarations import MODEL, Categorical, draw, hp_key
from ..spaces.neural import ARCHITECTURE_KEY, BLOCKS, NAME, recipe_hyperparameters
from .base import ETA, Candidate, SearchStrategy, StrategySettings, config_key
from .halving import AsyncHalving

# A child already proposed is mutated again, at most this many times before a
# random network replaces it.
MAX_MUTATION_TRIES = 20


@dataclass(frozen=True)
class Evolution(StrategySettings):
    """Settings of regularized evolution; ``search="evolution"``.

    Parameters
    ----------
    population_size : int
        Networks kept (AmoebaNet: 100; small here, as a fit trains tens of
        networks, not thousands).
    sample_size : int
        Tournament size: members drawn to pick a parent.
    recipe_mutation : float
        Probability that a child's one change is to its training recipe (one
        hyperparameter redrawn, to another value for a categorical) rather than
        to its cells. Default 1/3: AmoebaNet draws its mutation kinds uniformly,
        and this makes the recipe a third kind next to its two cell mutations
        (rewire an input, swap an operation), so about one child in three
        tunes how the network trains (the training protocol moves scores as
        much as the cells do: Yang et al. 2020, "NAS evaluation is
        frustratingly hard"). 0: AmoebaNet's cells-only evolution over the
        random initial recipes.
    eta : int
        Successive halving's factor: the top ``1/eta`` of a rung is promoted,
        with ``eta`` times the epochs.
    min_fidelity : float
        Share of the epochs at the lowest rung; 1.0: every child at full
        fidelity (no successive halving).
    """

    population_size: int = 20
    sample_size: int = 5
    recipe_mutation: float = 1.0 / 3.0
    eta: int = ETA
    min_fidelity: float = 1.0 / ETA

    name = "evolution"
    networks_only = True

    def __post_init__(self):
        if self.population_size < 2 or not 1 <= self.sample_size <= self.population_size:
            raise ValueError(f"Evolution needs population_size >= 2 and 1 <= sample_size <= "
                             f"population_size, got {self.population_size} and "
                             f"{self.sample_size}.")
        if not 0.0 <= self.recipe_mutation <= 1.0:
            raise ValueError(f"Evolution needs 0 <= recipe_mutation <= 1, got "
                             f"{self.recipe_mutation}.")
        if not 0 < self.min_fidelity <= 1 or self.eta < 2:
            raise ValueError(f"Evolution needs 0 < min_fidelity <= 1 and eta >= 2, got "
                             f"{self.min_fidelity} and {self.eta}.")

    def make(self, space, seed, *, plan=None, crash_cost=1.0):
        """The strategy for one fit."""
        return EvolutionSearch(space, seed, settings=self, crash_cost=crash_cost)


class EvolutionSearch(SearchStrategy):
    """Regularized evolution with asynchronous successive halving over epochs.

    Parameters
    ----------
    space : Space
    seed : int
        Seed of the strategy's own ``random.Random``.
    settings : Evolution
    crash_cost : float
        A failed trial's fitness is ``-crash_cost`` (no better than the dummy).
    """

    name = "evolution"

    def __init__(self, space, seed: int, settings: Evolution = Evolution(),
                 crash_cost: float = 1.0):
        super().__init__(space, seed)
        self.settings = settings
        self.crash_cost = crash_cost
        self._rng = random.Random(seed)
        self._halving = AsyncHalving(settings.eta, settings.min_fidelity)
        self.fidelities = self._halving.fidelities
        self._population = deque()  # (config, fitness), oldest first
        self._proposed = set()
        self._component = (space.component(MODEL, NAME) if NAME in space.models else None)
        if self._component is not None:
            self._kind = self._component.cells.kind
            self._recipe = recipe_hyperparameters(self._component)
            # the size and epoch budget every network keeps (see the module doc)
            self._base = space.default_config(NAME)

    def ask(self, n: int) -> list[Candidate]:
        if self._component is None:
            return []
        return [self._halving.promotion(self.name) or self._child() for _ in range(n)]

    def report(self) -> dict:
        """Networks trained per rung of successive halving, lowest first."""
        return {} if self._component is None else {
            "fidelities": list(self.fidelities), "networks_per_rung": self._halving.counts()}

    def tell(self, candidate: Candidate, result) -> None:
        config = candidate.config
        if config.get(MODEL) != NAME or ARCHITECTURE_KEY not in config:
            return  # the warm start's models: not part of the population
        ok = result.ok and math.isfinite(result.score)
        fitness = result.score if ok else -self.crash_cost
        rung = self._halving.record(config, candidate.fidelity, fitness, ok)
        if rung == 0:
            self._population.append((config, fitness))
            if len(self._population) > self.settings.population_size:
                self._population.popleft()  # aging: the oldest leaves, whatever its score

    # -------------------------------------------------------------- internals
    def _child(self) -> Candidate:
        config = None
        if len(self._population) >= self.settings.population_size:
            sample = self._rng.sample(list(self._population), self.settings.sample_size)
            parent = max(sample, key=lambda member: member[1])[0]
            for _ in range(MAX_MUTATION_TRIES):
                child = self._mutate(parent)
                if config_key(child) not in self._proposed:
                    config = child
                    break
                parent = child
        while config is None or config_key(config) in self._proposed:
            config = self._random_network()
        self._proposed.add(config_key(config))
        return Candidate(config, self._halving.lowest, self.name)

    def _random_network(self) -> dict:
        """Random cells and a random recipe, at the default size and epochs."""
        arch = sample_architecture(self._rng, self._kind, self._base[self._key(BLOCKS)])
        recipe = {hp.name: draw(hp, self._rng) for hp in self._recipe}
        return self._with_recipe({**self._base, ARCHITECTURE_KEY: arch}, recipe)

    def _mutate(self, parent: dict) -> dict:
        """The parent with one change: one recipe hyperparameter, or its cells."""
        if self._recipe and self._rng.random() < self.settings.recipe_mutation:
            hp = self._rng.choice(self._recipe)
            return self._with_recipe(parent, {hp.name: _redraw(hp, parent.get(self._key(hp.name)),
                                                               self._rng)})
        return {**parent, ARCHITECTURE_KEY: mutate_architecture(parent[ARCHITECTURE_KEY],
                                                                self._rng)}

    def _with_recipe(self, config: dict, recipe: dict) -> dict:
        """``config`` with the recipe values set, keeping only the hyperparameters
        active under them (the declarations' ``active_if``), as the space holds it
        (ConfigSpace rounds floats): SMAC, told this trial, sees the same values."""
        component = self._component
        values = {hp.name: config.get(self._key(hp.name), hp.default)
                  for hp in component.hyperparameters}
        values.update(recipe)
        active = component.active(values)
        own = {self._key(hp.name) for hp in component.hyperparameters}
        out = {key: value for key, value in config.items() if key not in own}
        out.update((self._key(name), value) for name, value in values.items() if name in active)
        return self.space.decode(self.space.encode(out))

    def _key(self, name: str) -> str:
        return hp_key(self._component, name)


def _redraw(hp, current, rng: random.Random):
    """A new draw of ``hp``; a categorical one always changes (to another choice)."""
    if isinstance(hp, Categorical) and len(hp.choices) > 1:
        return rng.choice([choice for choice in hp.choices if choice != current])
    return draw(hp, rng)

