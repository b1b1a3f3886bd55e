"""User-facing progress of a fit: one reporter, controlled by ``verbose``.

``verbose=0``: silent; ``1``: a progress bar (elapsed / budget, trials, best score)
on stderr and one log line per phase; ``2``: also one log line per trial.
"""

from __future__ import annotations

import logging
import math
import sys

from tqdm.auto import tqdm

logger = logging.getLogger("automl_estimators")


class _BarSafeHandler(logging.StreamHandler):
    """Writes log lines through ``tqdm.write``, so they never share a line with the bar."""

    def emit(self, record):
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 - logging must not raise (logging's own rule)
            self.handleError(record)


def ensure_log_handler(verbose: int):
    """Show the package's INFO logs when the user asked for verbosity and set no handler."""
    if verbose and not logger.handlers and not logging.getLogger().handlers:
        handler = _BarSafeHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[automl_estimators] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose > 2 else logging.INFO)


class Reporter:
    """Progress bar and trial log of one fit."""

    def __init__(self, verbose: int, budget, metric_name: str):
        self.verbose = verbose
        self.budget = budget
        self.metric_name = metric_name
        self.best = -math.inf
        self.trials = 0
        self.failed = 0
        self._bar = None
        if verbose >= 1:
            ensure_log_handler(verbose)
            self._bar = tqdm(total=round(budget.total, 1), unit="s", leave=True,
                             desc="automl", file=sys.stderr, dynamic_ncols=True,
                             bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f}s "
                                        "{postfix}")

    def phase(self, message, *args):
        """A log line for a step of the fit."""
        if self.verbose >= 1:
            logger.info(message, *args)

    def trial(self, result, description: str):
        """Account for one finished trial."""
        self.trials += 1
        if result.ok:
            self.best = max(self.best, result.score)
        else:
            self.failed += 1
        if self.verbose >= 2:
            logger.info("trial %d %s: %s %s", result.trial_id, result.status, description,
                        f"{self.metric_name}={result.score:.4f}" if result.ok else result.error)
        self.tick()

    def tick(self):
        """Move the bar to the current time."""
        if self._bar is None:
            return
        self._bar.n = round(min(self.budget.elapsed(), self.budget.total), 1)
        best = f"{self.best:.4f}" if self.best > -math.inf else "-"
        self._bar.set_postfix_str(f"trials={self.trials} failed={self.failed} "
                                  f"best {self.metric_name}={best}", refresh=True)

    def close(self):
        if self._bar is not None:
            self.tick()
            self._bar.close()
            self._bar = None
