"""Confidence intervals of a paired difference over seeds (strategy − random search).

As Yu et al. (2020, "Evaluating the search phase of neural architecture search")
and Lindauer & Hutter (2020) ask of NAS comparisons: a strategy is compared with
random search on the same datasets and seeds, and the claim is the interval of
the mean difference, not one run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

BOOTSTRAP_RESAMPLES = 10_000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedDifference:
    """Mean of paired differences with a t interval and a percentile bootstrap interval.

    Intervals are None with fewer than two pairs (a t interval needs a spread).
    """

    n: int
    mean: float
    t_interval: tuple | None
    bootstrap_interval: tuple | None


def paired_difference(differences, seed: int = 0) -> PairedDifference:
    """The mean of ``differences`` (one per seed, or per (dataset, seed)) and its 95 % intervals.

    t interval: ``mean ± t(0.975, n-1) * sd / sqrt(n)``. Bootstrap: the 2.5 and
    97.5 percentiles of the means of :data:`BOOTSTRAP_RESAMPLES` resamples with
    replacement, drawn from ``numpy.random.default_rng(seed)`` (the same report
    twice gives the same numbers).

    Raises
    ------
    ValueError
        When ``differences`` is empty or holds a non-finite value.
    """
    import numpy as np
    from scipy import stats

    values = np.asarray(list(differences), dtype=float)
    if values.size == 0:
        raise ValueError("paired_difference needs at least one difference.")
    if not np.isfinite(values).all():
        raise ValueError(f"differences must be finite numbers, got {values.tolist()}; "
                         "leave out pairs where either run has no score.")
    mean = float(values.mean())
    if values.size < 2:
        return PairedDifference(1, mean, None, None)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, values.size - 1)
                 * values.std(ddof=1) / math.sqrt(values.size))
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(BOOTSTRAP_RESAMPLES, values.size)).mean(axis=1)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return PairedDifference(int(values.size), mean, (mean - half, mean + half),
                            (float(low), float(high)))
