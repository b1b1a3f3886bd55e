"""Evaluate one pipeline at one fidelity, in a worker process, under time and memory limits.

Workers come from a ``pebble.ProcessPool``: a task that passes its timeout is
killed with its worker, which the pool replaces, so a hanging trial never stalls
the fit (loky, joblib's backend, has no per-task timeout). The pool's processes
are forked from a ``forkserver`` that has imported the heavy libraries once, so a
worker starts in milliseconds and no thread of the parent is forked. Each worker
caps its address space (``RLIMIT_AS``) at its start size plus ``memory_limit``:
an allocation beyond it raises ``MemoryError`` in the trial, not in the fit.

The data goes to disk once per fit (``joblib.dump``) and each worker loads it
once; a task carries only the unfitted pipeline and row indices. Workers return
predictions, and the parent scores them (see :mod:`automl_estimators.scoring`).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import traceback
import warnings
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from multiprocessing import forkserver

import joblib
import numpy as np
from joblib import parallel_config
from pebble import ProcessExpired, ProcessPool
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from .data import take_rows
from .scoring import Predictions

logger = logging.getLogger(__name__)

OK, CRASH, TIMEOUT, MEMOUT, CANCELLED = "ok", "crash", "timeout", "memout", "cancelled"
# Signals that mean the kernel killed a worker for its memory.
_KILLED = (-9,)
# Share of a trial's remaining time a time-bounded model (a network) may train
# for, per fit left: the rest is for preprocessing, predicting and sending back.
TRAINING_TIME_SHARE = 0.75
# Error texts that mean an allocation failed inside a native library.
_MEMORY_ERRORS = ("MemoryError", "bad_alloc", "Unable to allocate", "out of memory")


@dataclass(frozen=True)
class TrialResult:
    """Everything learned from one trial; failed trials have a status and an error."""

    trial_id: int
    config: dict
    origin: str
    fidelity: float
    status: str
    score: float = float("nan")
    fold_scores: tuple = ()
    fit_seconds: float = float("nan")
    duration: float = float("nan")
    started_at: float = float("nan")
    error: str = ""
    predictions: Predictions | None = field(default=None, repr=False)
    model: object = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == OK


WORKERS_UNAVAILABLE = (
    "trial worker processes could not run ({}). Worker processes import your main "
    "module again: if you run a script, put the code that calls fit() under "
    "`if __name__ == '__main__':`.")


class WorkersUnavailable(RuntimeError):
    """The process pool cannot run trials (its workers keep dying at start)."""


def in_worker_start() -> bool:
    """Whether this process is a worker still importing the parent's main module."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


# ---------------------------------------------------------------- worker side
_DATA: dict = {}


