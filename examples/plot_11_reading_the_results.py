"""
Reading the leaderboard and the plots
=====================================

A fitted estimator says what its search did: ``summary()`` in a few lines,
``leaderboard_`` one row per trial, and four plots, each drawn on a matplotlib
``Axes`` (a new one, or the ``ax=`` you pass) and returned:

- ``plot_search()``: the score of every trial over the fit's time, and the best so far;
- ``plot_leaderboard(top=10)``: the best trials' validation scores;
- ``plot_ensemble()``: the members of the final ensemble and their weights;
- ``plot_pareto()``: for ``search="genetic"``, the pipelines on the front of
  validation score against complexity that NSGA-II keeps.
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from automl_estimators import AutoClassifier

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
clf = AutoClassifier(time_budget=BUDGET, n_jobs=2, random_state=0).fit(X_train, y_train)
print(clf.summary())

# %%
# The leaderboard
# ---------------
# One row per trial, best first (``rank``), failures last with their
# ``status`` and ``error``. ``score`` is the validation score (the mean over
# folds under cross-validation, each fold in ``fold_scores``) in the metric of
# ``metric_``, greater is better; ``ensemble_weight`` the trial's weight in the
# final ensemble; ``fidelity`` below 1 marks a trial of successive halving's
# lower rungs (fewer iterations or rows: listed, never ranked); ``origin`` who
# proposed it; ``config`` the configuration (``best_config_`` is the first
# row's, a valid ``warm_start`` entry).
board = clf.leaderboard_
print(board["status"].value_counts().to_dict())
board[["rank", "trial", "pipeline", "score", "ensemble_weight", "fidelity", "origin",
       "status", "fit_seconds"]].head(15)

# %%
# The search over time
# --------------------
ax = clf.plot_search()
ax.figure.tight_layout()

# %%
# The best trials, and the ensemble
# ---------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
clf.plot_leaderboard(top=10, ax=left)
clf.plot_ensemble(ax=right)
fig.tight_layout()

# %%
# Genetic programming's Pareto front
# ----------------------------------
gp = AutoClassifier(time_budget=BUDGET, search="genetic", n_jobs=2, random_state=0)
gp.fit(X_train, y_train)
ax = gp.plot_pareto()
ax.figure.tight_layout()
