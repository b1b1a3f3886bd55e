"""Column-wise preprocessing: one ``ColumnTransformer`` per pipeline.

Numeric columns are imputed, clipped to their training range in front of a model
that extrapolates (:class:`RangeClipper`), and scaled; low-cardinality categoricals are cast to
strings and encoded (one-hot with rare-category grouping, ordinal, or the
cross-fitted mean target of :class:`~.components.SeededTargetEncoder`);
high-cardinality categoricals get a target-free frequency encoding. Sparse input
has numeric columns only and skips the column split.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

MISSING = "__missing__"


def categories_as_strings(X):
    """Categorical cells as strings, missing cells as one ``"__missing__"`` category.

    Encoders sort categories, which fails on columns mixing numbers and strings.
    """
    frame = pd.DataFrame(X)
    out = np.empty(frame.shape, dtype=object)
    for j in range(frame.shape[1]):
        column = frame.iloc[:, j]
        missing = column.isna().to_numpy()
        values = column.astype(object).to_numpy()
        out[:, j] = [MISSING if m else str(v) for v, m in zip(values, missing)]
    return out


class RangeClipper(TransformerMixin, BaseEstimator):
    """Clip every column to the range it had in the training data.

    For models whose predictions grow without bound with an input beyond that range
    (linear models, networks; ``Component.extrapolates``), all the more after
    polynomial features: on one split of abalone, a test row of height 1.13 (the
    training rows reach 0.515) took a ridge regression on polynomial features of
    degree 2 to a prediction of 52.7 rings where the truth was 8, and the test R²
    from 0.57 (clipped) to 0.41. Trees and neighbours need no clip: whatever the
    input, they predict from the training rows' targets. Missing values
    stay missing; a column with no finite training value is left as it is.
    """

    def fit(self, X, y=None):
        """Learn each column's smallest and largest finite training value."""
        X = np.asarray(X, dtype=float)
        finite = np.where(np.isfinite(X), X, np.nan)
        seen = ~np.all(np.isnan(finite), axis=0)
        low = np.full(X.shape[1], -np.inf)
        high = np.full(X.shape[1], np.inf)
        low[seen] = np.nanmin(finite[:, seen], axis=0)
        high[seen] = np.nanmax(finite[:, seen], axis=0)
        self.data_min_, self.data_max_ = low, high
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """The columns clipped to their training range (NaN kept)."""
        check_is_fitted(self)
        X = np.asarray(X, dtype=float)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but RangeClipper is expecting "
                             f"{self.n_features_in_} features as input.")
        return np.clip(X, self.data_min_, self.data_max_)

    def get_feature_names_out(self, input_features=None):
        """Same names as the input columns."""
        if input_features is None:
            input_features = [f"x{j}" for j in range(self.n_features_in_)]
        return np.asarray(input_features, dtype=object)


class FrequencyEncoder(TransformerMixin, BaseEstimator):
    """Replace each category by its frequency in the training data (unseen: 0).

    A target-free encoding of high-cardinality columns into one column each.
    """

    def fit(self, X, y=None):
        """Learn the frequency of every category of every column."""
        X = np.asarray(X, dtype=object)
        # Counted by hashing: np.unique would copy the column into a fixed-width
        # array as wide as its longest value (long free text: gigabytes).
        self.frequencies_ = []
        for j in range(X.shape[1]):
            counts = Counter(map(str, X[:, j]))
            self.frequencies_.append({value: count / X.shape[0]
                                      for value, count in counts.items()})
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Map categories to their training frequencies."""
        check_is_fitted(self)
        X = np.asarray(X, dtype=object)
        out = np.zeros(X.shape, dtype=float)
        for j, table in enumerate(self.frequencies_):
            out[:, j] = [table.get(str(v), 0.0) for v in X[:, j]]
        return out

    def get_feature_names_out(self, input_features=None):
        """Same names as the input columns."""
        if input_features is None:
            input_features = [f"x{j}" for j in range(self.n_features_in_)]
        return np.asarray(input_features, dtype=object)


def column_preprocessor(profile, imputer, scaler, encoder, clip=False):
    """The ``ColumnTransformer`` for dense data, or the sparse-input equivalent.

    Parameters
    ----------
    profile : DataProfile
    imputer, scaler, encoder : estimators or None
        Numeric imputer, numeric scaler (``None``: no scaling) and categorical
        encoder for low-cardinality columns.
    clip : bool
        Clip the imputed numeric columns to their training range
        (:class:`RangeClipper`) before scaling them. Dense data only: the encoded
        categorical columns are bounded already, and a clip of sparse columns whose
        range excludes zero would fill them.
    """
    if profile.sparse:
        return Pipeline([("impute", imputer)] + ([("scale", scaler)] if scaler is not None else []))
    numeric_steps = [("impute", imputer)] + ([("clip", RangeClipper())] if clip else []) \
        + ([("scale", scaler)] if scaler is not None else [])
    as_strings = FunctionTransformer(categories_as_strings, feature_names_out="one-to-one")
    # Categorical branches first: their widths are fixed by the profile, so the
    # ordinal codes sit at known positions from column 0 (see
    # builder.ordinal_positions); the numeric branch's width is known only once
    # fitted.
    branches = []
    if profile.categorical:
        branches.append(("categorical", Pipeline([("as_strings", as_strings),
                                                  ("encode", encoder)]),
                         list(profile.categorical)))
    if profile.high_cardinality:
        branches.append(("high_cardinality", Pipeline([("as_strings", as_strings),
                                                       ("encode", FrequencyEncoder())]),
                         list(profile.high_cardinality)))
    if profile.numeric:
        branches.append(("numeric", Pipeline(numeric_steps), list(profile.numeric)))
    # Dense output: one-hot width is bounded by rare-category grouping, and
    # several models (HistGradientBoosting) reject sparse matrices.
    return ColumnTransformer(branches, sparse_threshold=0.0, remainder="drop")