def _init_worker(memory_limit_mb, preload=()):
    """Limit threads to one per trial and cap the worker's address space.

    ``preload`` modules are imported first, so that their address space (torch's
    is ~480 MB) counts in the start size, not against ``memory_limit``.
    """
    # pebble's SIGTERM handler runs Python code, which waits while a learner runs
    # in C (libsvm: seconds), so a stopped worker took pebble's 3 s before SIGKILL,
    # one worker after the other, while the refit waited for a free worker. The
    # default action ends the worker at once; workers hold nothing to clean up.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for module in preload:
        importlib.import_module(module)
    threadpool_limits(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    if memory_limit_mb is None:
        return
    try:
        import resource

        with open("/proc/self/statm") as statm:
            start_size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = start_size + int(memory_limit_mb) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    except (ImportError, OSError, ValueError):  # not Linux: time limits only
        pass


def _load(path):
    if path not in _DATA:
        _DATA.clear()
        _DATA[path] = joblib.load(path, mmap_mode="r")
    return _DATA[path]


def _set_n_jobs(pipeline, n_jobs):
    params = {k: n_jobs for k in pipeline.get_params() if k.endswith("__n_jobs")}
    if params:
        pipeline.set_params(**params)


def _predict(model, X, n_classes):
    if n_classes is None:
        return Predictions(np.asarray(model.predict(X), dtype=np.float64))
    proba = np.zeros((X.shape[0], n_classes), dtype=np.float32)
    proba[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(X)
    labels = np.asarray(model.predict(X), dtype=int)
    return Predictions(proba, labels)


def _bound_training_time(model, time_left, fits_left):
    """Give a model with a ``max_time`` parameter (a network) its share of the time left.

    Only where it is unbounded (None). Returns the step whose ``max_time`` was
    set, to be reset to None after the fit, or None.
    """
    step = model[-1] if hasattr(model, "steps") else model
    if time_left is None or step.get_params(deep=False).get("max_time", False) is not None:
        return None
    step.set_params(max_time=max(TRAINING_TIME_SHARE * time_left / fits_left, 0.01))
    return step


def fit_and_predict(path, pipeline, folds, fidelity=1.0, seed=0, n_threads=1,
                    return_model=False, time_limit=None):
    """Worker task: fit ``pipeline`` on each fold's training rows, predict its validation rows.

    ``folds`` indexes the splits stored with the data; ``None`` means one fit on
    all rows (the final refit). In a trial, a model with a ``max_time``
    parameter (a network) trains for at most :data:`TRAINING_TIME_SHARE` of what
    is left of ``time_limit`` per fit left, so it stops with what it learned
    rather than being killed at the limit; the parameter is restored on the
    returned model. A refit is not bounded so: a network cut short there would
    replace the better one the search fitted (measured on digits: 3 epochs,
    test accuracy 0.096); past its limit the refit fails and that one serves.
    Returns a dict with per-fold predictions and fit times, or a status and an
    error text; never raises.
    """
    task_start = time.perf_counter()
    try:
        data = _load(path)
        X, y, n_classes = data["X"], data["y"], data["n_classes"]
        splits = [(np.arange(len(y)), None)] if folds is None else [data["splits"][i] for i in folds]
        out = {"status": OK, "predictions": [], "fit_seconds": []}
        rng = np.random.default_rng(seed)
        model = None
        # Threads only: a process pool inside a worker would outlive a killed trial.
        # Library warnings of a trial (convergence, deprecations) are noise to the user.
        with threadpool_limits(n_threads), parallel_config(backend="threading"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i, (train, valid) in enumerate(splits):
                if fidelity < 1.0:
                    keep = max(int(round(len(train) * fidelity)), 2)
                    train = np.sort(rng.choice(train, size=keep, replace=False))
                model = clone(pipeline)
                _set_n_jobs(model, n_threads)
                start = time.perf_counter()
                bounded = _bound_training_time(
                    model, None if time_limit is None or folds is None
                    else time_limit - (start - task_start), len(splits) - i)
                model.fit(take_rows(X, train), y[train])
                if bounded is not None:
                    bounded.set_params(max_time=None)
                out["fit_seconds"].append(time.perf_counter() - start)
                if valid is not None:
                    out["predictions"].append(_predict(model, take_rows(X, valid), n_classes))
        if return_model:
            out["model"] = model
        return out
    except MemoryError:
        return {"status": MEMOUT, "error": "MemoryError: the trial passed its memory limit"}
    except BaseException as exc:  # noqa: BLE001 - a trial must never raise into the fit
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        status = MEMOUT if any(m in text for m in _MEMORY_ERRORS) else CRASH
        return {"status": status, "error": text,
                "traceback": traceback.format_exc(limit=8)}


# ---------------------------------------------------------------- parent side
@contextlib.contextmanager
def _worker_environment():
    """The parent's environment, as the forkserver (and so every worker) starts with it.

    ``OMP_WAIT_POLICY=PASSIVE`` (set on shared machines so that idle OpenMP threads
    do not spin) puts every thread to sleep at the end of each parallel region, and
    a learner made of many short regions crawls: HistGradientBoosting with 2
    threads fitted 7-12x slower than with the runtime's default policy (a short
    spin, then sleep; ``benchmarks/results/omp_wait_policy.md``), so that refits
    with ``n_jobs`` threads passed their reserve. Workers fix their own thread
    counts (one per trial, ``n_jobs`` in all at a refit), so the default spin
    takes no core from another worker: they start without ``PASSIVE``. Any other
    value is kept. OpenMP reads the variable once, when it loads, hence here (the
    ``spawn`` fallback's workers and Dask's take the environment as it is).
    """
    passive = os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"
    saved = os.environ.pop("OMP_WAIT_POLICY") if passive else None
    try:
        yield
    finally:
        if saved is not None:
            os.environ["OMP_WAIT_POLICY"] = saved


def _context(preload=()):
    """The forkserver context, started; ``spawn`` when the forkserver cannot start.

    The forkserver listens on a Unix socket in the temporary folder: a long
    ``TMPDIR`` (past the ~107-byte socket path limit) stops it. Spawned workers
    start slower (each imports the libraries) but need no socket.
    """
    context = multiprocessing.get_context("forkserver")
    # Only a forkserver that is not running yet takes the preload list; workers of a
    # running one import ``preload`` themselves (see _init_worker).
    context.set_forkserver_preload(["automl_estimators.evaluation", "sklearn.ensemble",
                                    "sklearn.linear_model", "xgboost", *preload])
    try:
        with _worker_environment():
            forkserver.ensure_running()
    except OSError as exc:
        logger.warning("the forkserver cannot start (%s: a shorter TMPDIR avoids it); trial "
                       "workers are spawned instead, which starts them slower", exc)
        return multiprocessing.get_context("spawn")
    return context


def outcome(future, wait=None) -> dict:
    """A trial future's answer, with timeouts, deaths and cancellations as statuses.

    ``wait``: seconds to wait at most; a task still running then is cancelled
    (its worker killed) and reported as a timeout.
    """
    try:
        return future.result(timeout=wait)
    except FutureTimeout:
        future.cancel()
        return {"status": TIMEOUT, "error": "the trial passed its time limit and was stopped"}
    except CancelledError:
        return {"status": CANCELLED, "error": "stopped at the end of the time budget"}
    except ProcessExpired as exc:
        status = MEMOUT if exc.exitcode in _KILLED else CRASH
        return {"status": status, "error": f"worker died (exit code {exc.exitcode})"}
    except BaseException as exc:  # noqa: BLE001 - e.g. an unpicklable result
        return {"status": CRASH, "error": f"{type(exc).__name__}: {exc}"}


def trial_pool(n_workers, memory_limit, preload=()) -> ProcessPool:
    """A pool of trial workers: forkserver-started, one thread each, memory-capped,
    with the ``preload`` modules imported before the cap is measured."""
    return ProcessPool(max_workers=n_workers, context=_context(preload),
                       initializer=_init_worker, initargs=(memory_limit, tuple(preload)))


class PoolRunner:
    """Trials in local worker processes of a ``pebble.ProcessPool`` (see the module doc)."""

    def __init__(self, data, n_workers, memory_limit, preload=()):
        self.n_workers = n_workers
        self._folder = tempfile.mkdtemp(prefix="automl_estimators_")
        self.path = os.path.join(self._folder, "data.joblib")
        joblib.dump(data, self.path)
        self._pool = trial_pool(n_workers, memory_limit, preload)

    def schedule(self, args, timeout):
        """Start ``fit_and_predict(path, *args)``; a future whose result is its dict."""
        try:
            return self._pool.schedule(fit_and_predict, args=(self.path, *args), timeout=timeout)
        except RuntimeError as exc:
            reason = str(exc) or repr(exc.__cause__ or exc)
            raise WorkersUnavailable(WORKERS_UNAVAILABLE.format(reason)) from exc

    def close(self):
        self._pool.stop()
        self._pool.join(timeout=5)
        shutil.rmtree(self._folder, ignore_errors=True)


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
    """

    def __init__(self, X, y, splits, *, task, metric, n_classes=None, n_workers=1,
                 memory_limit=None, dask_client=None, preload=()):
        self.y = np.asarray(y)
        self.task = task
        self.metric = metric
        self.splits = splits
        self.n_classes = n_classes
        self.valid_rows = np.concatenate([valid for _, valid in splits])
        data = {"X": X, "y": y, "splits": splits, "n_classes": n_classes}
        if dask_client is not None:
            from .dask_runner import DaskRunner

            self._runner = DaskRunner(dask_client, data, memory_limit, preload)
        else:
            self._runner = PoolRunner(data, n_workers, memory_limit, preload)
        self.n_workers = self._runner.n_workers

    # -- trials
    def submit(self, pipeline, timeout, *, fidelity=1.0, seed=0, return_model=False):
        """Start one trial over all folds; returns a future for :meth:`collect`.

        Raises
        ------
        WorkersUnavailable
            If the pool's workers cannot start (see the exception's text).
        """
        return self._schedule(pipeline, list(range(len(self.splits))), fidelity, seed, 1,
                              return_model, timeout)

    def _schedule(self, pipeline, folds, fidelity, seed, n_threads, return_model, timeout):
        timeout = max(timeout, 0.01)
        return self._runner.schedule(
            (pipeline, folds, fidelity, seed, n_threads, return_model, timeout), timeout)

    def collect(self, future, *, trial_id, config, origin, fidelity=1.0, started_at=0.0,
                submitted=None) -> TrialResult:
        """Turn a finished (or cancelled) trial into a scored :class:`TrialResult`."""
        out = outcome(future)
        duration = time.monotonic() - submitted if submitted is not None else float("nan")
        common = dict(trial_id=trial_id, config=config, origin=origin, fidelity=fidelity,
                      duration=duration, started_at=started_at)
        if out["status"] != OK:
            if out.get("traceback"):
                logger.debug("trial %d failed:\n%s", trial_id, out["traceback"])
            return TrialResult(status=out["status"], error=out.get("error", ""), **common)
        try:
            fold_scores = tuple(
                self.metric.score(self.task, self.y[valid], predictions)
                for (_, valid), predictions in zip(self.splits, out["predictions"]))
        except Exception as exc:  # noqa: BLE001 - the metric cannot score this model
            return TrialResult(status=CRASH, error=f"scoring failed: {type(exc).__name__}: {exc}",
                               **common)
        folds = out["predictions"]
        predictions = Predictions(
            np.concatenate([p.values for p in folds]),
            None if folds[0].labels is None else np.concatenate([p.labels for p in folds]))
        return TrialResult(status=OK, score=float(np.mean(fold_scores)), fold_scores=fold_scores,
                           fit_seconds=float(np.mean(out["fit_seconds"])),
                           predictions=predictions, model=out.get("model"), **common)

    def refit(self, pipeline, timeout, n_threads=1):
        """Fit ``pipeline`` on all rows in a worker; returns (fitted pipeline, seconds).

        Raises
        ------
        RuntimeError
            If the refit fails or passes ``timeout``, with the reason.
        """
        (model, seconds, error), = self.refit_many([pipeline], timeout, n_threads)
        if model is None:
            raise RuntimeError(error)
        return model, seconds

    def refit_many(self, pipelines, timeout, n_threads=1):
        """Fit several pipelines on all rows at once, one worker each, within ``timeout``.

        Returns one ``(fitted pipeline or None, fit seconds, error text)`` per
        pipeline, in order; never raises.
        """
        deadline = time.monotonic() + timeout
        futures = []
        for pipeline in pipelines:
            try:
                futures.append(self._schedule(pipeline, None, 1.0, 0, n_threads, True, timeout))
            except WorkersUnavailable as exc:
                futures.append(str(exc))
        results = []
        for future in futures:
            if isinstance(future, str):
                results.append((None, float("nan"), future))
                continue
            # The pool counts a task's timeout from when a worker starts it; a worker
            # may first have to start and load the data, so the parent keeps the deadline.
            out = outcome(future, wait=max(deadline - time.monotonic(), 0.01))
            if out["status"] != OK:
                results.append((None, float("nan"),
                                f"refit {out['status']}: {out.get('error', '')}"))
            else:
                results.append((out["model"], out["fit_seconds"][0], ""))
        return results

    def close(self):
        """Stop the workers (killing any still running) and release the data."""
        self._runner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
