"""A script that ends right after a fit whose workers were still starting exits cleanly."""

import subprocess
import sys
import textwrap


def test_a_script_ending_right_after_a_short_fit_prints_no_worker_traceback():
    # A fresh process: the forkserver starts with the fit, and a 2 s fit (the
    # shortest that starts workers, plan.WORKERLESS_BUDGET: 1.7 s) ends while it is
    # still starting them or just after (1.5 s and more). Before, the interpreter's
    # exit removed the pool's semaphores under them, and a worker printed a
    # FileNotFoundError traceback after the script's last line.
    script = textwrap.dedent("""
        from sklearn.datasets import load_iris
        from automl_estimators import AutoClassifier
        X, y = load_iris(return_X_y=True)
        AutoClassifier(time_budget=2, n_jobs=2, random_state=0, verbose=0).fit(X, y)
        print("fitted")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fitted"
    assert "Traceback" not in done.stderr, done.stderr


def test_a_script_ending_while_its_workers_start_prints_no_worker_traceback():
    """The same, made certain: the runner is closed at once, in a fresh process whose
    forkserver is still importing the libraries (a second and more), and the script
    ends. Found on Python 3.12 (session 27, 2 of 6 fits of 4 s beside two busy
    processes): the interpreter's exit refused the pool's start its threads ("can't
    create new thread at interpreter shutdown"), the pool was stopped with a worker
    forked but still reading its start data, and that worker printed a
    FileNotFoundError traceback; a pool stopped after its first worker alone was up
    did the same to its second."""
    script = textwrap.dedent("""
        import numpy as np
        from automl_estimators.runners.pool import PoolRunner
        X = np.zeros((10, 2)); y = np.arange(10) % 2
        runner = PoolRunner({"X": X, "y": y, "splits": [], "n_classes": 2}, 2, None)
        assert not runner.ready()
        runner.close()
        print("closed")
    """)
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "closed"
        assert done.stderr == "", done.stderr
