"""Compile hyperparameter declarations to short grids of values.

Genetic programming (:mod:`automl_estimators.search.genetic`) draws hyperparameters
from a finite set of typed terminals, as TPOT does; the grid of each is derived
here from the same declaration that ConfigSpace compiles, so there is no second
list of hyperparameters. A grid always holds the declared default.
"""

from __future__ import annotations

import numpy as np

from .declarations import Categorical, Float, Int

# Points spread over a numeric range (log-spaced where the declaration says log),
# the default added. Seven keep each terminal set small enough for mutation to
# visit while spanning the range at a factor of ~3-10 per step on log scales.
GRID_POINTS = 7
# Significant digits kept on float grid values, so terminal names stay readable.
SIGNIFICANT_DIGITS = 3


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def grid_values(hp, n_points: int = GRID_POINTS, extra=()) -> tuple:
    """The values a hyperparameter may take in a grid search, sorted, default included.

    Parameters
    ----------
    hp : Float, Int or Categorical
        A declaration of :mod:`automl_estimators.spaces.declarations`.
    n_points : int
        Points over a numeric range (fewer for short integer ranges).
    extra : iterable
        Values the grid must also hold (a tuned configuration's, see
        :meth:`automl_estimators.spaces.Space.tuned_values`).
    """
    if isinstance(hp, Categorical):
        return tuple(hp.choices)
    spread = np.geomspace if hp.log else np.linspace
    points = spread(hp.low, hp.high, n_points)
    if isinstance(hp, Int):
        values = {int(np.rint(p)) for p in points} | {int(hp.default)} | {int(v) for v in extra}
        return tuple(sorted(v for v in values if hp.low <= v <= hp.high))
    if isinstance(hp, Float):
        values = ({min(max(_round(p), hp.low), hp.high) for p in points} | {float(hp.default)}
                  | {float(v) for v in extra})
        return tuple(sorted(values))
    raise TypeError(f"unknown hyperparameter declaration {hp!r}")


def nearest(hp, value, extra=()):
    """The grid value closest to ``value`` (on a log scale where declared log)."""
    values = grid_values(hp, extra=extra)
    if isinstance(hp, Categorical):
        return value if value in values else hp.default
    if hp.log:
        return min(values, key=lambda v: abs(np.log(v) - np.log(max(value, 1e-300))))
    return min(values, key=lambda v: abs(v - value))
