"""The command line as a user runs it: ``python -m automl_estimators`` in a subprocess.

Two tiny fits (credit-g: classification, auto_mpg: regression, the task left to
``--task auto``) serve every test that needs a model. Error cases stop before any
fit; a few run in a subprocess (exit status, stderr, no traceback), the many others
through :func:`main` in this process, which is what the entry point runs (an
interpreter start each would cost seconds of sklearn imports).
"""

import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from automl_estimators import AutoClassifier, AutoRegressor
from automl_estimators.cli import main
from automl_estimators.cli_data import decide_task, leaderboard_table
from automl_estimators.spaces.program import INPUT, TRANSFORMS, Stack, Union, as_node
from tests.conftest import SLACK_BUDGET, load
from tests.test_export import run_script_here

# A fit that stops on its trial count (the strong default and one random
# pipeline), with a budget that never binds: the same fit on an idle or a busy
# machine, in seconds.
FAST = ["--time", str(SLACK_BUDGET), "--n-jobs", "1", "--max-trials", "2", "--search", "random"]


def run_cli(*args, cwd):
    """``python -m automl_estimators ARGS`` in ``cwd``: the finished process."""
    return subprocess.run([sys.executable, "-m", "automl_estimators", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def run_main(*args):
    """The exit status of main() as the entry point runs it, in the current folder."""
    try:
        return main([str(arg) for arg in args])
    except SystemExit as exit_:
        return exit_.code


def assert_one_line_error(status, stderr, expected_status, *fragments):
    message = stderr.strip()
    assert status == expected_status, stderr
    assert "Traceback" not in stderr
    assert len(message.splitlines()) == 1, message
    assert "error:" in message
    for fragment in fragments:
        assert fragment in message


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A folder with credit.csv (200 rows) and mpg.csv (150 rows), targets in 'target'."""
    path = tmp_path_factory.mktemp("cli")
    for name, dataset, rows in [("credit.csv", "credit-g", 200), ("mpg.csv", "auto_mpg", 150)]:
        X, y = load(dataset, rows)
        X.assign(target=y).to_csv(path / name, index=False)
    return path


@pytest.fixture(scope="module")
def credit_fit(folder):
    result = run_cli("fit", "credit.csv", "--target", "target", *FAST, "--output",
                     "credit.joblib", "--leaderboard", "leaderboard.csv", "--export",
                     "credit_model.py", cwd=folder)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def mpg_fit(folder):
    result = run_cli("fit", "mpg.csv", "--target", "target", *FAST, "--output", "mpg.joblib",
                     cwd=folder)
    assert result.returncode == 0, result.stderr
    return result


# ----------------------------------------------------------------------- fit
def test_fit_saves_model_and_leaderboard_and_prints_it(folder, credit_fit):
    model = joblib.load(folder / "credit.joblib")
    assert isinstance(model, AutoClassifier)
    assert list(model.classes_) == ["bad", "good"]
    assert "target" not in model.feature_names_in_
    table = pd.read_csv(folder / "leaderboard.csv")
    assert len(table) == model.n_trials_
    assert list(table["trial"]) == list(model.leaderboard_["trial"])
    configs = [json.loads(text) for text in table["config"]]
    assert configs == list(model.leaderboard_["config"])
    assert all(isinstance(json.loads(text), list) for text in table["fold_scores"])
    # The leaderboard goes to stdout; progress and notes go to stderr.
    out = credit_fit.stdout
    assert "Leaderboard (validation accuracy" in out
    assert model.leaderboard_["pipeline"].iloc[0] in out
    assert f"{model.n_trials_} trials in" in out
    # stderr is a pipe, not a terminal: short status lines instead of a progress bar
    assert "[automl_estimators] " in credit_fit.stderr and "trials=" in credit_fit.stderr
    assert "\r" not in credit_fit.stderr and "trials=" not in out
    assert "task: classification (the target is not numeric" in credit_fit.stderr
    code = (folder / "credit_model.py").read_text()
    compile(code, "credit_model.py", "exec")
    assert "model code saved to credit_model.py" in credit_fit.stderr


def test_max_trials_with_one_job_gives_the_same_model_twice(tmp_path, monkeypatch):
    """--max-trials stops the fit on its trial count, not the clock: with --n-jobs 1 and
    the same --seed, two runs give the same leaderboard and the same predictions."""
    monkeypatch.chdir(tmp_path)
    X, y = load("credit-g", 120)
    X.assign(target=y).to_csv("train.csv", index=False)
    runs = []
    for name in ("a", "b"):
        assert run_main("fit", "train.csv", "--target", "target", *FAST,
                        "--output", f"{name}.joblib") == 0
        model = joblib.load(f"{name}.joblib")
        assert model.max_trials == 2 and model.n_trials_ == 3  # two and the dummy
        runs.append((list(model.leaderboard_["config"]), model.predict_proba(X)))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_fit_takes_a_fractional_target_for_regression(folder, mpg_fit):
    model = joblib.load(folder / "mpg.joblib")
    assert isinstance(model, AutoRegressor)
    assert model.metric_ == "r2"
    assert "task: regression (the target has fractional numbers" in mpg_fit.stderr
    assert "Leaderboard (validation r2" in mpg_fit.stdout


@pytest.mark.parametrize("values, task", [
    (["a", "b", "a", "c"], "classification"),
    ([True, False, True, True], "classification"),
    ([1.5, 2.0, 3.25, 4.0], "regression"),
    ([0, 1, 1, 0], "classification"),                     # two values, however few rows
    ([3, 4, 5, 6, 3, 4, 5, 6] * 5, "classification"),      # 4 values, 10 rows each
    (list(range(40)) * 2, "regression"),                   # more than 20 values
    ([1, 2, 3, 4, 5, 6, 7, 8, 1, 2], "regression"),       # under 5 rows per value
    (["007", "012", "012", "007"], "classification"),     # codes: two values
    # one cell written with a leading zero among counts: the numbers decide
    (["0091", *map(str, range(100, 140))] * 2, "regression"),
    # found by session 34's hunt: integers beyond int64 (text to pandas) were one float
    ([str(10**20 + i) for i in range(60)], "regression"),
    # ... and "007" and "7" one number, where they are two classes
    (["007", "7"] * 30, "classification"),
    (["0.5", "007", "1.25"] * 10, "regression"),          # fractional numbers among codes
])
def test_task_auto_rule(values, task):
    assert decide_task(pd.Series(values))[0] == task


def test_the_task_auto_reason_counts_the_classes_as_written():
    assert decide_task(pd.Series(["007", "7"] * 30))[1] == (
        "the target has 2 distinct whole numbers (some written with leading zeros) in 60 rows")
    assert "60 distinct whole numbers (beyond 64-bit integers)" in decide_task(
        pd.Series([str(10**20 + i) for i in range(60)]))[1]


# ------------------------------------------------------------------- predict
def test_predict_matches_the_model_in_process(folder, credit_fit, monkeypatch, capsys):
    model = joblib.load(folder / "credit.joblib")
    frame = pd.read_csv(folder / "credit.csv")
    # Columns in another order, target still in: selected by name, target ignored.
    frame[frame.columns[::-1]].to_csv(folder / "shuffled.csv", index=False)
    expected = model.predict(frame.drop(columns="target"))

    to_file = run_cli("predict", "credit.joblib", "shuffled.csv", "--output", "pred.csv",
                      cwd=folder)
    assert to_file.returncode == 0, to_file.stderr
    written = pd.read_csv(folder / "pred.csv")
    assert list(written.columns) == ["prediction"]
    np.testing.assert_array_equal(written["prediction"], expected)

    # to stdout, through main() in this process (the subprocess above runs the same)
    monkeypatch.chdir(folder)
    capsys.readouterr()
    assert run_main("predict", "credit.joblib", "credit.csv", "--proba") == 0
    proba = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(proba.columns) == ["bad", "good"]
    np.testing.assert_allclose(proba, model.predict_proba(frame.drop(columns="target")))


def test_predict_regression_to_stdout(folder, mpg_fit, monkeypatch, capsys):
    model = joblib.load(folder / "mpg.joblib")
    frame = pd.read_csv(folder / "mpg.csv").drop(columns="target")
    monkeypatch.chdir(folder)
    capsys.readouterr()
    assert run_main("predict", "mpg.joblib", "mpg.csv") == 0
    predictions = pd.read_csv(io.StringIO(capsys.readouterr().out))
    np.testing.assert_allclose(predictions["prediction"], model.predict(frame))


# -------------------------------------------------------------------- errors
@pytest.fixture(scope="module")
def bad_files(folder):
    (folder / "binary.csv").write_bytes(b"\x80\x81\xff\x00\x01 not text")
    (folder / "empty.csv").write_text("")
    (folder / "header.csv").write_text("a,b,target\n")
    (folder / "ragged.csv").write_text("a,b\n1,2\n1,2,3,4\n")
    (folder / "only_target.csv").write_text("target\n1\n2\n")
    pd.DataFrame({"a": range(10), "target": ["x"] * 10}).to_csv(folder / "one_class.csv",
                                                                index=False)
    pd.DataFrame({"a": range(30), "target": [0, 1, 2] * 10}).to_csv(
        folder / "three_classes.csv", index=False)
    joblib.dump(LogisticRegression(), folder / "foreign.joblib")
    return folder


FIT_CREDIT = ["fit", "credit.csv", "--target", "target", "--output", "out.joblib"]


def test_errors_in_a_process_are_one_line_without_traceback(bad_files):
    for args, status, fragment in [
        (["fit", "nope.csv", "--target", "target", "--output", "out.joblib"], 1, "not found"),
        ([*FIT_CREDIT, "--time", "-1"], 2, "--time must be a positive"),
        (["predict", "foreign.joblib", "credit.csv"], 1, "not a model saved by"),
    ]:
        result = run_cli(*args, cwd=bad_files)
        assert_one_line_error(result.returncode, result.stderr, status, fragment)
        assert result.stdout == ""
    # An error of the fit's: after the line that says which task was chosen, no progress
    # line of the fit's (found in session 34: its first line came between them).
    result = run_cli("fit", "three_classes.csv", "--target", "target", "--output",
                     "out.joblib", "--metric", "roc_auc", cwd=bad_files)
    task, error = result.stderr.strip().splitlines()
    assert task.startswith("[automl_estimators] task: classification")
    assert_one_line_error(result.returncode, error, 2, "--metric roc_auc cannot score")


FIT = ["--output", "out.joblib", "--target"]
ERRORS = {  # what the user did wrong: (arguments, exit status, parts of the message)
    "missing file": (["fit", "nope.csv", *FIT, "t"], 1, ["nope.csv not found"]),
    "binary file": (["fit", "binary.csv", *FIT, "t"], 1, ["cannot read binary.csv"]),
    "ragged rows": (["fit", "ragged.csv", *FIT, "a"], 1, ["cannot read ragged.csv"]),
    "empty file": (["fit", "empty.csv", *FIT, "t"], 1, ["empty.csv is empty"]),
    "header only": (["fit", "header.csv", *FIT, "target"], 1, ["no data rows"]),
    "no features": (["fit", "only_target.csv", *FIT, "target"], 1, ["only the target column"]),
    "no such target": (["fit", "credit.csv", *FIT, "label"], 1,
                       ["no column 'label'", "checking_status, duration"]),
    "one class": (["fit", "one_class.csv", *FIT, "target"], 1, ["single class ('x')"]),
    "zero time": ([*FIT_CREDIT, "--time", "0"], 2, ["--time must be a positive"]),
    "zero trials": ([*FIT_CREDIT, "--max-trials", "0"], 2,
                    ["--max-trials must be a positive number of trials, got 0"]),
    "fractional trials": ([*FIT_CREDIT, "--max-trials", "2.5"], 2,
                          ["--max-trials: invalid int value: '2.5'"]),
    "nan time": ([*FIT_CREDIT, "--time", "nan"], 2, ["--time must be a positive"]),
    "unknown metric": ([*FIT_CREDIT, "--metric", "accuracy_score"], 2,
                       ["unknown --metric 'accuracy_score'"]),
    "metric of the other task": ([*FIT_CREDIT, "--metric", "r2"], 2,
                                 ["--metric r2 cannot score a classification task"]),
    "unknown search": ([*FIT_CREDIT, "--search", "grid"], 2,
                       ["--search: invalid choice: 'grid'", "'smac'"]),
    "zero n-jobs": ([*FIT_CREDIT, "--n-jobs", "0"], 2, ["--n-jobs must be"]),
    "text n-jobs": ([*FIT_CREDIT, "--n-jobs", "two"], 2, ["--n-jobs: invalid int value"]),
    "regression on labels": ([*FIT_CREDIT, "--task", "regression"], 2,
                             ["use --task classification"]),
    "classification on fractions": (["fit", "mpg.csv", *FIT, "target", "--task",
                                     "classification"], 2, ["use --task regression"]),
    "output folder missing": (["fit", "credit.csv", "--target", "target", "--output",
                               "no/such/folder/m.joblib"], 2,
                              ["folder no/such/folder does not exist"]),
    "no target option": (["fit", "credit.csv", "--output", "out.joblib"], 2,
                         ["required: --target"]),
    "CSV as model": (["predict", "credit.csv", "credit.csv"], 1, ["not a model saved by"]),
    "foreign model": (["predict", "foreign.joblib", "credit.csv"], 1,
                      ["not a model saved by", "LogisticRegression"]),
    "missing model": (["predict", "nope.joblib", "credit.csv"], 1, ["nope.joblib not found"]),
    "no command": ([], 2, ["required: command"]),
    "unknown neural": ([*FIT_CREDIT, "--neural", "yes"], 2,
                       ["--neural: invalid choice: 'yes'", "'on'"]),
    "four-number image shape": ([*FIT_CREDIT, "--image-shape", "1,2,3,4"], 2,
                                ["'1,2,3,4' is not an image shape", "H,W or H,W,C"]),
    "signal shape of other data": ([*FIT_CREDIT, "--image-shape", "8"], 2,
                                   ["--image-shape 8 holds 8 values per signal",
                                    "L or 1,L,C"]),
    "text image shape": ([*FIT_CREDIT, "--image-shape", "a,b"], 2, ["not an image shape"]),
    "image shape of other data": ([*FIT_CREDIT, "--image-shape", "4,4"], 2,
                                  ["--image-shape 4,4 holds 16 values per image",
                                   "H,W or H,W,C"]),
    # found (session 32): exit status 1, as for a file's problem, and a networks-only
    # search with the networks off ran no search at all; (session 34) the messages
    # named the estimator's parameters (neural=False), not the options
    "metric of other classes": (["fit", "three_classes.csv", *FIT, "target", "--metric",
                                 "roc_auc"], 2, ["--metric roc_auc cannot score",
                                                 "classes [0, 1, 2]", "Choose a --metric"]),
    "networks-only search, networks off": (
        [*FIT_CREDIT, "--search", "evolution", "--neural", "off"], 2,
        ["--search evolution searches neural networks only, but --neural off turns them off; "
         "set --neural auto (or on), or choose a strategy that searches pipelines (--search "
         "auto, smac, random or genetic)."]),
    "output in a missing /proc folder": (["fit", "credit.csv", "--target", "target",
                                          "--output", "/proc/no/m.joblib"], 2,
                                         ["does not exist"]),
    "output name too long": (["fit", "credit.csv", "--target", "target", "--output",
                              "m" * 300 + ".joblib"], 2,
                             ["cannot be written (File name too long)"]),
}


@pytest.mark.parametrize("args, status, fragments", ERRORS.values(), ids=ERRORS.keys())
def test_errors_are_one_line(bad_files, monkeypatch, capsys, args, status, fragments):
    monkeypatch.chdir(bad_files)
    exit_status = run_main(*args)
    captured = capsys.readouterr()
    assert_one_line_error(exit_status, captured.err, status, *fragments)
    assert captured.out == ""
    assert not (bad_files / "out.joblib").exists()


def test_predict_errors_need_a_model(folder, credit_fit, mpg_fit, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    status = run_main("predict", "credit.joblib", "mpg.csv")
    assert_one_line_error(status, capsys.readouterr().err, 1,
                          "lacks 20 of the model's feature columns", "checking_status")
    status = run_main("predict", "mpg.joblib", "mpg.csv", "--proba")
    assert_one_line_error(status, capsys.readouterr().err, 2, "--proba needs a classifier")
    status = run_main("predict", "credit.joblib", "credit.csv", "--output", "no/such/p.csv")
    assert_one_line_error(status, capsys.readouterr().err, 2, "folder no/such does not exist")


def test_fit_images_with_a_neural_search(tmp_path, monkeypatch):
    from sklearn.datasets import load_digits

    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    X, y = load_digits(return_X_y=True, as_frame=True)
    X.iloc[:200].assign(target=y.iloc[:200]).to_csv("digits.csv", index=False)
    # through main() in this process: the options' reading, not an interpreter's start
    assert run_main("fit", "digits.csv", "--target", "target", "--neural", "on",
                    "--image-shape", "8x8", "--search", "random", "--time", "5", "--n-jobs",
                    "1", "--max-trials", "2", "--output", "digits.joblib") == 0
    model = joblib.load("digits.joblib")
    # What trials finish in 5 s depends on the machine's load; the search's set-up does not.
    assert model.image_shape == (8, 8) and model.neural is True
    assert "neural_network" in model.search_space_.models
    assert "neural branch on (neural=True)" in model.search_plan_.reason


def test_demo_still_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_main("demo", "--time", "3", "--n-jobs", "1", "--max-trials", "2") == 0
    out = capsys.readouterr().out
    assert "Leaderboard (validation accuracy" in out
    assert "test accuracy:" in out


def test_the_leaderboard_csv_writes_program_trees_as_nested_lists():
    # as before trees had node types: readable back by spaces.program.as_node
    tree = Union(INPUT, Stack("ridge", (("alpha", 1.0),), INPUT))
    table = leaderboard_table(pd.DataFrame({"config": [{TRANSFORMS: tree}],
                                            "fold_scores": [[0.5]]}))
    written = json.loads(table["config"][0])[TRANSFORMS]
    assert written == ["union", ["X"], ["stack", "ridge", [["alpha", 1.0]], ["X"]]]
    assert as_node(written) == tree


@pytest.mark.parametrize("outputs, fragment", [
    (["--output", "{folder}"], "is a folder; give a file name in it"),
    (["--output", "{data}"], "would overwrite the input"),
    (["--output", "m.joblib", "--leaderboard", "{data}"], "would overwrite the input"),
    (["--output", "m.joblib", "--export", "m.joblib"], "are the same file"),
], ids=["folder", "output-is-data", "leaderboard-is-data", "export-is-output"])
def test_fit_outputs_that_would_fail_or_overwrite_are_refused_before_the_fit(
        tmp_path, capsys, outputs, fragment):
    # Found (session 31): a folder as --output gave a traceback after the fit and lost
    # the model; --output or --leaderboard the training CSV overwrote it silently.
    data = tmp_path / "train.csv"
    data.write_text("a,y\n1,0\n2,1\n3,0\n4,1\n")
    args = [a.format(folder=tmp_path, data=data) for a in outputs]
    status = run_main("fit", data, "--target", "y", *FAST,
                      *[str(tmp_path / a) if a == "m.joblib" else a for a in args])
    assert_one_line_error(status, capsys.readouterr().err, 2, fragment)
    assert data.read_text().startswith("a,y")


@pytest.mark.timeout(120)  # were it not refused, the save would wait for a reader forever
def test_an_output_that_cannot_be_opened_is_refused_before_the_fit(tmp_path, capsys):
    """A named pipe: the save at the end of the fit would block until a reader came."""
    import os

    data = tmp_path / "train.csv"
    data.write_text("a,y\n1,0\n2,1\n3,0\n4,1\n")
    os.mkfifo(tmp_path / "pipe")
    status = run_main("fit", data, "--target", "y", *FAST, "--output", tmp_path / "pipe")
    assert_one_line_error(status, capsys.readouterr().err, 2, "pipe cannot be written")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_model_that_cannot_be_saved_is_saved_elsewhere(tmp_path, monkeypatch, capsys):
    """Found (session 32): a full disk at the end of the fit gave a traceback and the
    fitted model was lost; it is now saved to a new file the error names."""
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"a": range(40), "y": [0, 1] * 20}).to_csv("train.csv", index=False)
    status = run_main("fit", "train.csv", "--target", "y", *FAST, "--output",
                      "/dev/full")
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert status == 1 and "could not save the model to /dev/full" in message
    kept = message.rsplit("it is saved in ", 1)[1].removesuffix(" instead")
    assert Path(kept).parent == tmp_path
    assert isinstance(joblib.load(kept), AutoClassifier)
    status = run_main("fit", "train.csv", "--target", "y", *FAST, "--output",
                      "m.joblib", "--leaderboard", "/dev/full")
    message = capsys.readouterr().err.strip().splitlines()[-1]  # after the fit's progress
    assert_one_line_error(status, message, 1, "could not write the leaderboard",
                          "the model is saved in m.joblib")
    assert isinstance(joblib.load("m.joblib"), AutoClassifier)


LABELS = {  # the target as written in the CSV: its classes, as predict writes them
    "NA and None are classes": (["NA", "None", "yes"], ["NA", "None", "yes"]),
    "NA and None alone": (["NA", "None"], ["NA", "None"]),  # was: "empty in every row"
    "codes keep their zeros": (["001", "002", "010"], ["001", "002", "010"]),
    "whole numbers among blanks": (["0", "1", ""], ["0", "1"]),
    "codes and NA": (["001", "002", "NA"], ["001", "002", "NA"]),
}


@pytest.mark.parametrize("written, classes", LABELS.values(), ids=LABELS.keys())
def test_class_labels_are_read_as_written(tmp_path, monkeypatch, written, classes):
    """Found (session 32): fit read a class "NA" or "None" as missing and left its rows
    out, "001" became 1, and 0/1 labels with blank cells became 1.0/0.0; the exported
    script read them otherwise. predict and the script now give the labels as written."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    rows = 90
    target = np.array(written * (rows // len(written)))
    x = np.array([written.index(t) for t in target]) + rng.normal(0, 0.1, rows)
    with open("train.csv", "w") as file:  # as written: no writer re-quoting the labels
        file.write("x,t\n" + "".join(f"{a},{b}\n" for a, b in zip(x, target)))
    assert run_main("fit", "train.csv", "--target", "t", *FAST, "--output", "m.joblib",
                    "--export", "m.py") == 0
    model = joblib.load("m.joblib")
    assert [str(c) for c in model.classes_] == classes
    assert model.profile_.n_rows == np.isin(target, classes).sum()  # no class left out
    run_main("predict", "m.joblib", "train.csv", "--output", "p.csv")
    predicted = pd.read_csv("p.csv", dtype=str, keep_default_na=False)["prediction"]
    assert set(predicted) <= set(classes)
    known = np.isin(target, classes)
    assert (predicted[known] == target[known]).mean() > 0.9
    script = run_script_here("m.py", "train.csv", "--predict", "train.csv")
    assert script.returncode == 0, script.stderr
    by_script = pd.read_csv(io.StringIO(script.stdout), dtype=str, keep_default_na=False)["t"]
    assert set(by_script) <= set(classes)


def test_categorical_codes_are_read_as_text_at_predict(tmp_path, monkeypatch):
    """Found (session 32): a categorical column was re-typed from each predict CSV: codes
    "007"/"012" alone in a file were read as the numbers 7 and 12, categories the model
    never saw, so predictions depended on the other rows of the file."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    code = rng.choice(["007", "012", "A1"], 150)
    train = pd.DataFrame({"x": rng.normal(size=150), "code": code,
                          "t": (code == "007").astype(int)})
    train.to_csv("train.csv", index=False)
    train[train["code"] != "A1"].drop(columns="t").to_csv("codes.csv", index=False)
    assert run_main("fit", "train.csv", "--target", "t", *FAST, "--output", "m.joblib",
                    "--export", "m.py") == 0
    assert joblib.load("m.joblib").profile_.categorical == ("code",)
    run_main("predict", "m.joblib", "codes.csv", "--output", "p.csv")
    expected = (pd.read_csv("codes.csv", dtype=str)["code"] == "007").astype(int)
    assert (pd.read_csv("p.csv")["prediction"] == expected).all()
    script = run_script_here("m.py", "train.csv", "--predict", "codes.csv")
    assert script.returncode == 0, script.stderr
    assert (pd.read_csv(io.StringIO(script.stdout))["t"] == expected).all()


def test_a_count_written_with_a_leading_zero_keeps_a_target_numeric(tmp_path, monkeypatch):
    """Found (session 33's hunt): one cell "0091" among whole numbers made the whole
    target text, so --task auto took its 95 values for classes (ending on the dummy).
    Now the numbers decide the task, and a regression target is read as numbers."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 120)
    count = [str(int(v)) for v in 3 * x + 100]
    count[5] = "0" + count[5]
    # and a cell pandas reads as missing (found by session 34's hunt: "NA" became a
    # class, and every count with it): its row is left out, as among plain numbers
    count[9] = "NA"
    pd.DataFrame({"x": x, "count": count}).to_csv("train.csv", index=False)
    assert run_main("fit", "train.csv", "--target", "count", *FAST, "--output",
                    "m.joblib") == 0
    model = joblib.load("m.joblib")
    assert isinstance(model, AutoRegressor) and model.best_score_ > 0.9
    assert model.profile_.n_rows == 119


def test_a_model_fit_on_an_array_predicts_a_csv_by_position_without_a_warning(
        tmp_path, monkeypatch, capsys):
    """Found (session 33's hunt): every predict of a model fit on a numpy array showed
    scikit-learn's "X has feature names, but AutoClassifier was fitted without
    feature names", which the user of the command line cannot avoid."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    model = AutoClassifier(time_budget=10, max_trials=1, n_jobs=1, search="random",
                           include=["logistic_regression"], random_state=0).fit(X, y)
    joblib.dump(model, "m.joblib")
    pd.DataFrame(X, columns=["a", "b", "c"]).to_csv("rows.csv", index=False)
    capsys.readouterr()
    assert run_main("predict", "m.joblib", "rows.csv", "--output", "p.csv") == 0
    assert capsys.readouterr().err == ""
    assert (pd.read_csv("p.csv")["prediction"] == model.predict(X)).all()
    # a CSV that still holds the target: which column it is, such a model cannot tell
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(t=y).to_csv("train.csv", index=False)
    assert_one_line_error(run_main("predict", "m.joblib", "train.csv"), capsys.readouterr().err,
                          1, "train.csv has 4 columns, but the model was fit on an array of 3",
                          "(no target column)")


def test_date_columns_are_read_as_dates_at_predict_in_any_iso_form(tmp_path, monkeypatch):
    """Found (session 33's hunt): a column fitted as ISO dates was re-typed from each
    predict CSV: dates all written 20200131 were read as numbers, silently, and a
    file mixing both forms read the ISO ones as missing. The model records its date
    columns; the command line and the exported script read them as dates."""
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, 150), unit="D")
    train = pd.DataFrame({"day": day.strftime("%Y-%m-%d"),
                          "t": (day > pd.Timestamp("2020-07-01")).astype(int)})
    train.to_csv("train.csv", index=False)
    compact = day.strftime("%Y%m%d")
    rows = pd.DataFrame({"day": np.where(np.arange(150) % 3, compact, train["day"])})
    rows.to_csv("mixed.csv", index=False)
    pd.DataFrame({"day": compact}).to_csv("compact.csv", index=False)
    assert run_main("fit", "train.csv", "--target", "t", *FAST, "--output", "m.joblib",
                    "--export", "m.py") == 0
    model = joblib.load("m.joblib")
    assert model.profile_.dates == ("day",)
    expected = model.predict(train[["day"]])
    assert (expected == train["t"]).mean() > 0.9  # the dates decide the target
    for name in ("compact.csv", "mixed.csv"):
        assert run_main("predict", "m.joblib", name, "--output", "p.csv") == 0
        assert (pd.read_csv("p.csv")["prediction"] == expected).all(), name
        script = run_script_here("m.py", "train.csv", "--predict", name)
        assert script.returncode == 0 and script.stderr == "", script.stderr
        assert (pd.read_csv(io.StringIO(script.stdout))["t"] == expected).all(), name


def test_ctrl_c_during_the_search_saves_the_model_and_exits_130(tmp_path, terminal_sigint):
    """Found (session 32): after a Ctrl-C the fit saved its model and exited 0, so
    `fit ... && next` went on as if the search had run its course. The command starts
    with SIGINT's default action, as from a terminal, whatever this process inherited
    (``terminal_sigint``: in session 49's busy runs, started in the background of a
    script, it inherited SIGINT ignored and ran its fit on after the signal)."""
    pd.DataFrame({"a": np.arange(200) % 7, "y": np.arange(200) % 2}).to_csv(
        tmp_path / "train.csv", index=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "automl_estimators", "fit", "train.csv", "--target", "y",
         "--time", "120", "--output", "m.joblib"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:  # the search has begun: the dummy is fitted
            if "searching with" in line:
                break
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=110)
    finally:
        process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted at" in stderr and "saved in m.joblib" in stderr
    assert joblib.load(tmp_path / "m.joblib").interrupted_at_ > 0


def test_ctrl_c_while_the_command_line_loads_ends_it_quietly(monkeypatch, capsys):
    """Found (session 33): a Ctrl-C in the 1-2 s that the command line takes to import
    scikit-learn and pandas printed Python's traceback of an import. The entry point
    loads it under a guard; the package itself imports neither until used."""
    import importlib.abc

    import automl_estimators.__main__ as entry

    class CtrlCOnImport(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "automl_estimators.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "automl_estimators.cli")
    monkeypatch.setattr(sys, "meta_path", [CtrlCOnImport(), *sys.meta_path])
    assert entry.main(["--version"]) == 130
    assert capsys.readouterr().err == "automl-estimators: interrupted\n"
    done = subprocess.run([sys.executable, "-c", "import sys, automl_estimators; "
                           "print(sorted({'sklearn', 'pandas'} & set(sys.modules)))"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    # The subpackages and modules the README names work after a bare import, as when
    # the package imported them all. Found by session 34's hunt: AttributeError.
    done = subprocess.run([sys.executable, "-c", "import automl_estimators as a; print("
                           "a.spaces.component_names('classification')[0], "
                           "a.search.Genetic.__name__, a.export.to_source.__name__)"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["extra_trees", "Genetic", "to_source"]


def test_version(capsys):
    from automl_estimators import __version__

    assert run_main("--version") == 0
    assert capsys.readouterr().out.strip() == f"automl-estimators {__version__}"


def test_warnings_are_one_line_without_the_script_s_path(tmp_path):
    """Found (session 32): a warning named the line of the installed command's own
    script (.../bin/automl-estimators:8), of no use on a command line."""
    pd.DataFrame({"a": range(40), "y": [0, 1] * 20}).to_csv(tmp_path / "train.csv",
                                                            index=False)
    result = run_cli("fit", "train.csv", "--target", "y", "--time", "0.3", "--output",
                     "m.joblib", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert warned and all(line.startswith("automl-estimators fit: warning: ") for line in warned)
    # the option, not the estimator's parameter (found by session 34's hunt)
    assert "--time 0.3 left no time for a trial" in warned[0]
    assert "Give a larger --time" in warned[0] and "time_budget" not in result.stderr
    assert "Warning:" not in result.stderr  # no "file:line: UserWarning:" form
