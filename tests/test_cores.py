"""What ``n_jobs`` resolves to (cores.resolve_n_jobs); in a daemonic process, where
joblib gives 1: tests/runners/test_worker_start.py."""

from joblib import cpu_count, parallel_config

from automl_estimators.cores import resolve_n_jobs


def test_n_jobs_resolves_as_joblib_does():
    assert resolve_n_jobs(None) == 1
    assert resolve_n_jobs(2) == 2
    assert resolve_n_jobs(-1) == cpu_count()
    assert resolve_n_jobs(-cpu_count() - 5) == 1
    with parallel_config(n_jobs=3):
        assert resolve_n_jobs(None) == 3

