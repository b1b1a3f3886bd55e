"""The runner interface: where trials run (local processes, a Dask cluster).

A runner is handed the fit's data once and then runs
:class:`~automl_estimators.trial.TrialTask` s on it, each under a time limit;
it never scores, never decides what to run and never raises for a trial that
failed. As SMAC3's ``AbstractRunner`` with its Dask subclass: the evaluator
(:mod:`automl_estimators.evaluation`) talks to this interface only.

A runner

- takes the data (a dict with ``X``, ``y``, ``splits``, ``n_classes``) in its
  constructor and sends it to its workers once;
- has ``n_workers``, the trials it runs at once;
- ``schedule(task, timeout)`` starts a task and returns a
  ``concurrent.futures.Future``, or raises
  :class:`~automl_estimators.runners.processes.WorkersUnavailable` when no worker
  can start; the future's result goes through
  :func:`~automl_estimators.runners.processes.outcome`, which makes every
  failure (timeout, death, cancellation) a :class:`~automl_estimators.trial.WorkerAnswer`;
  ``future.cancel()`` stops a running task;
- ``ready(timeout)`` says whether its workers can take a task now, waiting up to
  ``timeout`` seconds for them to start (the loop waits a poll at a time, so its
  clock and Ctrl-C are seen while they start);
- ``close()`` stops its workers and removes what it wrote; it is a context manager;
- ``starts``: whether it has workers at all (False: :class:`NoWorkers`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from concurrent.futures import Future

from ..trial import TrialTask


class Runner(ABC):
    """Base of the runners; see the module docstring for the contract."""

    n_workers: int
    starts = True

    @abstractmethod
    def schedule(self, task: TrialTask, timeout: float) -> Future:
        """Start ``task``; its future's result is read by ``processes.outcome``."""

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether the workers can take a task now (waits up to ``timeout`` s for them)."""
        return True

    @abstractmethod
    def close(self) -> None:
        """Stop the workers (killing any still running) and release the data."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class NoWorkers(Runner):
    """No worker processes: every trial of the fit runs in its own process
    (``Evaluator.run_here``, ``refit_here``). For a budget that ends before
    workers could start and run a trial (``plan.SearchPlan.workers``): starting
    them would only take a core and the interpreter's exit from the fit."""

    starts = False
    reason = "no trial workers were started for this fit's budget"

    def __init__(self, n_workers):
        self.n_workers = n_workers

    def ready(self, timeout: float = 0.0) -> bool:
        return False

    def schedule(self, task: TrialTask, timeout: float) -> Future:
        from .processes import WorkersUnavailable

        raise WorkersUnavailable(self.reason)

    def close(self) -> None:
        pass
