"""OMP_WAIT_POLICY=PASSIVE against multi-threaded fits, and the trial workers' answer.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/omp_wait_policy.py \\
        --out benchmarks/results/omp_wait_policy.md

Every arm is a fresh process (OpenMP reads the policy once, when it loads):

1. The default HistGradientBoosting pipeline fitted in that process with 1 and 2
   threads, and refit in a trial worker with 2 threads (``Evaluator.refit``, as a
   fit's final refit does), on car (1728 rows) and electricity (45312 rows), the
   median of ``--repeats``; with the policy unset, and with ``PASSIVE``.
2. ``AutoClassifier(time_budget=10, n_jobs=2)`` on car's 75 % split, seeds 0-2:
   fit seconds, how the final model was fitted (``refit_``) and test accuracy; with
   the policy unset, with ``PASSIVE``, and with ``PASSIVE`` kept in the workers too
   (the package before the workers dropped it: ``evaluation._worker_environment``
   replaced by a no-op).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import dataset_entry, fmt, load_split, machine_line, versions

DATASETS = ("car", "electricity")
ARMS = {"unset": (None, False), "PASSIVE": ("PASSIVE", False),
        "PASSIVE, kept in workers": ("PASSIVE", True)}


def _hgb_pipeline():
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encode = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
         make_column_selector(dtype_exclude="number")),
        remainder="passthrough")
    return make_pipeline(encode, HistGradientBoostingClassifier(random_state=0))


def _fit_clone(pipeline, X, y):
    from sklearn.base import clone

    clone(pipeline).fit(X, y)


def _refit_clone(evaluator, pipeline):
    from sklearn.base import clone

    evaluator.refit(clone(pipeline), timeout=120, n_threads=2)


def _median_seconds(fit, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def child_fits(repeats):
    """Part 1 in this process: seconds per dataset and way of fitting."""
    import numpy as np
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    from automl_estimators.evaluation import Evaluator
    from automl_estimators.scoring import get_metric

    out = {}
    for name in DATASETS:
        X, _, y, _ = load_split(dataset_entry(name), 0)
        y = np.unique(np.asarray(y), return_inverse=True)[1]
        pipeline = _hgb_pipeline()
        row = {}
        for threads in (1, 2):
            with threadpool_limits(threads):
                row[f"in process, {threads} thread(s)"] = _median_seconds(
                    partial(_fit_clone, pipeline, X, y), repeats)
        splits = [(np.arange(len(y)), np.arange(len(y)))]
        with Evaluator(X, y, splits, task="classification",
                       metric=get_metric("accuracy", "classification"),
                       n_classes=int(y.max()) + 1, n_workers=2) as evaluator:
            evaluator.refit(clone(pipeline), timeout=120, n_threads=2)  # start the workers
            row["refit in a worker, 2 threads"] = _median_seconds(
                partial(_refit_clone, evaluator, pipeline), repeats)
        out[name] = row
    return out


def child_automl(seeds):
    """Part 2 in this process: one 10 s fit on car per seed."""
    from automl_estimators import AutoClassifier

    X, X_test, y, y_test = load_split(dataset_entry("car"), 0)
    out = []
    for seed in seeds:
        start = time.perf_counter()
        clf = AutoClassifier(time_budget=10, n_jobs=2, random_state=seed).fit(X, y)
        out.append({"seed": seed, "fit_s": time.perf_counter() - start, "refit": clf.refit_,
                    "accuracy": clf.score(X_test, y_test)})
    return out


def run_arm(arm, part, args):
    policy, keep = ARMS[arm]
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    cmd = [sys.executable, __file__, "--child", part, "--repeats", str(args.repeats)]
    if keep:
        cmd.append("--keep-in-workers")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{arm} / {part} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(fits, automl):
    lines = ["# OMP_WAIT_POLICY=PASSIVE and multi-threaded fits", "",
             (f"`benchmarks/omp_wait_policy.py`; {machine_line()}; "
              f"{', '.join(f'{k} {v}' for k, v in versions().items())}."), "",
             "## The default HistGradientBoosting pipeline, median seconds", "",
             ("| dataset | policy | in process, 1 thread | in process, 2 threads | "
              "refit in a trial worker, 2 threads |"), "|---|---|---:|---:|---:|"]
    for name in DATASETS:
        for arm, rows in fits.items():
            r = rows[name]
            lines.append(f"| {name} | {arm} | {fmt(r['in process, 1 thread(s)'], '.2f')} | "
                         f"{fmt(r['in process, 2 thread(s)'], '.2f')} | "
                         f"{fmt(r['refit in a worker, 2 threads'], '.2f')} |")
    lines += ["", "## AutoClassifier(time_budget=10, n_jobs=2) on car", "",
              "| policy | seed | fit s | final model fitted on | test accuracy |",
              "|---|---:|---:|---|---:|"]
    for arm, runs in automl.items():
        for r in runs:
            lines.append(f"| {arm} | {r['seed']} | {r['fit_s']:.2f} | {r['refit']} | "
                         f"{r['accuracy']:.4f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--child", choices=("fits", "automl"), help=argparse.SUPPRESS)
    ap.add_argument("--keep-in-workers", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        if args.keep_in_workers:
            from automl_estimators.runners import processes

            processes._worker_environment = contextlib.nullcontext
        result = child_fits(args.repeats) if args.child == "fits" else child_automl((0, 1, 2))
        print(json.dumps(result))
        return 0
    fits = {arm: run_arm(arm, "fits", args) for arm in ("unset", "PASSIVE")}
    automl = {arm: run_arm(arm, "automl", args) for arm in ARMS}
    text = report(fits, automl)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
