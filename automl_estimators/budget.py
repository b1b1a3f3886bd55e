"""One clock for the whole ``fit``, and the time a trial or the refit may take.

Every deadline in a fit derives from one :class:`Budget` started when ``fit``
is entered: the search stops early enough to leave the refit its reserve, and
the refit itself runs under a hard limit, so a fit ends within
``time_budget + max(1 s, 5 %)`` (:func:`allowance`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Seconds kept free at the end for stopping workers and building attributes.
SHUTDOWN_MARGIN = 0.3
# ... while the trial workers are not up yet (a fit of a second in a fresh process:
# they start in the background). Closing them then waits for nothing
# (runners.pool.PoolRunner.close stops them once they are up, after fit returns),
# and only the attributes are built. Before, the full margin was kept there too:
# measured at 5e1e575 (abalone, 1 s, seed 0), the default's trial ended at 0.45 s
# with 0.25 s left by the full margin, its refit in the fit's own process was not
# started, and the fit returned at 0.71 s on the model fitted on two thirds of the
# rows (finish.Finisher._refit_here).
STARTING_SHUTDOWN_MARGIN = 0.05
# Refit time is estimated from a trial's fit time, scaled to all rows; this
# factor covers superlinear learners and the noise of one measurement. Measured
# (benchmarks/refit_estimate.py, 28 shared datasets at 30 s, a3da263): the refits
# expected to take 0.5 s or more took 0.78-1.17 times the linear estimate (29
# refits; 95th percentile 1.13), while 1.5 held back 0.8 s more than the refit
# calls took in the median fit and 7.7 s where one refit took 4.3 s (electricity).
REFIT_SAFETY = 1.25
# The same for a model that trains within a time bound (a network): its refit
# trains for its trial's training time scaled to the rows
# (``Finisher._training_seconds``), and only the rest of the fit (building the
# network, predicting the check rows) is beyond the bound. Measured at c8b59a7
# (networks only, MNIST-1D, 300 s): two refits bounded at 76 and 86 s ended 90 s
# after the search, while REFIT_SAFETY had held back 130 s for them.
BOUNDED_REFIT_SAFETY = 1.1
# Fixed cost of a refit beyond the fit itself: a fresh worker, loading the data,
# sending the fitted model back.
REFIT_OVERHEAD = 0.5
# A trial shorter than this is not worth starting.
MIN_TRIAL_SECONDS = 0.2
# The promise: a fit ends within time_budget + max(ALLOWANCE_SECONDS,
# ALLOWANCE_SHARE x time_budget) (allowance).
ALLOWANCE_SECONDS = 1.0
ALLOWANCE_SHARE = 0.05


def allowance(time_budget: float) -> float:
    """Seconds past ``time_budget`` a fit may end: ``max(1 s, 5 %)``."""
    return max(ALLOWANCE_SECONDS, ALLOWANCE_SHARE * time_budget)


@dataclass
class Budget:
    """Wall-clock budget of one fit, in seconds from construction."""

    total: float
    start: float = field(default_factory=time.monotonic)
    # () -> whether the trial workers are up (``Evaluator.ready``), set once they
    # start; until then, and while it says so, the full SHUTDOWN_MARGIN is kept,
    # else STARTING_SHUTDOWN_MARGIN.
    workers_up: Callable[[], bool] | None = field(default=None, repr=False, compare=False)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        """Seconds left before the end of the budget (may be negative), less the time
        closing the workers and building the attributes take."""
        return self.remaining_at(self.elapsed())

    def remaining_at(self, elapsed: float) -> float:
        """:meth:`remaining` as it was (or will be) ``elapsed`` seconds into the fit,
        with the shutdown margin it keeps now."""
        return self.total - elapsed - self.shutdown_margin()

    def workers_starting(self) -> bool:
        """Whether the trial workers are not up yet (``workers_up`` set and says no)."""
        return self.workers_up is not None and not self.workers_up()

    def shutdown_margin(self) -> float:
        """Seconds kept free at the end: :data:`SHUTDOWN_MARGIN`, or
        :data:`STARTING_SHUTDOWN_MARGIN` while the workers are not up."""
        return STARTING_SHUTDOWN_MARGIN if self.workers_starting() else SHUTDOWN_MARGIN

    def search_remaining(self, refit_reserve: float) -> float:
        """Seconds left for search when ``refit_reserve`` must stay for the refit."""
        return self.remaining() - refit_reserve

    def overrun(self) -> float:
        """Seconds spent beyond the budget (0 when within)."""
        return max(0.0, self.elapsed() - self.total)


def parallel_seconds(seconds, workers: int) -> float:
    """Expected wall time of tasks of these durations run on ``workers`` at once: each
    task, the longest first, goes to the worker free first (the makespan of longest
    processing time first scheduling, within 4/3 of the best possible). Durations
    that are not finite (unknown) count as none."""
    seconds = [s for s in seconds if math.isfinite(s)]
    loads = [0.0] * max(1, min(workers, len(seconds)))
    for duration in sorted(seconds, reverse=True):
        loads[loads.index(min(loads))] += duration
    return max(loads)


def row_scale(train_rows: float, rows: float) -> float:
    """How many times a fit on ``train_rows`` rows a fit on ``rows`` takes (linear in
    the rows; never less than once)."""
    return max(rows / max(train_rows, 1), 1.0)


def estimate_refit_seconds(fit_seconds: float, train_rows: int, all_rows: int,
                           overhead: float = REFIT_OVERHEAD,
                           time_bounded: bool = False) -> float:
    """Expected time to refit a pipeline measured at ``fit_seconds`` on ``train_rows``
    (in a worker: ``overhead`` included; in the fit's own process: none);
    ``time_bounded``: its model trains within a time bound (a network)."""
    safety = BOUNDED_REFIT_SAFETY if time_bounded else REFIT_SAFETY
    return fit_seconds * row_scale(train_rows, all_rows) * safety + overhead
