"""How trial workers start: the forkserver (or loky's spawn), and their environment."""

import numpy as np
import pytest

from tests.conftest import SLACK_BUDGET


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
        # max_trials ends the fit, not the clock: spawned workers import everything
        # afresh, seconds on a loaded machine, which an 8 s budget did not leave
        f"    clf = AutoClassifier(time_budget={SLACK_BUDGET}, max_trials=2, search='random',\n"
        "                         n_jobs=1, random_state=0)\n"
        "    clf.fit(X, y)\n"
        "    print(sorted(set(clf.leaderboard_['status'])), clf.best_score_)\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "TMPDIR": str(long_dir)},
                         check=False)
    assert out.returncode == 0, out.stderr
    assert "forkserver cannot start" in out.stderr
    _, score = out.stdout.rsplit("]", 1)
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
            "from automl_estimators.runners.processes import worker_context\n"
            "if __name__ == '__main__':\n"
            "    with worker_context().Pool(1) as pool:\n"
            "        print(pool.apply(os.getenv, ('OMP_WAIT_POLICY',)))\n"
            "    print(repr(os.environ['OMP_WAIT_POLICY']))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "OMP_WAIT_POLICY": policy},
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == [in_workers, repr(policy)]


def test_workers_import_what_the_parent_imports_whatever_the_working_directory(tmp_path):
    """The forkserver starts as ``python -c``, with the working directory first on its
    path, and Python 3.11's drops the parent's path: a folder holding a module named
    like a library (here ``xgboost.py``) gave the workers that module instead of the
    parent's library, through the forkserver's preload. They import from the parent's
    path, and the parent's environment is left as it was."""
    import os
    import subprocess
    import sys

    here = tmp_path / "work"
    here.mkdir()
    # it imports (as another checkout of a package would): the forkserver's preload
    # took it, and the workers forked from it inherited it
    (here / "xgboost.py").write_text("SHADOW = 'not the library'\n")
    script = tmp_path / "fit.py"
    script.write_text(
        "import os\n"
        "from sklearn.datasets import load_iris\n"
        "from automl_estimators import AutoClassifier\n"
        "X, y = load_iris(return_X_y=True)\n"
        f"clf = AutoClassifier(time_budget={SLACK_BUDGET}, max_trials=2, search='random',\n"
        "                     include=['xgboost'], n_jobs=1, random_state=0).fit(X, y)\n"
        "board = clf.leaderboard_\n"
        "print(sorted(set(board['status'])), sorted(set(board['error'])))\n"
        "print(repr(os.environ.get('PYTHONSAFEPATH')), repr(os.environ.get('PYTHONPATH')))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSAFEPATH"}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, cwd=here, env=env, check=False)
    assert out.returncode == 0, out.stderr
    statuses, environment = out.stdout.strip().split("\n")[-2:]
    assert statuses == "['ok'] ['']", out.stdout  # the dummy and two xgboost trials
    assert environment == f"None {env.get('PYTHONPATH')!r}"


def test_an_answer_comes_back_through_a_file_that_is_then_removed():
    """A worker streams its answer (a fitted model too) to a file beside the data,
    never holding it twice; the parent reads it and removes the file."""
    import os

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from automl_estimators.runners.pool import PoolRunner
    from automl_estimators.runners.processes import outcome
    from automl_estimators.trial import TrialTask

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    splits = [(np.arange(40), np.arange(40, 60))]
    runner = PoolRunner({"X": X, "y": y, "splits": splits, "n_classes": 2}, 1, None)
    try:
        future = runner.schedule(TrialTask(LogisticRegression(), folds=(0,),
                                           return_model=True), 120)
        sent = future.result(timeout=120)
        assert isinstance(sent, str) and os.path.dirname(sent) == runner._folder.path
        answer = outcome(future)
        assert answer.ok and answer.model.coef_.shape == (1, 3)
        assert answer.predictions[0].values.shape == (20, 2)
        assert sorted(os.listdir(runner._folder.path)) == ["data.joblib"]
    finally:
        runner.close()


def test_an_answer_that_cannot_be_written_beside_the_data_comes_through_the_pipe(
        tmp_path, monkeypatch):
    """A full disk (any OSError writing the file) costs memory, not the trial."""
    import cloudpickle
    import numpy as np
    from sklearn.dummy import DummyClassifier

    from automl_estimators.runners import processes
    from automl_estimators.trial import TrialTask

    X, y = np.zeros((10, 2)), np.array([0, 1] * 5)
    import joblib

    path = tmp_path / "data.joblib"
    joblib.dump({"X": X, "y": y, "splits": [(np.arange(6), np.arange(6, 10))],
                 "n_classes": 2}, path)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(processes.tempfile, "mkstemp", full)
    sent = processes._run_pickled(cloudpickle.dumps(
        (str(path), TrialTask(DummyClassifier(), folds=(0,)))))
    assert isinstance(sent, bytes)
    assert cloudpickle.loads(sent).ok
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.joblib"]


