"""
Categorical columns and missing values in pandas
================================================

``fit`` takes a pandas DataFrame as it is: numeric columns with missing
values, ``category`` and string columns (with missing values too), booleans.
No imputation or encoding is needed beforehand: each column's kind is decided
once at ``fit`` (``profile_``) and every pipeline of the search imputes and
encodes by kind. At ``predict``, categories not seen at fit and missing
values where there were none work as well.
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
# A data set with every kind of column
# ------------------------------------
# Generated here, so that the example needs no download: a loan decision that
# depends on income, on the kind of contract and on the region.
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
n = 1200
income = rng.lognormal(10, 0.5, n)
contract = rng.choice(["permanent", "temporary", "freelance"], n, p=[0.6, 0.3, 0.1])
region = rng.choice([f"region_{i}" for i in range(30)], n)
owner = rng.random(n) < 0.4
logit = (np.log(income) - 10) * 2 + (contract == "permanent") * 1.5 - (contract == "freelance") \
    + owner + (np.char.endswith(region.astype(str), "7")) * 1.0 + rng.normal(0, 1, n)
X = pd.DataFrame({
    "income": income,
    "age": rng.integers(18, 70, n).astype(float),
    "contract": pd.Categorical(contract),
    "region": region,  # strings (object dtype)
    "home_owner": owner,
})
y = pd.Series(np.where(logit > 0.5, "approved", "declined"), name="decision")

# Missing values in a numeric, a categorical and a string column.
for column in ["income", "contract", "region"]:
    X.loc[rng.random(n) < 0.1, column] = np.nan
X.dtypes

# %%
from sklearn.model_selection import train_test_split

from automl_estimators import AutoClassifier

X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
clf = AutoClassifier(time_budget=BUDGET, random_state=0).fit(X_train, y_train)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")
print("classes:", clf.classes_)

# %%
# How each column was read
# ------------------------
# ``profile_`` holds the column kinds inferred at fit; the best pipeline shows
# the imputation and encoding the search chose for them.
print("categorical:", clf.profile_.categorical)
print("high-cardinality (frequency-encoded):", clf.profile_.high_cardinality)
clf.best_pipeline_

# %%
# New rows: an unseen region, missing values in columns that had none
# ---------------------------------------------------------------------
new = pd.DataFrame({
    "income": [52_000.0, np.nan],
    "age": [np.nan, 41.0],
    "contract": pd.Categorical(["permanent", None]),
    "region": ["a region never seen", None],
    "home_owner": [True, False],
})
print(clf.predict(new))
print(clf.predict_proba(new).round(3))
