"""Where trials run: the runner interface (:mod:`.base`), the worker's task
(:mod:`.task`), how worker processes start (:mod:`.processes`) and when their
forkserver stops (:mod:`.forkserver_lifetime`), and the two
runners, local processes (:mod:`.pool`) and a Dask cluster (:mod:`.dask_cluster`).
"""

from .base import NoWorkers, Runner
from .dask_cluster import DaskRunner, check_address, dask_client
from .pool import PoolRunner
from .processes import WorkersUnavailable, outcome
from .task import trains_within_time

__all__ = ["DaskRunner", "NoWorkers", "PoolRunner", "Runner", "WorkersUnavailable",
           "check_address", "dask_client", "outcome", "trains_within_time"]
