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
