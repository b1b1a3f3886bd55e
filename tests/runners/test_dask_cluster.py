"""Trials on Dask workers: their process pools import the preload modules first; a
scheduler address is checked before the fit and given a bounded time to answer."""

import socket
import warnings

import numpy as np
import pytest

from automl_estimators import AutoClassifier
from automl_estimators.runners import dask_cluster
from tests.conftest import SLACK_BUDGET, loaded_bound
from tests.misbehaving import imported

distributed = pytest.importorskip("distributed")

MODULE = "wave"  # a standard-library module nothing else here imports


def _trial_process_has(module):
    """Dask task: whether a trial process of this worker's pool has ``module``."""
    pool = dask_cluster._pool(None, (module,))
    try:
        return pool.schedule(imported, args=(module,)).result(timeout=60)
    finally:
        dask_cluster._release("no data")


def test_trial_processes_on_dask_import_the_preload_before_the_trial():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert client.submit(_trial_process_has, MODULE, pure=False).result(timeout=120)
        runner = dask_cluster.DaskRunner(client, {"X": None}, None, preload=(MODULE,))
        try:
            assert runner._preload == (MODULE,)  # sent with every trial (run_trial)
        finally:
            runner.close()


@pytest.mark.parametrize("address", ["not an address", "foo://host:8786", "tcp://host",
                                     # found in session 33's hunt: warned "did not answer"
                                     "tcp://127.0.0.1:99999", "tcp://:8786", "inproc://x",
                                     "inproc://192.0.2.1/1/1"])
def test_an_address_dask_cannot_read_is_refused_before_the_fit(address):
    """Found (session 32): a malformed address failed after the dummy's fit, and the
    half-made client hung the interpreter's exit for a minute."""
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    with pytest.raises(ValueError, match="is not a Dask scheduler address"):
        AutoClassifier(dask_client=address, max_trials=1).fit(X, y)


@pytest.mark.parametrize("server", ["refusing", "silent"])
def test_a_scheduler_that_does_not_answer_leaves_the_trials_to_local_processes(server):
    """Found (session 32): an unreachable address made a 5 s fit take 30 s (distributed's
    connect timeout). A closed port refuses at once; a listener that never speaks
    Dask holds the connection: the fit waits a tenth of its budget, at most 5 s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if server == "refusing":
        listener.close()
    else:
        listener.listen()
    X, y = np.arange(80.0).reshape(40, 2), np.arange(40) % 2
    try:
        with pytest.warns(UserWarning, match="the scheduler did not answer within 0.5s.*"
                                             "the trials run in local processes"):
            clf = AutoClassifier(time_budget=5, max_trials=1, n_jobs=1, random_state=0,
                                 dask_client=f"tcp://127.0.0.1:{port}").fit(X, y)
    finally:
        listener.close()
    # The dummy and the first trial, run locally. (Two trials within the 5 s did not
    # always fit on a loaded machine: session 50, beside the busy suite.)
    assert clf.n_trials_ == 2
    assert clf.fit_time_ <= loaded_bound(5)


def test_a_scheduler_address_runs_the_trials_on_its_cluster():
    """The address form of dask_client: the fit opens its own client (closed after)
    once the scheduler has answered, and the trials run on the cluster's worker."""
    X, y = np.arange(80.0).reshape(40, 2), np.arange(40) % 2
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  protocol="tcp://", dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # no fallback to local processes
            clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=2, random_state=0,
                                 dask_client=cluster.scheduler_address).fit(X, y)
        assert clf.n_trials_ == 3
        # ours is closed: what is left is the scheduler's own and the worker's client
        assert [c for c in cluster.scheduler.clients if not c.startswith(
            ("fire-and-forget", "Client-worker-"))] == []


def test_the_in_process_address_of_a_live_scheduler_is_taken():
    """An ``inproc://`` address is refused only where no scheduler of this process
    listens at it: that of a threads-only LocalCluster runs the fit, without a warning."""
    X, y = np.arange(80.0).reshape(40, 2), np.arange(40) % 2
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, warnings.catch_warnings():
        assert cluster.scheduler_address.startswith("inproc://")
        warnings.simplefilter("error")
        clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=2, n_jobs=1,
                             random_state=0, dask_client=cluster.scheduler_address).fit(X, y)
    assert clf.n_trials_ == 3
