"""Asynchronous successive halving (ASHA; Li et al. 2020) for strategies that propose
their own networks.

A strategy that trains its proposals cheaply first (evolution's children, the
controller's children, as NASNet trained its children with a short schedule)
keeps their results here by rung: rung 0 at ``min_fidelity`` of the epochs,
each next rung at ``eta`` times more, the last at full fidelity. A result is
promoted to the next rung once it ranks in the top ``1 / eta`` of its rung's
results so far; asynchronous, so a promotion never waits for a rung to fill.
Only full-fidelity results compete for the final model
(:mod:`automl_estimators.selection`), so promotions are what gives such a
strategy its candidates.
"""

from __future__ import annotations

import math

from .base import Candidate, config_key


class AsyncHalving:
    """The rungs of one strategy's proposals.

    Parameters
    ----------
    eta : int
        The top ``1/eta`` of a rung is promoted, with ``eta`` times the epochs.
    min_fidelity : float
        Share of the epochs at rung 0; 1.0: one rung, nothing promoted.
    """

    def __init__(self, eta: int, min_fidelity: float):
        n_rungs = max(round(math.log(1.0 / min_fidelity, eta)), 0)
        self.eta = eta
        self.fidelities = tuple(eta ** -(n_rungs - i) for i in range(n_rungs + 1))
        self._rungs = [[] for _ in self.fidelities]  # per rung: (score, ok, order, config)
        self._promoted = [set() for _ in self.fidelities]

    @property
    def lowest(self) -> float:
        """The fidelity every new proposal starts at."""
        return self.fidelities[0]

    def rung(self, fidelity: float) -> int | None:
        """The rung of ``fidelity``, or None for a fidelity of no rung."""
        for index, rung_fidelity in enumerate(self.fidelities):
            if math.isclose(fidelity, rung_fidelity):
                return index
        return None

    def record(self, config: dict, fidelity: float, score: float, ok: bool) -> int | None:
        """Keep a result; its rung, or None (not recorded) for a fidelity of no rung."""
        rung = self.rung(fidelity)
        if rung is not None:
            self._rungs[rung].append((score, ok, len(self._rungs[rung]), config))
        return rung

    def promotion(self, origin: str) -> Candidate | None:
        """A result in the top ``1/eta`` of its rung, not promoted yet, as a
        candidate (of ``origin``, the strategy's name) at the next rung's fidelity;
        higher rungs first. None when there is none."""
        for rung in reversed(range(len(self.fidelities) - 1)):
            results = self._rungs[rung]
            best = sorted(results, key=lambda r: (-r[0], r[2]))[:len(results) // self.eta]
            for _, ok, _, config in best:
                key = config_key(config)
                if ok and key not in self._promoted[rung]:
                    self._promoted[rung].add(key)
                    return Candidate(config, self.fidelities[rung + 1], origin)
        return None

    def counts(self) -> list[int]:
        """Results recorded per rung, lowest first."""
        return [len(results) for results in self._rungs]
