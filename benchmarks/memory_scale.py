"""Memory of a fit at scale: a generated 1,000,000 x 50 table and the largest shared datasets.

Usage
-----
    nice -n 19 .venv/bin/python benchmarks/memory_scale.py                       # every case, 60 s
    ... --cases million --budgets 60,300                                         # a sub-grid
    ... --report-only

Each (case, budget) runs in its own process (``--one``, internal): it builds or
reads the data, notes the process's memory with the data loaded (``data_mb``), then
fits ``AutoClassifier(time_budget=B, n_jobs=2, random_state=0)`` on 75 % of the rows
while ``common.TreeMemorySampler`` samples the whole process tree every 0.2 s
(summed RSS, and summed PSS, where a page shared by several processes counts
once), and scores the other 25 %; ``load_1m`` is the machine's load average at
the end (a fit beside other work runs fewer trials). The row cap (``plan.ROW_CAP``) and the
subsampled search keep a million rows inside the budget; ``fit_s`` says whether it
was kept. Rows go to ``results/memory_scale.csv`` (a case already there is
skipped: the sweep resumes, unless ``--again``); the table to ``results/memory_scale.md``.

The bound this package states (docs/reliability.md): the fit's peak PSS of the
process tree, above the data already in memory, at most :data:`BOUND_MB`.
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
from common import (  # noqa: E402
    RESULTS,
    TreeMemorySampler,
    dataset_entry,
    load_split,
    machine_line,
    read_rows,
    short_commit,
    write_rows,
)

CSV = RESULTS / "memory_scale.csv"
MD = RESULTS / "memory_scale.md"
CASES = ("million", "shuttle", "cnae-9")
BUDGETS = (60,)
# The stated bound on a fit's own peak memory (PSS of its process tree above the data).
BOUND_MB = 3000
COLUMNS = ("case", "rows", "columns", "budget", "fit_s", "data_mb", "peak_rss_mb",
           "peak_pss_mb", "fit_pss_mb", "max_procs", "test_accuracy", "search_rows",
           "n_trials", "final", "model", "load_1m", "commit", "error")


def million(seed=0):
    """1,000,000 rows x 50 columns: 40 numeric (some informative), 10 categorical
    (10-1000 levels), 2 classes depending on both kinds, 1 % missing values."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = 1_000_000
    numeric = rng.normal(size=(n, 40)).astype(np.float64)
    numeric[rng.random(size=numeric.shape) < 0.01] = np.nan
    frame = pd.DataFrame(numeric, columns=[f"x{i}" for i in range(40)])
    logit = np.nan_to_num(numeric[:, :5]) @ np.array([1.0, -0.8, 0.6, 0.5, -0.4])
    for j, levels in enumerate((10, 20, 50, 100, 200, 300, 500, 700, 900, 1000)):
        codes = rng.integers(0, levels, size=n)
        effect = rng.normal(scale=0.5, size=levels)
        logit += effect[codes] if j < 3 else 0.0
        frame[f"c{j}"] = pd.Categorical.from_codes(codes, [f"l{k}" for k in range(levels)])
    y = pd.Series((logit + rng.logistic(size=n) > 0).astype(int), name="target")
    from sklearn.model_selection import train_test_split

    return train_test_split(frame, y, test_size=0.25, random_state=seed, stratify=y)


def load(case, seed=0):
    """(X_train, X_test, y_train, y_test) of a case: the generated table or a shared
    dataset's 75/25 split, fixed by ``seed``."""
    if case == "million":
        return million(seed)
    return load_split(dataset_entry(case), seed)


