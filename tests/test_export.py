"""Export of the final model as a standalone script, as a demanding user checks it.

End to end: fit with a tiny budget on slices of shared datasets with every
registered search strategy, export, run the script on CSV files, and compare its
predictions with the estimator's: in a fresh interpreter once per dataset (the
script stands alone), in this process for the other cases (what the script does,
without an interpreter start's seconds of imports). Then the renderer
on hand-built estimators: non-default parameters only, imported names, code
that compiles and rebuilds the same parameters, the layout, the header.
"""

import ast
import contextlib
import copy
import functools
import importlib.util
import inspect
import io
import os
import pickle
import runpy
import subprocess
import sys
import traceback
import warnings
from dataclasses import InitVar, dataclass
from datetime import date
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector, make_column_transformer
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectPercentile, f_regression
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from xgboost import XGBClassifier

import automl_estimators
from automl_estimators import AutoClassifier, AutoRegressor, reading
from automl_estimators.data import (
    check_X,
    check_X_and_dates,
    check_y_classification,
    check_y_regression,
)
from automl_estimators.ensemble import EnsembleRegressor
from automl_estimators.export import script
from automl_estimators.pipelines import build_pipeline
from automl_estimators.pipelines.components import RBFSVMClassifier, StackingTransformer
from automl_estimators.pipelines.preprocessing import FrequencyEncoder, categories_as_strings
from automl_estimators.search import STRATEGIES
from automl_estimators.source_code import SCRIPT_NAMES, WIDTH, Imports, to_source
from automl_estimators.spaces import Space
from automl_estimators.spaces.program import TRANSFORMS, program_from_config
from tests.conftest import SLACK_BUDGET, load

# dataset -> (estimator class, rows to fit on, models searched, metric). Two models
# leave the strategy some proposals within max_trials; balanced accuracy makes
# any real model beat the dummy, so the final model is a refit pipeline.
DATASETS = {
    "credit-g": (AutoClassifier, 150, ["logistic_regression", "rbf_svm"], "balanced_accuracy"),
    "vehicle": (AutoClassifier, 150, ["xgboost", "knn"], "balanced_accuracy"),
    "auto_mpg": (AutoRegressor, 150, ["ridge", "hist_gradient_boosting"], None),
}
TEST_ROWS = 50


@functools.cache
def fitted(dataset, strategy):
    """(estimator fitted on the first rows, train rows, test rows) for one case."""
    estimator_class, n_rows, include, metric = DATASETS[dataset]
    X, y = load(dataset, n_rows + TEST_ROWS)
    train, test = slice(0, n_rows), slice(n_rows, None)
    # max_trials ends the fit, not the clock: a budget that never binds leaves the
    # refit on all rows its time on a loaded machine too
    estimator = estimator_class(time_budget=SLACK_BUDGET, max_trials=4, n_jobs=1,
                                random_state=0, search=strategy, include=include,
                                metric=metric)
    estimator.fit(X[train], y[train])
    return estimator, pd.concat([X[train], y[train]], axis=1), X[test]


# The folder holding the automl_estimators package under test.
PACKAGE_ROOT = Path(automl_estimators.__file__).resolve().parents[1]


def run_script(path, *args):
    """``python PATH ARGS`` in a fresh interpreter: the finished process. What shows
    the script standalone (nothing of this process's imports or state)."""
    # The script must import the package under test, not another installed checkout.
    paths = [str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run([sys.executable, str(path), *map(str, args)], check=False,
                          capture_output=True, text=True, timeout=120, env=env)


def run_script_here(path, *args):
    """The script run as ``python PATH ARGS`` runs it, in this process: its exit status,
    stdout and stderr as :func:`run_script` gives them, without the interpreter start
    (2.5-5 s of CPU for scikit-learn's imports, torch's too for a network's). For the
    cases that check what the script does; a fresh process is :func:`run_script`'s."""
    argv = [str(path), *map(str, args)]
    out, err = io.StringIO(), io.StringIO()
    with mock.patch.object(sys, "argv", argv), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err), warnings.catch_warnings():
        # as a fresh interpreter would: every warning shown, once, on stderr
        warnings.resetwarnings()
        warnings.simplefilter("default")
        try:
            runpy.run_path(str(path), run_name="__main__")
            status = 0
        except SystemExit as exit_:  # what the interpreter makes of sys.exit(code)
            if exit_.code is None or isinstance(exit_.code, int):
                status = exit_.code or 0
            else:  # a message: printed, status 1
                print(exit_.code, file=sys.stderr)
                status = 1
        except Exception:  # noqa: BLE001 - a traceback and status 1, as uncaught
            traceback.print_exc()
            status = 1
    return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())


