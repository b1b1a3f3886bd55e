"""Warnings for the user, attributed to the user's own line of code.

:func:`warn` gives ``warnings.warn`` the stack level of the first frame outside
this package (as pandas' ``find_stack_level`` does), so that a warning raised
deep inside a fit names the user's call (``fit``, ``predict``, ``export``)
whatever the depth it is raised at, and Python's default filter shows it once
per line of their script. Counted by hand, the levels went stale whenever a
call was wrapped or moved.
"""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` at the first caller outside the package
    (the direct caller when there is none: a thread of the package's own)."""
    frame, level = sys._getframe(), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level if frame is not None else 2)
