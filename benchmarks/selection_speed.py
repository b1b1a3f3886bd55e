"""How long choosing the final model takes, through scikit-learn's scorer and directly.

Usage
-----
    OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. python benchmarks/selection_speed.py \\
        --datasets credit-g,phoneme,... --budget 30 --seed 0

For each dataset, one fit (the peers' 75/25 split of ``--seed``, ``n_jobs=2``), whose
finishing step's call of ``choose_final`` is recorded: the history, and the seconds
the finisher gave it (its deadline). That SAME history is then chosen from again,
back to back in this process: through the scorer (``Metric`` without its direct
score: the package before ``scoring.DIRECT_SCORES``) and directly, each within the
seconds the finisher gave, and directly with no deadline. Each choice's members are
refit on the training rows in this process (cached across arms) and scored on the
test rows, so that the arms differ only in how the choice was scored. The report
(``benchmarks/results/selection_speed.md``) gives the seconds each arm took, whether
its deadline cut ensemble selection short, the members and validation score of its
choice, and its test score.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
from common import RESULTS, dataset_entry, machine_line, score_of, short_commit, write_report
from selection import install_choice, load_cell, splits_of

OUT = RESULTS / "selection_speed.md"


def fit_and_record(entry, budget, seed):
    """The fitted estimator and the finisher's ``choose_final`` call: (results, y,
    splits, metric, task, options, seconds it was given)."""
    from automl_estimators import AutoClassifier, AutoRegressor, finish

    calls = []
    choose = finish.choose_final

    def recorded(results, y, splits, metric, task, **options):
        given = options["deadline"] - time.monotonic() if options.get("deadline") else None
        calls.append((list(results), y, splits, metric, task, options, given))
        return choose(results, y, splits, metric, task, **options)

    X_train, X_test, y_train, y_test = load_cell(entry, seed)
    cls = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    finish.choose_final = recorded
    try:
        est = cls(time_budget=budget, n_jobs=2, random_state=seed).fit(X_train, y_train)
    finally:
        finish.choose_final = choose
    return est, calls[-1], (X_train, X_test, y_train, y_test)


def arms(call):
    """(arm, metric, seconds given) for each way of choosing."""
    from automl_estimators.scoring import Metric

    _, _, _, metric, _, _, given = call
    return [("scorer, finisher's deadline", Metric(metric.name, metric.scorer), given),
            ("direct, finisher's deadline", metric, given),
            ("direct, no deadline", metric, None)]


def main():
    from automl_estimators.data import check_X
    from automl_estimators.selection import choose_final

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    lines = ["# Choosing the final model: through scikit-learn's scorer and directly", "",
             (f"Written by `python benchmarks/selection_speed.py --datasets {args.datasets} "
              f"--budget {args.budget:g} --seed {args.seed}` at {short_commit(HERE)}; "
              f"{machine_line()}. One fit per "
              "dataset; its finishing step's history chosen from again in each arm, back to "
              "back (the script's docstring)."), "",
             ("| dataset | trials | arm | seconds given | seconds | cut short | members | "
              "validation | test |"), "|---|---:|---|---:|---:|---|---:|---:|---:|"]
    for name in args.datasets.split(","):
        entry = dataset_entry(name)
        est, call, data = fit_and_record(entry, args.budget, args.seed)
        results, y, splits, _, task, options, _ = call
        _, seed_of_build = splits_of(est, y)
        X_train, X_test, _, y_test = data
        X_fit = check_X(X_train)  # as the fit saw it; y: its encoded target, recorded
        fitted = {}
        for arm, metric, given in arms(call):
            start = time.monotonic()
            deadline = None if given is None else start + given
            choice = choose_final(results, y, splits, metric, task,
                                  **dict(options, deadline=deadline))
            took = time.monotonic() - start
            cut = deadline is not None and time.monotonic() > deadline
            install_choice(est, choice, X_fit, y, fitted, seed_of_build)
            test = score_of(entry["task"], y_test, est.predict(X_test))
            row = (f"| {name} | {len(results) - 1} | {arm} | "
                   f"{'—' if given is None else f'{given:.2f}'} | {took:.2f} | "
                   f"{'yes' if cut else 'no'} | {len(choice.trials)} | {choice.score:.4f} | "
                   f"{test:.4f} |")
            lines.append(row)
            print(row, flush=True)
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
