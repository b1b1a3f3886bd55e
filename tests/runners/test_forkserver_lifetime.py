"""The forkserver that a fit started is stopped once no fit has used it for a while
(runners/forkserver_lifetime.py), never under a running fit or a process of the
user's, and a later fit starts another. Each case runs in a fresh process, with
IDLE_SECONDS shortened there."""

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import SLACK_BUDGET

# What each script runs first: a short idle time, a fit that counts its failed
# trials, and the forkserver's process id. The fit stops on its trials, its budget
# tests/conftest.py's SLACK_BUDGET (a trial's limit is a share of it), given as the
# script's second argument.
_PRELUDE = textwrap.dedent("""
    import multiprocessing, os, sys, time
    from multiprocessing import forkserver
    from sklearn.datasets import load_iris
    from automl_estimators import AutoClassifier
    from automl_estimators.runners import forkserver_lifetime
    forkserver_lifetime.IDLE_SECONDS = float(sys.argv[1])
    BUDGET = float(sys.argv[2])
    X, y = load_iris(return_X_y=True)

    def fit(trials=3):
        model = AutoClassifier(time_budget=BUDGET, max_trials=trials, n_jobs=2, random_state=0,
                               search="random", verbose=0).fit(X, y)
        board = model.leaderboard_
        assert (board["status"] == "ok").all(), board
        return model

    def server():
        return forkserver._forkserver._forkserver_pid

    def alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"

    def sleep(seconds):
        time.sleep(seconds)
""")

_CASES = {
    # stopped after the idle time; the next fit starts another, stopped in turn
    "stopped_when_idle": """
        fit()
        first = server()
        assert first is not None and alive(first)
        sleep(3)
        assert server() is None and not alive(first)
        fit()
        second = server()
        assert second not in (None, first) and alive(second)
        sleep(3)
        assert server() is None and not alive(second)
    """,
    # an idle time far shorter than a fit: never stopped while a pool runs (its
    # workers would die with it: failed trials)
    "kept_while_a_fit_runs": """
        for _ in range(2):
            fit(trials=8)
        print("ok")
    """,
    # a process of the user's from the same forkserver keeps it; stopped once it ended
    "kept_for_a_process_of_the_users": """
        fit()
        first = server()
        child = multiprocessing.get_context("forkserver").Process(target=time.sleep, args=(4,))
        child.start()
        sleep(2.5)
        assert server() == first and alive(first) and child.is_alive()
        child.join()
        assert child.exitcode == 0
        sleep(3)
        assert server() is None and not alive(first)
    """,
    # a fork-based pool of the user's holds a copy of the forkserver's liveness pipe:
    # the stop does not wait for it (the standard library's own stop would)
    "stopped_beside_a_fork_pool_of_the_users": """
        fit()
        first = server()
        with multiprocessing.get_context("fork").Pool(1) as pool:
            sleep(3)
            assert server() is None and not alive(first)
            assert pool.apply(abs, (-2,)) == 2
            fit()
            assert alive(server())
    """,
    # a forkserver the user started before any fit is never stopped
    "not_the_users_own": """
        ctx = multiprocessing.get_context("forkserver")
        p = ctx.Process(target=abs, args=(1,))
        p.start(); p.join()
        first = server()
        fit()
        assert server() == first
        sleep(3)
        assert server() == first and alive(first)
    """,
}


@pytest.mark.parametrize("case", sorted(_CASES))
def test_the_forkserver_of_a_fit_is_stopped_once_idle_and_only_then(case):
    idle = "0.01" if case == "kept_while_a_fit_runs" else "1.0"
    script = _PRELUDE + "if __name__ == '__main__':\n" + textwrap.indent(
        textwrap.dedent(_CASES[case]), "    ")
    done = subprocess.run([sys.executable, "-c", script, idle, str(SLACK_BUDGET)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
