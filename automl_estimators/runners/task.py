"""The worker's side of a trial: fit a pipeline on folds of the data it holds, predict.

This runs in a trial worker process (local or under a Dask worker). The data
comes from a file the runner wrote once per fit (memory-mapped, loaded once per
worker); a :class:`~automl_estimators.trial.TrialTask` carries only the
unfitted pipeline and fold indices. The answer is a
:class:`~automl_estimators.trial.WorkerAnswer`: predictions, not scores (the
parent scores them with the user's metric, see :mod:`automl_estimators.scoring`).
"""

from __future__ import annotations

import numbers
import time
import traceback
import warnings

import joblib
import numpy as np
from joblib import parallel_config
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from ..data import take_rows
from ..scoring import predictions_of
from ..trial import (
    CPU_SHARE,
    FOLDS_DONE,
    TIME_BOUNDED,
    OverLimitError,
    Status,
    TrialTask,
    WorkerAnswer,
    last_step,
)

# Share of a trial's remaining time a time-bounded model (a network) may train
# for, per fit left: the rest is for preprocessing, predicting and sending back.
TRAINING_TIME_SHARE = 0.75
# Error texts that mean an allocation failed inside a native library, or a mapping
# of the data or a library failed under the address-space cap (OSError ENOMEM).
MEMORY_ERRORS = ("MemoryError", "bad_alloc", "Unable to allocate", "out of memory",
                 "Cannot allocate memory")

# Fitted attributes of a pipeline's last step that a trial reports in its
# ``info`` (without the trailing underscore), where the model has them.
REPORTED_ATTRIBUTES = ("architecture", "n_parameters", "search_seconds")

# HistGradientBoostingClassifier's early_stopping="auto" stops early above this many
# rows (scikit-learn's rule, in its fit).
HGB_AUTO_EARLY_STOPPING_ROWS = 10_000

# The data file this worker process loaded last: path -> its contents.
_DATA: dict = {}


def _load(path):
    if path not in _DATA:
        _DATA.clear()
        _DATA[path] = joblib.load(path, mmap_mode="r")
    return _DATA[path]


def _set_n_jobs(pipeline, n_jobs) -> dict:
    """Give every ``n_jobs`` parameter of the pipeline the trial's threads; return
    the values they had, to be given back to a model that leaves the worker (a
    ``ColumnTransformer`` kept at ``n_jobs=2`` would start processes at every
    ``predict`` in the user's process)."""
    params = pipeline.get_params()
    before = {k: v for k, v in params.items() if k.endswith("__n_jobs")}
    if before:
        pipeline.set_params(**dict.fromkeys(before, n_jobs))
    return before


def early_stopping_split_possible(model, y) -> bool:
    """Whether ``model`` (a pipeline or an estimator) can fit on targets ``y`` as it
    is set: False for a HistGradientBoostingClassifier that would stop early (its
    ``early_stopping`` True, or "auto" above :data:`HGB_AUTO_EARLY_STOPPING_ROWS`
    rows) on a validation split it cannot make. That split is stratified, and
    scikit-learn raises where a class has a single row, or where the validation
    share or the rest of the rows is smaller than the classes."""
    step = last_step(model)
    if not isinstance(step, HistGradientBoostingClassifier):
        return True
    rows = len(y)
    stops_early = (step.early_stopping is True or (
        step.early_stopping == "auto" and rows > HGB_AUTO_EARLY_STOPPING_ROWS))
    fraction = step.validation_fraction
    if not stops_early or fraction is None:
        return True
    counts = np.unique(y, return_counts=True)[1]
    held_out = (int(fraction) if isinstance(fraction, numbers.Integral)
                else int(np.ceil(fraction * rows)))
    return bool(counts.min() >= 2 and held_out >= len(counts)
                and rows - held_out >= len(counts))


def early_stopping_within_reach(model, y) -> None:
    """Where a model left to decide whether to stop early (``early_stopping="auto"``)
    would stop early on a validation split it cannot make on ``y``
    (:func:`early_stopping_split_possible`), have it fit all its iterations, as
    "auto" does on 10,000 rows or fewer, rather than fail. Before, on more than
    10,000 rows with one row of a rare class, every trial and refit of the strong
    default failed there. A configuration that asks for early stopping
    (``early_stopping=True``) is fitted as it is set, and fails there: the search
    learns that it does not suit the data. Measured with it turned off too
    (hypothyroid, a class of 2 rows in 2829, 60 s, seeds 0-4,
    ``benchmarks/results/compare_early_stopping_split_60s.md``): 5 of 5 seeds
    lower by 1-5 test rows, mean -0.0021: those configurations ran all their
    iterations, slowly, and won on validation more than on test."""
    step = last_step(model)
    if isinstance(step, HistGradientBoostingClassifier) and step.early_stopping == "auto" \
            and not early_stopping_split_possible(model, y):
        step.set_params(early_stopping=False)


