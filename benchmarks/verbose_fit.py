"""One verbose fit of a shared dataset on the benchmarks' split: where the time and
the final choice went (the search's end, the reserve left, the refit).

    python benchmarks/verbose_fit.py cpu_act 300            # seed 0, n_jobs=2
    PYTHONPATH=/path/to/other/checkout python benchmarks/verbose_fit.py adult 60
    python benchmarks/verbose_fit.py letter 60 --include rbf_svm  # one model family

Prints the fit's progress (``verbose=2``), then the test score, the 12 best rows of
the leaderboard and the final model.
"""

import argparse
import time

from common import dataset_entry, load_split


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("budget", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--include", help="comma-separated component names: the estimator's "
                        "include (default: every component)")
    args = parser.parse_args(argv)
    entry = dataset_entry(args.dataset)
    X_train, X_test, y_train, y_test = load_split(entry, args.seed)

    import automl_estimators
    from automl_estimators import AutoClassifier, AutoRegressor

    print("package:", automl_estimators.__file__, flush=True)
    estimator = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    started = time.monotonic()
    include = args.include.split(",") if args.include else None
    fitted = estimator(time_budget=args.budget, n_jobs=args.n_jobs, random_state=args.seed,
                       include=include, verbose=2).fit(X_train, y_train)
    print(f"fit {time.monotonic() - started:.1f}s, test score "
          f"{fitted.score(X_test, y_test):.4f}")
    board = fitted.leaderboard_
    print(board.head(12)[[c for c in ("trial", "pipeline", "score", "status")
                          if c in board]].to_string())
    print(f"{len(board)} trials; final model: {fitted.model_}")


if __name__ == "__main__":
    main()
