"""Trials on a Dask cluster: the same worker task, under the same limits, on its workers.

The data is scattered to every Dask worker (``Client.scatter(broadcast=True)``) and
written to a worker-local file on its first trial there. Dask's memory manager keeps
one copy of data no task waits for, so a worker that dies may take the cluster's only
copy with it: the data is then scattered again, and a trial Dask cancelled for it is
submitted again (:class:`_DaskFuture`). Each trial then runs
in a child process of the Dask worker, from a trial pool the worker keeps
(:func:`.processes.trial_pool`), so that its time and memory limits are enforced
exactly as on a local machine (a Dask task itself cannot be killed). Dask futures
are wrapped as ``concurrent.futures`` futures, so the search loop waits on them as
on local ones. A client the user passes is theirs and never closed here; for a
scheduler address, :func:`dask_client` opens one for the fit and closes it after.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import os
import threading
import uuid
from contextlib import contextmanager
from functools import partial

import joblib

from ..scratch import ScratchFolder
from ..trial import Status, TrialTask, WorkerAnswer
from ..user_warnings import warn
from .base import Runner
from .processes import outcome, schedule, trial_pool

# Data key -> folder of its file on this Dask worker process (made on its first trial).
_LOCAL: dict = {}
# (memory limit, preloaded modules) -> process pool of this Dask worker, kept
# between the trials of a fit.
_POOLS: dict = {}
# Trial futures of this Dask worker's pools still waited for: a stopped pool leaves
# them pending for ever, and the Dask thread that waits with them.
_RUNNING: set = set()
# The longest a fit waits for a scheduler address to answer (see connect_seconds).
CONNECT_SECONDS = 5.0
# Address schemes whose location is a host and a port.
_HOST_PORT_SCHEMES = ("tcp", "tls", "ws", "wss")
# Prefix of the scheduler-side event a trial sets when it starts (see run_trial).
STARTED_EVENT = "automl-estimators-started-"
# Times a trial Dask cancelled unasked (its data lost with a worker) is submitted again.
RESUBMISSIONS = 2


def connect_seconds(time_budget: float) -> float:
    """How long a fit of ``time_budget`` seconds waits for a scheduler address to
    answer: a tenth of the budget, from half a second (a local network answers in
    milliseconds) to :data:`CONNECT_SECONDS`."""
    return min(CONNECT_SECONDS, max(0.5, 0.1 * time_budget))


def _no_answer(address: str, timeout: float) -> str | None:
    """Why the scheduler at ``address`` gave no identity within ``timeout`` seconds,
    or None when it did. Asked from a thread of its own, with its own event loop:
    the caller's thread may run one (a notebook's)."""
    from distributed.comm import connect

    async def identity():
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    with cf.ThreadPoolExecutor(1) as thread:
        answer = thread.submit(asyncio.run, asyncio.wait_for(identity(), timeout))
        try:
            answer.result(timeout + 1.0)
        except Exception as exc:  # noqa: BLE001 - a server that is not Dask's says anything
            return f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else "timed out"
    return None


def check_address(address):
    """Check that a scheduler ``address`` is one Dask can read (a client object, or
    None, passes as it is).

    Raises
    ------
    ValueError
        For an address Dask cannot read (no port, an unknown scheme).
    ImportError
        Without dask.distributed.
    """
    if not isinstance(address, str):
        return
    try:
        from distributed.comm import registry
        from distributed.comm.addressing import get_address_host_port, parse_address
    except ImportError:
        raise ImportError("dask_client needs dask.distributed: pip install "
                          "'automl-estimators[dask]'.") from None
    try:
        scheme, location = parse_address(address)
        registry.get_backend(scheme)
        if scheme in _HOST_PORT_SCHEMES:
            host, port = get_address_host_port(address)
            if not host:
                raise ValueError("no host")
            if not 0 < port < 2**16:
                raise ValueError(f"port {port} is not between 1 and 65535")
        elif scheme == "inproc":  # a scheduler in this very process
            from distributed.comm.inproc import global_manager

            if global_manager.get_listener_for(location) is None:  # ValueError: elsewhere
                raise ValueError("no scheduler listens there in this process")
    except ValueError as exc:
        raise ValueError(f"dask_client={address!r} is not a Dask scheduler address ({exc}); "
                         "give one such as 'tcp://192.168.1.10:8786', or a "
                         "distributed.Client.") from None


@contextmanager
def dask_client(client, time_budget: float):
    """The user's client as is; a client of our own (closed after) for an address.

    A scheduler that does not answer within :func:`connect_seconds` leaves the
    trials to local processes (None is yielded), with a warning: the fit keeps its
    budget (distributed waits 30 s by default, and a client that failed to connect
    waits again when it is collected at exit).
    """
    if client is None or not isinstance(client, str):
        yield client
        return
    from distributed import Client

    timeout = connect_seconds(time_budget)

    check_address(client)
    # The scheduler is asked who it is first: a Client that fails to connect lingers
    # (its collection waits again), and one connected to a server that never answers
    # waits for ever, whatever its timeout.
    problem = _no_answer(client, timeout)
    if problem is None:
        try:
            own = Client(client, set_as_default=False, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        warn(f"dask_client={client!r}: the scheduler did not answer within {timeout:g}s "
             f"({problem}); the trials run in local processes instead (n_jobs). Check the "
             "address and that the scheduler runs.", UserWarning)
        yield None
        return
    try:
        yield own
    finally:
        own.close()


def _local_path(data_key, data):
    """The data's file on this Dask worker, written on its first trial.

    In the worker's own scratch folder: ``_release`` removes it when the fit
    ends, and Dask purges the folder of a worker that died.
    """
    folder = _LOCAL.get(data_key)
    if folder is None or not os.path.exists(_data_file(folder)):
        try:
            from distributed import get_worker

            scratch = get_worker().local_directory
        except (ImportError, ValueError):  # not in a Dask worker
            scratch = None
        # Not registered with the tracker (scratch.py): Dask purges its own folder, and
        # a folder gone before the tracker's removal makes it warn.
        folder = ScratchFolder("automl_estimators_dask_", dir=scratch, track=False)
        joblib.dump(data, _data_file(folder))
        _LOCAL[data_key] = folder
    return _data_file(folder)


def _data_file(folder: ScratchFolder) -> str:
    return os.path.join(folder.path, "data.joblib")


def _release(data_key):
    """Run on each Dask worker when a fit ends: its data file and trial pools go."""
    folder = _LOCAL.pop(data_key, None)
    if folder is not None:
        folder.remove()
    while _POOLS:
        pool = _POOLS.popitem()[1]
        pool.shutdown()
    for future in list(_RUNNING):
        future.cancel()


def _pool(memory_limit, preload=()):
    """This Dask worker's trial pool (one process per worker thread), started once;
    its processes import ``preload`` before their memory cap is measured, as local
    workers do (torch: ~480 MB that a network trial's limit should not pay)."""
    key = (memory_limit, tuple(preload))
    pool = _POOLS.get(key)
    if pool is None or not pool.active:
        from distributed import get_worker

        # Dask's nanny starts workers as daemonic processes: the pool's processes
        # start below them all the same (processes._BelowDaemons).
        pool = trial_pool(max(get_worker().state.nthreads, 1), memory_limit, preload)
        pool.track_socket_folder()  # a Dask worker killed mid-trial leaves no pymp-*
        _POOLS[key] = pool
    return pool


def run_trial(data, data_key, task: TrialTask, timeout, memory_limit, preload=(), token=None):
    """Dask task: the trial in a child process of this worker, under limits; its answer.

    Dask runs a task again on another worker when the worker running it dies; a
    trial that may have killed its worker, or was lost with it, is recorded as
    such instead of being run again for its whole time limit. An event on the
    scheduler, named after ``token``, is set while the trial runs: a start that
    finds it set answers a crash that says the worker died.
    """
    started = None
    if token is not None:
        from distributed import Event

        started = Event(STARTED_EVENT + token)
        if started.is_set():
            started.clear()  # an event cleared without waiters leaves the scheduler
            return WorkerAnswer(Status.CRASH, error="worker died: the Dask worker running "
                                                    "this trial ended before it finished")
        started.set()
    path = _local_path(data_key, data)
    future = schedule(_pool(memory_limit, preload), path, task, timeout)
    _RUNNING.add(future)
    try:
        return outcome(future)
    finally:
        _RUNNING.discard(future)
        if started is not None:
            started.clear()


class _DaskFuture(cf.Future):
    """A ``concurrent.futures.Future`` that follows a Dask future (and cancels it).

    ``submit`` makes the Dask future. One that Dask cancels without being asked (the
    scheduler forgot the trial, or it depends on data lost with a worker) is made
    again, up to :data:`RESUBMISSIONS` times: with the same token, a trial that had
    started answers that its worker died (:func:`run_trial`), and one that had not
    runs. Past that, the trial answers a crash that says what Dask reported.
    """

    def __init__(self, submit):
        super().__init__()
        self._submit = submit
        self._resubmissions = RESUBMISSIONS
        self._lock = threading.Lock()
        self._asked_to_cancel = False
        self._dask = None
        self._start()

    def _start(self):
        with self._lock:
            if self._asked_to_cancel:
                return
            self._dask = self._submit()
            self._dask.add_done_callback(self._follow)

    def _follow(self, dask_future):
        if self.cancelled() or dask_future is not self._dask:
            return
        try:
            result = dask_future.result()
        except cf.CancelledError as exc:  # distributed's FutureCancelledError
            if self._asked_to_cancel:
                return
            result = self._again(exc)
            if result is None:
                return
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting parent
            if not self.cancelled():
                self.set_exception(exc)
            return
        if not self.cancelled():
            self.set_result(result)

    def _again(self, cancelled):
        """Submit the trial again after Dask cancelled it; None when it was, else the
        crash to answer."""
        reason = getattr(cancelled, "reason", "unknown")
        if self._resubmissions > 0:
            self._resubmissions -= 1
            try:
                self._start()
                return None
            except Exception as exc:  # noqa: BLE001 - e.g. a client closed meanwhile
                reason = f"{reason}; submitting it again failed: {type(exc).__name__}: {exc}"
        return WorkerAnswer(Status.CRASH, error=f"worker died: the Dask cluster cancelled "
                                                f"this trial ({reason})")

    def cancel(self):
        with self._lock:
            self._asked_to_cancel = True
            if self._dask is not None:
                self._dask.cancel()
        return super().cancel()


class DaskRunner(Runner):
    """Schedules trials on the workers of a ``distributed.Client``."""

    def __init__(self, client, data, memory_limit, preload=()):
        self.client = client
        self.n_workers = max(sum(client.nthreads().values()), 1)
        self._memory_limit = memory_limit
        self._preload = tuple(preload)
        self._payload = data
        self._lock = threading.Lock()
        self._keys = []  # every key the data was scattered under: each worker's file goes
        self._data = None
        self._closed = False
        self._scattered()

    def _scattered(self):
        """The data's Dask future, scattered (again, where the cluster lost it).

        Raises
        ------
        RuntimeError
            Once the runner is closed: nothing is scattered that no one would release.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the fit's Dask runner is closed")
            if self._data is None or self._data.status != "finished":
                # A list of one item: scattering a dict would scatter each of its values.
                self._data = self.client.scatter([self._payload], broadcast=True,
                                                 hash=False)[0]
                self._keys.append(self._data.key)
            return self._data

    def _submit(self, task: TrialTask, timeout: float, token: str):
        data = self._scattered()
        return self.client.submit(run_trial, data, data.key, task, timeout,
                                  self._memory_limit, self._preload, token, pure=False)

    def schedule(self, task: TrialTask, timeout: float):
        return _DaskFuture(partial(self._submit, task, timeout, uuid.uuid4().hex))

    def close(self):
        with self._lock:
            self._closed = True
        for key in self._keys:
            try:
                self.client.run(_release, key)
            except Exception:  # noqa: BLE001 - a worker gone is nothing to clean
                pass
        self._data.release()
