"""
Grid search over AutoClassifier's parameters, and cross-validation
==================================================================

:class:`~automl_estimators.AutoClassifier` follows scikit-learn's estimator
contract (parameters in ``__init__``, validated in ``fit``; ``get_params`` /
``set_params``; ``clone``), so scikit-learn's model-selection tools take it
like any other estimator: here ``GridSearchCV`` compares a single best pipeline
with an ensemble of the trials, and ``cross_val_score`` estimates the
generalisation of the whole AutoML procedure (an outer loop around its own
internal validation).
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
# Each ``GridSearchCV`` candidate is fitted once per fold, so each fit gets a
# share of the budget.
from sklearn.datasets import load_wine
from sklearn.model_selection import GridSearchCV, cross_val_score

from automl_estimators import AutoClassifier

X, y = load_wine(return_X_y=True)
auto = AutoClassifier(time_budget=BUDGET / 3, random_state=0)

grid = GridSearchCV(auto, {"ensemble_size": [0, 50]}, cv=2)
grid.fit(X, y)
for params, score in zip(grid.cv_results_["params"], grid.cv_results_["mean_test_score"]):
    print(params, f"mean accuracy over 2 folds: {score:.3f}")
print("best:", grid.best_params_)

# %%
# The refitted best estimator is a fitted AutoClassifier, with its leaderboard.
grid.best_estimator_.leaderboard_[["rank", "pipeline", "score", "status"]].head()

# %%
# ``cross_val_score`` clones the estimator for each fold and fits each clone
# on that fold's training rows only: the scores measure the procedure, search
# included, on rows it never saw.
scores = cross_val_score(auto, X, y, cv=3)
print("accuracy per fold:", scores.round(3), f"mean {scores.mean():.3f}")
