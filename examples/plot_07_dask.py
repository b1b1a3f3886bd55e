"""
Trials on a Dask cluster
========================

With ``dask_client``, the trials run on the workers of a Dask cluster instead
of local processes, each under the same time and memory limits (a trial runs in
a child process of its Dask worker, which can be stopped when it overruns).
The data is sent to every worker once. The fit's own clock, the search and the
final refit stay in this process.

This example starts a small ``LocalCluster`` inside this process
(``processes=False``: its worker is a thread, so the script needs no
``if __name__ == "__main__":`` guard; a cluster with worker *processes* does).
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
from distributed import Client, LocalCluster
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from automl_estimators import AutoClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                       dashboard_address=None)
client = Client(cluster)
print(client)

# %%
# Trials at once: the cluster's worker threads (here 2). The client is yours:
# ``fit`` never closes it, clones share it, and a pickle of the estimator
# leaves it out.
clf = AutoClassifier(time_budget=BUDGET, dask_client=client, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}, {clf.n_trials_} trials")
clf.leaderboard_[["rank", "pipeline", "score", "status"]].head()

# %%
client.close()
cluster.close()

# %%
# A remote scheduler
# ------------------
# On a cluster started elsewhere (``dask scheduler`` on one machine,
# ``dask worker tcp://scheduler:8786`` on each of the others, each with this
# package installed), pass the scheduler's address: ``fit`` opens a client for
# the fit and closes it after::
#
#     clf = AutoClassifier(time_budget=600, dask_client="tcp://scheduler:8786")
#     clf.fit(X_train, y_train)
#
# or pass a ``Client`` of your own, connected to it, as above.
