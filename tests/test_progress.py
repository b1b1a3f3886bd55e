"""Progress of a fit: a bar in a terminal, short status lines in a log, nothing at verbose=0."""

import io
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris

from automl_estimators import AutoClassifier
from automl_estimators.progress import STATUS_INTERVAL, Reporter, shows_bar
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET


class Clock:
    """A budget whose time the test sets."""

    total = 30.0

    def __init__(self):
        self.now = 0.0

    def elapsed(self):
        return self.now


def result(trial_id, score, status=Status.OK):
    return TrialResult(trial_id=trial_id, config={"model": "knn"}, origin="random",
                       fidelity=1.0, status=status, score=score)


def test_a_log_gets_a_status_line_on_a_new_best_and_every_few_seconds(monkeypatch):
    monkeypatch.setattr("automl_estimators.progress.time.monotonic", lambda: clock.now)
    clock, stream = Clock(), io.StringIO()
    reporter = Reporter(1, clock, "accuracy", stream=stream)
    assert not shows_bar(stream) and reporter._bar is None
    reporter.tick()                       # the first tick: a line
    clock.now = 1.0
    reporter.trial(result(1, 0.9), "knn")  # a new best: a line
    clock.now = 2.0
    reporter.trial(result(2, 0.8), "knn")  # neither new best nor interval: none
    reporter.trial(result(3, float("nan"), Status.CRASH), "knn")
    clock.now = 1.0 + STATUS_INTERVAL
    reporter.tick()                       # the interval: a line
    clock.now = 12.3
    reporter.close()                      # the end: a line
    assert stream.getvalue().splitlines() == [
        "[automl_estimators] 0.0/30s trials=0 failed=0 best accuracy=-",
        "[automl_estimators] 1.0/30s trials=1 failed=0 best accuracy=0.9000",
        "[automl_estimators] 6.0/30s trials=3 failed=1 best accuracy=0.9000",
        "[automl_estimators] 12.3/30s trials=3 failed=1 best accuracy=0.9000",
    ]


def test_a_terminal_gets_the_bar():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    reporter = Reporter(1, Clock(), "accuracy", stream=stream)
    assert shows_bar(stream) and reporter._bar is not None
    reporter.close()
    assert "\r" in stream.getvalue() and "automl:" in stream.getvalue()


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def fit(X, y, verbose):
    # Stops on its trials (tests/conftest.py): at time_budget=20 a trial's limit was
    # 5 s, and one timed out in session 50's busy suite ("failed=1").
    return AutoClassifier(time_budget=SLACK_BUDGET, max_trials=4, n_jobs=1, random_state=0,
                          search="random", verbose=verbose).fit(X, y)


def test_a_fit_logged_to_a_file_writes_short_lines(iris, capfd):
    fit(*iris, verbose=1)
    err = capfd.readouterr().err
    lines = err.splitlines()
    status = [line for line in lines if "trials=" in line]
    assert len(status) >= 3, err   # the first tick, a first best, the end
    assert "\r" not in err and len(err) < 4000
    assert max(len(line) for line in status) < 100
    assert status[-1].startswith("[automl_estimators] ") and "trials=4 failed=0" in status[-1]


def test_verbose_0_prints_nothing_even_for_a_metrics_warnings(capfd):
    # Precision of a model that predicts no positive is ill-defined: scikit-learn warns
    # on each such fold, in the parent that scores the trials.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(120, 4)), (rng.random(120) < 0.15).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AutoClassifier(time_budget=SLACK_BUDGET, max_trials=3, n_jobs=1, random_state=0,
                       search="random", metric="precision", verbose=0).fit(X, y)
    assert [str(w.message) for w in caught] == []
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_the_packages_logged_warnings_are_silent_unless_logging_is_configured():
    # Without a handler anywhere, logging's last resort would print a library's warnings.
    import subprocess
    import sys

    code = ("import logging, automl_estimators; "
            "logging.getLogger('automl_estimators.search_loop').warning('hidden')")
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)
    assert quiet.stderr == ""
    shown = subprocess.run([sys.executable, "-c", "import logging; logging.basicConfig(); "
                            + code], capture_output=True, text=True, check=True)
    assert "hidden" in shown.stderr
