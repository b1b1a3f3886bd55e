"""Every trial of a fit, in order: the source of the leaderboard and of model selection."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .evaluation import OK

# Validation predictions are kept for this many of the best trials (for the
# ensemble); others drop theirs so that memory stays bounded on long runs.
KEPT_PREDICTIONS = 100


class History:
    """Trials of one fit; :meth:`add` is the only writer."""

    def __init__(self):
        self.results = []
        self._seen = set()

    def __len__(self):
        return len(self.results)

    @staticmethod
    def key(config: dict, fidelity: float = 1.0):
        return (tuple(sorted((k, repr(v)) for k, v in config.items())), fidelity)

    def seen(self, config: dict, fidelity: float = 1.0) -> bool:
        """Whether this configuration was already tried at this fidelity."""
        return self.key(config, fidelity) in self._seen

    def mark(self, config: dict, fidelity: float = 1.0):
        """Record a configuration as tried (when it is submitted)."""
        self._seen.add(self.key(config, fidelity))

    def add(self, result):
        """Append a finished trial; drop stored predictions beyond the best few."""
        self.results.append(result)
        ranked = self.ranked()
        for stale in ranked[KEPT_PREDICTIONS:]:
            if stale.predictions is not None:
                i = self.results.index(stale)
                self.results[i] = dataclasses.replace(stale, predictions=None)

    def ranked(self, fidelity: float = 1.0) -> list:
        """Successful trials at ``fidelity``, best score first (ties: earlier first)."""
        ok = [r for r in self.results if r.status == OK and r.fidelity == fidelity]
        return sorted(ok, key=lambda r: (-r.score, r.trial_id))

    def best(self, fidelity: float = 1.0):
        ranked = self.ranked(fidelity)
        return ranked[0] if ranked else None

    def leaderboard(self, describe) -> pd.DataFrame:
        """One row per trial, successful ones ranked by score, failures last."""
        rows = []
        for r in self.results:
            rows.append({
                "trial": r.trial_id,
                "pipeline": describe(r.config),
                "model": r.config.get("model"),
                "score": r.score,
                "fold_scores": r.fold_scores,
                "status": r.status,
                "fidelity": r.fidelity,
                "fit_seconds": r.fit_seconds,
                "duration": r.duration,
                "started_at": r.started_at,
                "origin": r.origin,
                "error": r.error,
                "config": r.config,
            })
        columns = ["rank", "trial", "pipeline", "model", "score", "fold_scores", "status",
                   "fidelity", "fit_seconds", "duration", "started_at", "origin", "error",
                   "config"]
        if not rows:
            return pd.DataFrame(columns=columns)
        frame = pd.DataFrame(rows)
        ok = frame["status"] == OK
        frame["_order"] = np.where(ok, -frame["score"].fillna(-np.inf), np.inf)
        frame = frame.sort_values(["_order", "trial"], kind="stable").drop(columns="_order")
        frame.insert(0, "rank", np.where(frame["status"] == OK,
                                         np.arange(1, len(frame) + 1), np.nan))
        return frame.reset_index(drop=True)[columns]
