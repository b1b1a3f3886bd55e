"""When the search stops for the finishing step: two checkouts, back to back, cell by cell.

Usage
-----
    git worktree add --detach ../before <commit>
    OMP_WAIT_POLICY=PASSIVE python benchmarks/finish_reserve.py --before ../before \\
        --after . --cells segment:evolution:120,electricity:auto:60 --seeds 0

A cell is ``dataset:search:budget``. Each run is a fresh process that imports the
given checkout's package (``PYTHONPATH``), splits the shared dataset 75/25 as the
peers benchmark does (the seed's split), fits ``AutoClassifier`` /
``AutoRegressor(time_budget, search, n_jobs=2, random_state=seed)`` and prints one
JSON line: when the last trial ended, the fit's seconds, the trials and networks
trained, the final model (members) and the test score. The two arms of a cell run
one right after the other, their order alternating from cell to cell. The report
(``--out``, default ``benchmarks/results/finish_reserve.md``) gives both arms side by
side.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
from common import (
    RESULTS,
    child_result,
    dataset_entry,
    machine_line,
    score_of,
    short_commit,
    write_report,
)

OUT = RESULTS / "finish_reserve.md"
ARMS = ("before", "after")


def child(dataset, search, budget, seed):
    """One fit in this process; prints its JSON line."""
    from selection import load_cell

    from automl_estimators import AutoClassifier, AutoRegressor

    entry = dataset_entry(dataset)
    X_train, X_test, y_train, y_test = load_cell(entry, seed)
    cls = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    start = time.monotonic()
    est = cls(time_budget=budget, search=search, n_jobs=2, random_state=seed).fit(
        X_train, y_train)
    seconds = time.monotonic() - start
    trials = [r for r in est.history_ if r.origin != "dummy"]
    last_end = max((r.started_at + r.duration for r in trials), default=0.0)
    networks = sum(1 for r in trials if str(r.config.get("model", "")).startswith("neural"))
    members = len(est.ensemble_.members_) if est.ensemble_ is not None else 1
    print(json.dumps({"fit_s": round(seconds, 2), "last_trial_end_s": round(last_end, 2),
                      "trials": len(trials), "networks": networks, "members": members,
                      "test": score_of(entry["task"], y_test, est.predict(X_test))}), flush=True)


def run(checkout, cell, seed):
    dataset, search, budget = cell
    return child_result(checkout, __file__,
                        ["--child", "--cells", f"{dataset}:{search}:{budget}", "--seeds", seed],
                        timeout=3 * float(budget) + 120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before")
    parser.add_argument("--after")
    parser.add_argument("--cells", required=True, help="dataset:search:budget,...")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    cells = [tuple(c.split(":")) for c in args.cells.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.child:
        dataset, search, budget = cells[0]
        child(dataset, search, float(budget), seeds[0])
        return
    checkouts = {"before": args.before, "after": args.after}
    lines = ["# When the search stops for the finishing step", "",
             (f"Written by `python benchmarks/finish_reserve.py --before {args.before} "
              f"--after {args.after} --cells {args.cells} --seeds {args.seeds}` (before: "
              f"{short_commit(args.before)}, after: {short_commit(args.after)}); "
              f"{machine_line()}. Arms back to back, order alternating (the script's "
              "docstring)."), "",
             ("| dataset | search | budget s | seed | arm | last trial ended s | fit s | "
              "trials | networks | members | test |"),
             "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for i, (cell, seed) in enumerate((c, s) for s in seeds for c in cells):
        order = ARMS if i % 2 == 0 else ARMS[::-1]
        records = {arm: run(checkouts[arm], cell, seed) for arm in order}
        for arm in ARMS:
            r = records[arm]
            row = (f"| {cell[0]} | {cell[1]} | {cell[2]} | {seed} | {arm} | " + (
                f"error: {r['error']} | | | | | |" if "error" in r else
                f"{r['last_trial_end_s']:.1f} | {r['fit_s']:.1f} | {r['trials']} | "
                f"{r['networks']} | {r['members']} | {r['test']:.4f} |"))
            lines.append(row)
            print(row, flush=True)
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
