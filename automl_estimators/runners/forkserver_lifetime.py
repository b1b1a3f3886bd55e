"""The trial workers' forkserver, stopped once no fit has used it for a while.

Trial workers are forked from the standard library's forkserver
(:mod:`.processes`), which imported scikit-learn and XGBoost once so that a
worker starts in milliseconds. ``multiprocessing`` keeps that process for the
life of the Python process: after a fit it held its imports on its own, 218 MB
resident, 167 MB proportional (PSS) and 124 MB nobody else's (USS), measured
after a 10 s fit on phoneme (session 31), in a notebook's kernel for as long as
the kernel ran. As joblib's loky stops the workers of its reusable executor
after 300 s without work, the forkserver is stopped once :data:`IDLE_SECONDS`
have passed with no pool of this package running; the next fit's pool starts it
again (``multiprocessing`` starts a forkserver whenever one is needed), which
the plan counts for every fit anyway (``plan.WORKER_START_SECONDS``, a fresh
process's start). Fits back to back (``cross_val_score``, a grid search) keep it.

Only a forkserver that this package started is stopped, and only while it has no
child process: one of the user's own processes from it (Python 3.14's default
start method on Linux) keeps it, and it is looked at again later. Where the
standard library's forkserver lacks what the stop reads (``ForkServer._lock`` and
``_stop_unlocked``, there from Python 3.8 to 3.14), or where its children cannot
be listed (no ``/proc``), it runs on as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from multiprocessing import forkserver

logger = logging.getLogger(__name__)

# Seconds without a running pool of this package after which the forkserver that the
# package started is stopped (loky's reusable executor: 300 s for its idle workers).
IDLE_SECONDS = 300.0

_LOCK = threading.Lock()
_pools = 0  # pools of this package using the forkserver now
_timer: threading.Timer | None = None
_ours: int | None = None  # process id of the forkserver this package started


def _server_pid():
    return getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)


@contextlib.contextmanager
def starting():
    """Around the start of the forkserver (``forkserver.ensure_running``): records it
    as this package's when none ran before and one runs after."""
    before = _server_pid()
    yield
    after = _server_pid()
    if before is None and after is not None:
        global _ours
        with _LOCK:
            _ours = after


def hold() -> None:
    """A pool of this package starts using the forkserver: it is not stopped while any
    such pool runs (:func:`release` once it stopped)."""
    global _pools, _timer
    with _LOCK:
        _pools += 1
        if _timer is not None:
            _timer.cancel()
            _timer = None


def release() -> None:
    """A pool of :func:`hold` stopped; the last one arms the idle stop, when there is a
    forkserver of this package's to stop (no timer thread for one the user started, or
    for spawned workers)."""
    global _pools
    with _LOCK:
        _pools = max(_pools - 1, 0)
        if _pools == 0 and _ours is not None:
            _arm()


def _arm() -> None:
    """Start the idle timer (called with ``_LOCK`` held)."""
    global _timer
    if _timer is not None:
        _timer.cancel()
    _timer = threading.Timer(IDLE_SECONDS, _stop_if_idle)
    _timer.daemon = True  # never keeps the interpreter from exiting
    _timer.name = "automl-forkserver-idle"
    try:
        _timer.start()
    except RuntimeError:  # the interpreter is exiting: the forkserver ends with it
        _timer = None


def _stop_if_idle() -> None:
    """Stop the forkserver this package started, if no pool of it runs and the
    forkserver has no child; armed again while a child of the user's keeps it."""
    global _ours, _timer
    with _LOCK:
        _timer = None
        if _pools or _ours is None:
            return
        server = getattr(forkserver, "_forkserver", None)
        server_lock = getattr(server, "_lock", None)
        stop = getattr(server, "_stop_unlocked", None)
        if server_lock is None or stop is None:
            return
        with server_lock:  # no forkserver starts meanwhile (ensure_running takes it)
            pid = _server_pid()
            if pid != _ours:
                _ours = None  # gone, or replaced by one this package did not start
                return
            children = _has_children(pid)
            if children is None:
                return
            if children:
                _arm()
                return
            try:
                # Killed first: the standard library's own stop closes the pipe whose
                # end tells the forkserver to exit, then waits for it, and any process
                # forked from this one since (a fork-based pool of the user's) holds a
                # copy of that pipe, so the wait would last as long as that process.
                os.kill(pid, signal.SIGKILL)
                stop()  # reaps it, and forgets its socket and pipe
            except (OSError, ValueError) as exc:
                logger.debug("the idle forkserver %s was not stopped: %s", pid, exc)
                return
            _ours = None
    logger.debug("stopped the trial workers' forkserver %s after %gs without a fit",
                 pid, IDLE_SECONDS)


def _has_children(pid: int) -> bool | None:
    """Whether process ``pid`` has a child process; None where that cannot be read
    (no ``/proc``)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                # "pid (comm) state ppid ...": comm may hold spaces and parentheses
                fields = stat.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if len(fields) > 1 and int(fields[1]) == pid:
            return True
    return False
