"""Trials in worker processes on this machine (see :mod:`.processes` for how they start).

The data goes to disk once per fit (``joblib.dump``) and each worker loads it
once, memory-mapped; a task carries only the unfitted pipeline and row indices,
and its answer comes back as a file in the same folder, which is removed with it.
"""

from __future__ import annotations

import os
import threading

import joblib

from ..scratch import ScratchFolder
from ..trial import TrialTask
from .base import Runner
from .processes import schedule, start_workers, trial_pool, wait_workers_up

# Seconds the interpreter's exit waits for workers that were still starting when
# their fit ended (see PoolRunner.close).
EXIT_WAIT_SECONDS = 10.0


class PoolRunner(Runner):
    """Trials in ``n_workers`` local processes of a ``pebble.ProcessPool``.

    Parameters
    ----------
    data : dict
        ``X``, ``y``, ``splits``, ``n_classes``.
    n_workers : int
    memory_limit : int or None
        Megabytes per worker beyond its start size.
    preload : tuple of str
        Modules the workers import before their memory cap is measured.
    """

    def __init__(self, data, n_workers, memory_limit, preload=()):
        self.n_workers = n_workers
        # Registered for removal should the process be killed (scratch.py) off the
        # fit's thread, as the workers start: the tracker's own start takes 0.15 s.
        self._folder = ScratchFolder("automl_estimators_", track=False)
        self.path = os.path.join(self._folder.path, "data.joblib")
        try:
            joblib.dump(data, self.path)
            self._pool = trial_pool(n_workers, memory_limit, preload)
        except BaseException:  # a full disk, an interrupt: no close() will come
            self._folder.remove()
            raise
        # The workers start off the fit's thread: the forkserver imports the heavy
        # libraries first (about a second, 3-5 s measured on a busy machine), which
        # blocked the first schedule, and a 1 s fit with it, past its budget. The
        # thread lives until close() and stops the pool itself: a worker the fallback
        # spawn context started dies with the thread that started it (the parent-death
        # signal, see processes._die_with_parent, follows the parent's thread).
        self._started = threading.Event()  # a worker is up: trials can run
        self._all_up = threading.Event()  # every worker is (or the start failed)
        self._closed = threading.Event()
        self._keeper = threading.Thread(target=self._keep_workers, daemon=True,
                                        name="automl-workers")
        self._keeper.start()

    def _keep_workers(self):
        # First, beside the workers' start: a fit stopped from outside (SIGTERM) in
        # its first seconds left the data and multiprocessing's folder behind while
        # they were registered only once every worker was up.
        self._folder.track()
        self._pool.track_socket_folder()
        all_up = False
        try:
            start_workers(self._pool)
            self._started.set()
            all_up = wait_workers_up(self._pool, stop=self._closed)
        except BaseException:  # noqa: BLE001 - schedule() meets it again and says why
            pass
        if not all_up:
            # closed (or failed) while workers start: killed, no worker reads its start
            # data from semaphores that stop() unlinks (processes.wait_workers_up)
            self._pool.kill_workers()
        try:
            self._started.set()  # also after a failed start: schedule() says why
            self._all_up.set()
            self._closed.wait()
        finally:
            self._pool.shutdown()

    def ready(self, timeout=0.0):
        return self._started.wait(timeout)

    def schedule(self, task: TrialTask, timeout: float):
        return schedule(self._pool, self.path, task, timeout)

    def close(self):
        """Remove the data and stop the workers. Workers still starting (a fit of a
        second on a busy machine ended before they were all up) are not waited for:
        they are stopped as soon as they are all up (:func:`~.processes.wait_workers_up`;
        a pool stopped while it starts workers leaves some running, or unlinks its
        semaphores under a worker still reading them, which then prints a
        ``FileNotFoundError`` traceback), so ``fit`` keeps its budget. The
        interpreter's exit waits for that, at most :data:`EXIT_WAIT_SECONDS`, in a
        thread that is not a daemon, which the exit joins first: Python 3.12 refuses
        new threads from the ``atexit`` functions on (an ``atexit`` wait, the earlier
        way, let the pool's start fail there with "can't create new thread at
        interpreter shutdown", and a worker it had forked printed that traceback
        after the script's output)."""
        self._folder.remove()
        self._closed.set()
        if self._all_up.is_set():
            self._keeper.join()
            return
        try:
            threading.Thread(target=self._keeper.join, args=(EXIT_WAIT_SECONDS,),
                             name="automl-workers-exit").start()
        except RuntimeError:  # the interpreter is exiting: no new thread
            pass
