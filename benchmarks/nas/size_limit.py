"""``max_parameters`` in a network search: is it kept, and what does a trial over it cost?

    python benchmarks/nas/size_limit.py --before /path/to/checkout --after . \
        --datasets mnist1d,digits --budget 120 --seeds 0 --max-parameters 200000 \
        --out benchmarks/results/nas_size_limit/README.md

For each (dataset, seed), the two checkouts back to back, each in a fresh process
with the checkout first on ``PYTHONPATH``:
``AutoClassifier(neural=True, include=["neural_network"], search=--strategy,
max_parameters=M, time_budget=B, n_jobs=2, random_state=seed)`` with the dataset's
``image_shape`` (networks only, so every trial is a network). Recorded per run: the
trials, the networks trained within the limit, the infeasible trials and the
seconds they took (a network over the limit trained in full before 2026-12-02; it
stops before training since), the largest feasible network, the final model's
parameters (summed over an ensemble's members: the limit holds for the whole
model) and its test accuracy.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import machine_line, write_report


def child(dataset, seed, budget, strategy, max_parameters, n_jobs):
    """One fit; its record as a dict."""
    import numpy as np
    from loaders import load

    import automl_estimators
    from automl_estimators import AutoClassifier
    from automl_estimators.spaces.neural import NAME

    problem = load(dataset, seed)
    started = time.monotonic()
    clf = AutoClassifier(neural=True, include=[NAME], search=strategy,
                         max_parameters=max_parameters, time_budget=budget, n_jobs=n_jobs,
                         random_state=seed, image_shape=problem.image_shape)
    clf.fit(problem.X_train, problem.y_train)
    fit_seconds = time.monotonic() - started
    trials = [r for r in clf.history_ if r.origin != "dummy"]
    ok = [r for r in trials if r.ok]
    infeasible = [r for r in trials if r.status == "infeasible"]
    members = ([m for _, m in clf.ensemble_.members_] if clf.ensemble_ is not None
               else [clf.model_])
    final_parameters = sum(getattr(m[-1] if hasattr(m, "steps") else m, "n_parameters_", 0)
                           for m in members if not isinstance(m, str))
    return {
        "package": str(Path(automl_estimators.__file__).parent.parent),
        "dataset": dataset, "seed": seed, "budget": budget, "strategy": strategy,
        "max_parameters": max_parameters, "fit_seconds": fit_seconds,
        "trials": len(trials), "trained_ok": len(ok), "infeasible": len(infeasible),
        "infeasible_scored": sum(1 for r in infeasible if np.isfinite(r.score)),
        "infeasible_seconds": float(sum(r.duration for r in infeasible
                                        if np.isfinite(r.duration))),
        "ok_seconds": float(sum(r.duration for r in ok if np.isfinite(r.duration))),
        "other_failed": len(trials) - len(ok) - len(infeasible),
        "statuses": {str(k): int(v) for k, v in
                     clf.leaderboard_["status"].value_counts().items()},
        "errors": sorted({r.error[:200] for r in trials if r.error})[:5],
        "largest_feasible": max((r.info.get("n_parameters", 0) for r in ok), default=0),
        "smallest_infeasible": min((r.info.get("n_parameters", 0) for r in infeasible),
                                   default=0),
        "final_parameters": int(final_parameters), "refit": str(clf.refit_),
        "best_validation": float(clf.best_score_),
        "test_accuracy": float(np.mean(clf.predict(problem.X_test) == np.asarray(
            problem.y_test))),
    }


def run(checkout, args, dataset, seed):
    env = {**os.environ, "PYTHONPATH": str(Path(checkout).resolve()),
           "OMP_NUM_THREADS": str(args.n_jobs)}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", dataset, str(seed),
               "--budget", str(args.budget), "--strategy", args.strategy,
               "--max-parameters", str(args.max_parameters), "--n-jobs", str(args.n_jobs)]
    # From the checkout's own folder: workers of a package without the forkserver's
    # path fix (before 2026-12-02) imported from the working directory.
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          cwd=Path(checkout).resolve(), timeout=3 * args.budget + 120,
                          check=False)
    if done.returncode:
        return {"dataset": dataset, "seed": seed, "error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(records, args, command):
    lines = ["# `max_parameters` in a network search: kept, and the cost of a trial over it",
             "", f"- Command: `{command}`", f"- Machine: {machine_line()}",
             f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             (f"- Setup: `AutoClassifier(neural=True, include=[\"neural_network\"], "
              f"search=\"{args.strategy}\", max_parameters={args.max_parameters}, "
              f"time_budget={args.budget}, n_jobs={args.n_jobs}, random_state=seed)` with "
              "the dataset's `image_shape`; networks only. Arms back to back, one process "
              "each."), "",
             ("| dataset | seed | arm | trials | trained within the limit | infeasible "
              "(scored) | seconds in infeasible trials | seconds in trained ones | largest "
              "feasible | final model's parameters | test accuracy |"),
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in records:
        if "error" in r:
            lines.append(f"| {r['dataset']} | {r['seed']} | {r['arm']} | error: "
                         f"{r['error'].splitlines()[-1] if r['error'] else ''} |")
            continue
        lines.append(
            f"| {r['dataset']} | {r['seed']} | {r['arm']} | {r['trials']} | {r['trained_ok']} "
            f"| {r['infeasible']} ({r['infeasible_scored']}) | {r['infeasible_seconds']:.1f} "
            f"| {r['ok_seconds']:.1f} | {r['largest_feasible']:,} | {r['final_parameters']:,} "
            f"| {r['test_accuracy']:.4f} |")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=2, metavar=("DATASET", "SEED"), help=argparse.SUPPRESS)
    ap.add_argument("--before", help="checkout of the first arm")
    ap.add_argument("--after", default=".", help="checkout of the second arm")
    ap.add_argument("--datasets", default="mnist1d,digits")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--budget", type=float, default=120)
    ap.add_argument("--strategy", default="random")
    ap.add_argument("--max-parameters", type=int, default=200_000)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--raw", default="benchmarks/results/nas_size_limit/runs.jsonl")
    ap.add_argument("--out", help="markdown report")
    args = ap.parse_args(argv)
    if args.child:
        record = child(args.child[0], int(args.child[1]), args.budget, args.strategy,
                       args.max_parameters, args.n_jobs)
        print(json.dumps(record))
        return 0
    arms = ([("before", args.before)] if args.before else []) + [("after", args.after)]
    raw = Path(args.raw)
    raw.parent.mkdir(parents=True, exist_ok=True)
    records = [json.loads(line) for line in raw.read_text().splitlines()] if raw.exists() else []
    done = {(r["dataset"], r["seed"], r["arm"]) for r in records}
    for dataset in args.datasets.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            for arm, checkout in arms:
                if (dataset, seed, arm) in done:
                    continue
                print(f"[{time.strftime('%H:%M:%S')}] {dataset} seed {seed} {arm}", flush=True)
                record = {**run(checkout, args, dataset, seed), "arm": arm}
                records.append(record)
                with raw.open("a") as out:
                    out.write(json.dumps(record) + "\n")
    command = "python benchmarks/nas/size_limit.py " + " ".join(argv or sys.argv[1:])
    write_report(report(records, args, command), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
