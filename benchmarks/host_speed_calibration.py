"""How well ``host_speed``'s reference tracks the strong default's trial across hosts.

Usage
-----
    python benchmarks/host_speed_calibration.py --run idle             # a run, then the report
    python benchmarks/host_speed_calibration.py --run busy2 --busy 2   # beside 2 busy processes
    python benchmarks/host_speed_calibration.py --report               # the report from the CSVs

A run times, on this machine, what ``default_seconds.py --part shared`` times (the
package's default trial and its native-split form on each shared dataset's seed-0
training split, one thread, the best of two) with the reference workload
(``host_speed.reference_seconds``) timed before each dataset, and writes the rows
to ``results/host_speed_<run>.csv``. The report sets each trial against the same
trial on the host the plan's cost models were fitted on (the committed
``results/default_seconds_shared.csv`` of :data:`COST_HOST_COMMIT`): the trial's
slowdown here is its time here over its time there, and the reference's time on
the cost models' host that this row implies is the reference's time here over
that slowdown. ``host_speed.REFERENCE_SECONDS`` is the median of those over an
idle run; the spread says how well one reference stands for every trial, and the
last columns whether the plan's estimates, multiplied by the slowdown a fit would
read (``host_speed.slowdown``), still cover the trials' time here. The report goes
to ``results/host_speed_calibration.md``.
"""
from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    busy_processes,
    load_manifest,
    machine_line,
    read_rows,
    write_report,
    write_rows,
)
from default_seconds import SHARED_FIELDS, _slowdown, shared_rows  # noqa: E402

# The commit whose default_seconds_shared.csv was timed on the cost models' host
# (session 36, with the node model's refit).
COST_HOST_COMMIT = "c26edf8"
OUT = RESULTS / "host_speed_calibration.md"


def run_path(name):
    return RESULTS / f"host_speed_{name}.csv"


def cost_host_seconds():
    """{(dataset, form): seconds} of the default trials on the cost models' host."""
    text = subprocess.run(
        ["git", "show", f"{COST_HOST_COMMIT}:benchmarks/results/default_seconds_shared.csv"],
        cwd=HERE, check=True, capture_output=True, text=True).stdout
    return {(r["dataset"], r["form"]): float(r["seconds"])
            for r in csv.DictReader(io.StringIO(text))}


def report():
    from automl_estimators import host_speed

    there = cost_host_seconds()
    lines = ["# The host's speed: the reference workload against the default's trial", "",
             "Written by `python benchmarks/host_speed_calibration.py --report` from the "
             "runs' CSVs (`--run NAME [--busy N]`); this machine: "
             f"{machine_line()}. The cost models' host: `default_seconds_shared.csv` at "
             f"{COST_HOST_COMMIT}. What each column means: the script's doc. "
             f"`host_speed.REFERENCE_SECONDS` = {host_speed.REFERENCE_SECONDS:g} s.", "",
             "| run | trials | trial slowdown, median (range) | reference here, ms median "
             "(range) | implied reference there, ms: median | 25-75 % | range | expected / "
             "measured < 1 | expected x fit's slowdown / measured < 1 |",
             "|---|---:|---|---|---:|---|---|---:|---:|"]
    for path in sorted(RESULTS.glob("host_speed_*.csv")):
        rows = [r for r in read_rows(path) if (r["dataset"], r["form"]) in there]
        if not rows:
            continue
        here = np.array([float(r["seconds"]) for r in rows])
        slow = here / np.array([there[(r["dataset"], r["form"])] for r in rows])
        reference = np.array([float(r["reference"]) for r in rows])
        implied = reference / slow
        expected = np.array([float(r["expected"]) for r in rows])
        read = np.array([_slowdown(r) for r in rows])
        q25, q75 = np.quantile(implied, [0.25, 0.75]) * 1000
        lines.append(
            f"| {path.stem.removeprefix('host_speed_')} | {len(rows)} | "
            f"{np.median(slow):.2f} ({slow.min():.2f}-{slow.max():.2f}) | "
            f"{np.median(reference) * 1000:.1f} ({reference.min() * 1000:.1f}-"
            f"{reference.max() * 1000:.1f}) | {np.median(implied) * 1000:.2f} | "
            f"{q25:.2f}-{q75:.2f} | {implied.min() * 1000:.2f}-{implied.max() * 1000:.2f} | "
            f"{(expected / here < 1).sum()} | {(expected * read / here < 1).sum()} |")
    write_report(lines, OUT)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="name of a run to time now (results/host_speed_NAME.csv)")
    parser.add_argument("--busy", type=int, default=0,
                        help="busy processes beside the run (python -c 'while True: pass')")
    parser.add_argument("--report", action="store_true", help="only rebuild the report")
    args = parser.parse_args(argv)
    if args.run and not args.report:
        with busy_processes(args.busy):
            rows = shared_rows([e["name"] for e in load_manifest()])
        write_rows(run_path(args.run), SHARED_FIELDS, rows)
    report()


if __name__ == "__main__":
    main()
