"""Evaluate one pipeline at one fidelity under time and memory limits, and score it.

The :class:`Evaluator` is the search loop's and the finishing step's one door to
the workers: it picks the runner (local processes, or a Dask cluster, see
:mod:`.runners`), hands it :class:`~.trial.TrialTask` s, and turns the workers'
answers into scored :class:`~.trial.TrialResult` s. Workers return predictions
and the parent scores them (:func:`.scoring.fold_scores`), so the user's metric
never has to be pickled into a worker.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from .runners import DaskRunner, NoWorkers, PoolRunner, WorkersUnavailable, outcome
from .runners.task import run_task
from .scoring import concatenate, fold_scores
from .trial import CPU_SHARE, Status, TrialResult, TrialTask

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refit:
    """One pipeline fitted on all rows by :meth:`Evaluator.refit_many`.

    ``model`` is None when the refit failed or ran out of time (``error`` says
    why); ``predictions`` are the fitted model's predictions of each split's
    validation rows, rows it was trained on (the finishing step's check that the
    refit learned what the trial's fold models did, :func:`.selection.refit_holds`).
    """

    model: object
    seconds: float = float("nan")
    error: str = ""
    predictions: tuple = ()


def _as_refit(answer) -> Refit:
    """A refit task's :class:`~.trial.WorkerAnswer` as a :class:`Refit`."""
    if not answer.ok:
        return Refit(None, error=f"refit {answer.status}: {answer.error}")
    return Refit(answer.model, answer.fit_seconds[0], predictions=answer.predictions)


class Evaluator:
    """Runs trials in ``n_workers`` processes under time and memory limits.

    Parameters
    ----------
    X, y
        Validated training data (y encoded for classification).
    splits : list of (train_rows, valid_rows)
        Resampling of the search rows.
    task : {"classification", "regression"}
    metric : Metric
        Scores the returned predictions.
    n_classes : int or None
        Number of classes (None for regression).
    n_workers : int
    memory_limit : int or None
        Megabytes per worker beyond its start size.
    dask_client : distributed.Client or None
        Run trials on this Dask cluster's workers instead of local processes.
    preload : tuple of str
        Modules the workers (local or on Dask) import before their memory cap is
        measured (``("torch",)`` when the neural branch is on).
    workers : bool
        False: no local worker processes start (:class:`~.runners.NoWorkers`);
        trials run only in this process (:meth:`run_here`, :meth:`refit_here`).
        A Dask cluster given is used either way.
    """

    def __init__(self, X, y, splits, *, task, metric, n_classes=None, n_workers=1,
                 memory_limit=None, dask_client=None, preload=(), workers=True):
        self.y = np.asarray(y)
        self.task = task
        self.metric = metric
        self.splits = splits
        self.n_classes = n_classes
        data = {"X": X, "y": y, "splits": splits, "n_classes": n_classes}
        self._data = data  # the fit's own arrays: run_here reads them, copies none
        if dask_client is not None:
            self._runner = DaskRunner(dask_client, data, memory_limit, preload)
        elif not workers:
            self._runner = NoWorkers(n_workers)
        else:
            self._runner = PoolRunner(data, n_workers, memory_limit, preload)
        self.n_workers = self._runner.n_workers

    # -- trials
    @property
    def has_workers(self) -> bool:
        """Whether trials may run in workers at all (``workers=False``: none start,
        every trial runs in this process)."""
        return self._runner.starts

    def ready(self, timeout=0.0) -> bool:
        """Whether the workers can take a trial now (waits up to ``timeout`` s)."""
        return self._runner.ready(timeout)

    def submit(self, pipeline, timeout, *, fidelity=1.0, seed=0, return_model=False):
        """Start one trial over all folds; returns a future for :meth:`collect`.

        Raises
        ------
        WorkersUnavailable
            If the workers cannot start (see the exception's text).
        """
        timeout = max(timeout, 0.01)
        task = TrialTask(pipeline, folds=tuple(range(len(self.splits))), fidelity=fidelity,
                         seed=seed, return_model=return_model, time_limit=timeout)
        return self._runner.schedule(task, timeout)

    def run_here(self, pipeline, *, fidelity=1.0, seed=0, return_model=False,
                 stop_after=None):
        """Run one trial over all folds in this process, now, on one thread; returns a
        finished future for :meth:`collect`. Given ``stop_after`` (seconds), it starts
        no fold expected to end past them (``TrialTask.stop_after``) and is scored on
        the folds it fitted (:meth:`collect`).

        For a trial expected to take a fraction of a second while the workers
        start (the strong default on small data, see ``plan.inline_seconds``): it
        has no time or memory limit, and a failure is a result as in a worker. It
        does not report its share of a core (:data:`~.trial.CPU_SHARE`): this
        process's clock counts its other threads, and the workers starting beside
        it are not the load the finishing step's refits will meet.
        """
        task = TrialTask(pipeline, folds=tuple(range(len(self.splits))), fidelity=fidelity,
                         seed=seed, return_model=return_model, stop_after=stop_after)
        answer = run_task(self._data, task)
        answer.info.pop(CPU_SHARE, None)
        future = Future()
        future.set_result(answer)
        return future

    def collect(self, future, *, trial_id, config, origin, fidelity=1.0, started_at=0.0,
                submitted=None) -> TrialResult:
        """Turn a finished (or cancelled) trial into a scored :class:`TrialResult`.

        A trial that stopped before its last folds (``TrialTask.stop_after``:
        :data:`~.trial.FOLDS_DONE` in its info) is scored on the folds it fitted, and
        keeps no predictions: blends and the selection's comparisons pair trials'
        predictions row by row, over every validation row."""
        answer = outcome(future)
        duration = time.monotonic() - submitted if submitted is not None else float("nan")
        common = dict(trial_id=trial_id, config=config, origin=origin, fidelity=fidelity,
                      duration=duration, started_at=started_at)
        if not answer.ok:
            if answer.traceback:
                logger.debug("trial %d failed:\n%s", trial_id, answer.traceback)
            return TrialResult(status=answer.status, error=answer.error, info=answer.info,
                               **common)
        partial = len(answer.predictions) < len(self.splits)
        try:
            scores = fold_scores(self.metric, self.task, self.y,
                                 self.splits[:len(answer.predictions)], answer.predictions)
        except Exception as exc:  # noqa: BLE001 - the metric cannot score this model
            return TrialResult(status=Status.CRASH,
                               error=f"scoring failed: {type(exc).__name__}: {exc}", **common)
        return TrialResult(status=Status.OK, score=float(np.mean(scores)),
                           fold_scores=scores,
                           fit_seconds=float(np.mean(answer.fit_seconds)),
                           predictions=None if partial else concatenate(answer.predictions),
                           model=answer.model,
                           info=answer.info, **common)

    def refit(self, pipeline, timeout, n_threads=1, fidelity=1.0,
              training_seconds=None) -> Refit:
        """Fit ``pipeline`` on all rows in a worker (on a random ``fidelity`` share of
        them when below 1: a partial refit, see :meth:`.finish.Finisher.reserve`);
        a network in it trains at most ``training_seconds`` (:class:`~.trial.TrialTask`).

        Raises
        ------
        RuntimeError
            If the refit fails or passes ``timeout``, with the reason.
        """
        refit, = self.refit_many([pipeline], timeout, n_threads, fidelity,
                                 None if training_seconds is None else [training_seconds])
        if refit.model is None:
            raise RuntimeError(refit.error)
        return refit

    def refit_here(self, pipeline, n_threads=1, training_seconds=None) -> Refit:
        """Fit ``pipeline`` on all rows in this process, now (no time or memory limit:
        for a refit expected to take a fraction of a second while the workers are
        not up, see :meth:`.finish.Finisher._refit`).

        Raises
        ------
        RuntimeError
            If the refit fails, with the reason (as :meth:`refit`).
        """
        refit = _as_refit(run_task(self._data, TrialTask(
            pipeline, folds=None, n_threads=n_threads, return_model=True,
            training_seconds=training_seconds)))
        if refit.model is None:
            raise RuntimeError(refit.error)
        return refit

    def refit_many(self, pipelines, timeout, n_threads=1, fidelity=1.0,
                   training_seconds=None) -> list:
        """Fit several pipelines on all rows (or a ``fidelity`` share of them) at once,
        one worker each, within ``timeout``; ``training_seconds``: None, or each
        pipeline's bound on a network's training (:class:`~.trial.TrialTask`).

        Returns one :class:`Refit` per pipeline, in order; never raises.
        """
        deadline = time.monotonic() + timeout
        timeout = max(timeout, 0.01)
        # Scheduling blocks until the workers are up: they may still be starting
        # (a fit of a second or two in a fresh process), so wait for them only
        # within the deadline.
        if not self.ready(timeout):
            why = (f"the trial workers were not up within {timeout:.1f}s" if self.has_workers
                   else NoWorkers.reason)
            return [Refit(None, error=why)
                    for _ in pipelines]
        bounds = [None] * len(pipelines) if training_seconds is None else training_seconds
        futures = [self.start_refit(pipeline, timeout, n_threads, fidelity, bound)
                   for pipeline, bound in zip(pipelines, bounds)]
        # The pool counts a task's timeout from when a worker starts it; a worker
        # may first have to start and load the data, so the parent keeps the deadline.
        return [self.refit_outcome(future, deadline - time.monotonic()) for future in futures]

    def start_refit(self, pipeline, timeout, n_threads=1, fidelity=1.0, training_seconds=None):
        """Start fitting ``pipeline`` on all rows (or a ``fidelity`` share of them) in a
        worker, within ``timeout``, and return at once: a handle for
        :meth:`refit_outcome` (the worker's future, or why it could not start).
        The finishing step starts one while the search still waits for the strong
        default's trial (:meth:`.finish.Finisher.refit_early`)."""
        task = TrialTask(pipeline, folds=None, fidelity=fidelity, n_threads=n_threads,
                         return_model=True, time_limit=timeout,
                         training_seconds=training_seconds)
        try:
            return self._runner.schedule(task, max(timeout, 0.01))
        except WorkersUnavailable as exc:
            return str(exc)

    @staticmethod
    def refit_outcome(handle, wait) -> Refit:
        """The :class:`Refit` of a :meth:`start_refit` handle, waited for at most ``wait``
        seconds (a refit still running then is stopped); never raises."""
        if isinstance(handle, str):
            return Refit(None, error=handle)
        return _as_refit(outcome(handle, wait=max(wait, 0.01)))

    @staticmethod
    def stop_refit(handle) -> None:
        """Stop a :meth:`start_refit` whose model is not wanted (its worker is freed)."""
        if not isinstance(handle, str):
            handle.cancel()

    def close(self):
        """Stop the workers (killing any still running) and release the data."""
        self._runner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
