"""One-shot architecture search as a strategy: search in a supernet, then retrain.

DARTS (Liu et al. 2019) and ENAS (Pham et al. 2018) find cells by training one
weight-sharing supernet, then train the cells they derive from scratch, longer
and deeper than the search network. The strategy follows that two-step shape
over trials:

1. A *one-shot trial*: the network at the component's defaults with
   ``architecture_search`` set (the ``"architecture_search"`` strategy
   parameter), so the trial's network searches its cells on its training
   rows and then trains them (:class:`~automl_estimators.nas.NeuralClassifier`).
   The worker reports the cells it derived in ``TrialResult.info["architecture"]``.
2. The derived cells, explicitly (under
   :data:`~automl_estimators.spaces.neural.ARCHITECTURE_KEY`, no search),
   retrained from scratch: first with the search trial's recipe (its whole
   time for training now), then with twice the epochs, one more cell, twice
   the width (DARTS's evaluation network is deeper and wider than its
   search network), and ``n_recipes`` random draws of the training recipe
   (:func:`~automl_estimators.spaces.neural.recipe_hyperparameters`: optimizer,
   schedule, activation, learning rate, weight decay, batch size, ...).
3. Once every variation of the cells found so far is proposed, another
   one-shot trial, with a random macro-architecture (blocks per cell, cells,
   width) drawn from the component's declarations, so that it searches a
   different cell.

Every proposal is at full fidelity: a one-shot trial's search and training
share its epochs, and the retrained networks compete with it for the final model.
Neural configurations only; over a space without ``neural_network`` it proposes
nothing. Results of other models (the warm start) are ignored.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

from ..spaces.declarations import MODEL, draw, hp_key
from ..spaces.neural import ARCHITECTURE_KEY, NAME, recipe_hyperparameters
from ..spaces.recipe import ARCHITECTURE_SEARCHES
from .base import Candidate, SearchStrategy, StrategySettings, config_key

# The networks' strategy parameter that turns a fit into a one-shot search,
# and the methods it accepts (NeuralClassifier's architecture_search).
ARCHITECTURE_SEARCH = "architecture_search"
METHODS = ARCHITECTURE_SEARCHES
# Hyperparameters a new one-shot search redraws: the macro-architecture the
# cells are searched in.
MACRO_HYPERPARAMETERS = ("n_blocks", "n_cells", "width")
# A new search whose macro-architecture was proposed already is redrawn at most
# this many times before the repeat is proposed (the loop then answers it with
# the known result).
MAX_DRAWS = 20


@dataclass(frozen=True)
class OneShot(StrategySettings):
    """Settings of one-shot architecture search; ``search="one_shot"``.

    Parameters
    ----------
    method : {"darts", "pc_darts", "enas"}
        The one-shot trials' ``architecture_search``: DARTS (first order),
        DARTS on partial channels (PC-DARTS), or ENAS.
    n_recipes : int
        Random draws of the training hyperparameters each derived
        architecture is retrained with, after its fixed variations.
    """

    method: str = "darts"
    n_recipes: int = 2

    name = "one_shot"
    networks_only = True

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"OneShot method must be one of {METHODS}, got {self.method!r}.")
        if self.n_recipes < 0:
            raise ValueError(f"OneShot n_recipes must be >= 0, got {self.n_recipes}.")

    def make(self, space, seed, *, plan=None, crash_cost=1.0):
        """The strategy for one fit."""
        return OneShotSearch(space, seed, settings=self)


class OneShotSearch(SearchStrategy):
    """One-shot trials, then their derived architectures retrained from scratch.

    Parameters
    ----------
    space : Space
    seed : int
        Seed of the strategy's own ``random.Random``.
    settings : OneShot
    """

    name = "one_shot"

    def __init__(self, space, seed: int, settings: OneShot = OneShot()):
        super().__init__(space, seed)
        self.settings = settings
        self._rng = random.Random(seed)
        self._queue = deque()  # retraining configurations, in order
        self._proposed = set()
        self._derived = []  # (architecture, search seconds, one-shot trial's score)
        self._retrained = {}  # architecture -> best retrained score
        self._n_searches = 0
        self._component = space.component(MODEL, NAME) if NAME in space.models else None
        if self._component is not None:
            self._base = space.default_config(NAME)
            self._search_key = hp_key(self._component, ARCHITECTURE_SEARCH)

    def ask(self, n: int) -> list[Candidate]:
        if self._component is None:
            return []
        return [self._next() for _ in range(n)]

    def tell(self, candidate: Candidate, result) -> None:
        config = candidate.config
        if self._component is None or config.get(MODEL) != NAME:
            return  # the warm start's models
        architecture = result.info.get("architecture") if result.ok else None
        if config.get(self._search_key) is not None:
            if architecture is None:
                return  # a failed search: the next ask starts another one
            self._derived.append((architecture, result.info.get("search_seconds", math.nan),
                                  result.score))
            base = {k: v for k, v in config.items() if k != self._search_key}
            self._queue.extend(self._variations(base, architecture))
        elif ARCHITECTURE_KEY in config and result.ok and math.isfinite(result.score):
            known = config[ARCHITECTURE_KEY]
            self._retrained[known] = max(result.score, self._retrained.get(known, -math.inf))

    def report(self) -> dict:
        """The architectures the searches derived, with their search time, the
        one-shot trial's score and the best score of their retraining."""
        return {
            "method": self.settings.method,
            "n_searches": self._n_searches,
            "derived_architectures": [repr(arch) for arch, _, _ in self._derived],
            "search_seconds": [float(seconds) for _, seconds, _ in self._derived],
            "search_scores": [float(score) for _, _, score in self._derived],
            "retrained_scores": [float(self._retrained.get(arch, math.nan))
                                 for arch, _, _ in self._derived],
        }

    # -------------------------------------------------------------- internals
    def _next(self) -> Candidate:
        while self._queue:
            config = self._queue.popleft()
            if config_key(config) not in self._proposed:
                return self._propose(config)
        return self._propose(self._search_config())

    def _propose(self, config: dict) -> Candidate:
        self._proposed.add(config_key(config))
        return Candidate(config, 1.0, self.name)

    def _search_config(self) -> dict:
        """A one-shot trial: the defaults first, then random macro-architectures."""
        search = {**self._base, self._search_key: self.settings.method}
        self._n_searches += 1
        if self._n_searches == 1:
            return search
        for _ in range(MAX_DRAWS):
            config = {**search, **self._redraw(MACRO_HYPERPARAMETERS)}
            if config_key(config) not in self._proposed:
                break
        return config

    def _variations(self, base: dict, architecture) -> list[dict]:
        """The derived architecture retrained: the search's recipe, longer, deeper,
        wider, then ``n_recipes`` random training recipes."""
        retrain = {**base, ARCHITECTURE_KEY: architecture}
        variations = [retrain]
        for name, change in (("max_epochs", lambda v: 2 * v), ("n_cells", lambda v: v + 1),
                             ("width", lambda v: 2 * v)):
            key = self._key(name)
            value = min(change(retrain[key]), self._hyperparameter(name).high)
            if value != retrain[key]:
                variations.append({**retrain, key: value})
        for _ in range(self.settings.n_recipes):
            variations.append({**retrain, **self._redraw(
                hp.name for hp in recipe_hyperparameters(self._component))})
        return variations

    def _redraw(self, names) -> dict:
        return {self._key(name): draw(self._hyperparameter(name), self._rng) for name in names}

    def _hyperparameter(self, name: str):
        return next(hp for hp in self._component.hyperparameters if hp.name == name)

    def _key(self, name: str) -> str:
        return hp_key(self._component, name)

