"""How long refits take against what the finishing step expected of them.

Usage
-----
    OMP_WAIT_POLICY=PASSIVE python benchmarks/refit_estimate.py --budget 30 --seeds 0
    python benchmarks/refit_estimate.py --budget 30 --busy 2 --datasets adult,letter
    python benchmarks/refit_estimate.py --report   # the report from the rows so far

The search stops early enough to leave the finishing step its reserve
(:meth:`automl_estimators.finish.Finisher.reserve`): the refit of the best trials
on all rows, each expected at its trial's fit time scaled linearly to the rows,
times ``budget.REFIT_SAFETY``, plus ``budget.REFIT_OVERHEAD`` for the worker. This
measures both parts. Each (dataset, seed) is a fresh process that splits the shared
dataset 75/25 as the peers benchmark does, fits ``AutoClassifier`` /
``AutoRegressor(time_budget, n_jobs=2, random_state=seed)`` and records, for every
refit the finisher runs: the trial's fit time, its rows and the rows of the refit,
the threads, the seconds the worker's fit took and the seconds the call took; and
for the fit, the reserve the search last held back, when its last trial ended and
when the fit ended. ``--busy N`` runs each fit beside N processes that keep a
core busy each (``common.busy_processes``): the refit then runs on the cores the
search's workers had (``finish.refit_threads``). Rows are appended to ``benchmarks/results/refit_estimate.csv``
as each fit ends (a rerun skips the cells it has); the report
(``benchmarks/results/refit_estimate.md``) is written from all of them.

``needed safety`` of a refit is its worker's fit seconds over the trial's fit
seconds scaled to the refit's rows: the REFIT_SAFETY that would have just covered
it. ``overhead`` is the call's seconds beyond the worker's fit, for refits run one
at a time.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
from common import (
    RESULTS,
    append_rows,
    busy_processes,
    dataset_entry,
    load_manifest,
    machine_line,
    read_rows,
    short_commit,
    write_report,
)

CSV = RESULTS / "refit_estimate.csv"
OUT = RESULTS / "refit_estimate.md"
REFIT_FIELDS = ("model", "trial_fit_s", "train_rows", "refit_rows", "threads", "together",
                "in_worker", "worker_fit_s", "call_s", "error")
FIT_FIELDS = ("reserve_s", "last_trial_end_s", "fit_s", "refit_mode", "members")
FIELDS = ("dataset", "task", "seed", "budget", "busy", "kind", *REFIT_FIELDS, *FIT_FIELDS,
          "commit")


def instrument():
    """Patch the finisher and the evaluator in this process to record every refit
    and the last reserve; returns the dict they fill."""
    from automl_estimators import evaluation, finish

    record = {"pending": [], "refits": [], "reserve": None}
    training_seconds = finish.Finisher._training_seconds
    reserve = finish.Finisher.reserve
    refit_many = evaluation.Evaluator.refit_many
    refit_here = evaluation.Evaluator.refit_here

    def note_training(self, trial, share=1.0):
        # Called once per refit, just before it, in the order the refits are sent.
        record["pending"].append((trial, self.train_rows, share * self.all_rows))
        return training_seconds(self, trial, share)

    def note_reserve(self, ranked, results=None):
        record["reserve"] = reserve(self, ranked, results)
        return record["reserve"]

    def note(refits, threads, seconds, in_worker):
        taken = record["pending"][:len(refits)]
        del record["pending"][:len(refits)]
        for (trial, train_rows, rows), refit in zip(taken, refits):
            record["refits"].append({
                "model": str(trial.config.get("model", "")), "trial_fit_s": trial.fit_seconds,
                "train_rows": train_rows, "refit_rows": round(rows), "threads": threads,
                "together": len(refits), "in_worker": in_worker,
                "worker_fit_s": refit.seconds, "call_s": seconds, "error": refit.error[:80]})

    def timed_refit_many(self, pipelines, timeout, n_threads=1, fidelity=1.0,
                         training_seconds=None):
        start = time.monotonic()
        refits = refit_many(self, pipelines, timeout, n_threads, fidelity, training_seconds)
        note(refits, n_threads, time.monotonic() - start, True)
        return refits

    def timed_refit_here(self, pipeline, n_threads=1, training_seconds=None):
        start = time.monotonic()
        try:
            refit = refit_here(self, pipeline, n_threads, training_seconds)
        except RuntimeError as exc:
            refit = evaluation.Refit(None, error=str(exc))
            note([refit], n_threads, time.monotonic() - start, False)
            raise
        note([refit], n_threads, time.monotonic() - start, False)
        return refit

    finish.Finisher._training_seconds = note_training
    finish.Finisher.reserve = note_reserve
    evaluation.Evaluator.refit_many = timed_refit_many
    evaluation.Evaluator.refit_here = timed_refit_here
    return record


def child(dataset, budget, seed):
    """One fit in this process; prints one JSON line: its refits and its times."""
    from selection import load_cell

    from automl_estimators import AutoClassifier, AutoRegressor

    record = instrument()
    entry = dataset_entry(dataset)
    X_train, _, y_train, _ = load_cell(entry, seed)
    cls = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    start = time.monotonic()
    est = cls(time_budget=budget, n_jobs=2, random_state=seed).fit(X_train, y_train)
    seconds = time.monotonic() - start
    trials = [r for r in est.history_ if r.origin != "dummy"]
    last_end = max((r.started_at + r.duration for r in trials), default=0.0)
    members = len(est.ensemble_.members_) if est.ensemble_ is not None else 1
    print(json.dumps({"refits": record["refits"], "fit": {
        "reserve_s": record["reserve"], "last_trial_end_s": round(last_end, 3),
        "fit_s": round(seconds, 3), "refit_mode": est.refit_, "members": members}}),
        flush=True)


def run_cell(entry, budget, seed):
    out = subprocess.run([sys.executable, __file__, "--child", "--datasets", entry["name"],
                          "--budget", str(budget), "--seeds", str(seed)],
                         capture_output=True, text=True, check=False,
                         timeout=3 * budget + 120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError((out.stderr.strip().splitlines() or ["no output"])[-1])
    return json.loads(lines[-1])


def done_cells():
    return {(r["dataset"], int(r["seed"]), float(r["budget"]), int(r.get("busy") or 0))
            for r in read_rows(CSV)}


def measure(args):
    done = done_cells()
    names = args.datasets.split(",") if args.datasets else None
    entries = [e for e in load_manifest() if names is None or e["name"] in names]
    for seed in args.seeds:
        for entry in entries:
            if (entry["name"], seed, args.budget, args.busy) in done:
                continue
            try:
                with busy_processes(args.busy):
                    result = run_cell(entry, args.budget, seed)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"{entry['name']} seed {seed}: failed: {exc}", flush=True)
                continue
            cell = {"dataset": entry["name"], "task": entry["task"], "seed": seed,
                    "budget": args.budget, "busy": args.busy, "commit": short_commit(HERE)}
            rows = [{**cell, "kind": "fit", **result["fit"]}]
            rows += [{**cell, "kind": "refit", **refit} for refit in result["refits"]]
            append_rows(CSV, FIELDS, rows, defaults={"busy": 0})  # older rows: idle
            fit = result["fit"]
            print(f"{entry['name']} seed {seed}: {len(result['refits'])} refit(s), reserve "
                  f"{fit['reserve_s'] or 0:.1f}s, last trial {fit['last_trial_end_s']:.1f}s, "
                  f"fit {fit['fit_s']:.1f}s", flush=True)


def quantiles(values, qs=(0.5, 0.75, 0.9, 0.95, 1.0)):
    import numpy as np

    return [float(np.quantile(values, q)) for q in qs] if len(values) else [float("nan")] * len(qs)


def safety_tables(refits):
    """Markdown lines: the needed safety by group and by model, and the worker's
    overhead, of these refits."""
    qs = "| median | 75 % | 90 % | 95 % | max |"
    lines = [f"| refits | n | {qs[2:]}", "|---|---:|---:|---:|---:|---:|---:|"]
    groups = [("all", refits),
              ("expected ≥ 0.5 s", refits[refits.expected_fit_s >= 0.5]),
              ("expected ≥ 2 s", refits[refits.expected_fit_s >= 2.0]),
              ("one thread", refits[refits.threads == 1]),
              ("two threads or more", refits[refits.threads >= 2]),
              ("several at once", refits[refits.together > 1])]
    for name, group in groups:
        values = quantiles(group.needed_safety.to_numpy())
        lines.append(f"| {name} | {len(group)} | " + " | ".join(f"{v:.2f}" for v in values)
                     + " |")
    lines += ["", "By model (expected ≥ 0.5 s):", "",
              f"| model | n | {qs[2:]}", "|---|---:|---:|---:|---:|---:|---:|"]
    long = refits[refits.expected_fit_s >= 0.5]
    for model, group in sorted(long.groupby("model"), key=lambda g: -len(g[1])):
        values = quantiles(group.needed_safety.to_numpy())
        lines.append(f"| {model} | {len(group)} | " + " | ".join(f"{v:.2f}" for v in values)
                     + " |")
    alone = refits[(refits.together == 1) & refits.in_worker]
    lines += ["", ("Overhead of a refit in a worker (call seconds beyond the worker's fit, "
                   "one refit at a time):"), "", f"| n | {qs[2:]}", "|---:|---:|---:|---:|---:|---:|",
              f"| {len(alone)} | " + " | ".join(
                  f"{v:.2f}" for v in quantiles((alone.call_s - alone.worker_fit_s).to_numpy()))
              + " |"]
    return lines


def report(args):
    import pandas as pd

    from automl_estimators.budget import REFIT_OVERHEAD, REFIT_SAFETY, row_scale

    frame = pd.read_csv(CSV)
    frame["busy"] = frame.busy.fillna(0) if "busy" in frame else 0
    refits = frame[(frame.kind == "refit") & frame.error.isna()].copy()
    refits["expected_fit_s"] = [t * row_scale(a, b) for t, a, b in
                                zip(refits.trial_fit_s, refits.train_rows, refits.refit_rows)]
    refits["needed_safety"] = refits.worker_fit_s / refits.expected_fit_s
    fits = frame[frame.kind == "fit"].copy()
    commits = ", ".join(sorted(set(frame["commit"].astype(str))))
    lines = ["# Refit times against the finishing step's estimate", "",
             (f"Written by `python benchmarks/refit_estimate.py --report` from "
              f"`benchmarks/results/refit_estimate.csv` (commits {commits}; rows added by "
              "`python benchmarks/refit_estimate.py --budget B --seeds S [--busy N]`); "
              f"{machine_line()}. The rows' estimates are the package's of those "
              f"commits; this checkout's REFIT_SAFETY is {REFIT_SAFETY}, REFIT_OVERHEAD "
              f"{REFIT_OVERHEAD} s. `needed safety`: the worker's fit seconds over the "
              "trial's fit seconds scaled linearly to the refit's rows."), ""]
    for busy in sorted(set(frame.busy)):
        where = "an idle machine" if busy == 0 else f"beside {busy:g} busy processes"
        lines += [f"## Needed safety, {where}", ""]
        lines += safety_tables(refits[refits.busy == busy]) + [""]
    fits["finish_s"] = fits.fit_s - fits.last_trial_end_s
    fits["unused_s"] = fits.budget - fits.fit_s
    lines += ["", "## Per fit", "",
              ("| dataset | seed | budget s | busy | reserve held s | last trial ended s | "
               "finishing took s | fit s | unused s | refit | members |"),
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in fits.sort_values(["budget", "busy", "seed", "dataset"]).itertuples():
        lines.append(f"| {r.dataset} | {r.seed} | {r.budget:g} | {r.busy:g} | {r.reserve_s:.1f} | "
                     f"{r.last_trial_end_s:.1f} | {r.finish_s:.1f} | {r.fit_s:.1f} | "
                     f"{r.unused_s:.1f} | {r.refit_mode} | {r.members} |")
    for (budget, busy), group in fits.groupby(["budget", "busy"]):
        lines += ["", (f"At {budget:g} s beside {busy:g} busy processes: unused seconds median {group.unused_s.median():.1f}, "
                       f"mean {group.unused_s.mean():.1f}; reserve held median "
                       f"{group.reserve_s.median():.1f} s against finishing median "
                       f"{group.finish_s.median():.1f} s ({len(group)} fits).")]
    write_report(lines, args.out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="comma-separated; default: every shared dataset")
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--seeds", default="0",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--busy", type=int, default=0,
                        help="processes that keep a core busy each beside the fits")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    if args.child:
        child(args.datasets, args.budget, args.seeds[0])
        return
    if not args.report:
        measure(args)
    report(args)


if __name__ == "__main__":
    main()
