"""What ``n_jobs`` means in this package: how many trial workers, or threads, it asks for."""

from __future__ import annotations

from joblib import effective_n_jobs, parallel_config


def resolve_n_jobs(n_jobs: int | None) -> int:
    """``n_jobs`` as joblib resolves it: None is one (or the ``n_jobs`` of an active
    ``joblib.parallel_config``), a negative number counts back from the cores (-1:
    all of them).

    joblib's default backend gives 1 instead, with a warning ("Loky-backed parallel
    loops cannot be called in a multiprocessing, setting n_jobs=1"), in a daemonic
    process (a ``multiprocessing.Pool``'s worker, a Dask worker process) and below a
    thread of a parallel loop, where its own loky workers cannot start. This
    package's trial workers can (:mod:`.runners.processes`), and a model's threads
    are threads: the count is resolved as the threading backend does, without that
    fallback.
    """
    with parallel_config(backend="threading"):
        return effective_n_jobs(n_jobs)
