"""Fits in fresh processes, checkouts alternating, beside busy processes: what a user's
script gets on a loaded machine, with no harness around it.

Usage
-----
    .venv/bin/python benchmarks/fresh_fits.py --checkouts ../before,../after \\
        --dataset vehicle --budget 8 --runs 3 --busy 6 \\
        --out benchmarks/results/fresh_fits_vehicle_8s_busy6.md

Each run is one process of this script (``--child``) with the checkout first on
``PYTHONPATH``, so that it imports that checkout's package: it reads the whole
dataset, fits ``AutoClassifier``/``AutoRegressor(time_budget=B, n_jobs=2,
random_state=seed)`` and reports the fit's seconds, its trials, and the chosen
trial's origin and pipeline (``leaderboard_``'s first row) and whether the fit
ended on the dummy. Runs alternate between the checkouts (run 1 of each, then run
2, ...), beside ``--busy`` processes that each keep a core busy
(``common.busy_processes``), started once for all runs.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    DATA_DIR,
    busy_processes,
    child_result,
    dataset_entry,
    machine_line,
    short_commit,
    write_report,
)

CHILD_TIMEOUT = 600


def child(dataset, budget, seed):
    """Fit in this process and print one JSON line of what the fit ended on."""
    import pandas as pd

    from automl_estimators import AutoClassifier, AutoRegressor

    entry = dataset_entry(dataset)
    X = pd.read_csv(DATA_DIR / entry["file"])
    y = X.pop("target")
    estimator_class = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    start = time.perf_counter()
    estimator = estimator_class(time_budget=budget, n_jobs=2, random_state=seed).fit(X, y)
    seconds = time.perf_counter() - start
    best = estimator.leaderboard_.iloc[0]
    print(json.dumps({"fit_s": round(seconds, 2), "n_trials": int(estimator.n_trials_),
                      "origin": str(best["origin"]), "pipeline": str(best["pipeline"]),
                      "score": float(best["score"]), "refit": estimator.refit_,
                      "dummy": estimator.refit_ == "dummy"}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkouts", help="comma-separated checkout folders")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--budget", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0,
                        help="processes keeping a core busy each beside every fit")
    parser.add_argument("--out")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.dataset, args.budget, args.seed)
        return
    checkouts = args.checkouts.split(",")
    rows = []
    with busy_processes(args.busy):
        for index in range(args.runs):
            for checkout in checkouts:
                result = child_result(
                    checkout, __file__, ["--child", "--dataset", args.dataset, "--budget",
                                         args.budget, "--seed", args.seed], CHILD_TIMEOUT)
                rows.append((checkout, index + 1, result))
                print(checkout, index + 1, result, flush=True)
    command = (f"`.venv/bin/python benchmarks/fresh_fits.py --checkouts {args.checkouts} "
               f"--dataset {args.dataset} --budget {args.budget:g} --seed {args.seed} "
               f"--runs {args.runs} --busy {args.busy}`")
    lines = [f"# Fresh fits: {args.dataset} at {args.budget:g} s beside {args.busy} busy "
             "processes", "",
             f"Written by {command}, on {machine_line()}, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. One process per fit "
             "(the whole dataset, `n_jobs=2`), the checkouts alternating.", ""]
    for checkout in checkouts:
        results = [r for c, _, r in rows if c == checkout]
        dummies = sum(bool(r.get("dummy")) for r in results)
        lines.append(f"- {checkout} ({short_commit(checkout)}): ended on the dummy in "
                     f"{dummies} of {len(results)} runs")
    lines += ["", "| checkout | run | fit s | trials | chosen trial's origin | pipeline "
              "| validation score | refit |", "|---|---:|---:|---:|---|---|---:|---|"]
    for checkout, index, r in rows:
        if "error" in r:
            lines.append(f"| {checkout} | {index} | error: {r['error']} | | | | | |")
            continue
        lines.append(f"| {checkout} ({short_commit(checkout)}) | {index} | {r['fit_s']:.1f} "
                     f"| {r['n_trials']} | {r['origin']} | {r['pipeline']} "
                     f"| {r['score']:.4f} | {r['refit']} |")
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
