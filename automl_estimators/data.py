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
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.multiclass import type_of_target

from .reading import (
    csv_column_as_numbers,
    datetimes_as_seconds,
    encode_classes,
    is_text,
    target_as_numbers,
    text_as_dates,
    text_as_numbers,
)
from .user_warnings import warn

# A categorical column with more distinct values than this is encoded by
# frequency (target-free, one column) instead of one-hot / ordinal.
HIGH_CARDINALITY = 50
MIN_SAMPLES = 2
# The numeric columns' distinct values (DataProfile.numeric_levels) are counted on at
# most this many rows, drawn at random (seeded): the plan's cost model of
# HistGradientBoosting reads them (a column of few values makes few bins), and a
# fit of a second cannot sort every row of every column.
LEVELS_SAMPLE_ROWS = 2_000


@dataclass(frozen=True)
class DataProfile:
    """What the search needs to know about the training data.

    Column identifiers are names when every column name is a string, otherwise
    positions (:func:`column_ids`), so that a ``ColumnTransformer`` can select them
    either way. Every column is in exactly one of ``numeric``, ``categorical``,
    ``high_cardinality`` and ``empty``.
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
    # Columns without any observed value at fit: no step reads them (an imputer
    # would drop them, with a warning at every predict).
    empty: tuple = ()
    # Distinct values of each ``categorical`` column, in its order, a missing value
    # counted as one more (what a one-hot encoding of it would need).
    categorical_levels: tuple = ()
    # Distinct values of each ``numeric`` column (missing apart), in its order, among
    # at most LEVELS_SAMPLE_ROWS of the rows; empty for sparse X.
    numeric_levels: tuple = ()
    # Numeric columns that held dates at fit (datetimes, Python dates, or ISO 8601
    # text), read as seconds since 1970: text at predict is read as dates there.
    dates: tuple = ()

    @property
    def n_classes(self) -> int:
        return len(self.class_counts)

    @property
    def all_categorical(self) -> tuple:
        """Every categorical column, low- and high-cardinality: those that predict,
        the command line and the exported script keep as text."""
        return tuple(self.categorical) + tuple(self.high_cardinality)

    @property
    def has_categorical(self) -> bool:
        return bool(self.all_categorical)


# ------------------------------------------------------------------------- X
def check_X(X, *, min_samples=MIN_SAMPLES, categorical=None, dates=()):
    """Validate X and bring it to one of three forms: DataFrame, ndarray or CSR.

    Parameters
    ----------
    min_samples : int
        2 when fitting, 1 when predicting.
    categorical : collection or None
        At predict time, the columns that were categorical at fit: they are kept
        as they are, and every other text column is read as numbers (or ISO
        dates, as the exported script reads a CSV), with a
        ``DataConversionWarning`` for values that are neither, so that a column
        is treated the same way at fit and predict. ``None`` at fit: infer.
    dates : collection
        At predict time, the columns that held dates at fit (:func:`check_X_and_dates`):
        text there is read as ISO 8601 dates, as at fit, whatever it looks like.

    Raises
    ------
    ValueError
        Empty X, a 1-D or 3-D array, infinite values, duplicated column names.
    TypeError
        X of a type that is not array-like.
    """
    return _check_X(X, min_samples, categorical, dates)[0]


def _check_X(X, min_samples, categorical, dates):
    """(:func:`check_X`'s X, the columns that held dates)."""
    X = dataframe_as_pandas(X)
    if isinstance(X, pd.DataFrame):
        if X.ndim != 2 or X.shape[1] == 0 or X.shape[0] < min_samples:
            raise ValueError(
                f"Found array with {X.shape[0]} sample(s) and {X.shape[1]} feature(s) "
                f"(shape={X.shape}) while a minimum of {min_samples} samples and 1 feature "
                "is required.")
        if X.columns.has_duplicates:
            dupes = sorted(map(str, X.columns[X.columns.duplicated()].unique()))
            raise ValueError(f"X has duplicated column names {dupes}; rename them before fit.")
        return _frame_with_canonical_dtypes(X, categorical, dates)
    if sp.issparse(X):
        X = check_array(X, accept_sparse="csr", dtype=[np.float64, np.float32],
                        ensure_all_finite=False, ensure_min_samples=min_samples)
        _check_no_infinity(np.unique(X.indices[np.isinf(X.data)]))
        return _with_int32_indices(X), ()
    if isinstance(X, (str, bytes)) or not hasattr(X, "__len__") and not hasattr(X, "__array__"):
        raise TypeError(f"X must be array-like (numpy array, pandas DataFrame or scipy "
                        f"sparse matrix), got {type(X).__name__}.")
    X = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_samples=min_samples)
    if X.dtype.kind in "biuf":
        X = X.astype(np.float64, copy=False) if X.dtype.kind != "f" else X
        _check_no_infinity(np.flatnonzero(np.isinf(X).any(axis=0)))
        return X, ()
    # Mixed object arrays go through the DataFrame path for per-column kinds.
    return _frame_with_canonical_dtypes(pd.DataFrame(X), categorical, dates)