def assert_same_predictions(estimator, predicted, X_test):
    expected = estimator.predict(X_test)
    if isinstance(estimator, AutoClassifier):
        assert list(predicted) == list(expected)
    else:
        np.testing.assert_allclose(predicted, expected, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- end to end
# the strategies that search pipelines (the others search networks only, which the
# models of DATASETS leave out: a ParameterError)
@pytest.mark.parametrize("strategy", sorted(name for name, strategy in STRATEGIES.items()
                                            if not strategy.networks_only))
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_exported_script_reproduces_the_estimators_predictions(dataset, strategy, tmp_path):
    estimator, train, X_test = fitted(dataset, strategy)
    # Only a model refit on all rows can be reproduced by the script's own fit.
    assert estimator.refit_ == "all rows", estimator.leaderboard_
    path = estimator.export(tmp_path / "best_pipeline.py")
    train.to_csv(tmp_path / "train.csv", index=False)
    X_test.to_csv(tmp_path / "test.csv", index=False)
    # a fresh interpreter once per dataset; the other strategies' scripts in this one
    run = run_script if strategy == "random" else run_script_here
    done = run(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
               "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predictions.csv")
    assert list(predicted.columns) == ["target"] and len(predicted) == len(X_test)
    assert_same_predictions(estimator, predicted["target"].to_numpy(), X_test)


def test_a_target_named_after_a_feature_is_not_the_script_s_default_target(tmp_path):
    """y = X["a"] > 0 keeps the name "a": as the script's default target it made the
    script read column "a" as the target and then fail ("the CSV lacks the feature
    column(s) ['a']"). Found in session 27. The script then asks for --target."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    y = (X["a"] > 0).map({False: "neg", True: "pos"})
    assert y.name == "a"
    estimator = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=2, search="random",
                               n_jobs=1, random_state=0).fit(X, y)
    assert estimator.target_name_ is None
    path = estimator.export(tmp_path / "model.py")
    X.assign(label=y).to_csv(tmp_path / "train.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--target", "label",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predictions.csv")
    assert_same_predictions(estimator, predicted.iloc[:, 0].to_numpy(), X)


def test_class_labels_that_pandas_reads_as_missing_or_numbers_stay_labels(tmp_path):
    """Labels "None", "NA" and "007" at fit: the script read the first two as missing
    values (its predictions wrote "" for a third of the rows) and "007" as 7. Found
    in session 31. Text labels are now read as text, only an empty cell missing."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=150)})
    y = pd.Series(np.array(["None", "NA", "007"])[np.digitize(X["a"], [-0.5, 0.5])],
                  name="severity")
    estimator = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=2, search="random",
                               n_jobs=1, random_state=0, resampling="holdout").fit(X, y)
    assert estimator.refit_ == "all rows"
    path = estimator.export(tmp_path / "model.py")
    X.assign(severity=y).to_csv(tmp_path / "train.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--output",
                           tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predictions.csv", dtype=str, keep_default_na=False)
    assert set(predicted["severity"]) <= {"None", "NA", "007"}
    assert_same_predictions(estimator, predicted["severity"].to_numpy(), X)


def test_the_script_leaves_out_rows_without_a_target(tmp_path):
    """Found (session 32): the script trained on them (a regression raised "Input y
    contains NaN"; a classifier learned NaN as a class), where the command line's
    fit leaves them out."""
    from automl_estimators import AutoRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80)})
    y = pd.Series(2 * X["a"] + 1, name="price")
    estimator = AutoRegressor(time_budget=SLACK_BUDGET, max_trials=1, search="random",
                              n_jobs=1, random_state=0, include=["ridge"]).fit(X, y)
    path = estimator.export(tmp_path / "model.py")
    X.assign(price=y.where(np.arange(80) % 10 != 0)).to_csv(tmp_path / "train.csv",
                                                            index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "train.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(tmp_path / "predictions.csv")) == 80


def test_a_small_table_s_script_fits_quantiles_and_kernel_features_without_warnings(tmp_path):
    """Found (session 52): on fewer rows than the configuration's quantiles (1000 by
    default) or Nystroem components, the script's fit printed scikit-learn's
    "n_quantiles (1000) is greater than the total number of samples" and
    "n_components > n_samples" warnings; the pipeline now asks for one per row
    there (``Component.row_bounded``), the model scikit-learn fitted anyway."""
    from automl_estimators import AutoClassifier

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    y = pd.Series(np.where(X["a"] + X["b"] > 0, "yes", "no"), name="label")
    estimator = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=1, search="random",
                               n_jobs=1, random_state=0, resampling="holdout",
                               include=["quantile", "nystroem", "logistic_regression"]).fit(X, y)
    assert estimator.leaderboard_["status"].eq("ok").all()
    path = estimator.export(tmp_path / "model.py")
    source = path.read_text()
    assert "n_quantiles=80," in source and "n_components=80," in source
    X.assign(label=y).to_csv(tmp_path / "train.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "train.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    assert_same_predictions(estimator, pd.read_csv(tmp_path / "predictions.csv")["label"], X)


def test_the_script_reads_bad_predict_files_as_the_estimator_does(tmp_path):
    """Found (session 32): a header-only or infinite-valued predict CSV gave
    scikit-learn tracebacks, and "12%" in a numeric column was missing without the
    warning the estimator gives. Now: one error line, or the warning on stderr."""
    from automl_estimators import AutoRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    y = pd.Series(2 * X["a"] + 1, name="price")
    estimator = AutoRegressor(time_budget=SLACK_BUDGET, max_trials=1, search="random",
                              n_jobs=1, random_state=0, include=["ridge"]).fit(X, y)
    path = estimator.export(tmp_path / "model.py")
    X.assign(price=y).to_csv(tmp_path / "train.csv", index=False)
    for name, rows, error in [("header.csv", "a,b\n", "the CSV has no data rows"),
                              ("inf.csv", "a,b\n1,inf\n2,3\n", "column 'b' holds infinity")]:
        (tmp_path / name).write_text(rows)
        done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / name)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.strip() == f"error: {error}" + (
            "; replace it by an empty cell (a missing value) or a finite value"
            if "infinity" in error else " below its header")
    (tmp_path / "percent.csv").write_text("a,b\n1,12%\n2,3\n")
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "percent.csv")
    assert done.returncode == 0, done.stderr
    assert "column 'b' is numeric, but 1 of its values are not numbers (e.g. '12%')" \
        in done.stderr
    assert len(pd.read_csv(io.StringIO(done.stdout))) == 2


