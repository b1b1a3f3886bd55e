"""Trials in worker processes on this machine (see :mod:`.processes` for how they start).

The data goes to disk once per fit (``joblib.dump``) and each worker loads it
once, memory-mapped; a task carries only the unfitted pipeline and row indices.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import joblib

from ..trial import TrialTask
from .base import Runner
from .processes import schedule, trial_pool


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
        self._folder = tempfile.mkdtemp(prefix="automl_estimators_")
        self.path = os.path.join(self._folder, "data.joblib")
        try:
            joblib.dump(data, self.path)
            self._pool = trial_pool(n_workers, memory_limit, preload)
        except BaseException:  # a full disk, an interrupt: no close() will come
            shutil.rmtree(self._folder, ignore_errors=True)
            raise

    def schedule(self, task: TrialTask, timeout: float):
        return schedule(self._pool, self.path, task, timeout)

    def close(self):
        self._pool.stop()
        self._pool.join(timeout=5)
        shutil.rmtree(self._folder, ignore_errors=True)
