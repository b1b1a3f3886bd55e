"""What the forkserver the trial workers fork from sets up: imported there only, as
the first module of its preload list (:data:`.processes.FORKSERVER_PRELOAD`).

A worker whose fit's process began to exit before the worker read its start data
(a fit of a few seconds on a busy machine ends while the forkserver still
imports its preload list, and the script ends after it) finds the pool's
semaphores unlinked by that exit: ``SemLock._rebuild`` raises
``FileNotFoundError``, and the forkserver's child printed that traceback on the
user's stderr, after the script's own output. Seen in session 32: 10 of 10
five-second fits beside two busy processes, 1 in 4 to 8 beside the test suite.
Such a worker has no pool to serve: it now ends quietly, exit code 1. Any
other failure to start is raised as before.
"""

import multiprocessing.spawn

_start = multiprocessing.spawn._main


def _start_or_end_quietly(fd, parent_sentinel):
    """``multiprocessing.spawn._main`` (what a forked child runs: read its start data,
    then run), ending the process quietly where its parent's semaphores are gone.

    An error of the process's own run never reaches here (``_bootstrap`` reports
    it and returns an exit code), so what is caught was raised reading the start
    data. ``SystemExit`` passes the forkserver's report of a child's ``Exception``
    and ends the child with code 1.
    """
    try:
        return _start(fd, parent_sentinel)
    except FileNotFoundError as exc:
        if not _raised_rebuilding_a_semaphore(exc):
            raise
        raise SystemExit(1) from None


def _raised_rebuilding_a_semaphore(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "__setstate__" and code.co_filename.endswith("synchronize.py"):
            return True
        tb = tb.tb_next
    return False


multiprocessing.spawn._main = _start_or_end_quietly
