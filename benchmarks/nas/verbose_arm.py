"""One arm of the NAS benchmark, fitted verbosely: where the search's and the refit's
time goes, and the leaderboard with each trial's start, duration and status.

    python benchmarks/nas/verbose_arm.py smac mnist1d 300            # seed 0, n_jobs=2
    python benchmarks/nas/verbose_arm.py controller digits 120 --seed 1

The arm is built as the sweep builds it (``arms.make_estimator``), on the dataset's
split for the seed (``loaders.load``), with ``verbose=2``. Prints the fit's progress,
then the test accuracy, ``refit_`` and the leaderboard.
"""
import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import arms
import loaders

COLUMNS = ("trial", "score", "status", "fidelity", "fit_seconds", "duration", "started_at",
           "origin")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("arm")
    parser.add_argument("dataset")
    parser.add_argument("budget", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    data = loaders.load(args.dataset, args.seed)
    if args.arm in arms.BASELINE_ARMS:
        parser.error(f"{args.arm!r} is a baseline without a search; name a strategy or "
                     f"a package arm ({', '.join(arms.STRATEGY_ARMS + arms.PACKAGE_ARMS)})")
    estimator = arms.make_estimator(args.arm, args.budget, args.seed, data.image_shape,
                                    n_jobs=args.n_jobs)
    estimator.set_params(verbose=2)
    start = time.monotonic()
    estimator.fit(data.X_train, data.y_train)
    print(f"fit {time.monotonic() - start:.1f}s, test accuracy "
          f"{estimator.score(data.X_test, data.y_test):.4f}, refit_={estimator.refit_}",
          flush=True)
    board = estimator.leaderboard_
    print(board[[c for c in COLUMNS if c in board]].to_string(), flush=True)


if __name__ == "__main__":
    main()
