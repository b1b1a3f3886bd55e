"""Ctrl-C during the command line's search, many times: does every fit stop on it?

Each run starts ``python -m automl_estimators fit`` on a small CSV (200 rows, two
columns, as ``tests/test_cli.py::test_ctrl_c_during_the_search_saves_the_model_and_exits_130``
writes), sends SIGINT as soon as stderr says ``searching with`` (the pool's
workers start then, in the background), and records the exit status and how long
the process took after the signal. A run that is not ended by the signal runs to
its ``--time`` budget: its exit status is 0, not 130, and its stderr is printed.

Written after the test timed out once beside two busy processes (session 49: the
fit went on running trials 20 s after the signal); run it under the same load to
look for that case.

Usage
-----
    PYTHONPATH=$PWD python benchmarks/ctrl_c_repeat.py --runs 20 --time 30
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def one_run(folder: Path, budget: float) -> tuple[int, float, float, str]:
    """(exit status, seconds to the signal, seconds after it, stderr) of one fit."""
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "automl_estimators", "fit", "train.csv", "--target", "y",
         "--time", str(budget), "--output", "m.joblib"],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "searching with" in line:
            break
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        _, rest = process.communicate(timeout=budget + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        _, rest = process.communicate()
    return process.returncode, sent - start, time.monotonic() - sent, "".join(seen) + rest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--time", type=float, default=30.0, help="each fit's --time")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        pd.DataFrame({"a": np.arange(200) % 7, "y": np.arange(200) % 2}).to_csv(
            Path(folder) / "train.csv", index=False)
        missed = 0
        for run in range(args.runs):
            status, before, after, stderr = one_run(Path(folder), args.time)
            print(f"run {run}: signal at {before:.1f} s, exit status {status}, "
                  f"ended {after:.1f} s after it", flush=True)
            if status != 130:
                missed += 1
                print(stderr, flush=True)
    print(f"{missed} of {args.runs} fits not ended by the signal")
    return int(missed > 0)


if __name__ == "__main__":
    sys.exit(main())
