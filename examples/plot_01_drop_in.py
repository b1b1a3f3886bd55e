"""
Drop-in use in an existing scikit-learn script
==============================================

A script written for a scikit-learn estimator keeps working when the estimator
is :class:`~automl_estimators.AutoClassifier`: the same ``fit``, ``predict``,
``predict_proba`` and ``score``, the same metrics afterwards. Only the line that
makes the estimator changes.
"""

import os

# Seconds each fit may take. The documentation's test build sets a tiny budget
# through this variable; run as it is, the example uses a real one.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
# The script as it was
# --------------------
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

model = RandomForestClassifier(random_state=0)
model.fit(X_train, y_train)
print(f"random forest, test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# The same script with an AutoClassifier
# --------------------------------------
# ``time_budget`` is the whole fit's wall-clock time, refit included.
from automl_estimators import AutoClassifier

model = AutoClassifier(time_budget=BUDGET, n_jobs=2, random_state=0)
model.fit(X_train, y_train)
print(f"AutoClassifier, test accuracy: {model.score(X_test, y_test):.3f}")
print(classification_report(y_test, model.predict(X_test)))

# %%
# What the fit chose, and why
# ---------------------------
# ``search_plan_`` holds the resampling, the strategy and the neural branch
# chosen for this data and budget, with the reason; ``model_`` is what
# ``predict`` uses (an ensemble or one pipeline) and ``refit_`` how it was
# fitted.
print(model.search_plan_.reason)
print(f"{model.n_trials_} trials in {model.fit_time_:.1f} s; final model refit on: {model.refit_}")
model.leaderboard_[["rank", "pipeline", "score", "ensemble_weight", "status"]].head(10)

# %%
# The fitted estimator is an ordinary scikit-learn object: it pickles, and
# ``clone`` gives an unfitted copy with the same parameters.
import pickle

from sklearn.base import clone

restored = pickle.loads(pickle.dumps(model))
print((restored.predict(X_test) == model.predict(X_test)).all())
print(clone(model))
