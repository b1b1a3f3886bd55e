"""
The command line on a CSV file
==============================

``automl-estimators fit`` fits on a CSV file with a header row and saves the
fitted estimator (joblib); ``automl-estimators predict`` applies it to another
CSV. The task is decided from the target column (and said on stderr) unless
``--task`` gives it. Here the commands run through ``python -m
automl_estimators``, the same program as the ``automl-estimators`` script.
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
import subprocess
import sys
import tempfile
from pathlib import Path

from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

data = load_wine(as_frame=True).frame  # 13 measurements and "target"
train, test = train_test_split(data, stratify=data["target"], random_state=0)
folder = Path(tempfile.mkdtemp())
train.to_csv(folder / "train.csv", index=False)
test.drop(columns="target").to_csv(folder / "test.csv", index=False)


def run(*args):
    """Run the command line, showing its stdout and stderr."""
    done = subprocess.run([sys.executable, "-m", "automl_estimators", *args],
                          capture_output=True, text=True, check=True)
    print(done.stderr[-2000:], done.stdout, sep="\n")


# %%
# Fit
# ---
# The leaderboard goes to stdout; progress and the plan's reasons to stderr.
run("fit", str(folder / "train.csv"), "--target", "target", "--time", f"{BUDGET:g}",
    "--output", str(folder / "model.joblib"), "--leaderboard", str(folder / "leaderboard.csv"),
    "--export", str(folder / "model.py"))

# %%
# Predict
# -------
# The model file reads the columns it was fitted on, by name; ``--proba``
# writes one probability column per class.
run("predict", str(folder / "model.joblib"), str(folder / "test.csv"),
    "--output", str(folder / "predictions.csv"))
print((folder / "predictions.csv").read_text().splitlines()[:5])

# %%
# The saved model is the fitted estimator: ``joblib.load`` gives it back in
# Python (load only files you trust: it is a pickle).
import joblib

model = joblib.load(folder / "model.joblib")
print(type(model).__name__, model.search_plan_.strategy, f"{model.best_score_:.3f}")
