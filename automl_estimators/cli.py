"""Command line: ``automl-estimators fit``, ``predict`` and ``demo``.

A mistake the user can fix ends the program with one line on stderr and no
traceback: exit status 2 when the command line must change (argparse's
convention: unknown option, bad value, an option that does not fit the data or
the model), 1 when a file or its data must. Progress and notes go to stderr;
stdout carries the result (the leaderboard after ``fit``, the predictions of
``predict`` without ``--output``). The files and the target are handled in
:mod:`.cli_data`.
"""

from __future__ import annotations

import argparse
import errno
import logging
import math
import os
import re
import sys
import tempfile
import warnings
from functools import partial
from pathlib import Path

import joblib
import pandas as pd

from .cli_data import (
    CommandError,
    check_target,
    decide_task,
    leaderboard_table,
    load_model,
    read_csv,
    select_features,
    split_target,
)
from .errors import ParameterError
from .estimators import CLASSIFICATION, REGRESSION, AutoClassifier, AutoRegressor
from .interrupts import EXIT_STATUS
from .progress import ensure_log_handler
from .reading import is_text
from .scoring import DEFAULT_METRIC, get_metric, scorer_names
from .search import STRATEGIES
from .version import COMMAND, __version__

logger = logging.getLogger(__name__)

LEADERBOARD_ROWS = 15
NEURAL_CHOICES = {"auto": "auto", "on": True, "off": False}
SHOWN_COLUMNS = ["rank", "trial", "pipeline", "score", "status", "fit_seconds"]


# ------------------------------------------------------------------ commands
def fit(args) -> int:
    """Fit AutoClassifier or AutoRegressor on a CSV file and save it with joblib."""
    frame = read_csv(args.data)
    X, y = split_target(frame, args.target, args.data, args.task)
    y, task, reason = _checked_task(y, args)
    ensure_log_handler(1)  # only now: an error before stays one line
    logger.info("task: %s (%s)", task, reason)
    if len(y) < len(frame):
        logger.info("%d rows without a value in %r left out", len(frame) - len(y), args.target)
    estimator_class = AutoClassifier if task == CLASSIFICATION else AutoRegressor
    estimator = estimator_class(time_budget=args.time, metric=args.metric, search=args.search,
                                neural=NEURAL_CHOICES[args.neural], image_shape=args.image_shape,
                                n_jobs=args.n_jobs, max_trials=args.max_trials,
                                random_state=args.seed, verbose=1)
    try:
        estimator.fit(X, y)
    except ParameterError as exc:  # an option that does not suit the data
        raise CommandError(f"fit failed: {as_options(str(exc))}", exit_status=2) from None
    except ValueError as exc:
        raise CommandError(f"fit failed: {exc}") from None
    except ImportError as exc:  # --neural on without torch: what to install
        raise CommandError(as_options(str(exc)), exit_status=2) from None
    _save(estimator, args)
    show_leaderboard(estimator, sys.stdout)
    if estimator.interrupted_at_ is not None:
        # the shell's status for Ctrl-C, so that `fit ... && next` stops: the search
        # did not run its course, though its model is saved
        sys.stderr.write(f"{args.parser.prog}: interrupted at {estimator.interrupted_at_:.1f}s; "
                         f"the model found so far is saved in {args.output}\n")
        return EXIT_STATUS
    return 0


def predict(args) -> int:
    """Predict the rows of a CSV file with a model saved by ``fit``."""
    model = load_model(args.model)
    if args.proba and not isinstance(model, AutoClassifier):
        raise CommandError(f"--proba needs a classifier; {args.model} holds a regressor "
                           f"({type(model).__name__}): leave out --proba", exit_status=2)
    profile = model.profile_
    text = [*profile.all_categorical, *profile.dates]
    X = select_features(read_csv(args.data, text), model, args.data)
    try:
        if args.proba:
            predictions = pd.DataFrame(model.predict_proba(X),
                                       columns=[str(label) for label in model.classes_])
        else:
            predictions = pd.DataFrame({"prediction": model.predict(X)})
    except ValueError as exc:
        raise CommandError(f"cannot predict {args.data}: {exc}") from None
    predictions.to_csv(args.output or sys.stdout, index=False)
    if args.output:
        ensure_log_handler(1)
        logger.info("%d predictions saved to %s", len(predictions), args.output)
    return 0


