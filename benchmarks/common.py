"""What the benchmark scripts share: datasets, splits, scores, child processes,
versions, results CSVs."""
from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# ../shared beside the checkout; BENCHMARK_DATASETS names another folder holding the
# same files (a machine the checkout was copied to without ../shared)
DATA_DIR = Path(os.environ.get("BENCHMARK_DATASETS")
                or HERE.parent.parent / "shared" / "datasets")


def load_manifest():
    return json.loads((DATA_DIR / "manifest.json").read_text())


def dataset_entry(name):
    for d in load_manifest():
        if d["name"] == name:
            return d
    raise SystemExit(f"unknown dataset {name!r}")


def load_split(entry, seed=0, rows=None):
    """75/25 split (stratified for classification) of a shared dataset; of ``rows``
    of its rows drawn with ``seed`` first, when given."""
    import pandas as pd

    df = pd.read_csv(DATA_DIR / entry["file"])
    if rows is not None:
        df = df.sample(n=min(int(rows), len(df)), random_state=seed)
    y = df.pop("target")
    return split_frame(df, y, entry["task"], seed)


# The share of a dataset's rows the benchmarks test on.
TEST_SHARE = 0.25


def split_frame(X, y, task, seed=0):
    """The benchmarks' 75/25 split of any (X, y): stratified for classification.

    Returns (X_train, X_test, y_train, y_test).
    """
    from sklearn.model_selection import train_test_split

    strat = y if task in ("binary", "multiclass") else None
    return train_test_split(X, y, test_size=TEST_SHARE, random_state=seed, stratify=strat)


def test_rows(n_rows):
    """How many of ``n_rows`` the split tests on (scikit-learn rounds the test share up)."""
    return math.ceil(TEST_SHARE * n_rows)


def score_of(task, y_true, y_pred):
    """Accuracy (classification) or R² (regression) on the test split.

    Labels are compared as text, so a prediction of ``"1"`` counts against a true
    ``1`` (a CSV column read as numbers, a model that returns its labels as strings)
    instead of scikit-learn refusing the mix of types; regression targets as floats.
    """
    from sklearn.metrics import accuracy_score, r2_score

    if task == "regression":
        return float(r2_score(np.asarray(y_true, float), np.asarray(y_pred, float)))
    return float(accuracy_score(np.asarray(y_true).astype(str), np.asarray(y_pred).astype(str)))


class PeriodicSampler(threading.Thread):
    """A daemon thread that calls :meth:`sample` every ``interval`` seconds until
    :meth:`stop`, which takes one last sample."""

    def __init__(self, interval=0.2):
        super().__init__(daemon=True)
        self.interval = interval
        self._halt = threading.Event()

    def sample(self):
        raise NotImplementedError

    def run(self):
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(timeout=5)
        self.sample()