def _with_int32_indices(X):
    """CSR ``X`` with 32-bit index arrays where its 64-bit ones hold values that fit.

    scikit-learn's trees (the strong default on sparse data is a random forest) and
    its liblinear and libsvm models take no others ("No support for np.int64 index
    based sparse matrices"). scipy picks 32-bit indices itself whenever a matrix
    allows, so 64-bit ones come from a matrix built from int64 arrays (a sparse
    array given them, scikit-learn's own contract checks). The data array is shared,
    not copied; the user's matrix is left as it is. A matrix too large for 32-bit
    indices keeps its own.
    """
    limit = np.iinfo(np.int32).max
    if X.indices.dtype == np.int32 and X.indptr.dtype == np.int32 or \
            max(X.nnz, *X.shape) > limit:
        return X
    return type(X)((X.data, X.indices.astype(np.int32), X.indptr.astype(np.int32)),
                   shape=X.shape)


def check_X_and_dates(X):
    """At fit: :func:`check_X`'s X, and the columns of it that held dates (datetimes,
    Python dates or ISO 8601 text, now seconds since 1970), by name or position as
    :class:`DataProfile` names columns."""
    return _check_X(X, MIN_SAMPLES, None, ())


def dataframe_as_pandas(X):
    """A data frame of another library (polars, a pyarrow Table, anything that exports
    the Arrow C stream or the dataframe interchange protocol) as a pandas one, so
    that its column names are kept: they are what ``predict`` matches columns by;
    a numpy structured (record) array as the frame of its fields. Anything else as
    it is: a one-dimensional column (a pandas or polars Series, a
    pyarrow array) meets scikit-learn's "Expected 2D array" error, not pyarrow's."""
    if isinstance(X, np.ndarray) and X.dtype.names:
        # a structured (record) array, e.g. of np.genfromtxt(names=True): a row per
        # record, a column per field
        return pd.DataFrame(X)
    if isinstance(X, (pd.DataFrame, pd.Series, np.ndarray)) or sp.issparse(X):
        return X
    if not (hasattr(X, "columns") or hasattr(X, "column_names")):  # not a table
        return X
    if hasattr(X, "__arrow_c_stream__") and hasattr(pd.DataFrame, "from_arrow"):
        return pd.DataFrame.from_arrow(X)  # pandas >= 3
    if hasattr(X, "__dataframe__"):
        return pd.api.interchange.from_dataframe(X)
    return X


def _check_no_infinity(columns):
    """Raise for infinite values in ``columns`` (names or positions), if any."""
    if len(columns):
        shown = ", ".join(repr(c.item() if hasattr(c, "item") else c) for c in columns[:5])
        raise ValueError(f"Input X contains infinity in column(s) {shown}"
                         f"{' ...' if len(columns) > 5 else ''}; replace it by NaN (missing "
                         "values are allowed) or a finite value.")


