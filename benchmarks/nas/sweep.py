"""NAS strategies benchmark: every search strategy on networks vs the package and baselines.

Usage
-----
    python benchmarks/nas/sweep.py --budget 120 --seeds 0,1,2                 # every arm
    python benchmarks/nas/sweep.py --budget 120 --datasets mnist1d,digits \\
        --arms random,controller,progressive,one_shot --chunk gpu-a --device cuda
    python benchmarks/nas/sweep.py --report-only                              # tables, plots

A run is (dataset, arm, seed, budget, device). Each run is its own process
(``run_one.py``: memory and time isolated, ``OMP_WAIT_POLICY=PASSIVE``), killed at
``3 x budget + 120`` s; its row is appended to ``<results>/<chunk>.jsonl``
(``records.py``). A run whose row is in any chunk of ``<results>`` is skipped, so
an interrupted sweep resumes where it stopped (``--retry-failed`` runs again
the rows that say error, crash or timeout); a strategy that this checkout does
not register is recorded as ``unavailable`` and run once it is. Arms:
``arms.py``; datasets and their image shapes: ``loaders.py``; after the sweep the
report (``report_strategies.py``) rewrites ``<results>/README.md`` and its plots.

``--device cpu`` (the default) hides any GPU; ``--device cuda`` needs one. The
arms without networks (``neural_false``, ``hgb``, ``logreg``) always run, and are
recorded, as cpu: a cuda sweep skips them when their cpu row exists.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import arms
import loaders
import records
import report_strategies
from common import RESULTS, spawn

DEFAULT_RESULTS = RESULTS / "nas"
# Logs of each run's process: beside the other benchmarks' raw output (git-ignored).
LOGS = RESULTS / "raw" / "nas_strategies"
DEFAULT_SEEDS = (0, 1, 2)
DEFAULT_BUDGET = 120


def kill_after(budget: float) -> float:
    """Seconds after which a run's process is killed (a fit may overrun a little)."""
    return 3 * budget + 120


def planned_runs(datasets, arm_names, seeds, budget, device, done):
    """The runs still to do, in sweep order: seed, then dataset, then arm."""
    runs = []
    for seed in seeds:
        for dataset in datasets:
            for arm in arm_names:
                key = (dataset, arm, seed, budget, arms.run_device(arm, device))
                if key not in done and key not in runs:
                    runs.append(key)
    return runs


def run_in_child(key, n_jobs, logs: Path) -> dict:
    """One run in a fresh process; its row, or a row saying how the process ended."""
    dataset, arm, seed, budget, device = key
    logs.mkdir(parents=True, exist_ok=True)
    name = f"{dataset}__{arm}__{seed}__{budget}__{device}"
    out = logs / f"{name}.json"
    out.unlink(missing_ok=True)
    rc, timed_out, elapsed = spawn(
        HERE / "run_one.py",
        ["--dataset", dataset, "--arm", arm, "--seed", str(seed), "--budget", str(budget),
         "--device", device, "--n-jobs", str(n_jobs), "--out", str(out)],
        kill_after(budget), logs / f"{name}.log")
    if out.exists() and not timed_out:
        return json.loads(out.read_text())
    return {"dataset": dataset, "arm": arm, "seed": seed, "budget": budget, "device": device,
            "status": "timeout" if timed_out else "crash",
            "error": f"process ended with rc={rc} after {elapsed:.0f} s"
                     + (f" (killed at {kill_after(budget):.0f} s)" if timed_out else "")
                     + f"; log: {logs / (name + '.log')}"}


def csv_list(text, cast=str):
    return [cast(v) for v in text.split(",") if v.strip()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default=",".join(loaders.DATASETS),
                    help="comma-separated, of %(default)s")
    ap.add_argument("--arms", default=",".join(arms.DEFAULT_ARMS),
                    help="comma-separated: strategy names, neural_false, neural_auto, hgb, "
                         "logreg (default: %(default)s)")
    ap.add_argument("--seeds", default=",".join(map(str, DEFAULT_SEEDS)))
    ap.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                    help="time_budget of each fit, seconds (default: %(default)s)")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--n-jobs", type=int, default=2, help="n_jobs of each fit")
    ap.add_argument("--chunk", default=None,
                    help="rows go to <results>/<chunk>.jsonl (default: the device)")
    ap.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS,
                    help="the chunks, the report and its plots (default: %(default)s)")
    ap.add_argument("--retry-failed", action="store_true",
                    help="run again the runs whose row says error, crash or timeout")
    ap.add_argument("--report-only", action="store_true", help="run nothing; rewrite the report")
    ap.add_argument("--title", default=None, help="the report's first heading")
    args = ap.parse_args(argv)
    datasets, arm_names = csv_list(args.datasets), csv_list(args.arms)
    unknown = sorted(set(datasets) - set(loaders.DATASETS))
    if unknown:
        ap.error(f"unknown datasets {unknown}; the datasets are {list(loaders.DATASETS)}")
    try:
        arms.check_arm_names(arm_names)
        chunk_file = records.chunk_path(args.results_dir, args.chunk or args.device)
    except ValueError as exc:
        ap.error(str(exc))
    if not args.report_only:
        todo = planned_runs(datasets, arm_names, csv_list(args.seeds, int), args.budget,
                            args.device, records.done_keys(args.results_dir,
                                                           args.retry_failed))
        print(f"{len(todo)} runs to do; rows go to {chunk_file}", flush=True)
        for i, key in enumerate(todo, 1):
            print(f"[{time.strftime('%H:%M:%S')}] {i}/{len(todo)} {key}", flush=True)
            row = run_in_child(key, args.n_jobs, LOGS)
            row["chunk"] = chunk_file.stem
            records.append_row(args.results_dir, chunk_file.stem, row)
            print(f"    -> {row['status']} test={row.get('test_accuracy')} "
                  f"networks={row.get('n_networks')} {row.get('error', '')}", flush=True)
    command = "python benchmarks/nas/sweep.py " + shlex.join(
        argv if argv is not None else sys.argv[1:])
    path = report_strategies.write_report(args.results_dir, command.strip(), title=args.title)
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
