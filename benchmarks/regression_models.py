"""Every regression model of the space at its defaults (and the tuned portfolio
configurations), 5-fold out-of-fold on the shared regression datasets, and the
greedy blend (Caruana, with replacement, 50 picks, best prefix) with and without
some of them: what a model adds to the ensemble, without the search's timing.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/regression_models.py \\
        --without mlp,rbf_svm --out benchmarks/results/regression_models.md

Rows above 5000 are subsampled (seed 0), as the search cross-validates only up to
there. The blend's score is in-sample over the out-of-fold predictions (it picks
and scores on the same rows), so it reads as what a model adds, not as a test score.
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from common import short_commit
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_predict

from automl_estimators.data import check_X, profile
from automl_estimators.pipelines import build_pipeline
from automl_estimators.spaces import Space
from automl_estimators.spaces.components import TUNED_CONFIGS

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
REGRESSION = ("abalone", "auto_mpg", "ames_housing", "cpu_act", "wine_quality",
              "diabetes_progression", "california_housing", "diamonds")
MAX_ROWS = 5000


def candidates(space):
    """(label, configuration): every model at its defaults, then the tuned ones."""
    out = [(m, space.default_config(m)) for m in space.models]
    for model, variants in TUNED_CONFIGS["regression"].items():
        out += [(f"{model}-tuned{i + 1}", space.default_config(model, v))
                for i, v in enumerate(variants) if model in space.models]
    return out


def greedy(oof, y, labels, picks=50):
    """Ensemble selection over ``labels``: (best-prefix R², picks per label)."""
    chosen, trajectory = [], []
    total = np.zeros_like(y)
    for _ in range(picks):
        score, label = max((r2_score(y, (total + oof[k]) / (len(chosen) + 1)), k)
                           for k in labels)
        chosen.append(label)
        total += oof[label]
        trajectory.append(score)
    best = int(np.argmax(trajectory))
    return trajectory[best], dict(Counter(chosen[:best + 1]).most_common())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(REGRESSION))
    parser.add_argument("--without", default="mlp,rbf_svm",
                        help="models left out of the second blend")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    without = set(args.without.split(","))
    manifest = {d["name"]: d for d in json.loads((DATASETS / "manifest.json").read_text())}
    scores, blends = {}, []
    for name in args.datasets.split(","):
        frame = pd.read_csv(DATASETS / manifest[name]["file"])
        frame = frame.sample(min(len(frame), MAX_ROWS), random_state=0)
        y = frame.pop("target").to_numpy(float)
        X = check_X(frame)
        data_profile = profile(X, y, "regression")
        space = Space("regression", n_features=X.shape[1],
                      has_categorical=data_profile.has_categorical, seed=0)
        folds = KFold(5, shuffle=True, random_state=0)
        oof = {}
        for label, config in candidates(space):
            pipeline = build_pipeline(config, space, data_profile, random_state=0)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                oof[label] = cross_val_predict(pipeline, X, y, cv=folds)
            scores[(name, label)] = r2_score(y, oof[label])
            print(f"{name} {label} R2={scores[(name, label)]:.4f} "
                  f"{time.perf_counter() - start:.1f}s", flush=True)
        with_all = greedy(oof, y, list(oof))
        rest = greedy(oof, y, [k for k in oof if k.split("-")[0] not in without])
        blends.append((name, rest, with_all))
        print(name, "blend without", sorted(without), rest, "with", with_all, flush=True)
    if args.out:
        commit = short_commit(Path(__file__).resolve().parent)
        table = pd.Series(scores).unstack(0)
        lines = [
            "# Regression models at their defaults: out-of-fold R² and what they add to a blend",
            "",
            f"`{' '.join(['benchmarks/regression_models.py', '--without', args.without])}` at "
            f"{commit}; 5-fold CV (seed 0) on at most {MAX_ROWS} rows; one thread.",
            "",
            "| model | " + " | ".join(table.columns) + " |",
            "|---|" + "---:|" * len(table.columns),
            *(f"| {label} | " + " | ".join("" if pd.isna(v) else f"{v:.4f}" for v in row) + " |"
              for label, row in table.iterrows()),
            "",
            f"| dataset | blend without {', '.join(sorted(without))} | with them | change | "
            "picks (with them) |",
            "|---|---:|---:|---:|---|",
        ]
        lines += [f"| {n} | {r[0]:.4f} | {a[0]:.4f} | {a[0] - r[0]:+.4f} | "
                  f"{', '.join(f'{k} {v}' for k, v in a[1].items())} |" for n, r, a in blends]
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
