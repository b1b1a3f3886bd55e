"""Command line: ``automl-estimators demo`` (fit, predict, export and more come with their issue)."""

from __future__ import annotations

import argparse
import sys


def demo(time_budget: float, n_jobs: int, seed: int) -> int:
    """Fit AutoClassifier on scikit-learn's breast-cancer data, show the leaderboard and test score."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    from .estimators import AutoClassifier

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=seed)
    clf = AutoClassifier(time_budget=time_budget, n_jobs=n_jobs, random_state=seed, verbose=1)
    clf.fit(X_train, y_train)
    columns = ["rank", "trial", "pipeline", "score", "status", "fit_seconds"]
    out = sys.stdout
    out.write(f"\nLeaderboard (validation {clf.metric_}, {clf.search_plan_.reason}):\n")
    out.write(clf.leaderboard_[columns].head(15).to_string(index=False) + "\n")
    out.write(f"\n{clf.n_trials_} trials in {clf.fit_time_:.1f}s (budget {time_budget:.0f}s)\n")
    final = clf.best_pipeline_.steps
    out.write(f"final pipeline: {[name for name, _ in final]}, model {final[-1][1]!r}\n")
    out.write(f"test accuracy: {clf.score(X_test, y_test):.4f}\n")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="automl-estimators",
                                     description="AutoML as a scikit-learn estimator.")
    commands = parser.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser("demo", help="fit on a dataset shipped with scikit-learn")
    run_demo.add_argument("--time", type=float, default=30.0, help="time budget in seconds")
    run_demo.add_argument("--n-jobs", type=int, default=2, help="trials at once")
    run_demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.time <= 0:
        parser.error(f"--time must be positive, got {args.time}")
    return demo(args.time, args.n_jobs, args.seed)


if __name__ == "__main__":
    sys.exit(main())
