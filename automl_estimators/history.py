"""Every trial of a fit, in order: the source of the leaderboard and of model selection."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .selection import strong_default
from .trial import Status, config_key

# Validation predictions are kept for this many of the best trials (for the
# ensemble); others drop theirs so that memory stays bounded on long runs.
KEPT_PREDICTIONS = 100


class History:
    """Trials of one fit; :meth:`add` is the only writer."""

    def __init__(self):
        self.results = []
        self._seen = set()
        # config key -> position in results: an entry whose model or predictions
        # were dropped is replaced there, and this must not hold on to the old one
        self._finished = {}

    def __len__(self):
        return len(self.results)

    def seen(self, config: dict, fidelity: float = 1.0) -> bool:
        """Whether this configuration was already tried at this fidelity."""
        return config_key(config, fidelity) in self._seen

    def mark(self, config: dict, fidelity: float = 1.0):
        """Record a configuration as tried (when it is submitted)."""
        self._seen.add(config_key(config, fidelity))

    def finished(self, config: dict, fidelity: float = 1.0):
        """The result of this configuration at this fidelity, if a trial of it has ended."""
        i = self._finished.get(config_key(config, fidelity))
        return None if i is None else self.results[i]

    def add(self, result):
        """Append a finished trial; drop stored predictions beyond the best few.

        Low-fidelity trials keep none: they are never ensembled with full ones.
        """
        if result.fidelity < 1.0 and result.predictions is not None:
            result = dataclasses.replace(result, predictions=None)
        if result.model is not None and not (result.status == Status.OK
                                             and result.fidelity >= 1.0):
            result = dataclasses.replace(result, model=None)
        self.results.append(result)
        if result.config:
            self._finished[config_key(result.config, result.fidelity)] = len(self.results) - 1
        ranked = self.ranked()
        for stale in ranked[KEPT_PREDICTIONS:]:
            if stale.predictions is not None:
                i = self.results.index(stale)
                self.results[i] = dataclasses.replace(stale, predictions=None)
        if result.model is not None:
            self._drop_models(keep=(self.held_model(), strong_default(self.results)))

    def held_model(self):
        """The best trial whose fitted model is kept (ties: the first to end), or None.

        Fitted models are kept for two trials (:meth:`add`): the best that sent one
        back, a fallback for the final refit, and the strong default
        (:func:`~.selection.strong_default`), which the selection rule may choose
        over the best. Before, only the best's was kept: measured at d909fce
        (letter, 10 s, seed 1), the rule chose the strong default, whose refit did
        not fit in the time left, and with its model dropped the fit fell back on
        random forest's search-time model instead.
        """
        return max((r for r in self.results if r.model is not None),
                   key=lambda r: r.score, default=None)

    def has_fallback_model(self, exclude=()) -> bool:
        """Whether a fitted model held (the best's or the strong default's: :meth:`add`)
        beats the dummy (trial 0), those of the origins in ``exclude`` aside."""
        dummy = next((r for r in self.results if r.origin == "dummy"), None)
        return any(r.model is not None and r.origin != "dummy" and r.origin not in exclude
                   and (dummy is None or r.score > dummy.score) for r in self.results)

    def without_models(self) -> list:
        """Every trial, without the fitted models (they would bloat a pickle)."""
        return [r if r.model is None else dataclasses.replace(r, model=None)
                for r in self.results]

    def _drop_models(self, keep=()):
        """Drop the fitted models of every trial but those in ``keep``."""
        kept = {id(r) for r in keep if r is not None}
        for i, r in enumerate(self.results):
            if r.model is not None and id(r) not in kept:
                self.results[i] = dataclasses.replace(r, model=None)

    def ranked(self, fidelity: float = 1.0) -> list:
        """Successful trials at ``fidelity``, best score first (ties: earlier first)."""
        ok = [r for r in self.results if r.status == Status.OK and r.fidelity == fidelity]
        return sorted(ok, key=lambda r: (-r.score, r.trial_id))

    def best(self, fidelity: float = 1.0):
        ranked = self.ranked(fidelity)
        return ranked[0] if ranked else None

    def leaderboard(self, describe) -> pd.DataFrame:
        """One row per trial: full-fidelity successes ranked by score, then lower
        fidelities (unranked: their scores are not comparable), then failures."""
        rows = []
        for r in self.results:
            rows.append({
                "trial": r.trial_id,
                "pipeline": describe(r.config),
                "model": r.config.get("model"),
                "score": r.score,
                "fold_scores": r.fold_scores,
                "status": str(r.status),
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
        ok = frame["status"] == Status.OK.value
        frame["_group"] = np.where(ok, np.where(frame["fidelity"] >= 1.0, 0, 1), 2)
        frame["_fidelity"] = -frame["fidelity"]
        frame["_order"] = np.where(ok, -frame["score"].fillna(-np.inf), np.inf)
        frame = frame.sort_values(["_group", "_fidelity", "_order", "trial"], kind="stable")
        ranked = (frame["_group"] == 0).to_numpy()
        frame = frame.drop(columns=["_group", "_fidelity", "_order"])
        frame.insert(0, "rank", np.where(ranked, np.cumsum(ranked), np.nan))
        return frame.reset_index(drop=True)[columns]
