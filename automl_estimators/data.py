"""Input validation and the data profile: the one place that looks at raw X and y.

Accepts numpy arrays, pandas DataFrames (numeric, string, category, bool,
datetime, missing values) and scipy sparse matrices; rejects bad input with
scikit-learn's wording where it has one. Column kinds are inferred here, once, and
every later part (spaces, pipelines, policy) reads them from :class:`DataProfile`.
How a single column or target is converted (text as numbers, datetimes as
seconds, labels as indices) is :mod:`automl_estimators.reading`'s, which the
exported script copies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _assert_all_finite

from .reading import (
    datetimes_as_seconds,
    encode_classes,
    is_text,
    target_as_numbers,
    text_as_numbers,
)

# A categorical column with more distinct values than this is encoded by
# frequency (target-free, one column) instead of one-hot / ordinal.
HIGH_CARDINALITY = 50
MIN_SAMPLES = 2


@dataclass(frozen=True)
class DataProfile:
    """What the search needs to know about the training data.

    Column identifiers are names when every column name is a string, otherwise
    positions, so that a ``ColumnTransformer`` can select them either way.
    """

    task: str
    n_rows: int
    n_features: int
    sparse: bool
    numeric: tuple
    categorical: tuple
    high_cardinality: tuple
    missing_fraction: float
    class_counts: tuple = ()

    @property
    def n_classes(self) -> int:
        return len(self.class_counts)

    @property
    def has_categorical(self) -> bool:
        return bool(self.categorical or self.high_cardinality)


# ------------------------------------------------------------------------- X
def check_X(X, *, min_samples=MIN_SAMPLES, categorical=None):
    """Validate X and bring it to one of three forms: DataFrame, ndarray or CSR.

    Parameters
    ----------
    min_samples : int
        2 when fitting, 1 when predicting.
    categorical : collection or None
        At predict time, the columns that were categorical at fit: they are kept
        as they are, and every other object column is read as numbers, so that a
        column is treated the same way at fit and predict. ``None`` at fit: infer.

    Raises
    ------
    ValueError
        Empty X, a 1-D or 3-D array, infinite values, duplicated column names.
    TypeError
        X of a type that is not array-like.
    """
    if isinstance(X, pd.DataFrame):
        if X.ndim != 2 or X.shape[1] == 0 or X.shape[0] < min_samples:
            raise ValueError(
                f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
                f"(shape={X.shape}) while a minimum of {min_samples} samples and 1 feature "
                "is required.")
        if X.columns.has_duplicates:
            dupes = sorted(map(str, X.columns[X.columns.duplicated()].unique()))
            raise ValueError(f"X has duplicated column names {dupes}; rename them before fit.")
        return _frame_with_canonical_dtypes(X, categorical)
    if sp.issparse(X):
        return check_array(X, accept_sparse="csr", dtype=[np.float64, np.float32],
                           ensure_all_finite="allow-nan", ensure_min_samples=min_samples)
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__") and not hasattr(X, "__array__"):
        raise TypeError(f"X must be array-like (numpy array, pandas DataFrame or scipy "
                        f"sparse matrix), got {type(X).__name__}.")
    X = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=min_samples)
    if X.dtype.kind in "biuf":
        return X.astype(np.float64, copy=False) if X.dtype.kind != "f" else X
    # Mixed object arrays go through the DataFrame path for per-column kinds.
    return _frame_with_canonical_dtypes(pd.DataFrame(X), categorical)


def _frame_with_canonical_dtypes(X: pd.DataFrame, categorical=None) -> pd.DataFrame:
    """Numbers stored as objects become floats, datetimes become epoch seconds."""
    converted = {}
    by_name = all(isinstance(c, str) for c in X.columns)
    for position, (name, column) in enumerate(X.items()):
        ident = name if by_name else position
        if pd.api.types.is_datetime64_any_dtype(column):
            converted[position] = datetimes_as_seconds(column)
        elif is_text(column):
            if categorical is not None:
                if ident not in categorical:
                    converted[position] = text_as_numbers(column)
                continue
            numbers = text_as_numbers(column)
            if column.dtype == object and numbers.notna().sum() == column.notna().sum():
                converted[position] = numbers
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = column.to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(values).any():
                raise ValueError(f"Input X contains infinity in column {name!r}; replace it "
                                 "by NaN or a finite value before fit.")
    if converted:
        X = X.copy()
        for position, values in converted.items():
            X.isetitem(position, values)
    return X


def column_kinds(X) -> tuple[tuple, tuple, tuple]:
    """(numeric, low-cardinality categorical, high-cardinality categorical) columns."""
    if not isinstance(X, pd.DataFrame):
        return tuple(range(X.shape[1])), (), ()
    by_name = all(isinstance(c, str) for c in X.columns)
    numeric, categorical, high = [], [], []
    for position, (name, column) in enumerate(X.items()):
        ident = name if by_name else position
        if pd.api.types.is_bool_dtype(column) or (
                pd.api.types.is_numeric_dtype(column)
                and not isinstance(column.dtype, pd.CategoricalDtype)):
            numeric.append(ident)
        elif column.nunique(dropna=True) > HIGH_CARDINALITY:
            high.append(ident)
        else:
            categorical.append(ident)
    return tuple(numeric), tuple(categorical), tuple(high)


def missing_fraction(X) -> float:
    """Share of missing cells (stored cells only, for sparse X)."""
    if sp.issparse(X):
        return float(np.isnan(X.data).sum() / max(X.shape[0] * X.shape[1], 1))
    if isinstance(X, pd.DataFrame):
        return float(X.isna().to_numpy().mean())
    return float(np.isnan(X).mean())


# ------------------------------------------------------------------------- y
def _check_y_common(X, y, estimator_name: str) -> np.ndarray:
    if y is None:
        raise ValueError(f"{estimator_name} requires y to be passed, but the target y is None.")
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    return y


def check_y_classification(X, y, estimator_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate class labels; return (encoded labels 0..k-1, classes)."""
    y = _check_y_common(X, y, estimator_name)
    if pd.isna(pd.Series(y, copy=False)).any():
        raise ValueError("Input y contains NaN or missing labels; drop those rows or fill "
                         "them before fit.")
    check_classification_targets(y)
    if type_of_target(y) not in ("binary", "multiclass"):
        raise ValueError(f"{estimator_name} supports binary and multiclass targets, got "
                         f"{type_of_target(y)!r}.")
    try:
        encoded, classes = encode_classes(y)
    except TypeError as exc:
        raise TypeError(f"Class labels in y must be all strings or all numbers: {exc}") from None
    if len(classes) < 2:
        raise ValueError(f"{estimator_name} needs samples of at least 2 classes in y; got only "
                         f"one class: {classes[0]!r}.")
    return encoded, classes


def check_y_regression(X, y, estimator_name: str) -> np.ndarray:
    """Validate a numeric target; return it as float64."""
    y = _check_y_common(X, y, estimator_name)
    try:
        y = target_as_numbers(y)
    except (TypeError, ValueError):
        example = next((v for v in y if not _is_number(v)), y[0])
        raise ValueError(f"{estimator_name} needs a numeric target y; found {example!r}. "
                         "For class labels use AutoClassifier.") from None
    _assert_all_finite(y, input_name="y")
    return y


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


# ------------------------------------------------------------------- profile
def profile(X, y, task: str) -> DataProfile:
    """Describe validated X (and encoded y) for the search."""
    numeric, categorical, high = column_kinds(X)
    counts = tuple(np.bincount(y).tolist()) if task == "classification" else ()
    return DataProfile(
        task=task, n_rows=X.shape[0], n_features=X.shape[1], sparse=sp.issparse(X),
        numeric=numeric, categorical=categorical, high_cardinality=high,
        missing_fraction=missing_fraction(X), class_counts=counts)


def take_rows(X, rows):
    """Rows of X (DataFrame, ndarray or sparse) by position."""
    return X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]
