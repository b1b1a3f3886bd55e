"""The command line's data: the user's CSV files, the target and its task, tables written back.

Everything here raises :class:`CommandError` with a message that says what was
wrong and what to do; :mod:`.cli` turns it into one line on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from .estimators import CLASSIFICATION, REGRESSION, AutoClassifier, AutoRegressor
from .reading import is_text, read_rows
from .spaces.program import Node

# --task auto: a target of whole numbers is taken for class labels when it has at
# most this many distinct values, each seen in this many rows on average; more
# values (counts, years, prices) make it a regression target.
MAX_AUTO_CLASSES = 20
MIN_ROWS_PER_CLASS = 5
# A whole number as a CSV cell writes it, and one written with leading zeros: a code.
_INTEGER = r"[+-]?\d+"
_CODE = r"[+-]?0\d+"
# Column names listed in a message before it says "and N more".
LISTED_COLUMNS = 20


class CommandError(Exception):
    """A mistake the user can fix: one line on stderr, no traceback.

    ``exit_status`` 2: the command line must change; 1: a file or its data must.
    """

    def __init__(self, message: str, exit_status: int = 1):
        super().__init__(message)
        self.exit_status = exit_status


def read_csv(path: str, text=()) -> pd.DataFrame:
    """The rows of a CSV file with a header row; at least one row. The columns
    ``text`` (a model's categorical and date columns) are read as text, as the
    exported script reads them (:func:`.reading.read_rows`)."""
    file = Path(path)
    if not file.exists():
        raise CommandError(f"{path} not found; check the path of the CSV file")
    if not file.is_file():
        raise CommandError(f"{path} is not a file; pass a CSV file")
    try:
        frame = read_rows(file, text)
    except pd.errors.EmptyDataError:
        raise CommandError(f"{path} is empty; pass a CSV file with a header row and data "
                           "rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise CommandError(f"cannot read {path} as CSV ({type(exc).__name__}: "
                           f"{str(exc).strip()}); pass a "
                           "comma-separated UTF-8 file with a header row") from None
    if frame.empty:
        raise CommandError(f"{path} has no data rows (columns: {_listed(frame.columns)}); "
                           "pass a CSV file with rows below the header")
    return frame


def split_target(frame: pd.DataFrame, target: str, path: str,
                 task: str = "auto") -> tuple[pd.DataFrame, pd.Series]:
    """(features, target) of the rows whose target is known (the others are left out);
    ``task``: ``--task``."""
    if target not in frame.columns:
        raise CommandError(f"no column {target!r} in {path}; --target must be one of: "
                           f"{_listed(frame.columns)}")
    if frame.shape[1] == 1:
        raise CommandError(f"{path} has only the target column {target!r}; add feature "
                           "columns to learn from")
    y = _target_as_written(path, frame[target], task)
    known = y.notna().to_numpy()
    if not known.any():
        raise CommandError(f"target column {target!r} of {path} is empty in every row; "
                           "fill it in or pick another --target")
    y = y[known].reset_index(drop=True)
    if isinstance(y.dtype, pd.Int64Dtype):
        y = y.astype(np.int64)
    return frame[known].reset_index(drop=True).drop(columns=target), y


def _target_as_written(path, column: pd.Series, task: str = "auto") -> pd.Series:
    """The target ``column`` (as pandas read it) as the CSV file writes it.

    - Text (a value pandas does not read as a number): every value as written,
      only an empty cell missing: "NA" or "None" is a class, as the exported
      script reads text labels (pandas' defaults make them missing).
    - Numbers written with leading zeros ("007"): codes, the same text; for a
      regression (``task``, or what ``--task auto`` makes of the numbers), a cell
      pandas reads as missing ("NA") is missing.
    - Whole numbers between empty cells (which pandas reads as floats): integers,
      so that the classes stay 0 and 1, not 0.0 and 1.0.
    - Else as pandas read it.
    """
    text = pd.read_csv(path, usecols=[column.name], dtype=str, keep_default_na=False,
                       na_values=[""])[column.name]
    present = text[column.notna().to_numpy()].str.strip()
    if is_text(column) or (column.isna().all() and text.notna().any()):  # "NA", "None"...
        return text
    if present.str.fullmatch(_CODE).any():
        # numbers, some written with leading zeros: codes, as written, unless they are
        # a regression target (--task, or counts to --task auto), where what pandas
        # reads as missing ("NA", "n/a") is missing (found by session 34's hunt: "NA"
        # beside "0091" made the counts text, and every count a class)
        numbers = text.where(column.notna().to_numpy())
        if task == REGRESSION or task == "auto" and \
                decide_task(numbers.dropna())[0] == REGRESSION:
            return numbers
        return text
    if column.dtype.kind == "f" and present.str.fullmatch(_INTEGER).all():
        return column.astype("Int64")
    return column


def decide_task(y: pd.Series) -> tuple[str, str]:
    """``--task auto``: classification or regression for the target ``y``, and why.

    Text, categories and booleans are class labels (but text of whole numbers only,
    some written with leading zeros or beyond 64-bit integers, counts as whole
    numbers, each distinct text one); numbers with a fractional
    part are a regression target; whole numbers are class labels when there are
    two distinct values, or at most ``MAX_AUTO_CLASSES`` with at least
    ``MIN_ROWS_PER_CLASS`` rows per value on average, otherwise a regression
    target.
    """
    if is_text(y):
        text = y.astype(str).str.strip()
        if text.str.fullmatch(_INTEGER).all():
            # whole numbers read as text: some written with leading zeros ("0091",
            # kept so that classes keep them), or beyond int64, which floats would
            # merge. Their count decides, as the classes the fit would learn: one
            # "0091" among counts made classes of every value (session 34).
            why = (" (some written with leading zeros)" if text.str.fullmatch(_CODE).any()
                   else " (beyond 64-bit integers)")
            return _whole_numbers_task(text.nunique(), len(text), why)
        numbers = pd.to_numeric(y, errors="coerce")
        if numbers.isna().any():
            return CLASSIFICATION, "the target is not numeric"
        y = numbers  # fractional numbers among codes
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return CLASSIFICATION, "the target is not numeric"
    values = y.to_numpy(dtype=float)
    if not np.all(np.mod(values, 1) == 0):
        return REGRESSION, "the target has fractional numbers"
    return _whole_numbers_task(len(np.unique(values)), len(values))


def _whole_numbers_task(n_distinct: int, n_rows: int, why: str = "") -> tuple[str, str]:
    """:func:`decide_task`'s rule for ``n_distinct`` whole numbers in ``n_rows`` rows."""
    counted = f"the target has {n_distinct} distinct whole numbers{why} in {n_rows} rows"
    if n_distinct <= 2 or (n_distinct <= MAX_AUTO_CLASSES
                           and n_distinct * MIN_ROWS_PER_CLASS <= n_rows):
        return CLASSIFICATION, counted
    return REGRESSION, counted


def check_target(y: pd.Series, target: str, task: str):
    """Refuse a target that ``task`` cannot learn, before any fit."""
    distinct = y.unique()
    if len(distinct) < 2:
        what = "class" if task == CLASSIFICATION else "value"
        raise CommandError(f"target column {target!r} has a single {what} ({distinct[0]!r}) "
                           f"in all {len(y)} rows; it needs at least two to learn from")
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if task == REGRESSION and not numeric:
        raise CommandError(f"target column {target!r} is not numeric (e.g. {distinct[0]!r}); "
                           "regression needs numbers: use --task classification", exit_status=2)
    if task == CLASSIFICATION and numeric and not np.all(np.mod(distinct, 1) == 0):
        raise CommandError(f"target column {target!r} has fractional numbers; classification "
                           "needs class labels: use --task regression", exit_status=2)


def load_model(path: str):
    """The AutoClassifier / AutoRegressor that ``fit`` saved at ``path``.

    Raises
    ------
    CommandError
        When the file is missing or holds anything else.
    """
    if not Path(path).is_file():
        raise CommandError(f"model file {path} not found; pass the --output of "
                           "'automl-estimators fit'")
    not_ours = (f"{path} is not a model saved by 'automl-estimators fit'; pass the --output "
                "of a fit")
    try:
        model = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - an arbitrary file can fail to load in any way
        raise CommandError(f"{not_ours} (loading it failed: {type(exc).__name__})") from None
    if not isinstance(model, (AutoClassifier, AutoRegressor)):
        raise CommandError(f"{not_ours} (it holds a {type(model).__name__})")
    if not hasattr(model, "model_"):
        raise CommandError(f"{not_ours} (it holds an unfitted {type(model).__name__})")
    return model


def select_features(frame: pd.DataFrame, model, path: str) -> pd.DataFrame:
    """The columns ``model`` was fit on, in its order; other columns (the target) are
    ignored. A model fit without column names (on an array) takes the file's columns
    by position, named so: scikit-learn would warn that the rows have names, at
    every predict, where the user can do nothing about it."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        if frame.shape[1] != model.n_features_in_:  # a target column cannot be told apart
            raise CommandError(
                f"{path} has {frame.shape[1]} columns, but the model was fit on an array of "
                f"{model.n_features_in_} columns without names, which it reads by position: "
                "pass a CSV of exactly those columns, in their order (no target column)")
        return frame.set_axis(range(frame.shape[1]), axis=1)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise CommandError(f"{path} lacks {len(missing)} of the model's feature columns: "
                           f"{_listed(missing)}; pass data with the training columns")
    return frame[list(names)]


def leaderboard_table(leaderboard: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard with its configurations and fold scores as JSON text, for CSV."""
    table = leaderboard.copy()
    for column in ("config", "fold_scores"):
        table[column] = table[column].map(lambda value: json.dumps(value, default=_plain))
    return table


def _plain(value):
    """A numpy scalar as a Python number, a program tree as the nested lists it was
    written as before trees had node types; anything else JSON cannot write as text."""
    if isinstance(value, Node):
        return value.to_tuple()
    return value.item() if isinstance(value, np.generic) else str(value)


def _listed(names) -> str:
    names = [str(name) for name in names]
    shown = ", ".join(names[:LISTED_COLUMNS])
    more = len(names) - LISTED_COLUMNS
    return f"{shown} and {more} more" if more > 0 else shown
