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
machine; the local pool registers its folder from the thread that starts its
workers, before it starts them).

The standard library's ``multiprocessing`` makes a folder of its own (``pymp-*``,
where the trial workers' forkserver has its socket) and removes it at the
process's normal exit only: :func:`track_multiprocessing_folder` has the tracker
remove it after a kill too.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import threading
from multiprocessing import util

from joblib.externals.loky.backend import resource_tracker

logger = logging.getLogger(__name__)

# The tracker's resource type for a folder it removes with shutil.rmtree.
_FOLDER = "folder"
# Folders of track_multiprocessing_folder -> the process id of the tracker holding them.
_UNTIL_EXIT: dict[str, int | None] = {}
# The priority of the finalizer unregistering multiprocessing's folder: above (so just
# before) that of the finalizer removing it, -100 (multiprocessing.util.get_temp_dir).
_BEFORE_TEMP_DIR = -99
_UNTIL_EXIT_LOCK = threading.Lock()


class ScratchFolder:
    """A new temporary folder (``tempfile.mkdtemp(prefix, dir=dir)``), removed by
    :meth:`remove` or, if the process ends first, by the tracker once :meth:`track`
    registered it (at once when ``track`` is true).

    Attributes
    ----------
    path : str
    """

    def __init__(self, prefix: str, *, dir: str | None = None, track: bool = True):  # noqa: A002
        self.path = tempfile.mkdtemp(prefix=prefix, dir=dir)
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
            self._tracker = _register(self.path, "at the end of fit")
            self._tracked = self._tracker is not False

    def remove(self) -> None:
        """Remove the folder and everything in it, then unregister it (once)."""
        with self._lock:
            if self._removed:
                return
            self._removed = True
            shutil.rmtree(self.path, ignore_errors=True)
            if self._tracked:
                _unregister(self.path, self._tracker)


def track_multiprocessing_folder() -> None:
    """Have the tracker remove ``multiprocessing``'s temporary folder of this process
    (``pymp-*``: the trial workers' forkserver has its socket there) should the process
    be killed: ``multiprocessing`` removes it at the process's normal exit only, by a
    finalizer of priority -100 (``multiprocessing.util.get_temp_dir``). It is
    unregistered by a finalizer of its own that runs just before that one, at the exit
    of the main process (``atexit``) and of a ``multiprocessing`` child alike (a fit in
    a ``Pool`` worker, a Dask worker), where ``atexit`` does not run. Once per
    process; not raised when the tracker cannot start (logged)."""
    path = util.get_temp_dir()
    with _UNTIL_EXIT_LOCK:
        if path in _UNTIL_EXIT or not _removed_here(path):
            return
        tracker = _register(path, "at the end of the process")
        if tracker is False:
            return
        _UNTIL_EXIT[path] = tracker
    util.Finalize(None, _unregister_at_exit, args=(path,), exitpriority=_BEFORE_TEMP_DIR)


def _removed_here(path: str) -> bool:
    """Whether this process's finalizers remove ``path`` (it made the folder): a
    child forked from a process that had one (a fit in a ``multiprocessing.Pool``
    worker) inherits the parent's folder, which the parent removes, and which the
    tracker must not remove when the child alone is killed. False when unknown (the
    registry is ``multiprocessing``'s own, not documented)."""
    registry = getattr(util, "_finalizer_registry", None)
    if not isinstance(registry, dict):
        return False
    return any(path in (getattr(finalizer, "_args", None) or ())
               for finalizer in list(registry.values()))


def _unregister_at_exit(path: str) -> None:
    with _UNTIL_EXIT_LOCK:
        tracker = _UNTIL_EXIT.pop(path, False)
    if tracker is not False:
        _unregister(path, tracker)


def _register(path: str, removed_when: str):
    """Register ``path`` with the tracker: the tracker's process id (None when
    unknown), or False when it did not start (logged: only the removal after a kill
    is lost)."""
    try:
        resource_tracker.register(path, _FOLDER)
    except (OSError, RuntimeError, ValueError) as exc:
        logger.warning("%s is removed %s, but not if this process is killed: the "
                       "resource tracker did not start (%s)", path, removed_when, exc)
        return False
    logger.debug("%s is removed even if this process is killed", path)
    return _tracker_pid()


def _unregister(path: str, tracker) -> None:
    """Unregister ``path`` from the tracker whose process id ``tracker`` registered
    it. Unregistering a name the tracker does not hold prints its traceback: a tracker
    that died (and is started again by unregister) never held it."""
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        resource_tracker.ensure_running()  # a new process if it died
        if _tracker_pid() == tracker:
            resource_tracker.unregister(path, _FOLDER)


def _tracker_pid():
    """The running tracker's process id (None when unknown)."""
    return getattr(getattr(resource_tracker, "_resource_tracker", None), "_pid", None)
