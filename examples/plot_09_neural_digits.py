"""
The neural branch on images: digits
===================================

``image_shape`` says that each row of ``X`` is a flattened image (height,
width[, channels], channels last): the neural networks in the search are then
convolutional, built from searched cells, and no step changes the columns
before them. Here the 8x8 digits of scikit-learn, with ``search="evolution"``
(regularized evolution of the networks' cells and training recipes, with
successive halving over epochs). Networks need torch
(``pip install -e ".[nas]"``).
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "60"))

# %%
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from automl_estimators import AutoClassifier

X, y = load_digits(return_X_y=True)
print(X.shape)  # 64 columns: 8 x 8 pixels
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

clf = AutoClassifier(time_budget=BUDGET, neural=True, image_shape=(8, 8), search="evolution",
                     n_jobs=2, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# The plan says that the branch is on, and why; evolution proposes networks
# only, after the usual warm start (the strong default and the other models'
# defaults), so the leaderboard holds both.
print(clf.search_plan_.neural, "-", clf.search_plan_.reason)
board = clf.leaderboard_
board[["rank", "model", "origin", "score", "fidelity", "status", "fit_seconds"]].head(10)

# %%
# A network trial that finished holds its size and cells in its ``info``
# (``history_`` keeps every trial in the order it started). How many finish
# depends on the budget and the machine: a trial past its limit is a
# ``timeout`` row above.
networks = [t for t in clf.history_ if t.config.get("model") == "neural_network" and t.info]
print(f"{len(networks)} network trials finished, of {clf.n_trials_} trials in {clf.fit_time_:.1f} s")
for trial in networks[:3]:
    print(trial.status.value, trial.info.get("n_parameters"), "parameters")
    print("  ", trial.info.get("architecture"))
