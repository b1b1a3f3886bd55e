"""Export a fitted estimator's final model as a standalone, readable Python script.

:func:`export` writes a script around the code of ``model_`` (rendered by
:mod:`automl_estimators.source_code`): a header saying what was fitted and how,
the model's imports, a ``build_model`` function, and a command line that reads a
CSV the way the estimator reads its input (column kinds, text as numbers,
label-encoded classes), fits the model and writes predictions. The script reads
its CSV files with copies of :mod:`automl_estimators.reading`'s functions, the
rules the estimator itself applies, so the two cannot drift apart.

The generated code imports scikit-learn, xgboost, numpy and pandas, and this
package only for its own components (classes and functions whose module starts
with ``automl_estimators``); the script says so where it imports them.

:func:`to_source` and :class:`Source` are re-exported from
:mod:`automl_estimators.source_code`.
"""

from __future__ import annotations

import inspect
import platform
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from sklearn.base import is_classifier
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from . import reading
from .source_code import INDENT, SCRIPT_NAMES, WIDTH, Imports, Source, to_source

__all__ = ["Source", "export", "script", "to_source"]

REFIT_NOTES = {
    "all rows": "refit on all {rows} training rows, as this script does",
    "part of the rows": "refit on a random share of the {rows} training rows (the refit "
                        "on all of them was not expected to finish within the budget); "
                        "this script fits on all rows, so its predictions can differ "
                        "from the estimator's",
    "search-time model": "the model fitted during search on part of the rows (the refit "
                         "on all {rows} rows did not finish within the budget, or failed "
                         "its check against the search's model); this "
                         "script fits on all rows, so its predictions can differ from "
                         "the estimator's",
    "dummy": "the dummy fallback (no pipeline beat it within the budget), fitted on all "
             "{rows} rows",
}