def _frame_with_canonical_dtypes(X: pd.DataFrame, categorical=None, dates=()):
    """(X, its date columns): numbers stored as text (object, or a string dtype:
    pandas 3's default for text) become floats, datetimes (and ISO 8601 text at fit,
    any text in ``dates`` at predict) epoch seconds, durations seconds; a
    ``category`` column stays categorical, whatever its categories look like."""
    converted = {}
    found_dates = []
    ids = column_ids(X)
    for position, (name, column) in enumerate(X.items()):
        ident = ids[position]
        values = None
        if isinstance(column.dtype, pd.SparseDtype):
            # dense, as scikit-learn makes it (with a warning at every predict): the
            # pipelines' column selection needs dense columns of a frame anyway
            column = converted[position] = column.sparse.to_dense()
        if pd.api.types.is_datetime64_any_dtype(column):
            converted[position] = datetimes_as_seconds(column)
            found_dates.append(ident)
        elif _is_duration(column):
            # durations as seconds, not categories (found in session 31: read as a
            # high-cardinality category, a duration's information was lost)
            converted[position] = _durations_as_seconds(column)
        elif column.dtype == object and (categorical is None or ident not in categorical) \
                and (times := _python_times_as_seconds(column, name)) is not None:
            converted[position], is_dates = times
            if is_dates:
                found_dates.append(ident)
        elif is_text(column):
            if categorical is not None:
                if ident not in categorical:
                    values = converted[position] = _predict_text_as_numbers(
                        column, name, ident in dates)
            elif not isinstance(column.dtype, pd.CategoricalDtype):
                values, is_dates = _text_as_numbers_or_dates(column)
                if values is not None:
                    converted[position] = values
                if is_dates:
                    found_dates.append(ident)
        elif pd.api.types.is_complex_dtype(column):
            raise ValueError(f"Complex data not supported: column {name!r} holds complex "
                             "numbers; pass their real and imaginary parts (or their "
                             "magnitude) as separate real columns.")
        elif categorical is not None and ident in dates and not pd.api.types.is_bool_dtype(
                column) and pd.api.types.is_numeric_dtype(column):
            values = converted[position] = _predict_numbers_as_dates(column, name)
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            values = column
            if isinstance(column.dtype, np.dtype) and not column.dtype.isnative:
                # pandas cannot take rows of a big-endian column (a trial's fold:
                # "Big-endian buffer not supported on little-endian compiler")
                values = converted[position] = column.astype(column.dtype.newbyteorder("="))
        if values is not None and np.isinf(values.to_numpy(dtype=float, na_value=np.nan)).any():
            _check_no_infinity([name])
    if converted:
        X = X.copy()
        for position, values in converted.items():
            X.isetitem(position, values)
    return X, tuple(found_dates)


def _is_duration(column) -> bool:
    """numpy's ``timedelta64`` or pyarrow's ``duration``."""
    arrow = getattr(column.dtype, "pyarrow_dtype", None)
    return pd.api.types.is_timedelta64_dtype(column) or str(arrow).startswith("duration[")


def _durations_as_seconds(column):
    if not pd.api.types.is_timedelta64_dtype(column):  # pyarrow's duration
        column = column.astype("timedelta64[ns]")
    return column.dt.total_seconds()


# What a cell may hold in an object column read as Python dates or durations.
_CONTAINERS = (list, tuple, dict, set, frozenset, np.ndarray)


def _python_times_as_seconds(column, name):
    """(seconds, whether they are dates) for an object column of Python
    ``date``/``datetime`` (seconds since 1970, as datetime columns) or ``timedelta``
    objects (seconds, as durations); None for any other column.

    Raises
    ------
    TypeError
        For cells that hold lists, dicts, sets or arrays: no model reads them.
    """
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("date", "datetime", "datetime64"):
        try:
            return datetimes_as_seconds(pd.to_datetime(column)), True
        except (TypeError, ValueError):  # mixed time zones, out of range: text
            return None
    if kind in ("timedelta", "timedelta64"):
        return pd.to_timedelta(column).dt.total_seconds(), False
    if kind.startswith("mixed"):
        found = column[column.map(lambda value: isinstance(value, _CONTAINERS))]
        if len(found):
            raise TypeError(
                f"Column {name!r} holds {type(found.iloc[0]).__name__} values (e.g. "
                f"{str(found.iloc[0])[:40]}); cells must be numbers, text, booleans or "
                "dates. Join each into one text value, or expand it into columns.")
    return None


# Values of a text column parsed before the whole column is (see _may_be_numbers).
NUMBERS_SAMPLE = 100


def _may_be_numbers(column) -> bool:
    """Whether every one of the first :data:`NUMBERS_SAMPLE` present values of a
    text column reads as a number: else the column is text, and parsing all of it
    (``pd.to_numeric``, ~0.1 s per 36,000 rows) is spared."""
    sample = column.dropna().iloc[:NUMBERS_SAMPLE]
    return bool(text_as_numbers(sample).notna().all())


