"""The training-range clip in front of models that extrapolate, measured model by
model: the same fitted pipeline scored on the test rows with and without it.

    .venv/bin/python benchmarks/range_clip.py --out benchmarks/results/range_clip.md
    ... --datasets abalone,auto_mpg --seeds 0            # any sub-grid

For every shared dataset and seed (the benchmarks' 75/25 split; above 5000 training
rows, 5000 drawn with the seed, as the search cross-validates up to there), every
model of the space that declares ``extrapolates`` is built as the search builds it
(``build_pipeline``, which puts ``RangeClipper`` in front of it), at its defaults,
and again with polynomial features of degree 2 where the space offers them. A
clip of the training rows to their own range changes nothing, so one fit serves
both arms: the test score of the pipeline as built, and of the same fitted
pipeline with its clipper's bounds opened to infinity. The difference is the
clip's alone, without a search's path around it. Rows of ``range_clip.csv`` are
kept per (dataset, seed): a run resumes where it stopped.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from common import (
    RESULTS,
    load_manifest,
    load_split,
    read_rows,
    score_of,
    short_commit,
    write_report,
    write_rows,
)

from automl_estimators import data
from automl_estimators.pipelines import build_pipeline
from automl_estimators.spaces import Space
from automl_estimators.spaces.declarations import FEATURES, MODEL

MAX_ROWS = 5000
CSV = RESULTS / "range_clip.csv"
FIELDS = ("dataset", "task", "seed", "model", "features", "clipped", "unclipped",
          "rows_out", "n_test", "seconds")


def prepared(entry, seed):
    X_train, X_test, y_train, y_test = load_split(entry, seed)
    if len(X_train) > MAX_ROWS:
        keep = np.random.default_rng(seed).choice(len(X_train), MAX_ROWS, replace=False)
        X_train, y_train = X_train.iloc[keep], y_train.iloc[keep]
    task = "regression" if entry["task"] == "regression" else "classification"
    X = data.check_X(X_train)
    y_test = y_test.to_numpy()
    if task == "classification":
        # The pipelines predict the encoded labels (0..k-1): the test rows' labels are
        # encoded alike (a class the training rows lack: -1, never predicted).
        y, classes = data.check_y_classification(X, y_train.to_numpy(), "benchmark")
        codes = {str(c): i for i, c in enumerate(classes)}
        y_test = np.array([codes.get(str(v), -1) for v in y_test])
    else:
        y = data.check_y_regression(X, y_train.to_numpy(), "benchmark")
    profile = data.profile(X, y, task)
    return X, y, data.check_X(X_test), y_test, profile, Space.for_profile(
        task, profile, seed=0)


def variants(space, model):
    """(features, configuration): the model's defaults, and with polynomial features."""
    default = space.default_config(model)
    out = [("none", default)]
    if any(c.name == "polynomial" for c in space.steps.get(FEATURES, ())):
        poly = {**default, FEATURES: "polynomial",
                f"{FEATURES}:polynomial:interaction_only": False}
        if space.violation(poly) is None:
            out.append(("polynomial", poly))
    return out


