"""A Dask worker that dies mid-trial: the trial is recorded, the fit ends in time with a
model, and nothing of the dead worker's trial is left running; where it held the only copy
of the data, the trials after it run on the data scattered again."""

import os
import time

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from automl_estimators import AutoClassifier
from automl_estimators.runners.dask_cluster import DaskRunner
from automl_estimators.runners.processes import outcome
from automl_estimators.trial import Status, TrialTask
from tests.conftest import SLACK_BUDGET, loaded_bound
from tests.misbehaving import KillsItsWorker
from tests.test_faults import _replace_trials

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")


def test_a_dask_worker_killed_mid_trial_is_recorded_and_the_fit_ends_with_a_model(
        tmp_path, short_tmp_path, monkeypatch):
    X, y = load_iris(return_X_y=True)
    scratch = tmp_path / "dask"
    # The workers' temporary folder: multiprocessing's there (pymp-*, their trial
    # pools' forkserver socket) goes with the killed worker too (scratch.py).
    temporary = short_tmp_path
    monkeypatch.setenv("TMPDIR", str(temporary))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, local_directory=str(scratch),
                                  ) as cluster, distributed.Client(cluster) as client:
        pids = tuple(client.run(os.getpid).values())
        # trial 2 kills the worker that runs it; after the first, trials are normal
        _replace_trials(monkeypatch, lambda n: KillsItsWorker(
            pids, str(tmp_path / "killed"), seconds=120) if n == 2 else None)
        start = time.monotonic()
        # Stops on its trials: under load (session 50's busy suite), a 30 s budget ran
        # out while Dask still noticed the death, and trial 2 ended cancelled.
        clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=4, dask_client=client,
                             search="random", ensemble_size=1, random_state=0).fit(X, y)
        elapsed = time.monotonic() - start
        survivors = [p for p in pids if psutil.pid_exists(p)]
    assert (tmp_path / "killed").exists()  # the kill happened, in trial 2
    assert len(survivors) == 1
    lb = clf.leaderboard_.set_index("trial")
    assert lb.loc[2, "status"] == "crash", lb.loc[2, "error"]
    assert lb.loc[2, "error"].startswith("worker died")
    assert elapsed <= loaded_bound(SLACK_BUDGET)
    assert clf.best_config_ and clf.best_score_ > 0.8  # a trial's model, not the dummy
    # The killed worker's trial process did not run out its 120 s as an orphan.
    orphan = int((tmp_path / "killed").read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(orphan):
        time.sleep(0.2)
    assert not _running(orphan)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and list(temporary.iterdir()):
        time.sleep(0.2)
    assert sorted(p.name for p in temporary.iterdir()) == []


def test_a_worker_that_dies_with_the_only_copy_of_the_data_leaves_the_next_trials_running(
        tmp_path, short_tmp_path, monkeypatch):
    """Dask's memory manager keeps one copy of data no task waits for, broadcast or not
    (measured: CI's run of the test above lost it with trial 2's worker, and trials 3
    and 4 were cancelled). With one worker, the copy always goes with it."""
    monkeypatch.setenv("TMPDIR", str(short_tmp_path))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    data = {"X": X, "y": (X[:, 0] > 0).astype(int), "n_classes": 2,
            "splits": [(np.arange(40), np.arange(40, 60))]}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None,
                                  local_directory=str(tmp_path / "dask")) as cluster, \
            distributed.Client(cluster) as client:
        pids = tuple(client.run(os.getpid).values())
        runner = DaskRunner(client, data, None)
        try:
            killer = KillsItsWorker(pids, str(tmp_path / "killed"), seconds=120)
            died = outcome(runner.schedule(TrialTask(killer, folds=(0,)), 100), wait=150)
            after = outcome(runner.schedule(TrialTask(LogisticRegression(), folds=(0,)), 100),
                            wait=150)
        finally:
            runner.close()
    assert (tmp_path / "killed").exists()
    assert died.status == Status.CRASH, died.error
    assert died.error.startswith("worker died")
    assert after.ok, after.error


def _running(pid):
    """Whether ``pid`` runs (a zombie's parent, maybe a container's init, may not reap it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
