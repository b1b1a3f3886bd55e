"""
The neural branch on 1-D signals: MNIST-1D
==========================================

``image_shape=(length,)`` (or ``(1, length, channels)``) says each row is a
1-D signal: the networks of the search are then 1-D convolutional, with cells
of 1-D operations. MNIST-1D (Greydanus, 2020) is a small, procedurally
generated benchmark of 40-sample signals in 10 classes on which convolutions
beat models that read each sample as an independent feature; the ``mnist1d``
package generates it here (``pip install mnist1d``), without a download.
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "60"))

# %%
from mnist1d.data import get_dataset_args, make_dataset

from automl_estimators import AutoClassifier

data = make_dataset(get_dataset_args())
X_train, X_test, y_train, y_test = data["x"], data["x_test"], data["y"], data["y_test"]
print(X_train.shape, X_test.shape)

# %%
# ``neural="auto"`` (the default) turns the branch on for signals when torch
# is installed; the search then offers the networks beside the other models,
# and random search or SMAC choose their cells as hyperparameters.
clf = AutoClassifier(time_budget=BUDGET, image_shape=(40,), n_jobs=2, random_state=0)
clf.fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
print(clf.search_plan_.reason)

# %%
# One row per trial; the networks are the ``neural_network`` rows.
clf.leaderboard_[["rank", "model", "score", "status", "fit_seconds"]].head(10)

# %%
# A 1-D signal and what the final model predicts for it.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.plot(X_test[0])
ax.set_title(f"true class {y_test[0]}, predicted {clf.predict(X_test[:1])[0]}")
ax.set_xlabel("sample")
fig.tight_layout()
