"""Trial worker processes: started from any script, limited, and fed by value.

Workers come from a ``pebble.ProcessPool``: a task that passes its timeout is
killed with its worker, which the pool replaces, so a hanging trial never stalls
the fit (loky, joblib's executor, has no per-task timeout). The pool's processes
are forked from a ``forkserver`` that has imported the heavy libraries once, so a
worker starts in milliseconds and no thread of the parent is forked. Each worker
caps its address space (``RLIMIT_AS``) at its start size plus ``memory_limit``:
an allocation beyond it raises ``MemoryError`` in the trial, not in the fit.
Workers that may train networks on a GPU cannot be capped so: CUDA reserves
address space for the GPU's memory and does not start under such a cap (the
networks then trained on the CPU, and slowly). Those workers watch their resident
size instead and are killed past it (:func:`memory_guard`).

Workers never run the user's main module. The standard library's start methods
send a child the parent's main script (or ``-m`` module) to run again as
``__mp_main__``: a script without an ``if __name__ == "__main__":`` guard (most
scikit-learn scripts) would fit again in every worker, and a script read from
stdin has no file to run at all. As joblib's loky does, the workers here are
told nothing of the main module (:class:`_MainlessPopen`); what they need comes
by value instead: tasks travel as ``cloudpickle`` bytes and answers as
``cloudpickle`` files beside the data (a fitted model is then never held twice in
either process), so a component or a scorer defined in the user's script reaches
the worker with its code, and comes back as the user's own class. A worker trims
its heap after each task, and the parent after reading a model. A worker whose
task failed (:data:`RETIRE_AFTER`) leaves the pool before its next one, and the
pool forks a fresh one: a failure in native code can leave a process failing
every later task. Workers start below a daemonic process too (a fit in a
``multiprocessing.Pool``'s worker or a Dask task, :class:`_BelowDaemons`): they end
with it.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
import weakref
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from multiprocessing import context as mp_context
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util

import cloudpickle
from joblib.externals.loky.backend.context import LokyContext
from joblib.externals.loky.backend.process import LokyProcess
from pebble import ProcessExpired, ProcessPool
from threadpoolctl import threadpool_limits

from ..scratch import track_multiprocessing_folder
from ..trial import Status, TrialTask, WorkerAnswer
from ..user_warnings import warn
from . import forkserver_lifetime
from .task import fit_and_predict

logger = logging.getLogger(__name__)

# Exit codes that mean a worker was killed for its memory (by the kernel, or by its
# own resident-size guard).
_KILLED = (-9,)
# How often a worker under the resident-size guard reads its size, seconds: a trial
# allocating at ~1 GB/s passes its limit by ~0.1 GB at most before it is stopped.
WATCH_INTERVAL = 0.05
# Seconds wait_workers_up waits for every worker of a pool to be up (a busy machine: the
# forkserver's imports took 3-5 s).
WORKERS_UP_SECONDS = 60.0
# What the forkserver imports once, so that forked workers start warm: its own set-up
# first (.forkserver_setup), then the heavy modules.
FORKSERVER_PRELOAD = ("automl_estimators.runners.forkserver_setup",
                      "automl_estimators.runners.processes", "sklearn.ensemble",
                      "sklearn.linear_model", "xgboost")
# What a child would be told about the parent's main module (see the module doc).
_MAIN_KEYS = ("init_main_from_path", "init_main_from_name")
# The parent trims its heap after reading an answer larger than this (a fitted model);
# a trial's predictions alone stay below it.
TRIM_AFTER_BYTES = 32 * 2**20
# Statuses after which a worker leaves before its next task, and the pool forks a
# fresh one from the forkserver (milliseconds): a failure inside native code can
# leave a process failing every later trial. Seen (2026-12-01, 5fffbfd and
# 86923ff, a 300 s SMAC search of networks on MNIST-1D, seed 0): after one
# network trial raised oneDNN's "could not create a primitive", every later trial
# failed the same way in 0.03-0.3 s (27 and 45 in a row, the last one cancelled),
# and so did refits of networks that had trained fine (all three in one run).
RETIRE_AFTER = (Status.CRASH, Status.MEMOUT)
# Whether this worker's last task failed (set in the worker process only).
_retiring = False


class WorkersUnavailable(RuntimeError):
    """The process pool cannot run trials (its workers keep dying at start)."""


def check_not_in_worker_start(caller: str):
    """Raise if this process is a child that is still importing its parent's main module.

    Our trial workers never do; a child that the user's own code started (a
    ``multiprocessing`` pool, a Dask ``LocalCluster``) re-runs an unguarded script,
    and its ``fit`` would start workers of its own in turn.
    """
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(
            f"{caller} was called while this process imported the main module of its "
            "parent (a child process that your script started, e.g. a multiprocessing pool "
            "or a Dask LocalCluster, runs the script again): put the code that starts "
            "processes and calls fit() under `if __name__ == '__main__':`.")


# ------------------------------------------------------------- process start
class _MainlessPopen(popen_forkserver.Popen):
    """The forkserver's ``Popen``, minus the main module in the child's preparation data.

    ``_launch`` is the standard library's (identical from Python 3.10 to 3.13)
    but for the filter on ``prep_data``; ``tests/runners`` fits from an unguarded
    script, from stdin and from ``python -c`` to catch a change of it.
    """

    def _launch(self, process_obj):
        prep_data = {k: v for k, v in spawn.get_preparation_data(process_obj._name).items()
                     if k not in _MAIN_KEYS}
        buf = io.BytesIO()
        mp_context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            mp_context.set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        # A duplicate of the data pipe's write end is the child's sentinel of its parent.
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


# Held while a worker starts below a daemonic process (see _BelowDaemons).
_DAEMON_FLAG_LOCK = threading.Lock()


class _BelowDaemons:
    """A worker process that also starts below a daemonic process.

    The standard library refuses a daemonic process (a ``multiprocessing.Pool``'s
    worker, a Dask worker process) any child of its own ("daemonic processes are not
    allowed to have children"), lest the child outlive it when it is terminated: a
    fit there raised that ``AssertionError`` from deep inside the pool (auto-sklearn's
    issue 130 is the same complaint, about running several fits in a pool). Trial
    workers do not outlive the fit's process: the forkserver ends with the process
    that started it, and every worker with its parent (:func:`_die_with_parent`).
    So the daemon flag of the fit's process is lowered for the start of a worker
    alone, and raised again.
    """

    def start(self):
        config = multiprocessing.current_process()._config
        if not config.get("daemon"):
            return super().start()
        with _DAEMON_FLAG_LOCK:
            config["daemon"] = False
            try:
                return super().start()
            finally:
                config["daemon"] = True


class _MainlessProcess(_BelowDaemons, mp_context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _MainlessPopen(process_obj)


class _MainlessForkServerContext(mp_context.ForkServerContext):
    Process = _MainlessProcess


def _recording(context):
    """``context``, whose ``Process(...)`` also keeps each process it makes in
    ``context.started`` (weakly: a replaced worker's pipes close with it) and counts
    them in ``context.made`` (:meth:`TrialPool.kill_workers`, :func:`wait_workers_up`)."""
    context.started = weakref.WeakSet()
    context.made = 0
    make = context.Process

    def process(*args, **kwargs):
        made = make(*args, **kwargs)
        context.started.add(made)
        context.made += 1
        return made

    context.Process = process
    return context


class _SpawnedProcess(_BelowDaemons, LokyProcess):
    """Loky's spawned process (the fallback of :func:`worker_context`)."""


class _SpawningContext(LokyContext):
    Process = _SpawnedProcess


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
    spawned fallback's workers and Dask's take the environment as it is).

    The forkserver imports what the parent imports, from where the parent does: it
    starts as ``python -c`` (so with the working directory first on its path), and
    Python 3.11's forkserver drops the parent's ``sys.path`` it is given. A working
    directory holding another copy of this package, or a module named like a
    library (``xgboost.py``), then gave the workers other code than the parent's:
    measured, a benchmark run from another checkout's folder had 1256 of 1257
    trials crash (``'NeuralClassifier' object has no attribute ...``, the parent's
    model unpickled by the other copy's class). It starts with the parent's path
    (``PYTHONPATH``, the working directory as the parent resolves it) and,
    from Python 3.11, without the working directory put first (``PYTHONSAFEPATH``).
    """
    saved = {name: os.environ.get(name)
             for name in ("OMP_WAIT_POLICY", "PYTHONPATH", "PYTHONSAFEPATH")}
    if (saved["OMP_WAIT_POLICY"] or "").strip().upper() == "PASSIVE":
        del os.environ["OMP_WAIT_POLICY"]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        os.path.abspath(entry) if entry else os.getcwd() for entry in sys.path)
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def worker_context(preload=()):
    """The context trial workers start from: the forkserver, started, whose children
    do not run the main module; loky's spawning context when it cannot start.

    The forkserver listens on a Unix socket in the temporary folder: a long
    ``TMPDIR`` (past the ~107-byte socket path limit) stops it. Loky's spawned
    workers start slower (each imports the libraries) but need no socket, and
    they too never run the main module.
    """
    context = _MainlessForkServerContext()
    # Only a forkserver that is not running yet takes the preload list; workers of a
    # running one import ``preload`` themselves (see _init_worker).
    context.set_forkserver_preload([*FORKSERVER_PRELOAD, *preload])
    try:
        with _worker_environment(), forkserver_lifetime.starting():
            forkserver.ensure_running()
    except OSError as exc:
        # A warning, not a log line: it says how to fix the environment, which the
        # user should see whatever the verbosity (a fit's own progress is the logs').
        hint = ": a shorter TMPDIR avoids it" if "too long" in str(exc) else ""
        warn(f"the forkserver cannot start ({exc}{hint}); "
             "trial workers are spawned instead, which starts them slower",
             RuntimeWarning)
        return _SpawningContext()
    return context


# prctl option: the signal this process gets when its parent ends (Linux).
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Have the kernel kill this worker when its parent (the forkserver) ends.

    The forkserver ends when the process that started it (the fit's, or a Dask
    worker's) and every child holding its pipe end are gone, so workers drop
    theirs; without this, a worker of a parent killed with SIGKILL (a Dask worker
    lost mid-trial) would run its trial out as an orphan. The kill is Linux only.
    """
    # Every child of a forkserver holds a copy of the pipe end whose closing ends the
    # forkserver: kept, it would keep the forkserver, and so this worker, alive.
    alive = getattr(forkserver._forkserver, "_forkserver_alive_fd", None)
    if alive is not None:
        with contextlib.suppress(OSError):
            os.close(alive)
        forkserver._forkserver._forkserver_alive_fd = None
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def memory_guard(preload=()) -> str:
    """How trial workers keep to ``memory_limit``, for a pool importing ``preload``.

    ``"address_space"``: the worker's address space is capped (``RLIMIT_AS``), so an
    allocation beyond the limit raises ``MemoryError`` in the trial. ``"resident"``:
    the worker reads its resident size every :data:`WATCH_INTERVAL` seconds and is
    killed once it passes the limit (a memory-out, like the kernel's). The second
    is for workers that import torch on a machine with a CUDA GPU: CUDA reserves
    address space for the whole GPU's memory when it starts, which no cap of a few
    gigabytes allows, and torch then reports no GPU. The GPU's own memory is not
    limited either way (CUDA's out-of-memory error is a memory-out trial).
    """
    if "torch" in preload:
        from ..nas.torch_dependency import cuda_available

        if cuda_available():
            return "resident"
    return "address_space"


def _init_worker(memory_limit_mb, preload=(), guard="address_space", up=None):
    """Limit threads to one per trial and hold the worker to its memory limit; then
    release ``up`` (a semaphore: :class:`TrialPool`), if given.

    ``preload`` modules are imported first, so that their memory (torch's address
    space is ~480 MB) counts in the start size, not against ``memory_limit``.
    ``guard``: how the limit is kept (:func:`memory_guard`).
    """
    try:
        _set_up_worker(memory_limit_mb, preload, guard)
    finally:
        if up is not None:
            up.release()


def _set_up_worker(memory_limit_mb, preload, guard):
    # pebble's SIGTERM handler runs Python code, which waits while a learner runs
    # in C (libsvm: seconds), so a stopped worker took pebble's 3 s before SIGKILL,
    # one worker after the other, while the refit waited for a free worker. The
    # default action ends the worker at once; workers hold nothing to clean up.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A terminal's Ctrl-C reaches every process of its foreground group: the fit
    # decides what it stops (automl_estimators.interrupts), not each trial.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    _retire_on_failure()
    for module in preload:
        importlib.import_module(module)
    threadpool_limits(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    if memory_limit_mb is None:
        return
    try:
        import resource

        page = os.sysconf("SC_PAGE_SIZE")
        with open("/proc/self/statm") as statm:
            size, resident = (int(v) * page for v in statm.read().split()[:2])
        if guard == "resident":
            _watch_resident_size(resident + int(memory_limit_mb) * 2**20, page)
        else:
            resource.setrlimit(resource.RLIMIT_AS,
                               (size + int(memory_limit_mb) * 2**20, resource.RLIM_INFINITY))
    except (ImportError, OSError, ValueError):  # not Linux: time limits only
        pass


def _watch_resident_size(limit: int, page: int) -> None:
    """Kill this worker (SIGKILL: a memory-out to the pool) once its resident size
    passes ``limit`` bytes; a daemon thread reads it every :data:`WATCH_INTERVAL` s."""

    def watch():
        with open("/proc/self/statm") as statm:
            while True:
                statm.seek(0)
                if int(statm.read().split()[1]) * page > limit:
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(WATCH_INTERVAL)

    threading.Thread(target=watch, name="automl-memory-guard", daemon=True).start()


def _retire_on_failure():
    """Make this worker leave the pool, instead of fetching its next task, once a
    task of its failed (:data:`RETIRE_AFTER`).

    pebble's worker loop fetches each task with ``pebble.pool.process.fetch_task``;
    a worker that raises ``EOFError`` there ends with exit code 0, as one that ran
    its ``max_tasks`` does, and the pool starts another. No task is lost: the
    worker has taken none. Where pebble has no such function, workers are reused.
    """
    from pebble.pool import process as pebble_process

    fetch = getattr(pebble_process, "fetch_task", None)
    if fetch is None:
        logger.debug("pebble has no fetch_task: a failed trial's worker is reused")
        return

    def fetch_unless_retiring(channel):
        if _retiring:
            raise EOFError("this worker's last trial failed: a fresh worker takes the next")
        return fetch(channel)

    pebble_process.fetch_task = fetch_unless_retiring


class TrialPool(ProcessPool):
    """A ``pebble.ProcessPool`` of trial workers that counts its workers up.

    Each worker releases :attr:`workers_up` once its initializer has run
    (:func:`_init_worker`); :func:`wait_workers_up` waits for all of them.

    Attributes
    ----------
    workers_up : multiprocessing semaphore
    """

    def __init__(self, n_workers, context, initargs):
        self.workers_up = context.Semaphore(0)
        self._forked = isinstance(context, mp_context.ForkServerContext)
        self._holds_forkserver = False
        self._worker_context = _recording(context)
        super().__init__(max_workers=n_workers, context=context, initializer=_init_worker,
                         initargs=(*initargs, self.workers_up))

    @property
    def made(self) -> int:
        """How many worker processes the pool has made (replacements included)."""
        return self._worker_context.made

    def track_socket_folder(self) -> None:
        """Have the tracker remove the folder of the forkserver's socket
        (``multiprocessing``'s temporary folder of this process, ``pymp-*``) should the
        process be killed: ``multiprocessing`` removes it at the process's normal exit
        only (:func:`~automl_estimators.scratch.track_multiprocessing_folder`). Nothing
        for spawned workers, which need no socket."""
        if self._forked:
            track_multiprocessing_folder()

    def shutdown(self) -> None:
        """Stop the workers (a running trial's worker too) and wait for the pool's
        threads (pebble bounds the wait per thread, not each worker's stop); then the
        forkserver may be stopped once idle (:mod:`.forkserver_lifetime`)."""
        try:
            self.stop()
            self.join(timeout=5)
        finally:
            self.release_forkserver()

    def release_forkserver(self) -> None:
        """This pool no longer keeps the forkserver from its idle stop (once)."""
        if self._holds_forkserver:
            self._holds_forkserver = False
            forkserver_lifetime.release()

    def kill_workers(self) -> None:
        """Kill (SIGKILL) every worker process of this pool still running: before
        ``stop`` when the pool's start did not complete (:func:`start_workers` raised,
        or the fit ended before :func:`wait_workers_up`), as a worker forked but still
        reading its start data fails on the semaphores that ``stop`` unlinks, with a
        traceback on the user's stderr. Python 3.12 refuses new threads at the
        interpreter's exit, so a pool whose start the exit met forked its workers and
        then failed to start its own threads."""
        for process in list(self._worker_context.started):
            with contextlib.suppress(Exception):
                if process.is_alive():
                    process.kill()


def trial_pool(n_workers, memory_limit, preload=()) -> TrialPool:
    """A pool of trial workers: mainless, one thread each, held to ``memory_limit``
    (:func:`memory_guard`), with the ``preload`` modules imported before their start
    size is measured. The forkserver is held from before its start until the pool's
    :meth:`~TrialPool.shutdown` (:mod:`.forkserver_lifetime`)."""
    forkserver_lifetime.hold()
    try:
        pool = TrialPool(n_workers, worker_context(preload),
                         (memory_limit, tuple(preload), memory_guard(preload)))
    except BaseException:
        forkserver_lifetime.release()
        raise
    pool._holds_forkserver = True
    if not pool._forked:  # spawned workers: no forkserver to keep
        pool.release_forkserver()
    return pool


def _started():
    return True


def start_workers(pool: TrialPool) -> None:
    """Start the pool's worker processes now (and the forkserver they come from),
    by giving it a task that does nothing: a pool otherwise starts them in its first
    ``schedule``, which then blocks its caller until they are up. Returns once one
    worker ran it."""
    pool.schedule(_started).result()


def wait_workers_up(pool: TrialPool, timeout: float = WORKERS_UP_SECONDS,
                    stop: threading.Event | None = None) -> bool:
    """Wait until every worker of a started pool has run its initializer, at most
    ``timeout`` seconds; whether they all did.

    A pool stopped before (a fit of a few seconds that ended while its workers
    started) unlinked its semaphores under a worker forked but still reading its
    start data, which printed a ``FileNotFoundError`` traceback from
    ``SemLock._rebuild`` on the user's stderr (seen in session 27 on Python 3.12, 2 of
    6 fits of 4 s beside two busy processes: the second worker had exit code 1 by the
    time ``pool.join`` returned). Stops waiting, False, once ``stop`` is set.
    """
    deadline = time.monotonic() + timeout
    up = 0
    # every process the pool made, a replacement included, releases once it is up
    while up < pool.made:
        if stop is not None and stop.is_set():
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if pool.workers_up.acquire(timeout=min(left, 0.05)):
            up += 1
    return True


# ------------------------------------------------------------- tasks by value
def _glibc():
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None


_LIBC = _glibc()


def release_heap():
    """Hand the heap that was just freed back to the system (glibc's ``malloc_trim``).

    A learner's freed buffers (a forest's node arrays, a model's pickle) otherwise
    stay resident until a later allocation reuses them, while the worker idles or
    runs a small trial beside the other's large one. Takes well under a
    millisecond; does nothing where glibc is not the allocator.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _write_answer(answer: WorkerAnswer, folder: str) -> str:
    """Pickle ``answer`` into a new file in ``folder``; its path.

    Streamed to a file, a fitted model is never held twice in the worker. Sent
    through the pool's pipe as bytes, it was held three times at once (the model,
    its cloudpickle bytes, the pipe's pickle of those bytes), and twice in the
    parent until the future was dropped: the refit of two extra-trees forests on
    diamonds (723 MB pickled) peaked at 3073 MB summed RSS, at 1710 MB through a
    file, with the heaps trimmed (``benchmarks/results/memory.md``).
    """
    fd, answer_path = tempfile.mkstemp(prefix="answer-", suffix=".pkl", dir=folder)
    try:
        with open(fd, "wb") as file:
            cloudpickle.dump(answer, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(answer_path)
        raise
    return answer_path


def _read_answer(answer_path: str) -> WorkerAnswer:
    """The answer :func:`_write_answer` wrote; the file is removed.

    After a large answer (over :data:`TRIM_AFTER_BYTES`: a fitted model) the heap
    is trimmed: unpickling a forest passes each tree's arrays through temporary
    buffers, which glibc otherwise keeps resident.
    """
    try:
        size = os.path.getsize(answer_path)
        with open(answer_path, "rb") as file:
            answer = cloudpickle.load(file)
    finally:
        with contextlib.suppress(OSError):
            os.remove(answer_path)
    if size > TRIM_AFTER_BYTES:
        release_heap()
    return answer


def _run_pickled(payload: bytes) -> str | bytes:
    """Worker entry: a ``(path, TrialTask)`` in cloudpickle bytes in; out, the path of
    a file beside the data that holds the answer (its cloudpickle bytes where no
    file can be written there: a full disk)."""
    global _retiring
    path, task = cloudpickle.loads(payload)
    answer = fit_and_predict(path, task)
    _retiring = answer.status in RETIRE_AFTER
    try:
        sent = _write_answer(answer, os.path.dirname(os.path.abspath(path)))
    except OSError:
        sent = cloudpickle.dumps(answer)
    del answer  # the fitted model, freed before the heap is trimmed
    release_heap()
    return sent


def schedule(pool: ProcessPool, path: str, task: TrialTask, timeout: float):
    """Start ``task`` on the data at ``path`` in ``pool``; a future of the answer's
    file (or bytes), which :func:`outcome` turns into the :class:`WorkerAnswer`.

    Raises
    ------
    WorkersUnavailable
        If the pool's workers cannot start (the pool's own error, or the system's:
        no process may be forked, ``OSError``).
    """
    try:
        return pool.schedule(_run_pickled, args=(cloudpickle.dumps((path, task)),),
                             timeout=timeout)
    except (RuntimeError, OSError) as exc:
        reason = str(exc) or repr(exc.__cause__ or exc)
        raise WorkersUnavailable(f"trial worker processes could not run ({reason})") from exc


def outcome(future, wait=None) -> WorkerAnswer:
    """A trial future's answer, with timeouts, deaths and cancellations as statuses.

    ``wait``: seconds to wait at most; a task still running then is cancelled
    (its worker killed) and reported as a timeout. The future's result is a
    :class:`WorkerAnswer`, the path of a file that holds one (read, then removed),
    or its cloudpickle bytes.
    """
    if wait is not None:
        # A budget of 1e10 s ("no time limit, stop on max_trials") made every refit's
        # wait raise OverflowError ("timestamp out of range for platform time_t")
        wait = min(wait, threading.TIMEOUT_MAX)
    try:
        answer = future.result(timeout=wait)
        if isinstance(answer, str):
            return _read_answer(answer)
        return cloudpickle.loads(answer) if isinstance(answer, bytes) else answer
    except FutureTimeout:
        future.cancel()
        return WorkerAnswer(Status.TIMEOUT, error="the trial passed its time limit and was stopped")
    except CancelledError:
        return WorkerAnswer(Status.CANCELLED, error="stopped at the end of the time budget")
    except ProcessExpired as exc:
        status = Status.MEMOUT if exc.exitcode in _KILLED else Status.CRASH
        return WorkerAnswer(status, error=f"worker died (exit code {exc.exitcode})")
    except BaseException as exc:  # noqa: BLE001 - e.g. an answer that cannot be unpickled
        return WorkerAnswer(Status.CRASH, error=f"{type(exc).__name__}: {exc}")
