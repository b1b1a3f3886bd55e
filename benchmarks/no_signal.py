"""Data without signal: does a fit end below the majority class on new rows?

Usage
-----
    git worktree add --detach ../before <commit>
    python benchmarks/no_signal.py --checkouts ../before,. --rows 150,400,1000 \\
        --seeds 0,1,2,3,4 --budget 5 --out benchmarks/results/no_signal.md

Each case draws ``rows`` training rows and 2000 test rows of 10 standard normal
features and a binary target independent of them (20 % positive), so the best
model is the majority class. ``AutoClassifier(time_budget, n_jobs=2,
random_state=seed)`` is fitted on the training rows by each checkout in turn (its
own process, the checkout first on ``PYTHONPATH``), back to back per case, and
scored on the test rows against the majority class. A fit that ends on a model
that learned the noise scores below it; a selection rule that lets the dummy win
when it ranks first on validation does not.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import short_commit, write_report  # noqa: E402

TEST_ROWS = 2000
FEATURES = 10
POSITIVE = 0.2

ONE_FIT = """
import json, sys
import numpy as np
from automl_estimators import AutoClassifier
rows, seed, budget = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(seed)
X = rng.normal(size=(rows + {test}, {features}))
y = (rng.random(rows + {test}) < {positive}).astype(int)
clf = AutoClassifier(time_budget=budget, n_jobs=2, random_state=seed, verbose=0)
clf.fit(X[:rows], y[:rows])
print(json.dumps(dict(
    accuracy=float((clf.predict(X[rows:]) == y[rows:]).mean()),
    majority=float((y[rows:] == 0).mean()), refit=clf.refit_,
    model=clf.best_config_.get("model", "dummy"))))
""".format(test=TEST_ROWS, features=FEATURES, positive=POSITIVE)


def one_fit(checkout: Path, rows: int, seed: int, budget: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
    # `python -c` puts the working folder first on sys.path, before PYTHONPATH: run
    # in the checkout, or another checkout found there would be imported instead.
    out = subprocess.run([sys.executable, "-c", ONE_FIT, str(rows), str(seed), str(budget)],
                         env=env, cwd=checkout.resolve(), capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkouts", required=True, help="comma-separated checkout folders")
    ap.add_argument("--rows", default="150,400,1000")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--budget", type=float, default=5.0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    checkouts = [Path(c) for c in args.checkouts.split(",")]
    labels = [short_commit(c) for c in checkouts]
    lines = [f"# No-signal data at {args.budget:g} s: test accuracy against the majority class",
             "", f"Written by `benchmarks/no_signal.py` (see its doc); checkouts "
             f"{', '.join(f'`{label}`' for label in labels)}, each case back to back.", "",
             "| rows | seed | majority | " + " | ".join(
                 f"{label} accuracy | {label} model" for label in labels) + " |",
             "|---:|---:|---:|" + "---:|---|" * len(labels)]
    below = dict.fromkeys(labels, 0)
    for rows in map(int, args.rows.split(",")):
        for seed in map(int, args.seeds.split(",")):
            cells = []
            for checkout, label in zip(checkouts, labels):
                r = one_fit(checkout, rows, seed, args.budget)
                below[label] += r["accuracy"] < r["majority"]
                cells.append(f"{r['accuracy']:.4f} | {r['model']}")
                print(rows, seed, label, r, flush=True)
            lines.append(f"| {rows} | {seed} | {r['majority']:.4f} | " + " | ".join(cells) + " |")
    lines += ["", "Cases below the majority class: " + ", ".join(
        f"{label} {count}" for label, count in below.items()) + "."]
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