class TreeMemorySampler(PeriodicSampler):
    """Peak memory of this process + all its children (recursively), sampled every 0.2 s.

    ``peak``: the summed RSS, which counts a page shared by several processes
    (libraries a forkserver loaded before forking workers, copy-on-write data)
    once per process. ``peak_pss``: the summed proportional set size, where a
    shared page counts once in all (Linux; 0 where the kernel does not give it).
    """

    def __init__(self, interval=0.2):
        super().__init__(interval)
        import psutil

        self._psutil = psutil
        self.proc = psutil.Process()
        self.peak = 0
        self.peak_pss = 0
        self.max_children = 0

    def _memory(self, proc):
        """(RSS, PSS) in bytes. PSS from /proc/<pid>/smaps_rollup (~0.2 ms), not
        psutil's memory_full_info, which walks the whole smaps (5-10 ms a process:
        a quarter of a core at this sampling rate, taken from the run measured)."""
        rss = proc.memory_info().rss
        try:
            with open(f"/proc/{proc.pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        return rss, int(line.split()[1]) * 1024
        except OSError:  # not Linux, or an older kernel
            pass
        return rss, 0

    def sample(self):
        try:
            children = self.proc.children(recursive=True)
        except self._psutil.Error:
            children = []
        total, pss, n = 0, 0, 0
        for proc in (self.proc, *children):
            try:
                rss, shared = self._memory(proc)
            except self._psutil.Error:  # ended since it was listed
                continue
            total, pss = total + rss, pss + shared
            n += proc is not self.proc
        self.peak = max(self.peak, total)
        self.peak_pss = max(self.peak_pss, pss)
        self.max_children = max(self.max_children, n)


def spawn(script, args, timeout, log_path):
    """Run ``script args`` in its own session (OMP_WAIT_POLICY=PASSIVE); kill its group on timeout.

    Returns (return code, timed out, seconds).
    """
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    start = time.perf_counter()
    with open(log_path, "w") as log:
        p = subprocess.Popen([sys.executable, str(script), *args], stdout=log,
                             stderr=subprocess.STDOUT, env=env, start_new_session=True,
                             cwd=str(HERE.parent))
        try:
            rc, timed_out = p.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            rc, timed_out = p.wait(), True
    return rc, timed_out, time.perf_counter() - start


def print_case_table(script, header, cases):
    """Print a markdown table of ``header`` (column names), one row per case, each
    row the stdout of ``script --one CASE...`` in a fresh process (one thread), so
    that each case's peak memory is its own."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for case in cases:
        out = subprocess.run([sys.executable, str(script), "--one", *map(str, case)],
                             env=env, capture_output=True, text=True, check=True)
        print(out.stdout.strip(), flush=True)


def checkout_env(checkout):
    """The environment of a child process that imports ``checkout``'s package: the
    checkout's folder as ``PYTHONPATH``, ahead of the package installed here."""
    return {**os.environ, "PYTHONPATH": str(Path(checkout).resolve())}


def child_result(checkout, script, args, timeout):
    """Run ``script args`` importing ``checkout``'s package (:func:`checkout_env`) and
    return the last JSON object it printed on a line of its own, or ``{"error": the
    last line of its stderr}`` when it failed or printed none."""
    done = subprocess.run([sys.executable, str(script), *map(str, args)],
                          env=checkout_env(checkout), capture_output=True, text=True,
                          check=False, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def versions():
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("automl-estimators", "scikit-learn", "xgboost", "smac", "ConfigSpace",
                 "pandas", "numpy"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def machine_line():
    return (f"{platform.platform()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")


def fmt(v, spec):
    """Format a number for a table; '—' for missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return format(v, spec)


@contextlib.contextmanager
def busy_processes(n):
    """``n`` processes that keep a core busy each (``while True: pass``) until the block
    ends, started a second before it (none: no wait)."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(1.0 if n else 0.0)
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def read_rows(path):
    """The rows of a results CSV as dicts of strings (none when there is no file)."""
    path = Path(path)
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, fields, rows):
    """Write ``rows`` (dicts) as the whole CSV at ``path``, columns ``fields``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)


def append_rows(path, fields, rows, defaults=None):
    """Append ``rows`` to the resumable results CSV at ``path`` (made with its header
    when absent). A file of an older layout is first rewritten in ``fields``, its
    rows given ``defaults`` for the columns they lack."""
    path = Path(path)
    if path.exists():
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            old = (None if tuple(reader.fieldnames or ()) == tuple(fields)
                   else list(reader))  # the rows are read only to rewrite them
        if old is not None:
            write_rows(path, fields, ({**(defaults or {}), **row} for row in old))
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fields)
        if new:
            writer.writeheader()
        writer.writerows(rows)


def short_commit(checkout) -> str:
    """The short commit a checkout's folder is at, or "unknown" (no git there)."""
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout,
                         capture_output=True, text=True, check=False)
    return out.stdout.strip() or "unknown"


def write_report(lines, out=None):
    """Print a markdown report made of ``lines``, and write it to ``out`` when given."""
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).write_text(text)
    print(text)