def _text_as_numbers_or_dates(column):
    """(values, whether they are dates) for a text column at fit: numbers, where
    every present value is one or a duration as a CSV writes it (read as seconds:
    :func:`.reading.text_as_durations`), or seconds since 1970-01-01 UTC, where
    every one is an ISO 8601 date (as a CSV gives them); (None, False) for any
    other text.
    Predict and the exported script read such a column back the same way
    (:func:`.reading.csv_column_as_numbers`)."""
    if _may_be_numbers(column):
        numbers = text_as_numbers(column)
        if numbers.notna().sum() == column.notna().sum():
            return numbers, False
        # not numbers after all: dates whose first values were written 20210131 (found
        # by session 34's hunt: the same dates were dates or categories by row order)
    if not _may_be_dates(column):
        return None, False
    seconds = text_as_dates(column)
    if seconds.notna().sum() == column.notna().sum():
        return seconds, True
    return None, False


def _may_be_dates(column) -> bool:
    """Whether every one of the first :data:`NUMBERS_SAMPLE` present values of a
    text column is an ISO 8601 date."""
    sample = column.dropna().iloc[:NUMBERS_SAMPLE]
    return len(sample) > 0 and bool(text_as_dates(sample).notna().all())


def _predict_text_as_numbers(column, name, dates=False):
    """A column that was numeric at fit (``dates``: it held dates) but arrives as
    text at predict, as numbers (seconds since 1970).

    Read as the exported script reads a CSV column; values that are not numbers
    (dates) become missing, with a warning: a silent NaN would hide a column the
    user filled with something else.
    """
    numbers = csv_column_as_numbers(column, dates)
    _warn_lost(column, numbers, name, dates)
    return numbers


def _predict_numbers_as_dates(column, name):
    """A column that held dates at fit but arrives as numbers at predict (what
    ``pd.read_csv`` makes of 20210131): whole numbers read as the dates they write
    (ISO 8601's basic form), as the command line and the exported script read such
    a file; any other number missing, with a warning. Found by session 34's hunt:
    read as seconds since 1970, silently (predictions agreed on 30-45 % of rows)."""
    numbers = column.astype("Float64")
    whole = (numbers.notna() & (numbers % 1 == 0) & (numbers.abs() < 1e15)).fillna(False)
    seconds = text_as_dates(numbers.where(whole).astype("Int64").astype("string"))
    _warn_lost(column, seconds, name, dates=True)
    return seconds


def _warn_lost(column, values, name, dates):
    """Warn of the values of ``column`` that are missing in ``values`` (read as
    numbers, or as ``dates``), if any: a silent NaN would hide a column the user
    filled with something else."""
    lost = column.notna().to_numpy() & values.isna().to_numpy()
    if lost.any():
        example = column[lost].iloc[0]
        was, kind, fix = (("held dates", "dates", "ISO 8601 dates (2021-01-31)") if dates
                          else ("was numeric", "numbers", "numbers"))
        warn(
            f"Column {name!r} {was} at fit, but {int(lost.sum())} of its values at "
            f"predict are not {kind} (e.g. {str(example)[:40]!r}); they are read as "
            f"missing values. Convert the column to {fix} before predict.",
            DataConversionWarning)


def column_ids(X: pd.DataFrame) -> list:
    """The identifiers of the columns of frame X, in order, as :class:`DataProfile`
    holds them: their names when every name is a string, else their positions."""
    if all(isinstance(c, str) for c in X.columns):
        return list(X.columns)
    return list(range(X.shape[1]))


