"""Per-trial time limit: the default share of the budget against others, back to back.

    python benchmarks/trial_limit.py run --budget 60 --shares 0.25,0.1 --seeds 0
    python benchmarks/trial_limit.py run --budget 60 --shares 0.25,0.1 --seeds 0 --datasets adult,car
    python benchmarks/trial_limit.py report --budget 60

Without ``per_trial_time_limit`` a trial may take ``plan.TRIAL_SHARE`` of the budget
(a quarter): a trial that needs more is stopped there and its worker's time is lost.
Each arm is a fit with ``per_trial_time_limit`` = share x budget, except the arm
whose share is the package's own, which leaves the parameter unset (the default
path, unchanged). Every fit runs in its own process (``common.spawn``), the arms
alternating in order from one cell to the next, on the benchmarks' split of each
seed (``AutoClassifier`` / ``AutoRegressor(time_budget, n_jobs=2, random_state=seed)``).
A row per fit: the test score, trials by status, and the worker seconds that went
to trials stopped at their limit. Resumable: a (dataset, seed, share) already in
the rows is not run again.

Rows: ``benchmarks/results/trial_limit_<budget>.csv`` (``--rows`` another file); report:
the same name, ``.md``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from common import (
    HERE,
    RESULTS,
    append_rows,
    dataset_entry,
    fmt,
    load_manifest,
    load_split,
    read_rows,
    score_of,
    short_commit,
    spawn,
    write_report,
)

FIELDS = ["dataset", "task", "seed", "budget", "share", "trial_limit", "score", "trials",
          "timeouts", "timeout_seconds", "trial_seconds", "fit_s", "final", "commit"]


def rows_path(args):
    return Path(args.rows) if args.rows else RESULTS / f"trial_limit_{args.budget:g}.csv"


def fit_one(dataset, seed, budget, share, out):
    """Child: one fit; its row as JSON to ``out``."""
    from automl_estimators import AutoClassifier, AutoRegressor
    from automl_estimators.plan import TRIAL_SHARE

    entry = dataset_entry(dataset)
    X_train, X_test, y_train, y_test = load_split(entry, seed)
    estimator = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    limit = None if abs(share - TRIAL_SHARE) < 1e-9 else share * budget
    started = time.monotonic()
    fitted = estimator(time_budget=budget, n_jobs=2, random_state=seed,
                       per_trial_time_limit=limit).fit(X_train, y_train)
    fit_s = time.monotonic() - started
    board = fitted.leaderboard_
    stopped = board["status"] == "timeout"
    row = {"dataset": dataset, "task": entry["task"], "seed": seed, "budget": budget,
           "share": share, "trial_limit": fitted.search_plan_.trial_time_limit,
           "score": score_of(entry["task"], y_test, fitted.predict(X_test)),
           "trials": len(board), "timeouts": int(stopped.sum()),
           "timeout_seconds": float(board.loc[stopped, "duration"].fillna(0).sum()),
           "trial_seconds": float(board["duration"].fillna(0).sum()),
           "fit_s": fit_s, "final": describe(fitted)}
    Path(out).write_text(json.dumps(row))


def describe(fitted):
    board = fitted.leaderboard_
    weights = board.loc[board["ensemble_weight"] > 0]
    if len(weights) > 1:
        return f"ensemble of {len(weights)}"
    return str(board.iloc[0]["pipeline"]) if len(board) else "dummy"


def run(args):
    shares = [float(s) for s in args.shares.split(",")]
    datasets = (args.datasets.split(",") if args.datasets
                else [d["name"] for d in load_manifest()])
    path = rows_path(args)
    done = {(r["dataset"], int(r["seed"]), float(r["share"])) for r in read_rows(path)}
    head = short_commit(HERE.parent)
    cell = 0
    for seed in [int(s) for s in args.seeds.split(",")]:
        for dataset in datasets:
            order = shares if cell % 2 == 0 else shares[::-1]
            cell += 1
            for share in order:
                if (dataset, seed, share) in done:
                    continue
                with tempfile.TemporaryDirectory() as tmp:
                    out = Path(tmp) / "row.json"
                    rc, timed_out, _ = spawn(
                        Path(__file__), ["one", dataset, str(seed), str(args.budget),
                                         str(share), str(out)],
                        timeout=3 * args.budget + 120, log_path=Path(tmp) / "log.txt")
                    if rc != 0 or not out.exists():
                        log = (Path(tmp) / "log.txt").read_text()[-2000:]
                        print(f"{dataset} seed {seed} share {share}: failed rc={rc} "
                              f"timed_out={timed_out}\n{log}", flush=True)
                        continue
                    row = {**json.loads(out.read_text()), "commit": head}
                append_rows(path, FIELDS, [row])
                print(f"{dataset} seed {seed} share {share}: {row['score']:.4f} "
                      f"trials {row['trials']} timeouts {row['timeouts']} "
                      f"({row['timeout_seconds']:.0f}s of {row['trial_seconds']:.0f}s)", flush=True)


def report(args):
    rows = read_rows(rows_path(args))
    shares = sorted({float(r["share"]) for r in rows}, reverse=True)
    base = shares[0]
    by = {(r["dataset"], r["seed"], float(r["share"])): r for r in rows}
    cells = sorted({(r["dataset"], r["seed"]) for r in rows})
    lines = [f"# Per-trial time limit at {args.budget:g} s: arms by share of the budget",
             "", (f"Command: `python benchmarks/trial_limit.py run --budget {args.budget:g} "
                  f"--shares {','.join(f'{s:g}' for s in shares)} --seeds "
                  f"{','.join(sorted({r['seed'] for r in rows}))} --datasets <datasets>`; "
                  f"commits {', '.join(sorted({r['commit'] for r in rows}))}; "
                  f"{len({r['dataset'] for r in rows})} datasets."), "",
             "| dataset | seed | " + " | ".join(f"score {s:g}" for s in shares)
             + " | " + " | ".join(f"timeouts {s:g} (s of trials)" for s in shares) + " |",
             "|---|---:|" + "---:|" * (2 * len(shares))]
    for d, seed in cells:
        arms = [by.get((d, seed, s)) for s in shares]
        lines.append(f"| {d} | {seed} | " + " | ".join(
            fmt(float(a["score"]), ".4f") if a else "—" for a in arms) + " | " + " | ".join(
            f"{a['timeouts']} ({float(a['timeout_seconds']):.0f} of "
            f"{float(a['trial_seconds']):.0f})" if a else "—" for a in arms) + " |")
    lines += ["", f"Against share {base:g} (cells where both ran):", ""]
    for s in shares[1:]:
        diffs = [float(by[(d, seed, s)]["score"]) - float(by[(d, seed, base)]["score"])
                 for d, seed in cells if (d, seed, s) in by and (d, seed, base) in by]
        if not diffs:
            continue
        n = len(diffs)
        mean = sum(diffs) / n
        se = (sum((x - mean) ** 2 for x in diffs) / (n - 1) / n) ** 0.5 if n > 1 else float("nan")
        up = sum(x > 1e-4 for x in diffs)
        down = sum(x < -1e-4 for x in diffs)
        lines.append(f"- share {s:g}: mean {mean:+.4f} (SE {fmt(se, '.4f')}) over {n} cells; "
                     f"{up} higher, {n - up - down} equal, {down} lower")
    for s in shares:
        arm = [r for r in rows if float(r["share"]) == s]
        waste = sum(float(r["timeout_seconds"]) for r in arm)
        total = sum(float(r["trial_seconds"]) for r in arm)
        lines.append(f"- share {s:g}: {sum(int(r['timeouts']) for r in arm)} trials stopped at "
                     f"the limit, {waste:.0f} of {total:.0f} trial seconds "
                     f"({waste / total if total else 0:.0%})")
    write_report(lines, rows_path(args).with_suffix(".md"))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "one":
        dataset, seed, budget, share, out = argv[1:6]
        return fit_one(dataset, int(seed), float(budget), float(share), out)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "report"])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--shares", default="0.25,0.1")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--datasets")
    parser.add_argument("--rows", help="the rows' CSV (default: benchmarks/results/"
                        "trial_limit_<budget>.csv); the report is written beside it")
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else report(args)


if __name__ == "__main__":
    main()