def _one_worker_evaluator(**limits):
    """An Evaluator of 120 rows, 3 folds and one trial worker (``limits``: e.g.
    ``memory_limit``)."""
    from sklearn.model_selection import StratifiedKFold

    from automl_estimators.evaluation import Evaluator
    from automl_estimators.scoring import get_metric

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = (X[:, 0] > 0).astype(int)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    return Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                     metric=get_metric(None, "classification"), **limits)


def _run(evaluator, estimator):
    """One trial of ``estimator`` in a worker, its model returned."""
    import time

    future = evaluator.submit(estimator, SLACK_BUDGET, return_model=True)
    return evaluator.collect(future, trial_id=1, config={}, origin="test",
                             submitted=time.monotonic())


def test_a_worker_whose_trial_failed_is_replaced_before_its_next_trial():
    """A failure in native code can leave a process failing every later trial (oneDNN's
    "could not create a primitive" did, for 29 trials in a row): a worker whose
    trial failed leaves the pool, a fresh one takes the next trial; a worker whose
    trials succeed is kept."""
    from automl_estimators.trial import Status
    from tests.misbehaving import Poisoner, PoisonSensitive

    with _one_worker_evaluator() as ev:
        first, again = _run(ev, PoisonSensitive()), _run(ev, PoisonSensitive())
        assert first.ok and again.ok and first.model.pid_ == again.model.pid_
        failed = _run(ev, Poisoner())
        assert failed.status == Status.CRASH and "could not create a primitive" in failed.error
        after = _run(ev, PoisonSensitive())
        assert after.ok, after.error
        assert after.model.pid_ != first.model.pid_


@pytest.mark.parametrize("preload, gpu, guard", [
    (("torch",), True, "resident"), (("torch",), False, "address_space"),
    ((), True, "address_space")])
def test_workers_that_may_train_on_a_gpu_watch_their_resident_size(monkeypatch, preload, gpu,
                                                                   guard):
    """CUDA does not start under an address-space cap (on an H200 machine every
    network trial then trained on the CPU): a pool that imports torch on a machine
    with a CUDA GPU guards its workers' resident size instead."""
    from automl_estimators.nas import torch_dependency
    from automl_estimators.runners import processes

    monkeypatch.setattr(torch_dependency, "cuda_available", lambda: gpu)
    assert processes.memory_guard(preload) == guard


def test_a_worker_under_the_resident_size_guard_is_stopped_past_its_limit(monkeypatch):
    """Under the resident-size guard a worker has no address-space cap, a trial that
    fills memory past the limit ends as a memory-out, and the next trial runs."""
    import resource

    from sklearn.linear_model import LogisticRegression

    from automl_estimators.runners import processes
    from automl_estimators.trial import Status
    from tests.misbehaving import AddressSpaceCap, MemoryHog

    monkeypatch.setattr(processes, "memory_guard", lambda preload=(): "resident")
    with _one_worker_evaluator(memory_limit=300) as ev:
        free = _run(ev, AddressSpaceCap())
        assert free.ok, free.error
        assert free.model.cap_ == resource.RLIM_INFINITY
        hog = _run(ev, MemoryHog(megabytes=2000))
        assert hog.status == Status.MEMOUT, hog.error
        assert _run(ev, LogisticRegression()).ok


@pytest.mark.parametrize("present, gpu", [
    ((), False), (("/proc/driver/nvidia/version",), True), (("/dev/nvidiactl",), True)])
def test_a_gpu_is_seen_from_the_driver_before_torch_is_imported(monkeypatch, present, gpu):
    """Before torch is imported (seconds), the NVIDIA driver's /proc entry or its
    control device (what a container or sandbox may pass through alone) stands for
    a usable GPU; the memory guard and the plan read this."""
    import os
    import sys

    from automl_estimators.nas import torch_dependency

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(torch_dependency, "torch_available", lambda: True)
    real_exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda path: path in present if path in
                        torch_dependency.NVIDIA_DRIVER_PATHS else real_exists(path))
    assert torch_dependency.cuda_available() is gpu


def test_the_data_folder_is_registered_before_the_workers_start(monkeypatch):
    """A fit stopped from outside (SIGTERM) while its workers started (its first one
    or two seconds, more on a busy machine) left its data folder and multiprocessing's
    in TMPDIR: they were registered with the tracker only once every worker was up.
    Now the thread that starts the workers registers them first."""
    from automl_estimators.runners import pool as pool_module
    from automl_estimators.runners.pool import PoolRunner
    from automl_estimators.scratch import ScratchFolder

    events = []
    start, track = pool_module.start_workers, ScratchFolder.track

    def start_workers(trial_pool):
        events.append("start")
        start(trial_pool)

    def tracked(folder):
        track(folder)
        events.append("tracked")

    monkeypatch.setattr(pool_module, "start_workers", start_workers)
    monkeypatch.setattr(ScratchFolder, "track", tracked)
    X = np.zeros((10, 2))
    runner = PoolRunner({"X": X, "y": np.arange(10) % 2, "splits": [], "n_classes": 2}, 1,
                        None)
    try:
        assert runner.ready(timeout=120)
        assert events[:2] == ["tracked", "start"], events
    finally:
        runner.close()
