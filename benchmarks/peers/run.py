"""Peers benchmark: this package vs FLAML, TPOT, AutoGluon and two default baselines.

Usage
-----
    nice -n 19 .venv/bin/python benchmarks/peers/run.py            # default sweep
    nice -n 19 .venv/bin/python benchmarks/peers/run.py --short    # 10 s, seed 0
    nice -n 19 .venv/bin/python benchmarks/peers/run.py --short --datasets iris,auto_mpg
    ... --systems flaml,hgb --budgets 30,60 --seeds 0,1            # any sub-grid
    ... --league league300 --seeds 0                                # a league (below)

Default sweep: every dataset of ../shared/datasets/manifest.json, budget 60 s,
seeds 0, 1, 2, every system of ``envs.SWEEP_SYSTEMS``; ``--short``: budget 10 s, seed 0.
``--league NAME``: the budgets, datasets and systems of ``protocol.LEAGUES[NAME]``
(seed 0 unless ``--seeds``), its records in their own folder and ledger
(``summarize.py --league NAME`` writes its page).
Install the venvs first (``install.py``); a system whose venv is missing is skipped
(and not recorded, so a later sweep runs it).

Each (system, dataset, budget, seed) run is one process of the system's venv python
(``run.py --one ...``, internal): it reads the 75/25 split that the sweep fixed by
the seed, fits on train with the budget and 2 cores, predicts test and writes its
predictions. The sweep pins it to 2 cores, sets OMP_WAIT_POLICY=PASSIVE and
OMP_NUM_THREADS=2, samples the peak memory of its whole process tree, kills the
tree at 3 x budget + 120 s (a failure), scores the predictions and writes the run's
record to ``results/raw/<system>__<dataset>__<budget>__<seed>.json`` (git-ignored).
Runs with a record are skipped: a sweep resumes where it stopped. Then run
``summarize.py``, which merges the records into the committed ``results/runs.csv``;
commit it, and a later session (with a fresh work tree) skips those runs too.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import DATA_DIR, TreeMemorySampler, dataset_entry, load_manifest
from envs import SWEEP_SYSTEMS, env_of
from protocol import (
    LEAGUES,
    LEDGER,
    PRIMARY,
    RAW,
    pending,
    plan_runs,
    read_split,
    score_predictions,
    split_indices,
    write_json,
)

CORES = 2
DEFAULT = {"budgets": [60], "seeds": [0, 1, 2]}
SHORT = {"budgets": [10], "seeds": [0]}
TRACEBACK_CHARS = 4000
# Each run works (cwd, TMPDIR) in a fresh folder here, removed afterwards. None: the
# system's temporary folder. Keep it short: multiprocessing's forkserver puts a Unix
# socket under TMPDIR, and such a path may not exceed 107 bytes.
WORK_ROOT = None


# ------------------------------------------------------------------ child process
def run_child(system, dataset, budget, seed, split_path, out):
    """Fit and predict one system in this (the system's) venv; write predictions."""
    entry = dataset_entry(dataset)
    rec = {"status": "error", "phase": "load", "python": sys.version.split()[0]}
    try:
        from systems import ADAPTERS

        split = json.loads(Path(split_path).read_text())
        X_train, X_test, y_train, _ = read_split(DATA_DIR / entry["file"], split)
        adapter = ADAPTERS[system](entry["task"], budget, seed, CORES, Path.cwd())
        rec["versions"] = versions(adapter.distributions)
        rec["phase"] = "fit"
        start = time.perf_counter()
        adapter.fit(X_train, y_train)
        rec["fit_s"] = time.perf_counter() - start
        rec["own_fit_s"] = adapter.own_fit_seconds()
        rec["phase"] = "predict"
        start = time.perf_counter()
        predictions = {"predict": to_python(adapter.predict(X_test))}
        proba = adapter.predict_proba(X_test)
        rec["predict_s"] = time.perf_counter() - start
        if proba is not None:
            predictions.update(proba=proba[0].tolist(), classes=to_python(proba[1]))
        rec.update(status="ok", phase=None, predictions=predictions)
        rec["model"] = safe_describe(adapter)
    except BaseException as exc:  # noqa: BLE001 - a failure is a result, never lost
        rec["error"] = f"{type(exc).__name__}: {exc}"[:1000]
        rec["traceback"] = traceback.format_exc()[-TRACEBACK_CHARS:]
    write_json(out, rec)
    return 0 if rec["status"] == "ok" else 1


def to_python(values):
    """A list of plain Python values (JSON-able) from an array or list of labels."""
    return [v.item() if hasattr(v, "item") else v for v in list(values)]


def safe_describe(adapter):
    try:
        return adapter.describe()
    except Exception as exc:  # noqa: BLE001 - a description is never worth a failure
        return f"? ({type(exc).__name__}: {exc})"


def versions(distributions):
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in distributions:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


# ------------------------------------------------------------------ sweep (parent)
class ProcessTreeSampler(TreeMemorySampler):
    """Peak RSS of the process ``pid`` and all its descendants."""

    def __init__(self, pid, interval=0.2):
        super().__init__(interval)
        self.proc = self._psutil.Process(pid)


def child_env(python):
    """Environment of a run: the system's venv first on PATH, the same threads for all."""
    venv = Path(python).parent.parent
    threads = str(CORES)
    return {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
            "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}",
            "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def cores_for_run():
    """The first ``CORES`` CPUs this process may use: every system gets the same ones."""
    return sorted(os.sched_getaffinity(0))[:CORES]


def kill_group(pgid):
    """Kill what is left of a run's process group; True when something was left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def spawn(cmd, run, workdir, log_path):
    """Run ``cmd`` in its own session under the hard limit; measure time and memory.

    Returns
    -------
    dict
        rc, timed_out, elapsed_s, peak_mb (summed RSS), peak_pss_mb (summed PSS, or
        None), max_procs, leftovers_killed.
    """
    cpus = ",".join(map(str, cores_for_run()))
    start = time.perf_counter()
    with open(log_path, "w") as log:
        # taskset pins the process before it starts; what it starts inherits the pinning
        proc = subprocess.Popen(["taskset", "-c", cpus, *cmd], stdout=log,
                                stderr=subprocess.STDOUT, cwd=workdir,
                                env={**child_env(cmd[0]), "TMPDIR": str(workdir)},
                                start_new_session=True)
        try:
            sampler = ProcessTreeSampler(proc.pid)
            sampler.start()
        except Exception:  # noqa: BLE001 - the child already ended
            sampler = None
        try:
            rc, timed_out = proc.wait(timeout=run.hard_limit), False
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            rc, timed_out = proc.wait(), True
        elapsed = time.perf_counter() - start
        leftovers = kill_group(proc.pid)  # e.g. workers that outlived their parent
    if sampler is not None:
        sampler.stop()
    return {"rc": rc, "timed_out": timed_out, "elapsed_s": elapsed,
            "peak_mb": sampler.peak / 2**20 if sampler else None,
            "peak_pss_mb": sampler.peak_pss / 2**20 if sampler and sampler.peak_pss else None,
            "max_procs": sampler.max_children + 1 if sampler else None,
            "leftovers_killed": leftovers}


def split_file(entry, seed, raw):
    """The run's split, computed once per (dataset, seed) and shared by all systems."""
    path = raw / "splits" / f"{entry['name']}__{seed}.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, split_indices(entry, seed))
    return path, json.loads(path.read_text())


def execute(run, raw):
    """Run one cell of the sweep in the system's venv; return its scored record."""
    entry = dataset_entry(run.dataset)
    split_path, split = split_file(entry, run.seed, raw)
    workdir = Path(tempfile.mkdtemp(prefix="peers-", dir=WORK_ROOT))
    child_out = raw / f"{run.stem}.child.json"
    child_out.unlink(missing_ok=True)
    cmd = [str(env_of(run.system).python), str(Path(__file__).resolve()), "--one", run.system,
           run.dataset, str(run.budget), str(run.seed), "--split", str(split_path),
           "--out", str(child_out)]
    process = spawn(cmd, run, workdir, raw / f"{run.stem}.log")
    shutil.rmtree(workdir, ignore_errors=True)
    child = json.loads(child_out.read_text()) if child_out.exists() else None
    record = make_record(run, entry, split, process, child)
    write_json(raw / f"{run.stem}.json", record)
    return record


@functools.cache
def repo_commit():
    """Commit of this checkout, "+dirty" when the package's files differ from it."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True,
                              check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", "automl_estimators", "setup.py", "pyproject.toml")
    return commit + ("+dirty" if changed else "")


def make_record(run, entry, split, process, child):
    """The run's record: what the child reported, what the sweep measured, the scores."""
    record = {"system": run.system, "dataset": run.dataset, "task": entry["task"],
              "budget": run.budget, "seed": run.seed, "cores": CORES,
              "repo_commit": repo_commit(),
              "n_train": len(split["train"]), "n_test": len(split["test"]),
              "hard_limit_s": run.hard_limit, "primary_metric": PRIMARY[entry["task"]],
              **process}
    if process["timed_out"]:
        record.update(status="timeout", error=f"killed at the hard limit of "
                                              f"{run.hard_limit} s (3 x budget + 120 s)")
    elif child is None:
        record.update(status="crash", error=f"process ended (rc={process['rc']}) without "
                                            "writing a result")
    else:
        predictions = child.pop("predictions", None)
        record.update(child)
        if child["status"] == "ok":
            try:
                record.update(score(entry, split, predictions))
            except Exception as exc:  # noqa: BLE001 - e.g. predictions of the wrong length
                record.update(status="error", phase="score",
                              error=f"{type(exc).__name__}: {exc}"[:1000])
    if record.get("fit_s") is not None:
        record["overrun_ratio"] = record["fit_s"] / run.budget
    return record


def score(entry, split, predictions):
    """Test metrics of a run, from the sweep's own copy of the test targets."""
    _, _, y_train, y_test = read_split(DATA_DIR / entry["file"], split)
    labels = list(y_train) + list(y_test) if entry["task"] != "regression" else None
    return score_predictions(entry["task"], y_test, predictions, labels)


def sweep(runs, raw=RAW, ledger=None):
    """Run every run of ``runs`` that has no record yet, in order.

    The runs of ``ledger`` (a committed table) count as done; in the default
    ``RAW`` folder, those of the main ledger.
    """
    raw = Path(raw).resolve()  # the runs' processes work in their own folders
    raw.mkdir(parents=True, exist_ok=True)
    if ledger is None and raw == RAW:
        ledger = LEDGER
    todo = pending(runs, raw, ledger)
    missing = sorted({r.system for r in todo if not env_of(r.system).python.exists()})
    if missing:
        print(f"skipping {', '.join(missing)}: venv not installed "
              "(run benchmarks/peers/install.py)", flush=True)
    todo = [r for r in todo if r.system not in missing]
    print(f"{len(runs)} runs, {len(runs) - len(pending(runs, raw, ledger))} already done, "
          f"{len(todo)} to run", flush=True)
    for i, run in enumerate(todo, 1):
        print(f"[{time.strftime('%H:%M:%S')}] {i}/{len(todo)} {run.stem} ...", flush=True)
        rec = execute(run, raw)
        metric = rec["primary_metric"]
        print(f"    -> {rec['status']} fit={fmt(rec.get('fit_s'))}s "
              f"elapsed={fmt(rec.get('elapsed_s'))}s peak={fmt(rec.get('peak_mb'), '.0f')}MB "
              f"{metric}={fmt(rec.get(metric), '.4f')} {rec.get('error') or ''}", flush=True)


def fmt(value, spec=".1f"):
    return "—" if value is None else format(value, spec)


def parse_list(text, kind=str):
    return [kind(v) for v in text.split(",") if v] if text else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--short", action="store_true", help="budget 10 s, seed 0")
    ap.add_argument("--systems",
                    help=f"comma-separated (default: {','.join(SWEEP_SYSTEMS)})")
    ap.add_argument("--datasets", help="comma-separated (default: every shared dataset)")
    ap.add_argument("--budgets", help="comma-separated seconds (default: 60; --short: 10)")
    ap.add_argument("--seeds", help="comma-separated (default: 0,1,2; --short: 0)")
    ap.add_argument("--raw", type=Path, default=RAW, help="folder of the per-run records")
    ap.add_argument("--league", choices=sorted(LEAGUES),
                    help="run a league: its grid by default, its own records and ledger")
    ap.add_argument("--one", nargs=4, metavar=("SYSTEM", "DATASET", "BUDGET", "SEED"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--split", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        system, dataset, budget, seed = args.one
        return run_child(system, dataset, int(budget), int(seed), args.split, args.out)
    grid = SHORT if args.short else DEFAULT
    systems = parse_list(args.systems) or list(SWEEP_SYSTEMS)
    raw, ledger = args.raw, None
    if args.league:
        league = LEAGUES[args.league]
        grid = {"budgets": list(league.budgets), "seeds": [0]}
        systems = parse_list(args.systems) or list(league.systems)
        args.datasets = args.datasets or ",".join(league.datasets)
        raw, ledger = league.raw, league.ledger
    for system in systems:
        env_of(system)  # unknown names stop here
    datasets = parse_list(args.datasets) or [d["name"] for d in load_manifest()]
    for name in datasets:
        dataset_entry(name)
    runs = plan_runs(systems, datasets, parse_list(args.budgets, int) or grid["budgets"],
                     parse_list(args.seeds, int) or grid["seeds"])
    sweep(runs, raw, ledger)
    return 0


if __name__ == "__main__":
    sys.exit(main())
