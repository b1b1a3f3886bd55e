"""Column-wise preprocessing: one ``ColumnTransformer`` per pipeline.

Numeric columns are imputed and scaled; low-cardinality categoricals are cast to
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


def column_preprocessor(profile, imputer, scaler, encoder):
    """The ``ColumnTransformer`` for dense data, or the sparse-input equivalent.

    Parameters
    ----------
    profile : DataProfile
    imputer, scaler, encoder : estimators or None
        Numeric imputer, numeric scaler (``None``: no scaling) and categorical
        encoder for low-cardinality columns.
    """
    numeric_steps = [("impute", imputer)] + ([("scale", scaler)] if scaler is not None else [])
    if profile.sparse:
        return Pipeline(numeric_steps)
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
