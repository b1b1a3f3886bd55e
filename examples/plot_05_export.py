"""
Export the final model as a script, and run it
==============================================

``export`` writes the fitted estimator's final model (``model_``) as a
standalone, readable Python script: scikit-learn / xgboost code with only the
non-default hyperparameters, a header saying what was fitted and how, and a
command line that reads a CSV as ``fit`` reads its input, fits on all its
rows and writes predictions. The script does not search: it refits the chosen
model.
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

from automl_estimators import AutoRegressor

X, y = load_diabetes(return_X_y=True, as_frame=True)  # y is a Series named "target"
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
reg = AutoRegressor(time_budget=BUDGET, random_state=0).fit(X_train, y_train)

folder = Path(tempfile.mkdtemp())
script = reg.export(folder / "best_model.py")
print(script.read_text())

# %%
# Run the exported script
# -----------------------
# It takes a training CSV (the target column defaults to the name of ``y`` at
# fit, here ``target``), and a CSV to predict.
pd.concat([X_train, y_train], axis=1).to_csv(folder / "train.csv", index=False)
X_test.to_csv(folder / "test.csv", index=False)
subprocess.run([sys.executable, str(script), str(folder / "train.csv"),
                "--predict", str(folder / "test.csv"),
                "--output", str(folder / "predictions.csv")], check=True)

predicted = pd.read_csv(folder / "predictions.csv")
predicted.head()

# %%
# When ``refit_`` is ``"all rows"``, the script fits the same model on the same
# rows as the estimator did, so the two predict alike (up to floating point and
# to models whose fit is not seeded); the header says otherwise when not.
import numpy as np

print("refit:", reg.refit_)
print("largest difference from the estimator's predictions:",
      float(np.abs(predicted.iloc[:, 0].to_numpy() - reg.predict(X_test)).max()))