def demo(args) -> int:
    """Fit AutoClassifier on scikit-learn's breast-cancer data; the leaderboard and test score."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=args.seed)
    clf = AutoClassifier(time_budget=args.time, n_jobs=args.n_jobs, max_trials=args.max_trials,
                         random_state=args.seed, verbose=1)
    clf.fit(X_train, y_train)
    out = sys.stdout
    show_leaderboard(clf, out)
    final = clf.best_pipeline_.steps
    if clf.ensemble_ is not None:
        weights = ", ".join(f"{w:.2f}" for w in clf.ensemble_.weights_)
        out.write(f"final model: ensemble of {len(clf.ensemble_.members_)} pipelines "
                  f"(weights {weights}, validation {clf.metric_} {clf.best_score_:.4f})\n")
    out.write(f"best pipeline: {[name for name, _ in final]}, model {final[-1][1]!r}\n")
    out.write(f"test accuracy: {clf.score(X_test, y_test):.4f}\n")
    return 0


# ------------------------------------------------------------------- helpers
def _checked_task(y, args) -> tuple[pd.Series, str, str]:
    """The target, the task to fit and why, once the target and the metric are known
    to suit it. A text target of numbers only ("007", "012": codes, read as text) is
    read as numbers for ``--task regression``."""
    if args.task == "auto":
        task, reason = decide_task(y)
        reason += "; --task overrides"
    else:
        task, reason = args.task, "--task"
    if task == REGRESSION and is_text(y):
        numbers = pd.to_numeric(y, errors="coerce")
        y = numbers if numbers.notna().all() else y
    check_target(y, args.target, task)
    try:
        get_metric(args.metric, task)
    except ValueError as exc:
        raise CommandError(as_options(str(exc)), exit_status=2) from None
    return y, task, reason


def _save(estimator, args):
    """The model, then the leaderboard and the exported code where asked for.

    A model that cannot be written where asked (a full disk) is written to a new
    file in the working or the temporary folder, and the error names it: the
    fit's result is never lost.
    """
    try:
        joblib.dump(estimator, args.output)
    except OSError as exc:
        kept = _save_elsewhere(estimator)
        raise CommandError(f"could not save the model to {args.output} "
                           f"({exc.strerror or exc}); it is saved in {kept} instead") from None
    logger.info("model saved to %s", args.output)
    if args.leaderboard:
        try:
            leaderboard_table(estimator.leaderboard_).to_csv(args.leaderboard, index=False)
        except OSError as exc:
            raise CommandError(f"could not write the leaderboard to {args.leaderboard} "
                               f"({exc.strerror or exc}); the model is saved in "
                               f"{args.output}") from None
        logger.info("leaderboard saved to %s", args.leaderboard)
    if args.export:
        try:
            estimator.export(args.export)
        except (ValueError, TypeError, OSError, RuntimeError) as exc:
            raise CommandError(f"could not export the model to {args.export} "
                               f"({type(exc).__name__}: {exc}); the model itself is saved in "
                               f"{args.output}") from None
        logger.info("model code saved to %s (run: python %s --help)", args.export,
                    args.export)


def _save_elsewhere(estimator) -> str:
    """Save ``estimator`` to a new file in the working folder, else the temporary
    one; its path."""
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            handle, path = tempfile.mkstemp(prefix="automl-estimators-model-",
                                            suffix=".joblib", dir=folder)
        except OSError:
            continue
        try:
            with os.fdopen(handle, "wb") as file:
                joblib.dump(estimator, file)
            return path
        except OSError:
            Path(path).unlink(missing_ok=True)
    raise CommandError("could not save the model anywhere: the working and the temporary "
                       "folders cannot be written either")


def show_leaderboard(estimator, out):
    """The best trials and a summary line, for people."""
    board = estimator.leaderboard_[SHOWN_COLUMNS].head(LEADERBOARD_ROWS)
    board = board.assign(rank=board["rank"].astype("Int64"))  # unranked rows show <NA>
    out.write(f"\nLeaderboard (validation {estimator.metric_}, "
              f"{estimator.search_plan_.reason}):\n")
    out.write(board.to_string(index=False) + "\n")
    out.write(f"\n{estimator.n_trials_} trials in {estimator.fit_time_:.1f}s "
              f"(budget {estimator.time_budget:.0f}s)\n")


# ------------------------------------------------------------------- parsing
class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line; the usage is one ``--help`` away."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> _Parser:
    parser = _Parser(prog=COMMAND,
                     description="AutoML as a scikit-learn estimator.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run_fit = commands.add_parser(
        "fit", help="search a model for a CSV file and save it",
        description="Search preprocessing + model pipelines for DATA within a time budget, "
                    "save the fitted estimator with joblib, print the leaderboard.")
    run_fit.add_argument("data", metavar="DATA.csv", help="training data with a header row")
    run_fit.add_argument("--target", required=True, metavar="COLUMN",
                         help="the column to predict")
    run_fit.add_argument("--task", choices=["auto", CLASSIFICATION, REGRESSION], default="auto",
                         help="auto (default): classes for text, booleans and whole numbers "
                              "with at most 20 values, 5+ rows each; regression otherwise")
    _add_budget_options(run_fit, time_default=60.0, n_jobs_default=1)
    run_fit.add_argument("--metric", help=f"a scikit-learn scorer name; default "
                                          f"{DEFAULT_METRIC[CLASSIFICATION]} for classification, "
                                          f"{DEFAULT_METRIC[REGRESSION]} for regression")
    run_fit.add_argument("--search", choices=["auto", *STRATEGIES], default="auto",
                         help="search strategy (default: auto, chosen from the budget and "
                              "the data)")
    run_fit.add_argument("--neural", choices=list(NEURAL_CHOICES), default="auto",
                         help="neural networks in the search (needs torch): auto (default) "
                              "when likely to pay (GPU, images, 10,000+ rows at 180+ s), on, off")
    run_fit.add_argument("--image-shape", type=_image_shape, metavar="H,W[,C] | L",
                         help="the feature columns are the pixels of H x W (x C) images, "
                              "row by row, or the L steps of a 1-D signal (1,L,C: C "
                              "channels per step): convolutional networks join the search")
    run_fit.add_argument("--output", required=True, metavar="MODEL.joblib",
                         help="where to save the fitted estimator")
    run_fit.add_argument("--export", metavar="PIPELINE.py",
                         help="also write the final model as a Python script that fits and "
                              "predicts from CSV files")
    run_fit.add_argument("--leaderboard", metavar="LEADERBOARD.csv",
                         help="also write every trial as CSV")
    run_fit.set_defaults(run=fit, parser=run_fit)

    run_predict = commands.add_parser(
        "predict", help="predict a CSV file with a saved model",
        description="Predict the rows of DATA with a model saved by 'fit'; columns the model "
                    "was not fit on (the target, for one) are ignored.")
    run_predict.add_argument("model", metavar="MODEL.joblib", help="the --output of 'fit'")
    run_predict.add_argument("data", metavar="DATA.csv", help="rows to predict, header row "
                                                              "with the training columns")
    run_predict.add_argument("--output", metavar="PREDICTIONS.csv",
                             help="where to write the predictions (default: stdout)")
    run_predict.add_argument("--proba", action="store_true",
                             help="class probabilities, one column per class")
    run_predict.set_defaults(run=predict, parser=run_predict)

    run_demo = commands.add_parser("demo", help="fit on a dataset shipped with scikit-learn")
    _add_budget_options(run_demo, time_default=30.0, n_jobs_default=2)
    run_demo.set_defaults(run=demo, parser=run_demo)
    return parser


# The estimator's parameters, as its ParameterError messages spell them, and as the
# options of `fit` do (tests/test_cli.py checks each message the command line shows).
_AS_OPTIONS = (
    (r"image_shape=\(([\d, ]+?),?\)", lambda found: "--image-shape "
     + found[1].replace(" ", "")),
    (r"\(height, width\) or \(height, width, channels\) for an image, \(length,\) or "
     r"\(1, length, channels\)", "H,W or H,W,C for an image, L or 1,L,C"),
    (r"search='auto', 'smac', 'random' or 'genetic'", "--search auto, smac, random or genetic"),
    (r"search='([\w-]+)'", r"--search \1"),
    (r"neural=False", "--neural off"),
    (r"neural='auto' \(or True\)", "--neural auto (or on)"),
    (r"metric '(\w+)'", r"--metric \1"),
    (r"time_budget=([\d.]+)s", r"--time \1"),
    (r"\btime_budget\b", "--time"),
    (r"Choose a metric, or parameters of it \(such as pos_label\), that fit the target",
     "Choose a --metric that fits the target"),
)


def as_options(message: str) -> str:
    """An estimator's error ``message`` with its parameters written as `fit`'s options
    (``neural=False`` as ``--neural off``)."""
    for pattern, replacement in _AS_OPTIONS:
        message = re.sub(pattern, replacement, message)
    return message


def _image_shape(text) -> tuple[int, ...]:
    """``"28,28"`` or ``"28x28x1"`` (an image), ``"40"`` or ``"1,40,3"`` (a signal) as a
    tuple of 1 to 3 positive integers."""
    parts = text.replace("x", ",").split(",")
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        shape = ()
    if len(shape) not in (1, 2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an image shape; give 2 or 3 positive integers as H,W or H,W,C "
            "(e.g. 28,28 or 32,32,3), or a signal's length L (e.g. 40) or 1,L,C")
    return shape


def _add_budget_options(parser, *, time_default, n_jobs_default):
    parser.add_argument("--time", type=float, default=time_default,
                        help=f"time budget in seconds (default {time_default:.0f})")
    parser.add_argument("--n-jobs", type=int, default=n_jobs_default,
                        help=f"trials at once, -1: all cores (default {n_jobs_default})")
    parser.add_argument("--max-trials", type=int, metavar="N",
                        help="stop after N trials (or at --time, if that comes first); "
                             "two such runs with --n-jobs 1 and the same --seed give the "
                             "same model")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def parse_args(argv=None) -> argparse.Namespace:
    """Parse and check the command line; exit 2 with one line on the first problem."""
    args = _parser().parse_args(argv)
    error = args.parser.error
    if args.command in ("fit", "demo"):
        if not (math.isfinite(args.time) and args.time > 0):
            error(f"--time must be a positive number of seconds, got {args.time}")
        if args.n_jobs == 0:
            error("--n-jobs must be a positive number of trials at once, or negative as in "
                  "joblib (-1: all cores), got 0")
        if args.max_trials is not None and args.max_trials < 1:
            error(f"--max-trials must be a positive number of trials, got {args.max_trials}")
        if not 0 <= args.seed < 2**32:
            error(f"--seed must be between 0 and 2**32 - 1, got {args.seed}")
    if args.command == "fit":
        if args.metric is not None and args.metric not in scorer_names():
            error(f"unknown --metric {args.metric!r}; use a scikit-learn scorer name such as "
                  "accuracy, balanced_accuracy, roc_auc, neg_log_loss, r2 or "
                  "neg_root_mean_squared_error (all: sklearn.metrics.get_scorer_names())")
        outputs = {"--output": args.output, "--export": args.export,
                   "--leaderboard": args.leaderboard}
    else:
        outputs = {"--output": getattr(args, "output", None)}
    inputs = {Path(p).resolve(): p
              for p in (getattr(args, "data", None), getattr(args, "model", None)) if p}
    written = {}
    for option, path in outputs.items():
        if path is None:
            continue
        resolved = Path(path).resolve()
        if not resolved.parent.is_dir():
            error(f"{option} {path}: folder {Path(path).parent} does not exist; create it first")
        if (problem := _unwritable(resolved)) is not None:
            if problem == os.strerror(errno.EISDIR):
                error(f"{option} {path} is a folder; give a file name in it")
            error(f"{option} {path} cannot be written ({problem}); give a file path in a "
                  "writable folder")
        if resolved in inputs:
            error(f"{option} {path} would overwrite the input {inputs[resolved]}; "
                  "give another file name")
        if resolved in written:
            error(f"{option} and {written[resolved]} are the same file {path}; "
                  "give each its own")
        written[resolved] = option
    return args


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot be opened for writing, or None: found before a fit, not
    after it. Opening creates no file that was not there, truncates none, and does
    not wait for a reader (a named pipe)."""
    try:
        existed = path.exists()
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK))
    except OSError as exc:
        return exc.strerror or str(exc)
    if not existed:
        path.unlink(missing_ok=True)
    return None


def _show_warning(prog, message, category, filename, lineno, file=None, line=None):
    """A warning as one line on stderr, like an error: the file and line a Python
    user would be shown are the command's own script here, of no use."""
    sys.stderr.write(f"{prog}: warning: {as_options(' '.join(str(message).split()))}\n")


def main(argv=None) -> int:
    """Run one command; the exit status."""
    args = parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = partial(_show_warning, args.parser.prog)
            return args.run(args)
    except CommandError as exc:
        message = " ".join(str(exc).split())
        if exc.exit_status == 2:
            args.parser.error(message)
        sys.stderr.write(f"{args.parser.prog}: error: {message}\n")
        return exc.exit_status
    except BrokenPipeError:
        # stdout closed early (piped into `head`): silence Python's own report at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{args.parser.prog}: interrupted\n")
        return EXIT_STATUS


if __name__ == "__main__":
    sys.exit(main())
