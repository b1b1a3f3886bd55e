"""Offline build of the warm-start meta-data: ``python benchmarks/metalearning_build.py``.

For every meta-training dataset (the shared benchmark datasets in ``common.DATA_DIR``,
scikit-learn's bundled datasets and a few generated ones), in two passes:

1. search: meta-features, then a SMAC search of ``--budget`` seconds on at most
   ``--rows`` rows; its ``--top`` best configurations join the task's pool;
2. cross-evaluation: every configuration of the pool on every dataset of its task
   (holdout on at most ``--rows`` rows, ``--trial-limit`` seconds each), the
   performance matrix of the portfolio method.

The result, :data:`automl_estimators.metalearning.suggestions.METADATA_FILE` (JSON,
shipped in the package), records how it was built: datasets, budgets, versions, date,
command. Runs for hours on 2 cores at the defaults; ``--datasets`` restricts it.

An offline job, not part of the package: it drives whole fits (``AutoClassifier``,
``AutoRegressor``), which themselves read the meta-data it writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from automl_estimators import data
from automl_estimators.estimators import AutoClassifier, AutoRegressor
from automl_estimators.metalearning.features import meta_features
from automl_estimators.metalearning.suggestions import METADATA_FILE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA_DIR, load_manifest


def _sklearn_datasets():
    from sklearn import datasets as sk

    out = {}
    for name, loader in (("sk_breast_cancer", sk.load_breast_cancer), ("sk_wine", sk.load_wine),
                         ("sk_digits", sk.load_digits)):
        X, y = loader(return_X_y=True, as_frame=True)
        out[name] = (X, y, "classification")
    for name, maker, kwargs in (
            ("sk_friedman1", sk.make_friedman1, {"n_samples": 2000, "noise": 1.0}),
            ("sk_friedman2", sk.make_friedman2, {"n_samples": 2000, "noise": 10.0}),
            ("sk_friedman3", sk.make_friedman3, {"n_samples": 2000, "noise": 0.1})):
        X, y = maker(random_state=0, **kwargs)
        out[name] = (pd.DataFrame(X), pd.Series(y), "regression")
    for name, kwargs in (("sk_classification_noisy", {"flip_y": 0.2, "n_informative": 5}),
                         ("sk_classification_multi", {"n_classes": 5, "n_informative": 8})):
        X, y = sk.make_classification(n_samples=3000, n_features=20, random_state=0, **kwargs)
        out[name] = (pd.DataFrame(X), pd.Series(y), "classification")
    return out


def meta_training_datasets(names=None) -> dict:
    """name -> (X, y, task) of every meta-training dataset (or of ``names``)."""
    out = {}
    if (DATA_DIR / "manifest.json").exists():
        for entry in load_manifest():
            if names and entry["name"] not in names:
                continue
            frame = pd.read_csv(DATA_DIR / entry["file"])
            y = frame.pop("target")
            task = "regression" if entry["task"] == "regression" else "classification"
            out[entry["name"]] = (frame, y, task)
    for name, value in _sklearn_datasets().items():
        if not names or name in names:
            out[name] = value
    return out


def _subsample(X, y, rows, seed=0):
    if len(y) <= rows:
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(y), size=rows, replace=False))
    return X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)


def _estimator(task, **params):
    return (AutoRegressor if task == "regression" else AutoClassifier)(
        ensemble_size=1, random_state=0, **params)


def _key(config):
    """Identity of a configuration across the two phases of the build.

    JSON rather than ``search.base.config_key`` (``repr`` of each value): the
    configurations read back from a fit's history may hold numpy scalars where the
    pool holds Python ones, and ``repr(np.float64(0.1)) != repr(0.1)``.
    """
    return json.dumps(config, sort_keys=True, default=list)


def build(names=None, *, budget=30.0, rows=5000, top=5, trial_limit=15.0, n_jobs=2,
          log=print) -> dict:
    """Run both passes and return the meta-data document."""
    datasets = meta_training_datasets(names)
    tasks = {}
    searched = {}  # name -> (rows used, their targets, the space the search used)
    for name, (X, y, task) in datasets.items():
        X, y = _subsample(X, y, rows)
        Xc = data.check_X(X)
        yc = data.check_y_regression(Xc, y, "build") if task == "regression" \
            else data.check_y_classification(Xc, y, "build")[0]
        features = meta_features(Xc, yc, data.profile(Xc, yc, task))
        start = time.monotonic()
        est = _estimator(task, time_budget=budget, search="smac", n_jobs=n_jobs).fit(X, y)
        board = est.leaderboard_
        ok = board[(board["status"] == "ok") & (board["fidelity"] >= 1.0)
                   & (board["origin"] != "dummy")]
        part = tasks.setdefault(task, {"datasets": {}, "configurations": [], "scores": {},
                                       "_index": {}})
        best = []
        for config in ok["config"].head(top):
            key = _key(config)
            if key not in part["_index"]:
                part["_index"][key] = len(part["configurations"])
                part["configurations"].append(config)
            best.append(part["_index"][key])
        part["datasets"][name] = {"features": features, "best": best}
        searched[name] = (X, y, est.search_space_)
        log(f"search {name}: {len(ok)} ok trials in {time.monotonic() - start:.0f}s, "
            f"best {est.best_score_:.4f}")
    for task, part in tasks.items():
        pool = part["configurations"]
        for name in part["datasets"]:
            X, y, space = searched[name]
            # Configurations this dataset's space cannot hold score None (skipped).
            held = {i: space.adapt(c) for i, c in enumerate(pool)}
            held = {i: c for i, c in held.items() if c is not None}
            start = time.monotonic()
            est = _estimator(task, time_budget=trial_limit * len(held) / n_jobs + 10,
                             per_trial_time_limit=trial_limit, warm_start=list(held.values()),
                             max_trials=len(held) + 1, resampling="holdout", search="random",
                             n_jobs=n_jobs).fit(X, y)
            scores = {_key(r.config): r.score for r in est.history_
                      if r.status == "ok" and r.config}
            part["scores"][name] = [scores.get(_key(held[i])) if i in held else None
                                    for i in range(len(pool))]
            log(f"evaluate {name}: {sum(s is not None for s in part['scores'][name])}/"
                f"{len(pool)} configurations in {time.monotonic() - start:.0f}s")
        part.pop("_index")
    return {"provenance": {
        "built": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/metalearning_build.py " + " ".join(sys.argv[1:]),
        "datasets": sorted(datasets), "search_budget_s": budget, "max_rows": rows,
        "top": top, "trial_limit_s": trial_limit, "n_jobs": n_jobs,
        "machine": f"{platform.platform()}, Python {platform.python_version()}",
        "versions": {d: version(d) for d in ("automl-estimators", "scikit-learn", "xgboost",
                                             "smac", "numpy", "pandas")}},
        "tasks": tasks}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", help="comma-separated names (default: all)")
    parser.add_argument("--budget", type=float, default=30.0, help="search seconds per dataset")
    parser.add_argument("--rows", type=int, default=5000, help="row cap per dataset")
    parser.add_argument("--top", type=int, default=5, help="best configurations kept")
    parser.add_argument("--trial-limit", type=float, default=15.0,
                        help="seconds per cross-evaluation trial")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", default=str(METADATA_FILE))
    args = parser.parse_args(argv)
    names = args.datasets.split(",") if args.datasets else None
    metadata = build(names, budget=args.budget, rows=args.rows, top=args.top,
                     trial_limit=args.trial_limit, n_jobs=args.n_jobs)
    Path(args.out).write_text(json.dumps(metadata, indent=1, default=list))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
