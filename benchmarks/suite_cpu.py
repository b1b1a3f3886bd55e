"""Where the test suite's CPU goes: a pytest plugin that records each test's wall
and CPU seconds, and a summary by file and by test.

The suite is CPU-bound on 2 cores (issue 23's 10 minutes): its wall time is about
its CPU over the cores. A test's CPU is its own process's (``time.process_time``,
every thread) plus that of its descendants (the fit's workers and forkserver, a
script's process, the docs build), read with psutil every 0.25 s while the test
runs: a process that ends between two samples loses its last quarter second.
Each pytest-xdist worker appends its tests to ``<out>/<worker>.jsonl``.

The sampling costs CPU of its own; the wall time of a recorded run is not the
suite's (the README's command without the plugin is).

Usage
-----
    # from the repository's root, the README's test command with the plugin; the
    # paths absolute: a relative "." would be each script's working folder, where
    # tests/runners/test_processes.py puts a module named xgboost.py on purpose
    PYTHONPATH=$PWD:$PWD/benchmarks SUITE_CPU_OUT=/tmp/suite_cpu \
        python -m pytest -q -n 3 -p suite_cpu
    python benchmarks/suite_cpu.py /tmp/suite_cpu --files 15 --tests 40
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import time
from pathlib import Path

import pytest
from common import PeriodicSampler

SAMPLE_SECONDS = 0.25


class _Descendants(PeriodicSampler):
    """CPU seconds of this process's descendants from now until :meth:`stop`."""

    def __init__(self):
        super().__init__(SAMPLE_SECONDS)
        import psutil

        self._me, self._error = psutil.Process(), psutil.Error
        self.first, self.last = {}, {}
        self._sample(initial=True)
        self.start()

    def sample(self):
        self._sample()

    def _sample(self, initial=False):
        try:
            children = self._me.children(recursive=True)
        except self._error:
            return
        for child in children:
            try:
                key, times = (child.pid, child.create_time()), child.cpu_times()
            except self._error:
                continue
            self.first.setdefault(key, times.user + times.system if initial else 0.0)
            self.last[key] = times.user + times.system

    def seconds(self) -> float:
        """The CPU seconds sampled so far (call after :meth:`stop`)."""
        return sum(self.last[key] - self.first[key] for key in self.last)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Record the test's wall, own and descendants' CPU seconds (set-up and
    tear-down included)."""
    descendants = _Descendants()
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    record = {"id": item.nodeid, "wall": time.perf_counter() - wall,
              "own": time.process_time() - cpu}
    descendants.stop()
    record["descendants"] = descendants.seconds()
    out = Path(os.environ.get("SUITE_CPU_OUT", "suite_cpu"))
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


def summarize(folder, files=15, tests=40):
    """Print the CPU by test file and the costliest tests of a recorded run."""
    rows = [json.loads(line) for path in sorted(Path(folder).glob("*.jsonl"))
            for line in path.read_text().splitlines() if line]
    if not rows:
        raise SystemExit(f"no records in {folder}: run the suite with -p suite_cpu first")
    for row in rows:
        row["cpu"] = row["own"] + row["descendants"]
    total = sum(row["cpu"] for row in rows)
    print(f"{len(rows)} tests, {total:.0f} s of CPU recorded, "
          f"{sum(row['wall'] for row in rows):.0f} s of test wall time in all")
    cpu, count, wall = collections.Counter(), collections.Counter(), collections.Counter()
    for row in rows:
        name = row["id"].split("::")[0]
        cpu[name] += row["cpu"]
        count[name] += 1
        wall[name] += row["wall"]
    print("\n| file | tests | CPU s | share | wall s |\n|---|---:|---:|---:|---:|")
    for name, seconds in cpu.most_common(files):
        print(f"| `{name}` | {count[name]} | {seconds:.0f} | {seconds / total:.0%} | "
              f"{wall[name]:.0f} |")
    costliest = sorted(rows, key=lambda row: -row["cpu"])[:tests]
    print(f"\nthe {tests} costliest tests: {sum(r['cpu'] for r in costliest) / total:.0%} "
          "of the CPU\n\n| CPU s | of it in the test's process | wall s | test |\n"
          "|---:|---:|---:|---|")
    for row in costliest:
        print(f"| {row['cpu']:.1f} | {row['own']:.1f} | {row['wall']:.1f} | `{row['id']}` |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="the SUITE_CPU_OUT folder of a recorded run")
    parser.add_argument("--files", type=int, default=15)
    parser.add_argument("--tests", type=int, default=40)
    args = parser.parse_args(argv)
    summarize(args.folder, args.files, args.tests)


if __name__ == "__main__":
    main()
