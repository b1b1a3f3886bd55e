"""Trials under limits: hangs, memory hogs and crashes become results, never exceptions."""

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from automl_estimators.evaluation import CRASH, MEMOUT, OK, TIMEOUT, Evaluator
from automl_estimators.scoring import get_metric
from tests.misbehaving import BusyInC, Crasher, MemoryHog, Sleeper


@pytest.fixture
def evaluator():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] > 0).astype(int)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=2,
                   metric=get_metric(None, "classification"), memory_limit=300) as ev:
        yield ev


def run(evaluator, estimator, timeout):
    future = evaluator.submit(estimator, timeout)
    return evaluator.collect(future, trial_id=1, config={}, origin="test",
                             submitted=time.monotonic())


def test_ok_trial_has_score_and_out_of_fold_predictions(evaluator):
    result = run(evaluator, LogisticRegression(), 30)
    assert result.status == OK and 0.8 < result.score <= 1.0
    assert len(result.fold_scores) == 3
    assert result.predictions.values.shape == (200, 2)
    np.testing.assert_allclose(result.predictions.values.sum(axis=1), 1.0, rtol=1e-5)


def test_hanging_trial_is_stopped_and_the_next_one_runs(evaluator):
    start = time.monotonic()
    result = run(evaluator, Sleeper(seconds=60), 1.0)
    assert result.status == TIMEOUT
    assert time.monotonic() - start < 10
    assert run(evaluator, LogisticRegression(), 30).status == OK


def test_memory_hog_is_stopped_and_recorded(evaluator):
    result = run(evaluator, MemoryHog(megabytes=2000), 30)
    assert result.status == MEMOUT, result.error
    assert run(evaluator, LogisticRegression(), 30).status == OK


def test_crash_is_recorded_with_its_error(evaluator):
    result = run(evaluator, Crasher(), 30)
    assert result.status == CRASH
    assert "deliberate failure in fit" in result.error


def test_parallel_trials_do_not_wait_for_a_hanging_one(evaluator):
    hang = evaluator.submit(Sleeper(seconds=60), 20)
    start = time.monotonic()
    result = run(evaluator, LogisticRegression(), 20)
    assert result.status == OK and time.monotonic() - start < 10
    hang.cancel()


def test_a_cancelled_trial_in_compiled_code_frees_its_worker_at_once(evaluator):
    busy = [evaluator.submit(BusyInC(), 60) for _ in range(2)]  # both workers in libsvm
    time.sleep(1.0)
    start = time.monotonic()
    for future in busy:
        future.cancel()
    result = run(evaluator, LogisticRegression(), 30)
    # pebble's Python-level SIGTERM handler waited 3 s per worker before SIGKILL
    assert result.status == OK and time.monotonic() - start < 2.0


def test_a_long_tmpdir_falls_back_to_spawned_workers(tmp_path):
    """The forkserver's socket path cannot exceed ~107 bytes; fits must still run trials."""
    import os
    import subprocess
    import sys

    long_dir = tmp_path / ("t" * (120 - len(str(tmp_path))))
    long_dir.mkdir()
    script = tmp_path / "fit.py"
    script.write_text(
        "from sklearn.datasets import load_iris\n"
        "from automl_estimators import AutoClassifier\n"
        "if __name__ == '__main__':\n"
        "    X, y = load_iris(return_X_y=True)\n"
        "    clf = AutoClassifier(time_budget=8, max_trials=2, n_jobs=1, random_state=0)\n"
        "    clf.fit(X, y)\n"
        "    print(sorted(set(clf.leaderboard_['status'])), clf.best_score_)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "TMPDIR": str(long_dir)})
    assert out.returncode == 0, out.stderr
    assert "forkserver cannot start" in out.stderr
    statuses, score = out.stdout.rsplit("]", 1)
    assert float(score) > 0.8  # a real model, not the dummy (1/3)


@pytest.mark.parametrize("policy, in_workers", [("PASSIVE", "None"), (" passive", "None"),
                                                ("ACTIVE", "ACTIVE")])
def test_workers_start_without_a_passive_openmp_wait_policy(policy, in_workers):
    """PASSIVE made 2-thread refits of HistGradientBoosting 7-12x slower
    (benchmarks/results/omp_wait_policy.md): workers drop it, keep any other
    policy, and the parent's own environment is left as it was."""
    import os
    import subprocess
    import sys

    code = ("import os\n"
            "from automl_estimators.evaluation import _context\n"
            "if __name__ == '__main__':\n"
            "    with _context().Pool(1) as pool:\n"
            "        print(pool.apply(os.getenv, ('OMP_WAIT_POLICY',)))\n"
            "    print(repr(os.environ['OMP_WAIT_POLICY']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "OMP_WAIT_POLICY": policy},
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [in_workers, repr(policy)]


def test_a_slow_network_returns_what_it_learned_within_the_trial_limit():
    """A network given far too many epochs trains for a share of the trial's time
    (its max_time), instead of being killed at the limit with nothing to show."""
    pytest.importorskip("torch")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from automl_estimators.nas import NeuralClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    splits = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    slow = make_pipeline(StandardScaler(), NeuralClassifier(
        max_epochs=100_000, patience=100_000, random_state=0))
    limit = 8.0
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                   metric=get_metric(None, "classification"), preload=("torch",)) as ev:
        submitted = time.monotonic()
        future = ev.submit(slow, limit, return_model=True)
        result = ev.collect(future, trial_id=1, config={}, origin="test", submitted=submitted)
        # a bound the user set stays theirs
        bounded = make_pipeline(StandardScaler(), NeuralClassifier(
            max_epochs=100_000, patience=100_000, max_time=0.5, random_state=0))
        again = ev.collect(ev.submit(bounded, limit, return_model=True), trial_id=2,
                           config={}, origin="test", submitted=time.monotonic())
    assert result.status == OK, result.error
    assert result.score > 0.8
    network = result.model[-1]
    assert network.stopped_by_time_ and 1 < network.n_iter_ < 100_000
    assert network.max_time is None  # the returned model refits without a bound
    assert again.status == OK and again.model[-1].max_time == 0.5
    assert again.fit_seconds < result.fit_seconds


def test_a_refit_does_not_cut_a_network_short(tmp_path):
    """A refit bounded by time would replace the search's network by a barely
    trained one; unbounded, it finishes or fails (and the search's model serves)."""
    pytest.importorskip("torch")
    import joblib
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from automl_estimators.evaluation import fit_and_predict
    from automl_estimators.nas import NeuralClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] > 0).astype(int)
    splits = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    path = str(tmp_path / "data.joblib")
    joblib.dump({"X": X, "y": y, "n_classes": 2, "splits": splits}, path)
    network = make_pipeline(StandardScaler(), NeuralClassifier(
        max_epochs=200, patience=1000, random_state=0))
    # the same tiny limit cuts a trial's network short, not a refit's
    trial = fit_and_predict(path, network, [0], return_model=True, time_limit=0.05)
    refit = fit_and_predict(path, network, None, return_model=True, time_limit=0.05)
    assert trial["status"] == refit["status"] == OK
    assert trial["model"][-1].stopped_by_time_ and trial["model"][-1].n_iter_ < 200
    assert refit["model"][-1].n_iter_ == 200 and not refit["model"][-1].stopped_by_time_