def test_a_column_with_an_empty_name_is_refused_at_export(tmp_path):
    X = pd.DataFrame({"": np.arange(40.0), "b": np.arange(40.0) % 3})
    estimator = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=1, search="random",
                               n_jobs=1, random_state=0).fit(X, np.arange(40) % 2)
    with pytest.raises(ValueError, match="column with an empty name.*Rename the column"):
        estimator.export(tmp_path / "model.py")
    assert not (tmp_path / "model.py").exists()


def test_script_of_a_numpy_fit_selects_the_csv_columns_by_position(tmp_path, capsys):
    X, y = load("credit-g", 150 + TEST_ROWS)
    estimator = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=2, search="random",
                               n_jobs=1, random_state=0, include=["logistic_regression"],
                               metric="balanced_accuracy")
    # An object array: categorical columns are known by position only.
    estimator.fit(X[:150].to_numpy(), y[:150].to_numpy())
    assert estimator.refit_ == "all rows" and estimator.target_name_ is None
    assert estimator.profile_.categorical and not hasattr(estimator, "feature_names_in_")
    path = estimator.export(tmp_path / "model.py")
    frame = X.set_axis([f"column {j}" for j in range(X.shape[1])], axis=1)
    frame[:150].assign(label=y[:150]).to_csv(tmp_path / "train.csv", index=False)
    frame[150:].to_csv(tmp_path / "test.csv", index=False)
    # In this process: the end-to-end tests above run scripts in their own.
    script_module = load_script(path)
    script_module.main([str(tmp_path / "train.csv"), "--target", "label",
                        "--predict", str(tmp_path / "test.csv"),
                        "--output", str(tmp_path / "out.csv")])
    assert_same_predictions(estimator, pd.read_csv(tmp_path / "out.csv")["label"],
                            X[150:].to_numpy())
    # No target name was seen at fit: --target is required.
    with pytest.raises(SystemExit):
        script_module.main([str(tmp_path / "train.csv")])
    assert "--target" in capsys.readouterr().err


