"""Temporary folders of a fit, removed also when its process is killed.

A fit writes under the temporary folder (``TMPDIR``): the data its trial workers
load and their answers (``runners.pool``), and SMAC's run history (``search.smac``).
(A Dask worker writes its copy of the data in its own scratch folder, which Dask
removes.) Every way out of ``fit`` (its end, an error, an interrupt) removes them.
A process stopped from outside runs none of that: SIGTERM
from ``timeout``, a job scheduler or a container's stop, SIGKILL from the kernel's
out-of-memory killer. Measured (session 27): a 60 s SMAC fit stopped with SIGTERM
after 12 s left its data folder (the data and a trial's answer) and SMAC's folder
behind; a fit's data folder holds a copy of X (about 400 MB for a million rows of
50 columns).

So each folder is also registered with the resource tracker of joblib's loky, the
process that removes joblib's own memory-mapping folders when the process that
made them ends, and that ignores SIGTERM and SIGINT to do so. A folder still
registered then is removed by it, with the tracker's own warning on stderr
("There appear to be 1 leaked folder objects to clean up at shutdown"). Not when
the tracker dies too: a SIGKILL sent to the whole process group or container. The
tracker is one small process per Python process (38 MB resident, 24 MB
proportional, measured), started at the first registration (0.15 s on an idle
machine; the local pool registers its folder from the thread that started its
workers, once they are up).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading

from joblib.externals.loky.backend import resource_tracker

logger = logging.getLogger(__name__)

# The tracker's resource type for a folder it removes with shutil.rmtree.
_FOLDER = "folder"


class ScratchFolder:
    """A new temporary folder (``tempfile.mkdtemp(prefix=...)``), removed by
    :meth:`remove` or, if the process ends first, by the tracker once :meth:`track`
    registered it (at once when ``track`` is true).

    Attributes
    ----------
    path : str
    """

    def __init__(self, prefix: str, *, track: bool = True):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self._lock = threading.Lock()
        self._tracked = self._removed = False
        self._tracker = None
        if track:
            try:
                self.track()
            except BaseException:  # an interrupt while the tracker starts
                self.remove()
                raise

    def track(self) -> None:
        """Register the folder with the tracker (once; not after :meth:`remove`). A
        tracker that cannot start (no process may be started) costs only the removal
        after a kill: logged, not raised."""
        with self._lock:
            if self._tracked or self._removed:
                return
            try:
                resource_tracker.register(self.path, _FOLDER)
                self._tracker = _tracker_pid()
            except (OSError, RuntimeError, ValueError) as exc:
                logger.warning("%s is removed at the end of fit, but not if this process "
                               "is killed: the resource tracker did not start (%s)",
                               self.path, exc)
                return
            self._tracked = True
            logger.debug("%s is removed even if this process is killed", self.path)

    def remove(self) -> None:
        """Remove the folder and everything in it, then unregister it (once)."""
        with self._lock:
            if self._removed:
                return
            self._removed = True
            shutil.rmtree(self.path, ignore_errors=True)
            # Unregistering a name the tracker does not hold prints its traceback: a
            # tracker that died (and is started again by unregister) never held it.
            if not self._tracked:
                return
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                resource_tracker.ensure_running()  # a new process if it died
                if _tracker_pid() == self._tracker:
                    resource_tracker.unregister(self.path, _FOLDER)


def _tracker_pid():
    """The running tracker's process id (None when unknown)."""
    return getattr(getattr(resource_tracker, "_resource_tracker", None), "_pid", None)