def trains_within_time(model) -> bool:
    """Whether a trial of ``model`` (a pipeline or an estimator) trains within a bound
    set from its time limit: its last step has a ``max_time`` parameter left unset
    (None), as a network has. Such a trial ends with what it learned by then
    instead of being killed at its limit."""
    step = last_step(model)
    return hasattr(step, "get_params") and step.get_params(deep=False).get("max_time",
                                                                            False) is None


def _bound_training_time(model, seconds):
    """Give a model with a ``max_time`` parameter (a network) ``seconds`` to train.

    Only where it is unbounded (None, :func:`trains_within_time`), and only when
    ``seconds`` is not None. Returns the step whose ``max_time`` was set, to be
    reset to None after the fit, or None.
    """
    if seconds is None or not trains_within_time(model):
        return None
    step = last_step(model)
    step.set_params(max_time=max(seconds, 0.01))
    return step


def _training_seconds(task: TrialTask, elapsed: float, fits_left: int) -> float | None:
    """What a time-bounded model may train in this fit: in a trial,
    :data:`TRAINING_TIME_SHARE` of the task's time left per fit left; in a refit,
    the task's ``training_seconds`` (None: unbounded)."""
    if task.folds is None:
        return task.training_seconds
    if task.time_limit is None:
        return None
    return TRAINING_TIME_SHARE * (task.time_limit - elapsed) / fits_left


def _stops_before_next_fold(task: TrialTask, elapsed: float, fold_seconds: list) -> bool:
    """Whether a trial with ``task.stop_after`` set stops before its next fold: one
    fold at least is done, and the next, expected to take their mean, would end
    past ``stop_after`` seconds from the task's start. A trial in the fit's own
    process has no limit that kills it; on a loaded host its folds can take several
    times their estimate, and its last folds would end past the budget (measured
    on car, 3 s, beside two busy processes: the strong default's five folds took
    4.7 s in this process against a budget of 3). As FLAML's cross-validation stops
    at its budget, it ends with the folds it fitted."""
    return (task.stop_after is not None and bool(fold_seconds)
            and elapsed + float(np.mean(fold_seconds)) > task.stop_after)


def _model_info(model, predict_seconds) -> dict:
    """What a trial reports about its (last) fitted model: mean prediction seconds
    per row, and the :data:`REPORTED_ATTRIBUTES` its last step has."""
    info = {"predict_seconds_per_row": float(np.mean(predict_seconds))} if predict_seconds \
        else {}
    step = last_step(model)
    step = getattr(step, "regressor_", step)  # a TransformedTargetRegressor's model
    for name in REPORTED_ATTRIBUTES:
        if hasattr(step, name + "_"):
            info[name] = getattr(step, name + "_")
    return info


def fit_and_predict(path: str, task: TrialTask) -> WorkerAnswer:
    """:func:`run_task` on the data the runner wrote to ``path`` (loaded once per
    worker, memory-mapped). Never raises."""
    try:
        data = _load(path)
    except BaseException as exc:  # noqa: BLE001 - as in run_task
        return _failure(exc)
    return run_task(data, task)


