"""Exceptions the package raises to its users, beside Python's and scikit-learn's own.

:class:`ParameterError` marks the ``ValueError`` of a parameter that does not suit
the data (a metric for another kind of target, an image shape for another number
of columns, a search for networks with the networks off): the parameter, not the
data, must change. The command line turns it into a usage error (exit status 2).
"""

from __future__ import annotations


class ParameterError(ValueError):
    """A parameter's value does not suit the data it is fit on; change the parameter."""
