"""User-facing progress of a fit: one reporter, controlled by ``verbose``.

``verbose=0``: silent; ``1``: progress (elapsed / budget, trials, failures, best
score) on stderr and one log line per phase; ``2``: also one log line per trial.

Progress is a tqdm bar in a terminal or a notebook. Where stderr is neither (a
CI log, ``2> fit.log``), a bar's carriage-return updates pile up into one line
of tens of kilobytes, so the reporter writes a short status line instead, every
:data:`STATUS_INTERVAL` seconds and on a new best score (as AutoGluon's logs do).
"""

from __future__ import annotations

import logging
import math
import sys
import time

from tqdm.auto import tqdm

logger = logging.getLogger("automl_estimators")

# Seconds between two status lines in a log (a new best score writes one at once).
STATUS_INTERVAL = 5.0
PREFIX = "[automl_estimators]"


class _BarSafeHandler(logging.StreamHandler):
    """Writes log lines through ``tqdm.write``, so they never share a line with the bar."""

    def emit(self, record):
        try:
            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # noqa: BLE001 - logging must not raise (logging's own rule)
            self.handleError(record)


def ensure_log_handler(verbose: int):
    """Show the package's INFO logs when the user asked for verbosity and set no handler.

    The package's ``NullHandler`` (set in its ``__init__`` so that ``verbose=0``
    prints nothing, not even warnings through logging's last resort) does not count.
    """
    own = [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]
    if verbose and not own and not logging.getLogger().handlers:
        handler = _BarSafeHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(f"{PREFIX} %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if verbose > 2 else logging.INFO)


def in_notebook() -> bool:
    """Whether tqdm chose its notebook bar (a Jupyter kernel with ipywidgets)."""
    import tqdm.autonotebook  # noqa: PLC0415 - imported by tqdm.auto already
    import tqdm.std  # noqa: PLC0415

    return tqdm.autonotebook.tqdm is not tqdm.std.tqdm


def shows_bar(stream) -> bool:
    """Whether progress on ``stream`` is a bar (a terminal or a notebook) or status lines."""
    isatty = getattr(stream, "isatty", None)
    try:
        return in_notebook() or bool(isatty and isatty())
    except (ValueError, OSError):  # a closed or detached stream
        return False


class Reporter:
    """Progress and trial log of one fit.

    Parameters
    ----------
    verbose : int
        0 writes nothing.
    budget : Budget
        The fit's clock.
    metric_name : str
    stream : file-like, default=None
        Where progress goes; None: ``sys.stderr`` when the reporter is made.
    """

    def __init__(self, verbose: int, budget, metric_name: str, stream=None):
        self.verbose = verbose
        self.budget = budget
        self.metric_name = metric_name
        self.best = -math.inf
        self.trials = 0
        self.failed = 0
        self._bar = None
        self._lines = None
        self._last_line = -math.inf
        self._new_best = False
        if verbose >= 1:
            ensure_log_handler(verbose)
            stream = sys.stderr if stream is None else stream
            if shows_bar(stream):
                self._bar = tqdm(total=round(budget.total, 1), unit="s", leave=True,
                                 desc="automl", file=stream, dynamic_ncols=True,
                                 bar_format="{desc}: {percentage:3.0f}%|{bar}| "
                                            "{n:.1f}/{total:.1f}s {postfix}")
            else:
                self._lines = stream

    def phase(self, message, *args):
        """A log line for a step of the fit."""
        if self.verbose >= 1:
            logger.info(message, *args)

    def trial(self, result, description: str):
        """Account for one finished trial."""
        self.trials += 1
        if result.ok:
            if result.score > self.best:
                self._new_best = True
            self.best = max(self.best, result.score)
        else:
            self.failed += 1
        if self.verbose >= 2:
            logger.info("trial %d %s: %s %s", result.trial_id, result.status, description,
                        f"{self.metric_name}={result.score:.4f}" if result.ok else result.error)
        self.tick()

    def status(self) -> str:
        """The progress in one short line: elapsed / budget, trials, failures, best score."""
        best = f"{self.best:.4f}" if self.best > -math.inf else "-"
        return (f"{min(self.budget.elapsed(), self.budget.total):.1f}/{self.budget.total:g}s "
                f"trials={self.trials} failed={self.failed} best {self.metric_name}={best}")

    def tick(self):
        """Bring the progress to the current time."""
        if self._bar is not None:
            self._bar.n = round(min(self.budget.elapsed(), self.budget.total), 1)
            best = f"{self.best:.4f}" if self.best > -math.inf else "-"
            self._bar.set_postfix_str(f"trials={self.trials} failed={self.failed} "
                                      f"best {self.metric_name}={best}", refresh=True)
        elif self._lines is not None:
            now = time.monotonic()
            if self._new_best or now - self._last_line >= STATUS_INTERVAL:
                self._write_line(self.status())
                self._last_line = now
                self._new_best = False

    def _write_line(self, text):
        try:
            self._lines.write(f"{PREFIX} {text}\n")
            self._lines.flush()
        except (ValueError, OSError):  # the user's stream was closed: progress is not worth a fit
            self._lines = None

    def close(self, summary: bool = True):
        """End the progress: the bar brought to the current time, or a last status line
        (neither without ``summary``: a fit that raised)."""
        if self._bar is not None:
            if summary:
                self.tick()
            self._bar.close()
            self._bar = None
        if self._lines is not None:
            if summary:
                self._write_line(self.status())
            self._lines = None
