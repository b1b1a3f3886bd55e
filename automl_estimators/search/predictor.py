"""An accuracy predictor over cells: PNAS's ensemble of small MLPs (Liu et al. 2018).

Progressive NAS trains only the cells its predictor ranks highest, so the
predictor must rank cells of ``b + 1`` blocks after seeing cells of at most
``b``. The features are the fixed-length one-hot
:func:`~automl_estimators.spaces.architecture.encode_architecture` of the cell
(block slots past the cell's blocks stay zero) followed by that encoding summed
over the cell's blocks: how often each input state and each operation occurs
in each cell. PNAS's MLP pools its blocks the same way (it averages their
embeddings), so what it learned about a block in one slot carries to the slot
of the new block, which no trained cell filled yet; on the one-hot alone the
new slot's weights never leave zero and every expansion of one parent ties
(measured, trained on 1-block cells and ranking 2-block expansions: rank
correlation 0.3-0.5 with the one-hot alone, 0.65-0.8 with the counts, which
also ranked and picked the top cells a little better than PNAS's mean).

Five members (PNAS's ensemble size), each fit on its own bootstrap of the
results with its own initialisation; their mean prediction ranks. Targets are
standardised; L-BFGS fits the few tens to hundreds of results in about 0.1 s
for the five members (0.4-0.6 s measured on two cores under a load of 8): the
predictor is refit inside the strategy's ``ask``, which the search loop gives
a deadline.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from ..spaces.architecture import CELL_INPUTS, OPERATIONS, SPATIAL_KINDS, encode_architecture

__all__ = ["ArchitecturePredictor", "predictor_features", "rank_correlation"]

# PNAS's ensemble size.
N_MEMBERS = 5
# One hidden layer of 16 units: PNAS's MLP had two of 100 over learned embeddings
# of thousands of results; a fit here has tens to hundreds.
HIDDEN_LAYER_SIZES = (16,)
# L2 penalty (scikit-learn's alpha) on standardised targets: strong enough that
# a few results do not fit noise exactly.
ALPHA = 1e-2
MAX_ITER = 100


def predictor_features(architectures, max_blocks: int) -> np.ndarray:
    """The predictor's input: one row per architecture, of one length for every
    block count up to ``max_blocks``.

    A row is :func:`~automl_estimators.spaces.architecture.encode_architecture`
    ``(arch, max_blocks)`` followed by its sum over the cell's blocks and
    branches (per cell: how many branches read each state and apply each
    operation).
    """
    rows = []
    for arch in architectures:
        encoding = encode_architecture(arch, max_blocks)
        n_cells = 2 if arch.kind in SPATIAL_KINDS else 1
        per_branch = CELL_INPUTS + max_blocks - 1 + len(OPERATIONS[arch.kind])
        # encode_architecture's layout: cell, block slot, branch, one-hot of (input, op)
        counts = encoding.reshape(n_cells, max_blocks, 2, per_branch).sum(axis=(1, 2))
        rows.append(np.concatenate([encoding, counts.ravel()]))
    return np.asarray(rows)


def rank_correlation(predicted, actual) -> float:
    """Spearman's rank correlation; NaN with fewer than two pairs or a constant side."""
    predicted, actual = np.asarray(predicted, float), np.asarray(actual, float)
    if len(predicted) < 2 or np.ptp(predicted) == 0 or np.ptp(actual) == 0:
        return math.nan
    return float(spearmanr(predicted, actual).statistic)


class ArchitecturePredictor:
    """An ensemble of small MLPs predicting a cell's validation score.

    Parameters
    ----------
    max_blocks : int
        Largest block count it will see (fixes the feature length).
    seed : int
        Seeds the bootstraps and the members' initialisations.
    n_members : int
        MLPs in the ensemble.

    Attributes
    ----------
    members_ : list of MLPRegressor
        The fitted members; empty when the results could not teach anything
        (fewer than two, or all equal): :meth:`predict` then returns zeros.
    """

    def __init__(self, max_blocks: int, seed: int, n_members: int = N_MEMBERS):
        self.max_blocks = max_blocks
        self.seed = seed
        self.n_members = n_members
        self.members_ = []

    def fit(self, architectures, scores) -> ArchitecturePredictor:
        """Fit every member on a bootstrap of ``(architectures, scores)``."""
        X = predictor_features(architectures, self.max_blocks)
        y = np.asarray(scores, dtype=float)
        if len(X) != len(y):
            raise ValueError(f"{len(X)} architectures but {len(y)} scores; give one score "
                             "per architecture.")
        self.members_ = []
        if len(y) < 2 or np.ptp(y) == 0:
            return self
        self._mean, self._scale = y.mean(), y.std()
        y = (y - self._mean) / self._scale
        rng = np.random.default_rng(self.seed)
        for member in range(self.n_members):
            rows = rng.integers(len(y), size=len(y))
            mlp = MLPRegressor(hidden_layer_sizes=HIDDEN_LAYER_SIZES, solver="lbfgs",
                               alpha=ALPHA, max_iter=MAX_ITER,
                               random_state=int(rng.integers(2**31 - 1)))
            # one BLAS thread: on these tiny matrices more threads only contend with
            # the trials' workers (measured: 0.27 s -> 4.4 s per member on a busy machine)
            with warnings.catch_warnings(), threadpool_limits(1):
                # L-BFGS stopping at MAX_ITER on a few points is expected, not news
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.members_.append(mlp.fit(X[rows], y[rows]))
        return self

    def predict(self, architectures) -> np.ndarray:
        """The ensemble's mean predicted score of each architecture."""
        architectures = list(architectures)
        if not self.members_ or not architectures:
            return np.zeros(len(architectures))
        X = predictor_features(architectures, self.max_blocks)
        mean = np.mean([member.predict(X) for member in self.members_], axis=0)
        return mean * self._scale + self._mean
