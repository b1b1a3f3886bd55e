"""
Warm-starting a fit from an earlier fit
=======================================

``warm_start`` says what a fit evaluates first, right after the strong default
(HistGradientBoosting at its defaults, always first). A list of configurations,
such as an earlier fit's ``best_config_`` or the top rows of its leaderboard,
makes the new search start from what the earlier one found, and the search
strategy learns from those results as from its own. ``warm_start="knn"``,
``"portfolio"`` and ``"auto"`` draw configurations from the meta-data of
earlier datasets shipped with the package instead.
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
# A first fit, on last month's data
# ---------------------------------
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from automl_estimators import AutoClassifier

X, y = make_classification(n_samples=3000, n_features=20, n_informative=8, random_state=0)
X_old, X_new, y_old, y_new = train_test_split(X, y, test_size=0.5, random_state=0)

first = AutoClassifier(time_budget=BUDGET, random_state=0).fit(X_old, y_old)
print("best configuration of the first fit:")
print(first.best_config_)

# %%
# A second fit, on new data, starting from the first fit's results
# ----------------------------------------------------------------
# The best successful configurations of the first fit (``config`` holds each
# trial's configuration; the dummy fallback's is empty).
ok = first.leaderboard_[first.leaderboard_["status"] == "ok"]
earlier = [config for config in ok["config"] if config][:3]
second = AutoClassifier(time_budget=BUDGET, warm_start=earlier, random_state=1)
second.fit(X_new, y_new)

# %%
# ``origin`` says who proposed each trial: ``"default"`` for the strong
# default, ``"warm_start"`` for the configurations passed in, then the
# strategy's own proposals.
second.leaderboard_[["rank", "trial", "origin", "pipeline", "score", "status"]].head(10)

# %%
# Learned warm starts
# -------------------
# ``"knn"``: the configurations that did best on the earlier datasets nearest
# to this one by meta-features; the shipped meta-data says where it comes from.
from automl_estimators.metalearning import load_metadata

provenance = load_metadata()["provenance"]
print(len(provenance["datasets"]), "datasets,", provenance["search_budget_s"], "s search each")

knn = AutoClassifier(time_budget=BUDGET, warm_start="knn", random_state=1).fit(X_new, y_new)
knn.leaderboard_[["rank", "origin", "pipeline", "score", "status"]].head(10)
