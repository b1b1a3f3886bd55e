"""How trial workers start: the forkserver (or loky's spawn), and their environment."""

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
