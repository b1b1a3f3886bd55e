"""Trials on Dask workers: their process pools import the preload modules first."""

import pytest

from automl_estimators.runners import dask_cluster
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