def column_kinds(X) -> tuple[tuple, tuple, tuple, tuple, tuple]:
    """(numeric, low-cardinality categorical, high-cardinality categorical, empty)
    columns, and the levels of each low-cardinality one (its distinct values, a
    missing value counted as one more: what a one-hot encoding of it needs).

    Empty: no value observed in any row (sparse X has none: its implicit zeros
    are values).

    Raises
    ------
    ValueError
        When every column is empty: there is nothing to learn from.
    """
    if sp.issparse(X):
        return tuple(range(X.shape[1])), (), (), (), ()
    if not isinstance(X, pd.DataFrame):
        observed = ~np.isnan(X).all(axis=0)
        kinds = (tuple(np.flatnonzero(observed).tolist()), (), (),
                 tuple(np.flatnonzero(~observed).tolist()), ())
    else:
        numeric, categorical, high, empty, levels = [], [], [], [], []
        for ident, (_, column) in zip(column_ids(X), X.items()):
            missing = column.isna()
            if missing.all():
                empty.append(ident)
            elif pd.api.types.is_bool_dtype(column) or (
                    pd.api.types.is_numeric_dtype(column)
                    and not isinstance(column.dtype, pd.CategoricalDtype)):
                numeric.append(ident)
            elif (distinct := column.nunique(dropna=True)) > HIGH_CARDINALITY:
                high.append(ident)
            else:
                categorical.append(ident)
                levels.append(int(distinct) + int(missing.any()))
        kinds = (tuple(numeric), tuple(categorical), tuple(high), tuple(empty),
                 tuple(levels))
    if len(kinds[3]) == X.shape[1]:
        raise ValueError(f"X has no observed values: all its {X.shape[1]} column(s) are missing "
                         "(NaN) in every row. Pass at least one column with values.")
    return kinds


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
    dtype = getattr(y, "dtype", None)
    if getattr(dtype if dtype is not None else np.asarray(y).dtype, "kind", "") == "c":
        # scikit-learn's words, without its dump of every value
        raise ValueError("Complex data not supported: y holds complex numbers; pass a real "
                         "target (their real part, or their magnitude).")
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    return y


