"""A fit beside busy programs: refits on n_jobs threads against the threads the
workers had (issue 23, ``finish.refit_threads``).

    python benchmarks/refit_threads_under_load.py --before /path/to/before \\
        --after /path/to/after --out benchmarks/results/refit_threads_under_load.md

Each run is ``AutoClassifier(time_budget=B, n_jobs=2, random_state=seed)`` on a
shared dataset's 75/25 split, in a fresh process whose ``PYTHONPATH`` puts the
arm's checkout first, while ``--busy`` busy processes (``while True: pass``) hold
the cores for the whole sweep. The arms alternate run by run (dataset, seed, then
arm), so both see the same load. Recorded: fit seconds, test accuracy, how the
final model was fitted (``refit_``) and the cores the workers had
(``finish.cores_had``; the before arm does not measure them).
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
from common import busy_processes, dataset_entry, load_split, machine_line, write_report

DATASETS = ("electricity", "letter", "mfeat-pixel")


def child(dataset, budget, seed):
    from automl_estimators import AutoClassifier

    X_train, X_test, y_train, y_test = load_split(dataset_entry(dataset), seed=seed)
    model = AutoClassifier(time_budget=budget, n_jobs=2, random_state=seed)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    try:
        from automl_estimators.finish import cores_had
        cores = cores_had(list(model.history_), 2)
    except ImportError:
        cores = None
    print(json.dumps({"fit_seconds": seconds, "accuracy": float(model.score(X_test, y_test)),
                      "refit": model.refit_, "cores": cores,
                      "final": type(model.model_[-1] if hasattr(model.model_, "steps")
                                    else model.model_).__name__}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3)
    parser.add_argument("--before")
    parser.add_argument("--after")
    parser.add_argument("--budget", type=float, default=30)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--busy", type=int, default=2)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        dataset, budget, seed = args.child
        child(dataset, float(budget), int(seed))
        return
    arms = {"before": args.before, "after": args.after}
    rows = []
    with busy_processes(args.busy):
        for dataset in args.datasets.split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                for arm, path in arms.items():
                    env = dict(os.environ, PYTHONPATH=path)
                    done = subprocess.run([sys.executable, __file__, "--child", dataset,
                                           str(args.budget), str(seed)], env=env,
                                          capture_output=True, text=True, cwd="/tmp", check=False,
                                          timeout=10 * args.budget + 120)
                    if done.returncode != 0:
                        record = {"error": done.stderr.strip().splitlines()[-1]}
                    else:
                        record = json.loads(done.stdout.strip().splitlines()[-1])
                    record.update(dataset=dataset, seed=seed, arm=arm,
                                  load=os.getloadavg()[0])
                    print(json.dumps(record), flush=True)
                    rows.append(record)

    def cell(r, key, spec):
        return "error" if "error" in r else ("—" if r.get(key) is None
                                              else format(r[key], spec))

    lines = ["# A fit beside busy programs: refit threads", "",
             (f"`benchmarks/refit_threads_under_load.py`; {machine_line()}; "
              f"{args.busy} busy processes throughout; budget {args.budget:g} s, n_jobs=2."), "",
             ("| dataset | seed | arm | fit s | over budget s | test accuracy | final model "
              "fitted on | final model | cores the workers had | load (1 min) |"),
             "|---|---:|---|---:|---:|---:|---|---|---:|---:|"]
    for r in rows:
        over = None if "error" in r else r["fit_seconds"] - args.budget
        lines.append(f"| {r['dataset']} | {r['seed']} | {r['arm']} | "
                     f"{cell(r, 'fit_seconds', '.1f')} | "
                     f"{'—' if over is None else format(over, '+.1f')} | "
                     f"{cell(r, 'accuracy', '.4f')} | {r.get('refit', '—')} | "
                     f"{r.get('final', '—')} | {cell(r, 'cores', '.2f')} | {r['load']:.1f} |")
    for arm in arms:
        ok = [r for r in rows if r["arm"] == arm and "error" not in r]
        if ok:
            lines.append("")
            lines.append(
                f"- {arm}: mean fit {sum(r['fit_seconds'] for r in ok) / len(ok):.1f} s, "
                f"largest {max(r['fit_seconds'] for r in ok):.1f} s; mean test accuracy "
                f"{sum(r['accuracy'] for r in ok) / len(ok):.4f}; refit on all rows "
                f"{sum(r['refit'] == 'all rows' for r in ok)} of {len(ok)}.")
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
