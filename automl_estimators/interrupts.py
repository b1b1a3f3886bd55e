"""Ctrl-C during a fit: a request to stop searching, not an exception at a random line.

While a fit searches, :class:`Interrupts` holds the main thread's SIGINT
handler. The first Ctrl-C only sets :attr:`Interrupts.stop`: the search loop
sees it at its next check (at most :data:`~automl_estimators.search_loop.POLL_SECONDS`
later), cancels its running trials, and the fit goes on to its finishing step
with the trials run so far. The second Ctrl-C means "no finishing step": during
it (:meth:`Interrupts.abortable`) it raises ``KeyboardInterrupt`` there, which the
fit catches to keep the model it already holds; before it, it sets
:attr:`Interrupts.abort` so that the step is skipped. Further presses are
counted and ignored: the workers are being stopped and the temporary files
removed, which takes seconds, and an exception there would leave them behind.

Trial workers ignore SIGINT (:func:`automl_estimators.runners.processes`), so a
terminal's Ctrl-C, which reaches the whole foreground process group, stops
trials only through the fit's decision.

Where the fit cannot hold the handler (outside the main thread, or when SIGINT
has a handler that is not Python's default), the handler is left alone; a
``KeyboardInterrupt`` raised during the search is then :meth:`noted <note>` by
the loop as a first Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import threading

# The exit status of a command that Ctrl-C stopped (128 + SIGINT, as the shell reports it).
EXIT_STATUS = 128 + signal.SIGINT


class Interrupts:
    """The Ctrl-C presses of one fit, as a context manager that holds SIGINT.

    Attributes
    ----------
    count : int
        Ctrl-C presses (and noted ``KeyboardInterrupt`` s) since the fit began.
    at : float or None
        Seconds into the fit of the first one (``clock()`` then), or None.
    """

    def __init__(self, clock=None):
        self.count = 0
        self.at = None
        self._clock = clock
        self._abortable = False
        self._previous = None

    # -- state the fit reads
    @property
    def stop(self) -> bool:
        """Whether the search should stop (one Ctrl-C or more)."""
        return self.count >= 1

    @property
    def abort(self) -> bool:
        """Whether the finishing step should be skipped (two Ctrl-C or more)."""
        return self.count >= 2

    def note(self):
        """Count one interrupt (a press, or a ``KeyboardInterrupt`` the loop caught)."""
        self.count += 1
        if self.at is None and self._clock is not None:
            self.at = self._clock()

    @contextlib.contextmanager
    def abortable(self):
        """A block that a second Ctrl-C ends with ``KeyboardInterrupt`` (the finishing step)."""
        self._abortable = True
        try:
            yield
        finally:
            self._abortable = False

    # -- the handler
    def _handle(self, signum, frame):
        self.note()
        if self._abortable and self.abort:
            self._abortable = False  # one exception: the cleanup after it is not abortable
            raise KeyboardInterrupt

    def __enter__(self):
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    @property
    def holds_signal(self) -> bool:
        """Whether SIGINT is handled here (else Python's or the user's handler runs)."""
        return self._previous is not None