def run_task(data: dict, task: TrialTask) -> WorkerAnswer:
    """Fit ``task.pipeline`` on each fold's training rows and predict its validation rows.

    In a trial, a model with a ``max_time`` parameter (a network) trains for at
    most :data:`TRAINING_TIME_SHARE` of what is left of ``task.time_limit`` per
    fit left, so it stops with what it learned rather than being killed at the
    limit; the parameter is restored on the returned model. A refit
    (``task.folds is None``) is not bounded by its time left (a network cut short
    there would replace the better one the search fitted; measured on digits: 3
    epochs, test accuracy 0.096; past its limit the refit fails and that one
    serves) but by ``task.training_seconds``: the training time its trial had,
    scaled to the rows, so that it trains about the epochs its trial did rather
    than every epoch the trial's time cut. A refit
    also predicts every split's validation rows, for the parent's check that it
    learned at least what the trial's fold models did (:func:`.selection.refit_holds`).
    A trial on one thread also reports the share of a core it had while fitting
    (:data:`~.trial.CPU_SHARE`), from which the finishing step decides how many
    threads its refits get; not one whose model trained on a GPU (``device_``),
    where the CPU waits for the device.
    A model that raises :class:`~.trial.OverLimitError` (a network over its
    ``max_parameters``, before training) answers :attr:`~.trial.Status.INFEASIBLE`
    with the facts it gave.
    A trial given ``task.stop_after`` starts no fold expected to end past it
    (:func:`_stops_before_next_fold`): it answers with the folds it fitted, their
    number in ``info`` (:data:`~.trial.FOLDS_DONE`), the last one's model.
    Never raises: a failure is an answer with a status and an error text.
    """
    task_start = time.perf_counter()
    try:
        X, y, n_classes = data["X"], data["y"], data["n_classes"]
        splits = ([(np.arange(len(y)), None)] if task.folds is None
                  else [data["splits"][i] for i in task.folds])
        predictions, fit_seconds, predict_seconds, fold_seconds = [], [], [], []
        rng = np.random.default_rng(task.seed)
        model, n_jobs_before, time_bounded = None, {}, False
        cpu_seconds = 0.0
        # Threads only: a process pool inside a worker would outlive a killed trial.
        # Library warnings of a trial (convergence, deprecations) are noise to the user.
        with threadpool_limits(task.n_threads), parallel_config(backend="threading"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i, (train, valid) in enumerate(splits):
                fold_start = time.perf_counter()
                if _stops_before_next_fold(task, fold_start - task_start, fold_seconds):
                    break
                if task.fidelity < 1.0:
                    keep = max(int(round(len(train) * task.fidelity)), 2)
                    train = np.sort(rng.choice(train, size=keep, replace=False))
                model = clone(task.pipeline)
                n_jobs_before = _set_n_jobs(model, task.n_threads)
                early_stopping_within_reach(model, y[train])
                start, cpu_start = time.perf_counter(), time.process_time()
                bounded = _bound_training_time(
                    model, _training_seconds(task, start - task_start, len(splits) - i))
                model.fit(take_rows(X, train), y[train])
                if bounded is not None:
                    bounded.set_params(max_time=None)
                    time_bounded = True
                fit_seconds.append(time.perf_counter() - start)
                cpu_seconds += time.process_time() - cpu_start
                if valid is not None:
                    start = time.perf_counter()
                    predictions.append(predictions_of(model, take_rows(X, valid), n_classes))
                    predict_seconds.append((time.perf_counter() - start) / max(len(valid), 1))
                fold_seconds.append(time.perf_counter() - fold_start)
            if task.folds is None:
                # The refit's check: its predictions of every split's validation rows
                # (rows it was trained on), which the parent compares with the
                # trial's out-of-fold predictions of the same rows.
                predictions = [predictions_of(model, take_rows(X, valid), n_classes)
                               for _, valid in data["splits"]]
        if task.return_model and n_jobs_before:
            model.set_params(**n_jobs_before)
        info = _model_info(model, predict_seconds)
        if time_bounded:
            info[TIME_BOUNDED] = True
        if len(fold_seconds) < len(splits):
            info[FOLDS_DONE] = len(fold_seconds)
        if task.n_threads == 1 and task.folds is not None and sum(fit_seconds) > 0 \
                and str(getattr(last_step(model), "device_", "cpu")) == "cpu":
            info[CPU_SHARE] = cpu_seconds / sum(fit_seconds)
        return WorkerAnswer(Status.OK, tuple(predictions), tuple(fit_seconds),
                            model=model if task.return_model else None, info=info)
    except MemoryError:
        return WorkerAnswer(Status.MEMOUT,
                            error="MemoryError: the trial passed its memory limit")
    except OverLimitError as exc:  # a network over max_parameters, found before training
        return WorkerAnswer(Status.INFEASIBLE, error=f"over a limit: {exc}", info=exc.info)
    except KeyboardInterrupt:
        raise  # a Ctrl-C in the fit's own process (workers ignore SIGINT): the fit's
    except BaseException as exc:  # noqa: BLE001 - a trial must never raise into the fit
        return _failure(exc)


def _failure(exc) -> WorkerAnswer:
    """The answer of a task that raised ``exc``: a memory error or a crash."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    status = Status.MEMOUT if any(m in text for m in MEMORY_ERRORS) else Status.CRASH
    return WorkerAnswer(status, error=text, traceback=traceback.format_exc(limit=8))
