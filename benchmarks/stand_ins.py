"""The stand-ins a fit of a few seconds runs in its own process, side by side.

Usage
-----
    OMP_NUM_THREADS=1 python benchmarks/stand_ins.py --budget 5 --seeds 0,1,2
    python benchmarks/stand_ins.py --budget 5 --report      # the report from the CSV

Where the strong default is not expected to end in time, a fit runs one of its
stand-ins in its own process (``metalearning.warm_start.inline_trials``): the
default with native categorical splits (``spaces.native_default``), its
32-iteration short form (``spaces.short_default``) or the quick forest
(``spaces.quick_forest``). For each shared dataset and seed, on the split the plan
of a ``--budget`` fit makes (``default_seconds.shared_setup``: the benchmarks'
75/25 split of the seed, then the plan's holdout or folds), each stand-in's trial
is timed on one thread (fit and validation predictions), scored on validation, and
refit on all training rows and scored on the test rows (accuracy or R²), beside the
plan's estimate of its seconds and the strong default's own test score.

Rows go to ``benchmarks/results/stand_ins_<budget>s.csv`` (a rerun skips the
(dataset, seed) cells it has); the report to ``benchmarks/results/stand_ins_<budget>s.md``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    append_rows,
    load_manifest,
    load_split,
    machine_line,
    read_rows,
    score_of,
    write_report,
)
from default_seconds import shared_setup, timed_folds  # noqa: E402

FIELDS = ("dataset", "task", "seed", "stand_in", "fits", "train_rows", "classes", "expected",
          "seconds", "valid_score", "test_score", "default_test_score")
STAND_INS = ("native", "short", "forest")


def stand_in_configs(space, profile):
    """{stand-in: (configuration, the plan's estimate of its trial's seconds for
    ``fits`` fits on ``rows`` rows)} of the stand-ins that apply to this data."""
    from automl_estimators import plan
    from automl_estimators.spaces import native_default, quick_forest, short_default
    from automl_estimators.spaces.components import DEFAULT_MODEL, QUICK_FOREST

    out = {}
    native = native_default(space) if profile.categorical else None
    if native is not None:
        out["native"] = (native, plan._native_default_seconds)
    if not profile.sparse:
        out["short"] = (space.default_config(DEFAULT_MODEL, short_default(space.task)[0]),
                        plan._short_default_seconds)
    out["forest"] = (space.default_config(QUICK_FOREST, quick_forest(space.task)[0]),
                     plan.estimate_forest_seconds)
    return out


def cell_rows(name, seed, budget):
    """One row per stand-in of dataset ``name``, seed ``seed``, on a ``budget`` fit's plan."""
    from threadpoolctl import threadpool_limits

    from automl_estimators import data
    from automl_estimators.pipelines.builder import build_pipeline
    from automl_estimators.spaces.components import DEFAULT_MODEL

    entry, X, y, profile, space, fit_plan, splits = shared_setup(name, seed, budget)
    _, X_test, y_train, y_test = load_split(entry, seed)
    train_rows = len(splits[0][0])

    X_test = data.check_X(X_test, min_samples=1)
    classes = (None if entry["task"] == "regression" else
               data.check_y_classification(X, y_train, "stand_ins")[1])

    def test_score(config):
        pipeline = build_pipeline(config, space, profile, random_state=seed)
        with threadpool_limits(1):
            pipeline.fit(X, y)
        predicted = pipeline.predict(X_test)
        return score_of(entry["task"], y_test,
                        predicted if classes is None else classes[predicted.astype(int)])

    default_score = test_score(space.default_config(DEFAULT_MODEL))
    rows = []
    for stand_in, (config, estimate) in stand_in_configs(space, profile).items():
        started = time.perf_counter()
        seconds, folds = timed_folds(config, space, profile, X, y, splits, repeats=1)
        valid = np.mean([score_of(entry["task"], y[v], p) for _, v, p in folds])
        rows.append(dict(
            dataset=name, task=entry["task"], seed=seed, stand_in=stand_in, fits=len(splits),
            train_rows=train_rows, classes=profile.n_classes or 0,
            expected=round(estimate(len(splits), train_rows, profile), 4),
            seconds=round(seconds, 4), valid_score=round(float(valid), 4),
            test_score=round(test_score(config), 4),
            default_test_score=round(default_score, 4)))
        print(rows[-1], f"({time.perf_counter() - started:.1f}s)", flush=True)
    return rows


def report(budget):
    rows = read_rows(csv_path(budget))
    lines = [f"# The stand-ins of a {budget:g} s fit, side by side", "",
             f"Written by `python benchmarks/stand_ins.py --budget {budget:g}` "
             f"([{csv_path(budget).name}]({csv_path(budget).name})); {machine_line()}. "
             "One thread. *expected*: the plan's estimate of the trial's seconds; "
             "*seconds*: measured (fit and validation predictions); *valid*: the plan's "
             "holdout or folds; *test*: refit on all training rows, scored on the seed's "
             "test rows; *default*: the strong default's test score, the same way.", ""]
    by_cell = {}
    for r in rows:
        by_cell.setdefault((r["dataset"], r["seed"]), {})[r["stand_in"]] = r
    lines += ["| dataset | seed | classes | stand-in | expected s | seconds | valid | test | "
              "default test |", "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for (name, seed), cell in by_cell.items():
        for stand_in in STAND_INS:
            if stand_in in cell:
                r = cell[stand_in]
                lines.append(f"| {name} | {seed} | {r['classes']} | {stand_in} | "
                             f"{r['expected']} | {r['seconds']} | {r['valid_score']} | "
                             f"{r['test_score']} | {r['default_test_score']} |")
    pairs = [(c["short"], c["forest"]) for c in by_cell.values() if "short" in c]
    if pairs:
        diff = np.array([float(s["test_score"]) - float(f["test_score"]) for s, f in pairs])
        cheaper = [s if float(s["expected"]) <= float(f["expected"]) else f for s, f in pairs]
        best = np.array([max(float(s["test_score"]), float(f["test_score"])) for s, f in pairs])
        lines += ["", f"- short form against quick forest, test score, {len(pairs)} cells: "
                  f"mean {diff.mean():+.4f}, short higher on {(diff > 0).sum()}, equal on "
                  f"{(diff == 0).sum()}, lower on {(diff < 0).sum()}",
                  "- the one the plan expects cheaper: test score mean "
                  f"{np.mean([float(r['test_score']) for r in cheaper]):.4f} against the "
                  f"better of the two's {best.mean():.4f}; the short form always: "
                  f"{np.mean([float(s['test_score']) for s, _ in pairs]):.4f}; the forest "
                  f"always: {np.mean([float(f['test_score']) for _, f in pairs]):.4f}"]
    write_report(lines, RESULTS / f"stand_ins_{budget:g}s.md")


def csv_path(budget):
    return RESULTS / f"stand_ins_{budget:g}s.csv"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=5.0)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--datasets", help="comma-separated (default: all shared)")
    parser.add_argument("--report", action="store_true", help="only rebuild the report")
    args = parser.parse_args(argv)
    if not args.report:
        path = csv_path(args.budget)
        done = {(r["dataset"], int(r["seed"])) for r in read_rows(path)} if path.exists() else set()
        names = (args.datasets.split(",") if args.datasets
                 else [e["name"] for e in load_manifest()])
        for seed in (int(s) for s in args.seeds.split(",")):
            for name in names:
                if (name, seed) not in done:
                    append_rows(path, FIELDS, cell_rows(name, seed, args.budget))
    report(args.budget)


if __name__ == "__main__":
    main()
