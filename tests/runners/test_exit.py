"""A script that ends right after a fit whose workers were still starting exits cleanly."""

import os
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


def test_a_script_that_fits_and_ends_leaves_no_folder_and_no_tracker_warning(
        tmp_path, short_tmp_path):
    """Every temporary folder of a fit with workers is registered with the resource
    tracker, multiprocessing's ``pymp-*`` included (scratch.py), and unregistered on a
    normal exit before it is removed: the tracker, which outlives the script by a
    moment, finds none left and prints nothing ("There appear to be 1 leaked folder
    objects"). ``run`` reads stderr until the tracker, which shares it, has ended."""
    folder = short_tmp_path
    log = tmp_path / "scratch.log"
    script = textwrap.dedent("""
        import logging, sys
        from sklearn.datasets import load_iris
        from automl_estimators import AutoClassifier
        logging.getLogger("automl_estimators.scratch").addHandler(logging.FileHandler(sys.argv[1]))
        logging.getLogger("automl_estimators.scratch").setLevel(logging.DEBUG)
        X, y = load_iris(return_X_y=True)
        AutoClassifier(time_budget=60, max_trials=6, n_jobs=2, random_state=0).fit(X, y)
        print("fitted")
    """)
    done = subprocess.run([sys.executable, "-c", script, str(log)], capture_output=True,
                          text=True, timeout=180,
                          env={**os.environ, "TMPDIR": str(folder)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fitted"
    assert done.stderr == "", done.stderr
    registered = log.read_text()
    assert "pymp-" in registered and "automl_estimators_" in registered, registered
    assert sorted(p.name for p in folder.iterdir()) == []