def check_y_classification(X, y, estimator_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate class labels; return (encoded labels 0..k-1, classes)."""
    y = _check_y_common(X, y, estimator_name)
    _check_y_finite(y)
    # a label's kind depends on its type: one value per type is classified, not
    # every row (the dict keeps the last value of each type)
    types = (sorted({_label_kind(v) for v in {type(v): v for v in y}.values()})
             if y.dtype == object else ())
    if len(types) > 1:
        raise ValueError(f"Mix of label input types ({' and '.join(types)}) in y: class "
                         "labels must be all strings or all numbers. Convert them to one "
                         "type, e.g. y.astype(str).")
    if types in (["numeric"], ["boolean"]):
        y = _labels_of_one_type(y)
    kind = type_of_target(y)
    if kind == "unknown" and y.dtype == object and types == ["numeric"] \
            and all(isinstance(v, (int, np.integer)) for v in y):
        kind = "binary" if len(set(y)) <= 2 else "multiclass"  # integers beyond int64
    if kind not in ("binary", "multiclass"):
        # scikit-learn's wording, which its estimator checks look for
        hint = (" For a numeric target use AutoRegressor." if kind.startswith("continuous")
                else "")
        raise ValueError(f"Unknown label type: {kind}. {estimator_name} supports binary and "
                         f"multiclass targets (one label per row).{hint}")
    try:
        encoded, classes = encode_classes(y)
    except TypeError as exc:
        raise TypeError(f"Class labels in y must be all strings or all numbers: {exc}") from None
    if len(classes) < 2:
        raise ValueError(f"{estimator_name} needs samples of at least 2 classes in y; got only "
                         f"one class: {_plain(classes[0])!r}.")
    return encoded, classes


def check_y_regression(X, y, estimator_name: str) -> np.ndarray:
    """Validate a numeric target; return it as float64."""
    y = _check_y_common(X, y, estimator_name)
    if y.dtype.kind in "mM":  # numpy makes nanoseconds of them, silently
        raise ValueError(f"{estimator_name} needs a numeric target y; found {y.dtype} values. "
                         "Convert them to numbers first, e.g. seconds: "
                         "(y - y.min()).dt.total_seconds() for dates, y.dt.total_seconds() "
                         "for durations.")
    try:
        y = target_as_numbers(y)
    except (TypeError, ValueError):
        example = next((v for v in y if not _is_number(v) and not pd.isna(v)), None)
        if example is None:  # only missing values are not numbers
            _check_y_finite(y)
        raise ValueError(f"{estimator_name} needs a numeric target y; found "
                         f"{_plain(example)!r}. For class labels use AutoClassifier.") from None
    _check_y_finite(y)
    return y


def _labels_of_one_type(y):
    """Object labels that are all numbers or all booleans as numpy's array of them
    (int64, float64 or bool), which scikit-learn's ``type_of_target`` classifies (an
    object array of numbers is an "unknown" target to it); integers beyond int64
    stay Python integers."""
    values = np.asarray(y.tolist())
    if values.dtype.kind == "f" and all(isinstance(v, (int, np.integer)) for v in y):
        return np.asarray(y, dtype=object)  # [2**63, -1]: numpy makes floats of them
    return values if values.ndim == 1 else y


def _check_y_finite(y):
    """Raise for missing (NaN, None) or infinite values in y, naming how many."""
    missing = pd.isna(pd.Series(y, copy=False)).to_numpy()
    if missing.any():
        raise ValueError(f"Input y contains NaN or missing values ({int(missing.sum())} of "
                         f"{len(y)}); drop those rows or fill them before fit.")
    if y.dtype.kind in "fc" or y.dtype == object:
        if y.dtype == object:
            floats = np.array([v for v in y if isinstance(v, (float, np.floating))], dtype=float)
            infinite = np.isinf(floats)
        else:
            infinite = np.isinf(y)
        if infinite.any():
            raise ValueError(f"Input y contains infinity ({int(infinite.sum())} of {len(y)} "
                             "values); drop those rows or replace them by finite values "
                             "before fit.")


def _label_kind(value) -> str:
    if isinstance(value, (str, bytes)):
        return "string"
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    return "numeric" if _is_number(value) else type(value).__name__


def _plain(value):
    """A numpy scalar as the Python value it holds (its repr without ``np.float64(...)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


# ------------------------------------------------------------------- profile
def profile(X, y, task: str, dates=()) -> DataProfile:
    """Describe validated X (and encoded y) for the search; ``dates``: the columns
    of X that held dates (:func:`check_X_and_dates`)."""
    numeric, categorical, high, empty, levels = column_kinds(X)
    counts = tuple(np.bincount(y).tolist()) if task == "classification" else ()
    return DataProfile(
        task=task, n_rows=X.shape[0], n_features=X.shape[1], sparse=sp.issparse(X),
        numeric=numeric, categorical=categorical, high_cardinality=high,
        missing_fraction=missing_fraction(X), class_counts=counts, empty=empty,
        categorical_levels=levels, dates=tuple(dates),
        numeric_levels=numeric_levels(X, numeric))


def numeric_levels(X, numeric) -> tuple:
    """Distinct values of each of the ``numeric`` columns of validated X (missing
    apart), counted on at most :data:`LEVELS_SAMPLE_ROWS` of its rows; () for sparse X."""
    if sp.issparse(X) or not numeric:
        return ()
    rows = X.shape[0]
    sample = (np.arange(rows) if rows <= LEVELS_SAMPLE_ROWS else np.sort(
        np.random.default_rng(0).choice(rows, LEVELS_SAMPLE_ROWS, replace=False)))
    if isinstance(X, pd.DataFrame):
        wanted = set(numeric)
        positions = [j for j, ident in enumerate(column_ids(X)) if ident in wanted]
        values = X.iloc[sample, positions].to_numpy(dtype=float, na_value=np.nan)
    else:
        values = np.asarray(X[sample][:, list(numeric)], dtype=float)
    ordered = np.sort(values, axis=0)  # missing values last
    distinct = (np.diff(ordered, axis=0) != 0) & ~np.isnan(ordered[1:])
    return tuple((distinct.sum(axis=0) + ~np.isnan(ordered[0])).tolist())


def size_in_bytes(X) -> int:
    """Bytes ``X`` (as :func:`check_X` returns it) holds: a frame's columns, text
    counted by its strings; a sparse matrix's arrays; an array's buffer."""
    if isinstance(X, pd.DataFrame):
        return int(X.memory_usage(deep=True, index=False).sum())
    if sp.issparse(X):
        return int(sum(getattr(X, name).nbytes
                       for name in ("data", "indices", "indptr", "row", "col")
                       if hasattr(X, name)))
    return int(np.asarray(X).nbytes)


def take_rows(X, rows):
    """Rows of X (DataFrame, ndarray or sparse) by position."""
    return X.iloc[rows] if isinstance(X, pd.DataFrame) else X[rows]
