"""Multi-threaded fits on a machine other programs keep busy (issue 23).

    .venv/bin/python benchmarks/omp_under_load.py --out benchmarks/results/omp_under_load.md

A finishing refit fitted with ``n_jobs`` threads until ``finish.refit_threads``. On a machine where other programs
hold the cores, an OpenMP learner's threads meet at a barrier at the end of every
parallel region, and a thread that waits there needs the one it waits for to be
scheduled: noted once in an earlier session's log, not in a results file, a
2-thread HistGradientBoosting fit took 517 s where 1
thread took 7 s (load 11 on 2 cores). This measures it: the default
HistGradientBoosting pipeline on electricity (45,312 rows) and letter (20,000
rows, 26 classes), each arm a fresh process (OpenMP reads its settings once),
``--repeats`` fits, median seconds, beside 0 or ``--busy`` busy processes
(``while True: pass``), with 1 and 2 threads, and with OpenMP's spin before a
waiting thread sleeps left as is or cut (``GOMP_SPINCOUNT``). A fit is stopped
after ``--timeout`` s (shown as ">").
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
from common import busy_processes, dataset_entry, load_split, machine_line, versions, write_report

DATASETS = ("electricity", "letter")
# GOMP_SPINCOUNT values: None leaves libgomp's default (300,000 spins with
# OMP_WAIT_POLICY unset); 1000 is what libgomp itself uses when it sees more of
# its threads than cores.
SPINS = (None, "1000")


def child(dataset, threads, repeats):
    """One arm in this process: the median seconds of ``repeats`` fits."""
    from sklearn.base import clone
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder
    from threadpoolctl import threadpool_limits

    X, _, y, _ = load_split(dataset_entry(dataset), seed=0)
    pipeline = make_pipeline(make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
         make_column_selector(dtype_exclude="number")), remainder="passthrough"),
        HistGradientBoostingClassifier(random_state=0))
    times = []
    with threadpool_limits(threads):
        for _ in range(repeats):
            start = time.perf_counter()
            clone(pipeline).fit(X, y)
            times.append(time.perf_counter() - start)
    print(json.dumps({"seconds": sorted(times)[len(times) // 2], "all": times}))


def run_arm(dataset, threads, spin, repeats, timeout):
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    env.pop("GOMP_SPINCOUNT", None)
    env["OMP_NUM_THREADS"] = str(threads)
    if spin is not None:
        env["GOMP_SPINCOUNT"] = spin
    command = [sys.executable, __file__, "--child", dataset, str(threads), str(repeats)]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3)
    parser.add_argument("--busy", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        dataset, threads, repeats = args.child
        child(dataset, int(threads), int(repeats))
        return
    rows = []
    for busy in (0, args.busy):
        with busy_processes(busy):
            for dataset in args.datasets.split(","):
                for threads in (1, 2):
                    for spin in SPINS if threads > 1 else (None,):
                        result = run_arm(dataset, threads, spin, args.repeats, args.timeout)
                        load = os.getloadavg()[0]
                        seconds = (f"{result['seconds']:.2f}" if result
                                   else f"> {args.timeout / args.repeats:.0f}")
                        row = (dataset, busy, threads, spin or "default", seconds,
                               "" if result is None else " ".join(f"{t:.2f}" for t in result["all"]),
                               f"{load:.1f}")
                        print(*row, flush=True)
                        rows.append(row)
    lines = ["# Multi-threaded fits beside busy processes", "",
             "`benchmarks/omp_under_load.py`; " + machine_line() + "; " + ", ".join(
                 f"{k} {v}" for k, v in versions().items()), "",
             ("The default HistGradientBoosting pipeline, median seconds of "
              f"{args.repeats} fits in a fresh process."), "",
             "| dataset | busy processes | threads | GOMP_SPINCOUNT | median s | every fit s | load (1 min) |",
             "|---|---:|---:|---|---:|---|---:|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