def run_one(case, budget, out):
    import psutil

    X_train, X_test, y_train, y_test = load(case)
    data_mb = psutil.Process().memory_info().rss / 2**20
    from automl_estimators import AutoClassifier

    sampler = TreeMemorySampler()
    sampler.start()
    start = time.perf_counter()
    row = {"case": case, "rows": len(X_train) + len(X_test), "columns": X_train.shape[1],
           "budget": budget, "data_mb": round(data_mb, 1)}
    try:
        clf = AutoClassifier(time_budget=budget, n_jobs=2, random_state=0).fit(X_train, y_train)
        row["fit_s"] = round(time.perf_counter() - start, 2)
        row.update(test_accuracy=round(float(clf.score(X_test, y_test)), 4),
                   search_rows=clf.search_plan_.search_rows, n_trials=clf.n_trials_,
                   final=("ensemble" if clf.ensemble_ is not None else clf.refit_),
                   model=str(clf.leaderboard_.iloc[0]["pipeline"])[:120])
    except Exception as exc:  # noqa: BLE001 - a failed fit is a result of the sweep
        row.update(fit_s=round(time.perf_counter() - start, 2),
                   error=f"{type(exc).__name__}: {exc}"[:300])
    sampler.stop()
    row.update(peak_rss_mb=round(sampler.peak / 2**20, 1),
               peak_pss_mb=round(sampler.peak_pss / 2**20, 1),
               fit_pss_mb=round(sampler.peak_pss / 2**20 - data_mb, 1),
               max_procs=sampler.max_children + 1,
               # the machine's load at the end: a fit beside other work is slower
               load_1m=round(os.getloadavg()[0], 2))
    Path(out).write_text(json.dumps(row))


def report(rows):
    lines = ["# Memory of a fit at scale\n",
             f"- Command: `python benchmarks/memory_scale.py` ({machine_line()}); "
             f"commits: {', '.join(sorted({r['commit'] for r in rows}))}.",
             "- `data_mb`: the process with the data loaded, before `fit`; `peak_pss_mb`, "
             "`peak_rss_mb`: the whole process tree during `fit` (PSS counts a shared page "
             "once); `fit_pss_mb` = peak PSS − data: what the fit itself added. "
             f"Stated bound: `fit_pss_mb` ≤ {BOUND_MB} MB.\n",
             "| case | rows × columns | budget | fit s | data MB | peak RSS MB | peak PSS MB "
             "| fit PSS MB | processes | search rows | trials | final | best trial | test accuracy "
             "| load | commit | error |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['rows']} × {r['columns']} | {r['budget']} | "
                     f"{r['fit_s']} | {r['data_mb']} | {r['peak_rss_mb']} | {r['peak_pss_mb']} "
                     f"| {r['fit_pss_mb']} | {r['max_procs']} | {r.get('search_rows') or '—'} | "
                     f"{r.get('n_trials') or '—'} | {r.get('final') or '—'} | "
                     f"{r.get('model') or '—'} | "
                     f"{r.get('test_accuracy') or '—'} | {r.get('load_1m') or '—'} | "
                     f"{r['commit']} | {r.get('error') or ''} |")
    MD.write_text("\n".join(lines) + "\n")
    return MD.read_text()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--again", action="store_true",
                    help="run cases that already have a row again (a new row beside the old)")
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        case, budget, out = args.one
        run_one(case, int(budget), out)
        return 0
    rows = read_rows(CSV)
    if not args.report_only:
        done = {(r["case"], int(r["budget"])) for r in rows}
        for budget in map(int, args.budgets.split(",")):
            for case in args.cases.split(","):
                if (case, budget) in done and not args.again:
                    continue
                out = RESULTS / f".memory_scale_{case}_{budget}.json"
                proc = subprocess.run([sys.executable, __file__, "--one", case, str(budget),
                                       str(out)], check=False, timeout=3 * budget + 600)
                row = (json.loads(out.read_text()) if out.exists() else
                       {"case": case, "budget": budget,
                        "error": f"process ended rc={proc.returncode}"})
                out.unlink(missing_ok=True)
                row["commit"] = short_commit(HERE)
                rows.append(row)
                write_rows(CSV, COLUMNS, rows)
                print(row, flush=True)
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