def export(estimator, path) -> Path:
    """Write a standalone Python script that rebuilds, fits and applies ``estimator.model_``.

    The script runs as ``python SCRIPT TRAIN.csv [--target COLUMN] [--predict
    TEST.csv] [--output PREDICTIONS.csv]``: it reads the training CSV as the
    estimator reads its input (the same columns, text as numbers except for
    the categorical columns, classes encoded as ``LabelEncoder`` does), fits the
    model on all its rows and writes predictions for TEST.csv (default: the
    training rows) to PREDICTIONS.csv (default: standard output).

    Parameters
    ----------
    estimator : AutoClassifier or AutoRegressor
        A fitted estimator.
    path : str or path-like
        The file to write (overwritten if it exists).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        The estimator is not fitted.
    OSError
        ``path`` cannot be written.
    """
    check_is_fitted(estimator)
    text = script(estimator)
    path = Path(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OSError(f"Cannot write the exported script to {str(path)!r}: "
                      f"{exc.strerror or exc}. Give a file path in an existing, writable "
                      "folder.") from exc
    return path


def script(estimator) -> str:
    """The text of the script :func:`export` writes."""
    check_is_fitted(estimator)
    if not hasattr(estimator, "profile_"):
        raise TypeError(f"export needs a fitted AutoClassifier or AutoRegressor, got "
                        f"{type(estimator).__name__}; for any other estimator, to_source "
                        "gives the code that builds it.")
    classification = is_classifier(estimator)
    by_name = hasattr(estimator, "feature_names_in_")
    if by_name and "" in [str(name) for name in estimator.feature_names_in_]:
        raise ValueError("Cannot export a model fitted on a column with an empty name: a "
                         "CSV header cannot hold it (pandas reads it as 'Unnamed: N'). "
                         "Rename the column and fit again.")
    imports = Imports(reserved=SCRIPT_NAMES)
    # encode_classes, copied into the script, calls LabelEncoder by this name.
    if classification and imports.name_of(LabelEncoder) != "LabelEncoder":
        raise RuntimeError("LabelEncoder must be the first name the script imports.")
    model = to_source(estimator.model_, indent=INDENT, column=len(INDENT + "return "),
                      imports=imports)
    _check_round_trip(estimator.model_, model)
    text = "\n".join([
        _header(estimator, model),
        "import argparse",
        "import sys",
        "",
        "import numpy as np",
        "import pandas as pd",
        *imports.statements(own=False),
        *_own_imports(imports),
        "",
        *_column_constants(estimator),
        "",
        "",
        "def build_model():",
        f'{INDENT}"""The final model, unfitted."""',
        f"{INDENT}return {model.code}",
        "",
        "",
        *_helpers(classification, by_name),
        _main(classification, by_name, _label_kind(estimator)),
        "",
        "",
        'if __name__ == "__main__":',
        f"{INDENT}main()",
        "",
    ])
    compile(text, "<exported script>", "exec")
    return text


def _check_round_trip(model, source: Source) -> None:
    """The generated code must build a model with the same parameters as ``model``."""
    rebuilt = source.build()
    again = to_source(rebuilt, indent=INDENT, column=len(INDENT + "return "))
    if again.code != source.code:
        raise RuntimeError(
            f"The exported code does not rebuild {type(model).__name__} with the same "
            "parameters (a parameter has no faithful code form); please report this "
            f"with the model's repr:\n{model!r}")


def _header(estimator, model: Source) -> str:
    profile, plan = estimator.profile_, estimator.search_plan_
    task = (f"classification ({len(estimator.classes_)} classes)"
            if is_classifier(estimator) else "regression")
    target = getattr(estimator, "target_name_", None)
    if plan.resampling == "cv":
        validation = f"{plan.n_folds}-fold cross-validation"
    else:
        validation = f"holdout of {plan.holdout_fraction:.0%} of the rows"
    config = estimator.best_config_
    describe = estimator.search_space_.describe(config) if config else "dummy (fallback)"
    ensemble = getattr(estimator, "ensemble_", None)
    if ensemble is not None:
        describe = (f"weighted ensemble of {len(ensemble.estimators)} pipelines; the best: "
                    f"{describe}")
    refit = getattr(estimator, "refit_", "all rows")
    versions = [f"python {platform.python_version()}"]
    for package in ("scikit-learn", "xgboost", "numpy", "pandas"):
        versions.append(f"{package} {_version(package)}")
    if model.own_names:
        versions.append(f"automl-estimators {_version('automl-estimators')}")
    lines = [
        (f"Final model of {type(estimator).__name__}, exported "
         f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}."),
        "",
        f"Data: {profile.n_rows} rows x {profile.n_features} columns, {task}"
        + (f", target {to_source(target).code}" if target is not None else ""),
        (f"Metric: {estimator.metric_}, validation score {estimator.best_score_:.4f} "
         f"({validation})"),
        f"Final pipeline: {describe}",
        f"Final model: {REFIT_NOTES[refit].format(rows=profile.n_rows)}",
        f"random_state: {estimator.random_state!r}",
        f"Versions: {', '.join(versions)}",
        "",
        "Usage: python THIS_FILE.py TRAIN.csv"
        + (" [--target COLUMN]" if target is not None else " --target COLUMN"),
        "           [--predict TEST.csv] [--output PREDICTIONS.csv]",
        ("Fits the model on TRAIN.csv and writes predictions for TEST.csv (default: the "
         "training rows) to PREDICTIONS.csv (default: standard output)."),
    ]
    return "\n".join(line for text in lines for line in _wrap_comment(text)) + "\n"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _own_imports(imports: Imports) -> list[str]:
    statements = imports.statements(own=True)
    if not statements:
        return []
    note = (f"automl_estimators is imported only for its own components: "
            f"{', '.join(imports.own_names)}.")
    install = f"pip install automl-estimators=={_version('automl-estimators')}"
    return ["", *_wrap_comment(note), f"# ({install})", *statements]


def _wrap_comment(text: str) -> list[str]:
    """``text`` as comment lines within WIDTH columns (an empty text: a bare ``#``)."""
    if not text or len(text) + 2 <= WIDTH:
        return [f"# {text}".rstrip()]
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > WIDTH and line != "#":
            lines.append(line)
            line = "#  "  # continuation lines indented under the text
        line += word if line == "#  " else " " + word
    return lines + [line]


def _column_constants(estimator) -> list[str]:
    target = getattr(estimator, "target_name_", None)
    profile = estimator.profile_
    categorical = list(profile.all_categorical)

    def constant(name, value):
        return f"{name} = " + to_source(value, column=len(name + " = ")).code

    lines = ["# The target column: the name of y at fit (--target overrides it)."
             if target is not None else "# y had no name at fit: --target names the column.",
             constant("TARGET", target)]
    if hasattr(estimator, "feature_names_in_"):
        lines += ["# The feature columns the model was fit on, in order, and those it reads as",
                  "# categories; every other text column is read as numbers (as",
                  "# automl_estimators.data.check_X does).",
                  constant("FEATURES", [str(name) for name in estimator.feature_names_in_])]
    else:
        lines += ["# The model selects columns by position: the CSV's columns other than the",
                  "# target, in order. CATEGORICAL: the positions it reads as categories; every",
                  "# other text column is read as numbers (as automl_estimators.data.check_X",
                  "# does).",
                  constant("N_FEATURES", int(estimator.n_features_in_))]
    lines.append(constant("CATEGORICAL", categorical))
    lines += ["# The columns that held dates at fit: read as ISO 8601 dates (2021-01-31),",
              "# seconds since 1970, as the estimator reads them.",
              constant("DATES", list(profile.dates))]
    return lines


def _helpers(classification: bool, by_name: bool) -> list[str]:
    """The source of the reading functions the script's ``main`` calls, callees first."""
    functions = [reading.is_text, reading.text_as_durations, reading.text_as_numbers,
                 reading.datetimes_as_seconds,
                 reading.text_as_dates, reading.csv_column_as_numbers, reading.read_rows,
                 reading.columns_as_numbers,
                 reading.features_by_name if by_name else reading.features_by_position,
                 reading.encode_classes if classification else reading.target_as_numbers]
    lines = []
    for function in functions:
        lines += [inspect.getsource(function).rstrip("\n"), "", ""]
    return lines


def _label_kind(estimator) -> str | None:
    """How the script reads the class labels: ``"text"`` (only an empty cell
    missing: "None", "NA" or "null" are labels, and "01" stays "01", where pandas'
    defaults read them otherwise), ``"integer"`` (whole numbers, which pandas reads
    as floats when some cells are empty), or None (as pandas reads them)."""
    if not is_classifier(estimator):
        return None
    kind = np.asarray(estimator.classes_).dtype.kind
    return {"O": "text", "U": "text", "S": "text", "i": "integer", "u": "integer"}.get(kind)


def _main(classification: bool, by_name: bool, labels: str | None = None) -> str:
    """The script's command line: read the CSV files, fit, predict, write; the class
    labels read as :func:`_label_kind` says."""
    read = ("features_by_name({}, FEATURES, CATEGORICAL, DATES)" if by_name
            else "features_by_position({}, N_FEATURES, CATEGORICAL, DATES)")
    if classification:
        fit_predict = '''    # The model is trained on class indices 0..k-1, as the estimator is.
    indices, classes = encode_classes(train[args.target])
    model = build_model().fit(X, indices)
    predictions = classes[np.asarray(model.predict(X_new), dtype=int)]'''
    else:
        fit_predict = '''    model = build_model().fit(X, target_as_numbers(train[args.target]))
    predictions = np.asarray(model.predict(X_new), dtype=np.float64)'''
    read_labels = {"text": '''\
    # The class labels are text: "None" or "NA" is a label, not a missing value.
    train[args.target] = pd.read_csv(args.train, usecols=[args.target], dtype=str,
                                     keep_default_na=False, na_values=[""])[args.target]
'''}.get(labels, "")
    whole_labels = {"integer": '''    labels = train[args.target]
    if labels.dtype.kind == "f" and (labels % 1 == 0).all():
        # whole numbers, read as floats because of empty cells: the classes are integers
        train[args.target] = labels.astype(np.int64)
'''}.get(labels, "")
    return '''def main(argv=None):
    parser = argparse.ArgumentParser(description="Fit the exported model and predict.")
    parser.add_argument("train", help="CSV file of the feature columns and the target")
    parser.add_argument("--target", default=TARGET, required=TARGET is None,
                        help="name of the target column (default: %(default)s)")
    parser.add_argument("--predict", help="CSV file of the rows to predict "
                                          "(default: the training file)")
    parser.add_argument("--output", default=sys.stdout,
                        help="CSV file for the predictions (default: standard output)")
    args = parser.parse_args(argv)
    # The categorical and date columns are read as text, whatever the other rows hold.
    train = read_rows(args.train, CATEGORICAL + DATES, args.target)
    if args.target not in train.columns:
        parser.error(f"no column {args.target!r} in {args.train}")
READ_LABELS    # Rows without a target value are left out, as the command line's fit does.
    train = train[train[args.target].notna()]
WHOLE_LABELS    features = train.drop(columns=[args.target])
    rows = train
    if args.predict:
        rows = read_rows(args.predict, CATEGORICAL + DATES, args.target)
    rows = rows.drop(columns=[args.target], errors="ignore")
    try:
        X = READ_FEATURES
        X_new = READ_ROWS
    except ValueError as exc:
        sys.exit(f"error: {exc}")
'''.replace("READ_LABELS", read_labels).replace("WHOLE_LABELS", whole_labels).replace(
        "READ_FEATURES", read.format("features")).replace(
        "READ_ROWS", read.format("rows")) + fit_predict + '''
    pd.DataFrame({args.target: predictions}).to_csv(args.output, index=False)'''