def measure(entry, seed):
    X, y, X_test, y_test, profile, space = prepared(entry, seed)
    rows = []
    if not profile.numeric or profile.sparse:
        return rows
    for model in space.models:
        if not space.component(MODEL, model).extrapolates:
            continue
        for features, config in variants(space, model):
            start = time.perf_counter()
            pipeline = build_pipeline(config, space, profile, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipeline.fit(X, y)
                clipped = pipeline.predict(X_test)
                numeric = pipeline.named_steps["preprocess"].named_transformers_["numeric"]
                clipper = numeric.named_steps["clip"]
                # What the clipper sees: the imputed numeric columns.
                imputed = numeric.named_steps["impute"].transform(X_test[list(profile.numeric)])
                low, high = clipper.data_min_, clipper.data_max_
                clipper.data_min_ = np.full_like(low, -np.inf)
                clipper.data_max_ = np.full_like(high, np.inf)
                unclipped = pipeline.predict(X_test)
                clipper.data_min_, clipper.data_max_ = low, high
            out = np.any((imputed < low) | (imputed > high), axis=1)
            rows.append({"dataset": entry["name"], "task": entry["task"], "seed": seed,
                         "model": model, "features": features,
                         "clipped": score_of(entry["task"], y_test, clipped),
                         "unclipped": score_of(entry["task"], y_test, unclipped),
                         "rows_out": int(out.sum()), "n_test": len(y_test),
                         "seconds": round(time.perf_counter() - start, 2)})
    return rows


# A model whose test R² is below this with and without the clip diverged (SGD on
# polynomial features at its defaults: R² down to -1e23): whatever the clip does to
# it is left out of the means, and counted apart.
DIVERGED = -1.0


def diverged(row):
    return max(float(row["clipped"]), float(row["unclipped"])) < DIVERGED


def change(row):
    return float(row["clipped"]) - float(row["unclipped"])


def report(rows, commit):
    lines = ["# The training-range clip, model by model", "",
             "Written by `python benchmarks/range_clip.py` at " + commit + ". Each row: one "
             "model that declares `extrapolates`, at its defaults (and with polynomial "
             "features of degree 2), fitted once on a split's training rows (at most "
             f"{MAX_ROWS}) and scored on its test rows as built (clipped) and with its "
             "clipper's bounds opened (unclipped); accuracy, or R² for regression. "
             "*rows out*: test rows with a numeric value beyond the training range. "
             f"*diverged*: cells whose score is below {DIVERGED:g} with and without the "
             "clip (left out of the other columns).", ""]
    for task in ("binary", "multiclass", "regression"):
        sub = [r for r in rows if r["task"] == task and not diverged(r)]
        if not sub:
            continue
        diff = np.array([change(r) for r in sub])
        lines.append(f"- {task}: {len(sub)} (dataset, seed, model) cells, "
                     f"{sum(r['task'] == task and diverged(r) for r in rows)} more diverged; "
                     f"clipped higher in "
                     f"{int((diff > 1e-12).sum())}, equal in {int((abs(diff) <= 1e-12).sum())}, "
                     f"lower in {int((diff < -1e-12).sum())}; mean change {diff.mean():+.4f}, "
                     f"median {np.median(diff):+.4f}, smallest {diff.min():+.4f}, "
                     f"largest {diff.max():+.4f}")
    lines += ["", "Per dataset, over seeds and models (datasets where the clip changed "
              "anything):", "",
              "| dataset | task | cells | diverged | rows out (mean of cells) | higher | lower | "
              "mean change | worst | best |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r["dataset"] for r in rows):
        every = [r for r in rows if r["dataset"] == name]
        sub = [r for r in every if not diverged(r)]
        diff = np.array([change(r) for r in sub])
        if not np.any(abs(diff) > 1e-12):
            continue
        lines.append(f"| {name} | {sub[0]['task']} | {len(sub)} | {len(every) - len(sub)} | "
                     f"{np.mean([int(r['rows_out']) for r in sub]):.1f} | "
                     f"{int((diff > 1e-12).sum())} | {int((diff < -1e-12).sum())} | "
                     f"{diff.mean():+.4f} | {diff.min():+.4f} | {diff.max():+.4f} |")
    unchanged = [name for name in dict.fromkeys(r["dataset"] for r in rows)
                 if all(abs(float(r["clipped"]) - float(r["unclipped"])) <= 1e-12
                        for r in rows if r["dataset"] == name)]
    lines += ["", "No change on: " + (", ".join(unchanged) or "none") + "."]
    worst = sorted((r for r in rows if not diverged(r)), key=change)
    lines += ["", "The five largest changes each way (diverged cells left out):", "",
              "| dataset | seed | model | features | rows out | unclipped | clipped | change |",
              "|---|---|---|---|---|---|---|---|"]
    for r in worst[:5] + worst[-5:]:
        lines.append(f"| {r['dataset']} | {r['seed']} | {r['model']} | {r['features']} | "
                     f"{r['rows_out']} | {float(r['unclipped']):.4f} | "
                     f"{float(r['clipped']):.4f} | "
                     f"{change(r):+.4f} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", help="comma-separated (default: every shared dataset)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--out", help="the markdown report")
    args = ap.parse_args(argv)
    entries = [e for e in load_manifest()
               if not args.datasets or e["name"] in args.datasets.split(",")]
    rows = read_rows(CSV)
    done = {(r["dataset"], int(r["seed"])) for r in rows}
    for seed in (int(s) for s in args.seeds.split(",")):
        for entry in entries:
            if (entry["name"], seed) in done:
                continue
            rows += measure(entry, seed)
            write_rows(CSV, FIELDS, rows)
            print(entry["name"], seed, flush=True)
    write_report(report(rows, short_commit(RESULTS.parent.parent)), args.out)


if __name__ == "__main__":
    main()
