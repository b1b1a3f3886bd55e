"""Does HistGradientBoosting's iteration cap bind? The tuned boosted configurations of
the space (``spaces.components.TUNED_CONFIGS``: learning rate 0.05, and 0.03 with 127
leaves) at the space's upper bound of ``max_iter`` and at 4096, with early stopping on
a 10 % split (as the regression configurations declare), on the 300 s league's larger
datasets: iterations run (``n_iter_``), test score and fit seconds, the peers' 75/25
split of seed 0.

    .venv/bin/python benchmarks/hgb_iterations.py --out benchmarks/results/hgb_iterations.md

If early stopping ends every fit below the cap, a longer budget cannot be held back
by the cap: more iterations would not be used.
"""
from __future__ import annotations

import argparse
import time

from common import dataset_entry, load_split, machine_line, score_of, short_commit, write_report
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from automl_estimators.spaces.components import CLASSIFIERS, TUNED_CONFIGS
from automl_estimators.spaces.declarations import CLASSIFICATION, REGRESSION

# the 300 s league's regression and binary datasets (docs/benchmarks.md, "Next steps")
DATASETS = ("cpu_act", "california_housing", "diamonds", "wine_quality",
            "phoneme", "electricity", "bank-marketing", "adult")
CAPS = (next(hp.high for c in CLASSIFIERS if c.name == "hist_gradient_boosting"
             for hp in c.hyperparameters if hp.name == "max_iter"), 4096)


def frame_for_hgb(X):
    """Text columns as pandas categories, split natively (``from_dtype``)."""
    X = X.copy()
    for column in X.columns:
        if X[column].dtype.kind not in "biuf":
            X[column] = X[column].astype("category")
    return X


def run(name):
    entry = dataset_entry(name)
    X_train, X_test, y_train, y_test = load_split(entry, seed=0)
    X_train, X_test = frame_for_hgb(X_train), frame_for_hgb(X_test)
    regression = entry["task"] == "regression"
    task = REGRESSION if regression else CLASSIFICATION
    model = HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
    rows = []
    for config in TUNED_CONFIGS[task]["hist_gradient_boosting"]:
        for cap in CAPS:
            params = {**config, "max_iter": cap, "early_stopping": True}
            estimator = model(random_state=0, categorical_features="from_dtype", **params)
            start = time.perf_counter()
            estimator.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            score = score_of(entry["task"], y_test, estimator.predict(X_test))
            rows.append((name, len(X_train), config["learning_rate"],
                         config.get("max_leaf_nodes", 31), cap, estimator.n_iter_, score,
                         seconds))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out")
    args = parser.parse_args()
    lines = ["# HistGradientBoosting's iteration cap with early stopping", "",
             f"`benchmarks/hgb_iterations.py` at {short_commit('.')}; {machine_line()}.", "",
             "| dataset | train rows | learning rate | leaves | max_iter | iterations run "
             "| test score | fit s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in args.datasets.split(","):
        for row in run(name):
            lines.append("| {} | {} | {} | {} | {} | {} | {:.4f} | {:.1f} |".format(*row))
            print(lines[-1], flush=True)
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
