"""Same trials, same model: two checkouts fitted by trial count, not by the clock.

Usage
-----
    git worktree add --detach ../before <commit>
    .venv/bin/python benchmarks/compare_trials.py --before ../before --after . \\
        --out benchmarks/results/compare_redesign_trials.md

With ``n_jobs=1``, ``max_trials`` and a budget far beyond what the trials need, a
fit is reproducible (``random_state``), so a change that claims to leave
behaviour unchanged must give the very same leaderboard (trials, pipelines,
scores to 10 digits, statuses), the same ``best_config_`` and the same
predictions. Each case runs in a fresh process of each checkout (the checkout
first on ``PYTHONPATH``); the script is guarded by ``__main__`` so that the
"before" side runs even where its workers re-ran unguarded scripts.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import DATA_DIR, checkout_env, short_commit  # noqa: E402

# (dataset, search, estimator): each strategy a fit can use by name, both tasks.
CASES = [("diabetes", "smac", "AutoClassifier"), ("vehicle", "genetic", "AutoClassifier"),
         ("credit-g", "random", "AutoClassifier"), ("auto_mpg", "random", "AutoRegressor"),
         ("abalone", "smac", "AutoRegressor"), ("car", "auto", "AutoClassifier")]
MAX_TRIALS = 10

FIT = """
import json, sys
import pandas as pd
import automl_estimators
from automl_estimators import AutoClassifier, AutoRegressor
if __name__ == "__main__":
    path, search, estimator, max_trials = sys.argv[1:5]
    df = pd.read_csv(path)
    X, y = df.drop(columns="target"), df["target"]
    est = {"AutoClassifier": AutoClassifier, "AutoRegressor": AutoRegressor}[estimator](
        time_budget=900, max_trials=int(max_trials), n_jobs=1, random_state=0, search=search)
    est.fit(X, y)
    rows = [[int(r.trial), r.pipeline, round(float(r.score), 10), str(r.status)]
            for r in est.leaderboard_.itertuples()]
    print(json.dumps({"package": automl_estimators.__file__, "rows": rows,
                      "best_config": est.best_config_, "refit": est.refit_,
                      "predictions": est.predict(X.iloc[:100]).tolist()}, default=str))
"""


def fit(checkout, dataset, search, estimator):
    out = subprocess.run(
        [sys.executable, "-c", FIT, str(DATA_DIR / f"{dataset}.csv"), search, estimator,
         str(MAX_TRIALS)], capture_output=True, text=True, check=False,
        env=checkout_env(checkout))
    if out.returncode != 0:
        raise SystemExit(f"{checkout} {dataset} {search}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, type=Path)
    ap.add_argument("--after", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)
    commits = {arm: short_commit(path)
               for arm, path in (("before", args.before), ("after", args.after))}
    lines = [f"# Same trials: before ({commits['before']}) vs after ({commits['after']})", "",
             "Written by `benchmarks/compare_trials.py`: `n_jobs=1`, "
             f"`max_trials={MAX_TRIALS}`, `random_state=0`, a budget the trials never reach.",
             "", "| dataset | search | estimator | leaderboard | best_config_ | refit_ "
             "| predictions |", "|---|---|---|---|---|---|---|"]
    for dataset, search, estimator in CASES:
        before = fit(args.before, dataset, search, estimator)
        after = fit(args.after, dataset, search, estimator)
        same = ["same" if before[k] == after[k] else "DIFFERENT"
                for k in ("rows", "best_config", "refit", "predictions")]
        lines.append(f"| {dataset} | {search} | {estimator} | {same[0]} "
                     f"({len(after['rows'])} rows) | {' | '.join(same[1:])} |")
        args.out.write_text("\n".join(lines) + "\n")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