def load_script(path):
    """The exported script as a module (its main not run)."""
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_predicts_the_training_rows_to_stdout_and_rejects_missing_columns(
        tmp_path, capsys):
    estimator, train, _ = fitted("auto_mpg", "random")
    script_module = load_script(estimator.export(tmp_path / "model.py"))
    train.to_csv(tmp_path / "train.csv", index=False)
    script_module.main([str(tmp_path / "train.csv")])
    predicted = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(predicted.columns) == ["target"]
    assert_same_predictions(estimator, predicted["target"].to_numpy(), train.drop(columns="target"))
    column = estimator.feature_names_in_[0]
    train.drop(columns=[column]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(SystemExit, match=f"lacks the feature column.*{column}"):
        script_module.main([str(tmp_path / "short.csv")])


# Configurations as fits before this version recorded them in best_config_ (flat
# dicts): exporting a model built from one must keep reproducing its predictions.
OLD_CONFIGS = {
    "credit-g": {
        "imputation": "simple_imputer", "imputation:simple_imputer:strategy": "mean",
        "imputation:simple_imputer:add_indicator": False, "scaling": "standard",
        "encoding": "one_hot", "encoding:one_hot:min_frequency": 0.01,
        "features": "no_features", "model": "logistic_regression",
        "model:logistic_regression:C": 1.0, "model:logistic_regression:class_weight": None,
    },
    "auto_mpg": {
        "imputation": "simple_imputer", "imputation:simple_imputer:strategy": "mean",
        "imputation:simple_imputer:add_indicator": False, "scaling": "standard",
        "features": "no_features", "model": "hist_gradient_boosting",
        "model:hist_gradient_boosting:learning_rate": 0.05,
        "model:hist_gradient_boosting:max_iter": 512,
        "model:hist_gradient_boosting:max_leaf_nodes": 31,
        "model:hist_gradient_boosting:min_samples_leaf": 20,
        "model:hist_gradient_boosting:l2_regularization": 1e-10,
        "model:hist_gradient_boosting:max_features": 1.0,
        "model:hist_gradient_boosting:early_stopping": True,
    },
    # a model standardising its own columns inside the target's wrapper:
    # TransformedTargetRegressor(make_pipeline(StandardScaler(), SGDRegressor()))
    "auto_mpg:sgd": {
        "imputation": "simple_imputer", "imputation:simple_imputer:strategy": "mean",
        "imputation:simple_imputer:add_indicator": False, "scaling": "no_scaling",
        "features": "no_features", "model": "sgd", "model:sgd:loss": "squared_error",
        "model:sgd:alpha": 1e-4, "model:sgd:average": False,
    },
}


@pytest.mark.parametrize("dataset", sorted(OLD_CONFIGS))
def test_an_old_fits_configuration_exports_and_reproduces_its_predictions(dataset, tmp_path):
    estimator, train, X_test = fitted(dataset.split(":")[0], "random")
    estimator = pickle_copy(estimator)
    config = OLD_CONFIGS[dataset]
    X = check_X(train.drop(columns="target"))
    if isinstance(estimator, AutoClassifier):
        y, _ = check_y_classification(X, train["target"], "test")
    else:
        y = check_y_regression(X, train["target"], "test")
    space, profile = estimator.search_space_, estimator.profile_
    if config["model"] not in space.models:  # a model the fit's include left out
        space = Space.for_profile(space.task, profile, seed=0)
    estimator.model_ = build_pipeline(config, space, profile, random_state=0).fit(X, y)
    estimator.best_config_ = config
    path = estimator.export(tmp_path / "old.py")
    train.to_csv(tmp_path / "train.csv", index=False)
    X_test.to_csv(tmp_path / "test.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predictions.csv")["target"].to_numpy()
    assert_same_predictions(estimator, predicted, X_test)


# ------------------------------------------------------ the script's helpers
def script_module(estimator, tmp_path):
    path = tmp_path / "script.py"
    path.write_text(script(estimator), encoding="utf-8")
    return load_script(path)


def test_script_reads_with_copies_of_the_packages_reading_functions(tmp_path):
    classifier, regressor = fitted("credit-g", "random")[0], fitted("auto_mpg", "random")[0]
    common = [reading.is_text, reading.text_as_durations, reading.text_as_numbers,
              reading.datetimes_as_seconds, reading.csv_column_as_numbers,
              reading.features_by_name]
    for estimator, own in ((classifier, reading.encode_classes),
                           (regressor, reading.target_as_numbers)):
        text = script(estimator)
        for function in [*common, own]:
            assert inspect.getsource(function) in text, function.__name__


def test_script_reads_a_csv_as_the_estimator_reads_the_frame_it_came_from(tmp_path):
    module = script_module(fitted("credit-g", "random")[0], tmp_path)
    frame = pd.DataFrame({
        "numbers": ["1.5", "x", None, "3"],  # text that is mostly numbers
        "city": ["a", "b", "a", "c"],  # categorical: kept as text
        "when": pd.to_datetime(["2020-01-01 00:00", "2021-06-30 12:00", None, "1969-12-31 23:00"]),
        "count": [1, 2, 3, 4],
        "wait": pd.to_timedelta([90.5, None, -5, 2 * 86400], unit="s"),  # seconds
    })
    # Fit on these columns (which held dates), then predict-time reading: the
    # estimator's rule.
    dates = check_X_and_dates(frame)[1]
    assert dates == ("when",)
    with pytest.warns(UserWarning, match="'numbers' was numeric at fit, but 1 of its values"):
        expected = check_X(frame, min_samples=1, categorical={"city"}, dates=dates)
    csv = pd.read_csv(io.StringIO(frame.to_csv(index=False)))  # dates become text
    read = module.features_by_name(csv, list(frame.columns), ["city"], dates)
    pd.testing.assert_frame_equal(read, expected, check_dtype=False)
    # The script of a fit on an array reads by position (its source is checked above).
    by_position = reading.features_by_position(csv, 5, [1], [2])
    pd.testing.assert_frame_equal(by_position, expected, check_dtype=False)
    with pytest.raises(ValueError, match="lacks the feature column"):
        module.features_by_name(csv, ["numbers", "elsewhere"], [])
    labels = pd.Series(["no", "yes", "maybe", "yes"])
    indices, classes = module.encode_classes(labels)
    expected_indices, expected_classes = check_y_classification(frame, labels, "test")
    assert list(indices) == list(expected_indices) and list(classes) == list(expected_classes)


def test_durations_are_read_in_the_forms_pandas_and_iso_8601_write_only():
    text = pd.Series(["1 day 00:00:01", " -1 days +23:59:55.5 ", "P1DT2H", "PT0.5S",
                      "1h", "00:16:40", "2 days", "P", "12", None])
    seconds = reading.text_as_durations(text)
    np.testing.assert_array_equal(seconds[:4], [86401, -4.5, 93600, 0.5])
    assert seconds[4:].isna().all()  # other forms stay text: "1h" may be a label
    # numbers stay numbers, durations among them are read as seconds
    np.testing.assert_array_equal(reading.text_as_numbers(text[[0, 8, 4]]), [86401, 12, np.nan])


def test_the_names_a_script_binds_are_reserved_from_the_models_imports():
    for dataset in DATASETS:
        tree = ast.parse(script(fitted(dataset, "random")[0]))
        bound = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                bound.add(node.name)
            elif isinstance(node, ast.Assign):
                bound.update(target.id for target in node.targets)
            elif isinstance(node, ast.Import):
                bound.update(alias.asname or alias.name for alias in node.names)
        assert bound <= set(SCRIPT_NAMES), bound - set(SCRIPT_NAMES)
    for function in (reading.features_by_position, reading.target_as_numbers):
        assert function.__name__ in SCRIPT_NAMES


# --------------------------------------------------------------- the script
def test_header_says_what_was_fit_and_with_what():
    estimator, _, _ = fitted("credit-g", "random")
    text = script(estimator)
    lines = text.split("\nimport ", 1)[0].strip().splitlines()
    assert all(line.startswith("#") for line in lines)
    header = " ".join(line.lstrip("#").strip() for line in lines)  # unwrapped
    assert f"{date.today():%Y-%m-%d}" in header
    assert "150 rows x 20 columns, classification (2 classes)" in header
    assert 'target "target"' in header
    assert f"balanced_accuracy, validation score {estimator.best_score_:.4f}" in header
    assert estimator.search_space_.describe(estimator.best_config_) in header
    assert "refit on all 150 training rows" in header
    assert "random_state: 0" in header
    for package in ("python", "scikit-learn", "xgboost", "numpy", "pandas", "automl-estimators"):
        assert f"{package} " in header


def test_header_warns_when_the_model_is_the_search_time_one():
    estimator, _, _ = fitted("auto_mpg", "random")
    estimator = pickle_copy(estimator)
    estimator.refit_ = "search-time model"
    header = " ".join(script(estimator).split("\nimport ", 1)[0].split("#"))
    assert "did not finish within the budget" in header
    assert "predictions can differ" in header


def pickle_copy(estimator):
    return pickle.loads(pickle.dumps(estimator))


def test_package_is_imported_only_for_its_own_components():
    mixed, _, _ = fitted("credit-g", "random")  # categories_as_strings, maybe RBFSVMClassifier
    numeric, _, _ = fitted("auto_mpg", "random")
    # An ensemble of its trials (EnsembleRegressor is the package's own), whichever
    # final model the selection rule kept.
    numeric = pickle_copy(numeric)
    trials = [r for r in numeric.history_ if r.ok and r.config][:2]
    numeric.model_ = EnsembleRegressor(
        [(f"trial_{r.trial_id}", build_pipeline(r.config, numeric.search_space_,
                                                numeric.profile_, random_state=0))
         for r in trials], weights=[0.5, 0.5])
    for estimator in (mixed, numeric):
        text = script(estimator)
        own = [line for line in text.splitlines() if "import" in line and "automl_est" in line]
        assert own and all(line.startswith("from automl_estimators.") for line in own[1:])
        assert "imported only for its own components" in text
        assert "automl-estimators 0.1" in text
    plain = pickle_copy(numeric)
    plain.model_ = make_pipeline(SimpleImputer(), Ridge())
    text = script(plain)
    assert "automl_estimators" not in text.replace("automl_estimators.data.check_X", "")
    assert "automl-estimators" not in text
    compile(text, "plain.py", "exec")


def test_every_generated_line_fits_and_the_script_compiles():
    for dataset in DATASETS:
        text = script(fitted(dataset, "random")[0])
        compile(text, f"{dataset}.py", "exec")
        long = [line for line in text.splitlines() if len(line) > WIDTH]
        assert not long


def test_export_rejects_an_unfitted_estimator_and_an_unwritable_path(tmp_path):
    with pytest.raises(NotFittedError):
        AutoClassifier().export(tmp_path / "model.py")
    estimator, _, _ = fitted("auto_mpg", "random")
    with pytest.raises(OSError, match="Cannot write the exported script .*writable"):
        estimator.export(tmp_path / "no such folder" / "model.py")
    with pytest.raises(OSError, match="Cannot write the exported script"):
        estimator.export(tmp_path)
    with pytest.raises(TypeError, match="AutoClassifier or AutoRegressor"):
        script(Ridge().fit([[0.0], [1.0]], [0.0, 1.0]))


def test_the_renderer_stays_importable_from_export():
    # to_source and Source live in source_code; export.py re-exports them.
    from automl_estimators import export, source_code

    assert export.to_source is source_code.to_source
    assert export.Source is source_code.Source
    assert {"export", "script", "to_source", "Source"} <= set(export.__all__)


# ------------------------------------------------------------- the renderer
def comparable(value):
    """A value with estimators replaced by (class, their comparable parameters)."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        return type(value), comparable(value.get_params(deep=False))
    if isinstance(value, make_column_selector):
        return type(value), comparable(vars(value))
    if isinstance(value, dict):
        return {key: comparable(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value), [comparable(v) for v in value]
    if isinstance(value, np.ndarray):
        return "array", value.dtype, value.tolist()
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return "nan"
    if isinstance(value, (bool, np.bool_)):
        return bool, bool(value)
    if isinstance(value, (int, np.integer)):
        return int, int(value)
    if isinstance(value, (float, np.floating)):
        return float, float(value)
    return value


HAND_BUILT = {
    "pipeline with column transformer": Pipeline([
        ("preprocess", ColumnTransformer([
            ("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                      StandardScaler()), ["age", "income"]),
            ("text", make_pipeline(FunctionTransformer(categories_as_strings,
                                                       feature_names_out="one-to-one"),
                                   OneHotEncoder(handle_unknown="infrequent_if_exist",
                                                 min_frequency=np.float64(0.05),
                                                 sparse_output=False)), ["city"]),
            ("rare", FrequencyEncoder(), [4]),
        ], sparse_threshold=0.0, remainder="passthrough")),
        ("select", SelectPercentile(f_regression, percentile=np.float32(37.5))),
        ("model", HistGradientBoostingClassifier(max_iter=np.int64(50), max_features=1,
                                                 class_weight="balanced", random_state=3)),
    ]),
    "feature union with stacking": make_pipeline(
        FeatureUnion([("pca", PCA(n_components=0.9, whiten=True)),
                      ("stack", StackingTransformer(LogisticRegression(C=0.1), cv=4,
                                                    random_state=0))],
                     transformer_weights={"pca": 2.0, "stack": 1}),
        make_union(StandardScaler(with_mean=False), FunctionTransformer(np.log1p)),
        SVC(C=3.0, gamma="auto", probability=True),
    ),
    "xgboost": XGBClassifier(n_estimators=64, learning_rate=np.float64(0.05), max_depth=4,
                             tree_method="hist", verbosity=0, missing=np.nan, random_state=1),
    "rbf svm": RBFSVMClassifier(C=10.0, gamma=np.float64(0.25), class_weight="balanced",
                                random_state=0),
    "column selector and values": make_column_transformer(
        (OneHotEncoder(categories=[np.array(["a", "b"], dtype=object)], dtype=np.float32),
         make_column_selector(dtype_include=object)),
        (SimpleImputer(fill_value=np.nan, strategy="constant"), ("x", "y")),
        (FunctionTransformer(kw_args={"k": (1,), "none": None, "inf": -np.inf}), [0]),
    ),
}


@pytest.mark.parametrize("name", list(HAND_BUILT))
def test_code_rebuilds_an_estimator_with_the_same_parameters(name):
    estimator = HAND_BUILT[name]
    source = to_source(estimator)
    compile("\n".join(source.imports) + "\nmodel = " + source.code, name, "exec")
    rebuilt = source.build()
    assert type(rebuilt) is type(estimator)
    assert comparable(rebuilt.get_params()) == comparable(estimator.get_params())
    assert all(len(line) <= WIDTH for line in source.code.splitlines())


def test_only_non_default_parameters_are_written():
    assert to_source(LogisticRegression()).code == "LogisticRegression()"
    assert to_source(SVC(C=2, kernel="rbf")).code == "SVC(C=2)"
    # An int and a float are different settings (a count and a share).
    assert to_source(HistGradientBoostingClassifier(max_features=1.0)).code \
        == "HistGradientBoostingClassifier()"
    assert to_source(HistGradientBoostingClassifier(max_features=1)).code \
        == "HistGradientBoostingClassifier(max_features=1)"
    # numpy scalars become literals; defaults given as numpy scalars are not written.
    assert to_source(Ridge(alpha=np.float64(1.0), max_iter=np.int64(7))).code \
        == "Ridge(max_iter=7)"
    assert to_source(SimpleImputer(missing_values=float("nan"))).code == "SimpleImputer()"
    xgb = to_source(XGBClassifier(n_estimators=10, missing=np.nan))
    assert xgb.code == "XGBClassifier(n_estimators=10)"
    assert xgb.imports == ("from xgboost import XGBClassifier",)


def test_functions_types_and_special_values_are_imported_names():
    source = to_source(make_pipeline(
        FunctionTransformer(np.log1p), SelectPercentile(f_regression),
        OneHotEncoder(dtype=np.float32, categories=[[1, 2]]),
        SimpleImputer(fill_value=np.nan, strategy="constant"), Ridge()))
    assert "from sklearn.feature_selection import SelectPercentile, f_regression" \
        in source.imports
    assert "import numpy as np" in source.imports
    for text in ("func=np.log1p", "score_func=f_regression", "dtype=np.float32",
                 "fill_value=np.nan", "categories=[[1, 2]]", "make_pipeline(\n"):
        assert text in source.code
    assert not any("._" in line for line in source.imports)  # public modules only
    assert to_source(OneHotEncoder(dtype=int)).code == "OneHotEncoder(dtype=int)"
    assert to_source(FunctionTransformer(categories_as_strings)).own_names \
        == ("categories_as_strings",)
    partial = to_source(FunctionTransformer(functools.partial(np.clip, a_min=0)))
    assert partial.code == "FunctionTransformer(func=partial(np.clip, a_min=0))"
    assert "from functools import partial" in partial.imports


def test_layout_names_steps_only_when_the_helpers_would_not():
    named = to_source(Pipeline([("scale", StandardScaler()), ("model", Ridge())])).code
    assert named == 'Pipeline([("scale", StandardScaler()), ("model", Ridge())])'
    auto = to_source(Pipeline([("standardscaler", StandardScaler()), ("ridge", Ridge())])).code
    assert auto == "make_pipeline(StandardScaler(), Ridge())"
    long = to_source(make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                   StandardScaler(with_mean=False), Ridge(alpha=0.5)))
    assert long.code.splitlines()[1] == '    SimpleImputer(strategy="median", add_indicator=True),'


@pytest.mark.parametrize("value, error, match", [
    (FunctionTransformer(lambda X: X), ValueError, "lambda"),
    (Ridge(random_state=np.random.RandomState(0), solver="sag"), TypeError, "RandomState"),
    (FunctionTransformer(kw_args={"file": sys.stdout}), TypeError, "Cannot write"),
])
def test_values_without_a_code_form_are_refused(value, error, match):
    with pytest.raises(error, match=match):
        to_source(value)


@dataclass(frozen=True)
class Span:
    """A plain value a component could take as a parameter."""

    start: int
    stop: int = 10


@dataclass(frozen=True)
class Scaled:
    """A dataclass whose __init__ takes a value that no field keeps."""

    value: float
    factor: InitVar[float] = 1.0


def test_dataclass_values_are_written_as_calls_with_their_fields():
    source = to_source(FunctionTransformer(kw_args={"span": Span(3)}))
    assert source.code == "FunctionTransformer(kw_args={\"span\": Span(3)})"
    assert "from tests.test_export import Span" in source.imports
    assert source.build().kw_args == {"span": Span(3)}
    with pytest.raises(TypeError, match="not its fields"):
        to_source(FunctionTransformer(kw_args={"scaled": Scaled(1.0)}))


def test_shared_imports_give_one_set_of_names():
    imports = Imports(reserved=("Ridge",))
    assert imports.name_of(LogisticRegression) == "LogisticRegression"
    source = to_source(make_pipeline(StandardScaler(), Ridge()), imports=imports)
    assert source.code == "make_pipeline(StandardScaler(), Ridge_2())"
    assert "from sklearn.linear_model import LogisticRegression, Ridge as Ridge_2" \
        in source.imports
    assert to_source("a", column=80).code == '"a"'


def test_the_renderer_imports_nothing_of_the_package():
    # Components declare how they are written (get_params, dataclass fields), so
    # source_code stays below every part of the package, the neural branch included.
    from automl_estimators import source_code

    tree = ast.parse(Path(source_code.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level]
    imported += [alias.name for node in ast.walk(tree)
                 if isinstance(node, (ast.Import, ast.ImportFrom))
                 for alias in node.names if alias.name.startswith("automl_estimators")]
    assert not imported
def test_an_old_fits_tuple_tree_configuration_exports_the_same_script(tmp_path):
    # Fits made before program trees had node types pickled them as positional tuples.
    estimator, train, X_test = fitted("credit-g", "genetic")
    space, profile = estimator.search_space_, estimator.profile_
    program = program_from_config(estimator.best_config_, space)
    new, old = copy.copy(estimator), copy.copy(estimator)
    new.best_config_ = program
    old.best_config_ = {**program, TRANSFORMS: program[TRANSFORMS].to_tuple()}
    assert to_source(build_pipeline(old.best_config_, space, profile, random_state=0)) == \
        to_source(build_pipeline(new.best_config_, space, profile, random_state=0))
    assert script(old) == script(new)
    path = old.export(tmp_path / "old.py")
    train.to_csv(tmp_path / "train.csv", index=False)
    X_test.to_csv(tmp_path / "test.csv", index=False)
    done = run_script_here(path, tmp_path / "train.csv", "--predict", tmp_path / "test.csv",
                           "--output", tmp_path / "predictions.csv")
    assert done.returncode == 0, done.stderr
    assert_same_predictions(estimator, pd.read_csv(tmp_path / "predictions.csv")["target"],
                            X_test)
