"""How raw input values are read as the model's numbers and class indices.

The rules :mod:`automl_estimators.data` applies to X and y (which text columns
are numbers, datetimes as seconds, class labels as indices), as plain functions.
The script that :mod:`automl_estimators.export` writes reads its CSV files with
copies of these functions' source (``inspect.getsource``), so the script and the
estimator cannot read a column differently. Each function therefore uses only
the names the script binds: ``np``, ``pd``, ``sys``, ``LabelEncoder`` and the
other functions of this module; and their lines, copied as they are, stay within the
script's 88 columns (``source_code.WIDTH``).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sklearn.preprocessing import LabelEncoder


def is_text(column) -> bool:
    """Whether a pandas column holds text (object or string dtype)."""
    return column.dtype == object or pd.api.types.is_string_dtype(column)


def text_as_numbers(column):
    """A text column as floats: numbers, and durations as seconds
    (:func:`text_as_durations`); any other text becomes missing (NaN)."""
    numbers = pd.to_numeric(column, errors="coerce").astype(float)
    other = numbers.isna().to_numpy() & column.notna().to_numpy()
    if other.any():
        numbers[other] = text_as_durations(column[other]).to_numpy()
    return numbers


def text_as_durations(column):
    """Text of durations as pandas writes them to a CSV ("2 days 00:16:40.5",
    "-1 days +23:59:55") or in ISO 8601 ("P2DT16M40S") as seconds; any other
    text becomes missing (NaN), spaces around them ignored."""
    text = column.astype("string").str.strip()
    pandas_form = r"-?\d+ days? [+-]?\d{2}:\d{2}:\d{2}(\.\d+)?"
    iso_form = r"-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
    durations = text.str.fullmatch(f"{pandas_form}|{iso_form}").fillna(False)
    text = text.astype(object).where(durations.astype(bool), None)
    return pd.to_timedelta(text, errors="coerce").dt.total_seconds()


def datetimes_as_seconds(column):
    """A datetime column as seconds since 1970-01-01 (in its time zone, if any).

    A pyarrow-backed one (``timestamp[...]``, ``date32``, ``date64``: what
    ``read_parquet`` and ``dtype_backend="pyarrow"`` give) is read as numpy's
    ``datetime64[ns]`` first: pandas' arrow ``total_seconds`` overflowed on
    timestamps ("Integer value ... not in range"), and dates have no ``dt.tz``.
    """
    arrow = getattr(column.dtype, "pyarrow_dtype", None)
    if arrow is not None:
        tz = getattr(arrow, "tz", None)
        column = column.astype(pd.DatetimeTZDtype("ns", tz) if tz else "datetime64[ns]")
    # the epoch in the column's unit: in nanoseconds, dates past 2262 overflowed
    epoch = pd.Timestamp(0, tz=column.dt.tz).as_unit(column.dt.unit)
    return (column - epoch).dt.total_seconds()


def encode_classes(labels):
    """(class indices 0..k-1, classes), the classes sorted as ``np.unique`` sorts."""
    encoder = LabelEncoder()
    return encoder.fit_transform(labels), encoder.classes_


def text_as_dates(column):
    """Text of ISO 8601 calendar dates or times ("2021-01-31", "20210131",
    "2021-01-31T08:00Z"; spaces around them ignored) as seconds since 1970-01-01
    UTC; text that is not one becomes missing (NaN)."""
    text = column.astype("string").str.strip()
    return datetimes_as_seconds(pd.to_datetime(text, errors="coerce", utc=True,
                                               format="ISO8601"))


def csv_column_as_numbers(column, dates=False):
    """A CSV column that the model reads as numbers, as the estimator read it at fit:
    text as floats, or, for a column of ``dates`` at fit, as seconds since 1970
    (missing where it is neither)."""
    if not is_text(column):
        return column
    return text_as_dates(column) if dates else text_as_numbers(column)


def read_rows(path, text, target=None):
    """The rows of a CSV file, its columns ``text`` read as text.

    ``text``: column names, or positions among the columns other than ``target``:
    a model's categorical columns (a column of codes keeps them as written, "007",
    not 7, whatever the file's other rows hold: the categories the model knows) and
    those that held dates (20210131 is then a date, not a number).
    """
    if not text:
        return pd.read_csv(path)
    header = list(pd.read_csv(path, nrows=0).columns)
    features = [name for name in header if name != target]
    names = [features[c] if isinstance(c, int) and c < len(features) else c
             for c in text]
    return pd.read_csv(path, dtype=dict.fromkeys(names, str))


def columns_as_numbers(X, positions, dates=()):
    """``X`` with its columns at ``positions`` read as numbers, as the estimator reads
    them (those also at a position of ``dates`` as dates): a value that is not one
    is missing, with a warning on stderr.

    Raises
    ------
    ValueError
        ``X`` has no rows, or a column holds infinity (the estimator refuses both).
    """
    if len(X) == 0:
        raise ValueError("the CSV has no data rows below its header")
    for position in positions:
        column = X.iloc[:, position]
        numbers = csv_column_as_numbers(column, dates=position in dates)
        name = X.columns[position]
        lost = column.notna().to_numpy() & numbers.isna().to_numpy()
        if lost.any():
            held, kind = (("holds dates", "dates") if position in dates
                          else ("is numeric", "numbers"))
            example = str(column[lost].iloc[0])[:40]
            print(f"warning: column {name!r} {held}, but {int(lost.sum())} of its "
                  f"values are not {kind} (e.g. {example!r}); they are read as "
                  "missing values", file=sys.stderr)
        if np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan)).any():
            raise ValueError(f"column {name!r} holds infinity; replace it by an empty "
                             "cell (a missing value) or a finite value")
        X.isetitem(position, numbers)
    return X


def features_by_name(frame, names, categorical, dates=()):
    """The columns ``names`` of a CSV's rows; all but ``categorical`` as numbers
    (``dates`` as seconds since 1970).

    Raises
    ------
    ValueError
        A column of ``names`` is missing.
    """
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"the CSV lacks the feature column(s) {missing}")
    numeric = [p for p, name in enumerate(names) if name not in categorical]
    in_dates = [p for p, name in enumerate(names) if name in dates]
    return columns_as_numbers(frame[list(names)].copy(), numeric, in_dates)


def features_by_position(frame, n_features, categorical, dates=()):
    """All columns of a CSV's rows; those not at a ``categorical`` position as numbers
    (those at a position of ``dates`` as seconds since 1970).

    Raises
    ------
    ValueError
        The rows do not have ``n_features`` columns.
    """
    if frame.shape[1] != n_features:
        raise ValueError(f"the model needs {n_features} feature columns besides the "
                         f"target, the CSV has {frame.shape[1]}")
    numeric = [p for p in range(n_features) if p not in categorical]
    return columns_as_numbers(frame.copy(), numeric, dates)


def target_as_numbers(target):
    """A regression target as float64 values."""
    return np.asarray(target, dtype=np.float64)
