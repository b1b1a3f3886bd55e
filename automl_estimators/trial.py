"""Trial values: what passes between the search loop, strategies, runners and history.

Small frozen dataclasses, as SMAC3's ``TrialInfo``/``TrialValue`` and Optuna's
``TrialState``: a :class:`Candidate` is proposed, a :class:`TrialTask` is what a
worker runs, a :class:`WorkerAnswer` is what it sends back, a :class:`TrialResult`
is the scored outcome the history keeps. A crash, a timeout or a memory-out is a
:class:`Status`, never an exception.

This module sits at the bottom of the package: it imports nothing of it but
:mod:`.scoring`'s prediction value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum

from .scoring import Predictions

# ``TrialResult.info`` key, True where the model trained within a time bound (a
# network's ``max_time``, set by the worker from the trial's time limit): its fit
# takes about the time it was given, however long it could have trained, and a
# refit given the trial's training time (``TrialTask.training_seconds``) ends near it.
TIME_BOUNDED = "time_bounded"
# ``TrialResult.info`` key: the share of a core the trial's worker had while its
# one-threaded model fitted (CPU seconds of the process over the fits' wall
# seconds). Near 1 when the worker had its core; about 0.5 where other programs
# kept the cores busy (two busy processes beside two workers on two cores).
CPU_SHARE = "cpu_share"
# ``TrialResult.info`` key: the folds a trial in the fit's own process fitted before
# it stopped, where that is fewer than the splits (``TrialTask.stop_after``): it is
# scored on those folds' validation rows alone, and has no out-of-fold predictions.
FOLDS_DONE = "folds_done"


class Status(str, Enum):
    """How a trial ended. A ``str`` enum: ``Status.OK == "ok"``, and it prints as its value."""

    OK = "ok"
    CRASH = "crash"
    TIMEOUT = "timeout"
    MEMOUT = "memout"
    CANCELLED = "cancelled"
    # It ran and scored, but its model is over a size or latency limit (:class:`Limits`).
    INFEASIBLE = "infeasible"

    def __str__(self) -> str:
        return self.value

    # Enum hashes a member by its name; a str enum must hash as its value to be
    # found in sets and dicts of plain strings, as it compares equal to them.
    def __hash__(self) -> int:
        return str.__hash__(self)


def config_key(config: dict, fidelity: float = 1.0):
    """The hashable identity of a configuration at a fidelity (duplicate detection)."""
    return (tuple(sorted((k, repr(v)) for k, v in config.items())), fidelity)


@dataclass(frozen=True)
class Candidate:
    """A configuration to evaluate, at a fidelity in (0, 1] (1: the full evaluation).

    ``origin`` says who proposed it (``"default"``, ``"warm_start"``, ``"short_default"``,
    ``"quick_forest"``, ``"quick"``, a strategy's name).
    """

    config: dict
    fidelity: float = 1.0
    origin: str = ""

    @property
    def key(self):
        return config_key(self.config, self.fidelity)


@dataclass(frozen=True)
class TrialTask:
    """What a worker runs: fit ``pipeline`` on folds of the data it holds, predict.

    ``folds`` indexes the splits stored with the data; ``None`` means one fit on
    all rows (a refit). ``fidelity`` is the share of each fold's training rows
    used; ``time_limit`` the seconds the task may take (in a trial, a network
    trains for a share of it, see :mod:`.runners.task`); ``training_seconds`` a
    refit's bound on the training of a model with a ``max_time`` parameter (a
    network: its trial's training time, scaled to the refit's rows);
    ``stop_after`` the seconds after which a trial starts no further fold expected
    to end past them (a trial in the fit's own process, which no limit kills): it
    answers with the folds it fitted (:data:`FOLDS_DONE`).
    """

    pipeline: object
    folds: tuple | None
    fidelity: float = 1.0
    seed: int = 0
    n_threads: int = 1
    return_model: bool = False
    time_limit: float | None = None
    training_seconds: float | None = None
    stop_after: float | None = None


@dataclass(frozen=True)
class WorkerAnswer:
    """A worker's answer to a :class:`TrialTask`, or the runner's word for a task that died.

    On success, one :class:`~.scoring.Predictions` and one fit time per fold
    (for a refit: one fit time, and the fitted model's predictions of each split's
    validation rows, rows it was trained on), what the worker learned about the fitted model
    (``info``, see :class:`TrialResult`) and, when asked, the model itself.
    """

    status: Status
    predictions: tuple = ()
    fit_seconds: tuple = ()
    model: object = field(default=None, repr=False)
    info: dict = field(default_factory=dict)
    error: str = ""
    traceback: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.status == Status.OK


@dataclass(frozen=True)
class TrialResult:
    """Everything learned from one trial; failed trials have a status and an error.

    ``info`` holds facts about the fitted model that strategies and constraints
    read: ``predict_seconds_per_row`` (mean over the folds) for every model, and
    for a network its ``n_parameters`` and its ``architecture`` (the one it was
    built from, e.g. the cell a one-shot search derived), :data:`TIME_BOUNDED` and
    :data:`CPU_SHARE`.
    """

    trial_id: int
    config: dict
    origin: str
    fidelity: float
    status: Status
    score: float = float("nan")
    fold_scores: tuple = ()
    fit_seconds: float = float("nan")
    duration: float = float("nan")
    started_at: float = float("nan")
    error: str = ""
    predictions: Predictions | None = field(default=None, repr=False)
    model: object = field(default=None, repr=False)
    info: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    @property
    def ended_at(self) -> float:
        """Seconds into the fit when it ended (``started_at`` + ``duration``; NaN
        where either is unknown)."""
        return self.started_at + self.duration

    @property
    def time_bounded(self) -> bool:
        """Whether its model trained within a time bound (:data:`TIME_BOUNDED`)."""
        return bool(self.info.get(TIME_BOUNDED))

    @property
    def cpu_share(self) -> float | None:
        """The share of a core its worker had while fitting (:data:`CPU_SHARE`), or
        None where it was not measured (a trial on several threads, in the fit's own
        process, or of a model trained on a GPU; a failed trial)."""
        share = self.info.get(CPU_SHARE)
        return None if share is None else float(share)


@dataclass(frozen=True)
class PendingTrial:
    """A trial submitted to a runner and not collected yet.

    ``started_at``: seconds into the fit when it was submitted (the leaderboard's
    column); ``submitted``: the monotonic clock then (its duration).
    """

    trial_id: int
    candidate: Candidate
    started_at: float
    submitted: float


def last_step(model):
    """The estimator that ends ``model`` (a pipeline), or ``model`` itself."""
    return model[-1] if hasattr(model, "steps") else model


class OverLimitError(ValueError):
    """Raised by a model that finds, before training, that it would pass a limit:
    a network whose built module has more parameters than its ``max_parameters``
    (the search sets it from :attr:`Limits.max_parameters`). ``info`` holds the
    facts that say by how much (``n_parameters``); a trial that raises it is
    :attr:`Status.INFEASIBLE` at the cost of building the network, not of training it.
    """

    def __init__(self, message: str, info: dict):
        super().__init__(message)
        self.info = dict(info)

    def __reduce__(self):  # picklable with its info, across a worker's pipe
        return type(self), (str(self), self.info)


@dataclass(frozen=True)
class Limits:
    """Limits a trial's model must keep to be chosen (MnasNet's constraints as hard limits).

    A successful trial over a limit becomes :attr:`Status.INFEASIBLE`; a network over
    ``max_parameters`` becomes so before it trains (the search passes the limit to
    it, and it raises :class:`OverLimitError`), without a score. The history and
    leaderboard keep such trials with an error saying which limit they passed and
    by how much; strategies see a failed trial (the constraint as a penalty, as
    MnasNet's reward does); the final model and ensemble members are chosen among
    the feasible trials only.

    Parameters
    ----------
    max_parameters : int or None
        Trainable parameters of a network (``info["n_parameters"]``); a model
        that does not report them (every model but a network) is within it.
    max_predict_latency : float or None
        Seconds per predicted row (``info["predict_seconds_per_row"]``, measured
        in the worker on the trial's validation rows).
    """

    max_parameters: int | None = None
    max_predict_latency: float | None = None

    def __bool__(self) -> bool:
        return self.max_parameters is not None or self.max_predict_latency is not None

    def violations(self, info: dict) -> dict[str, str]:
        """The limits ``info`` passes (a model's, or an ensemble's :meth:`combined`),
        by parameter name, each with a text saying by how much."""
        found = {}
        n_parameters = info.get("n_parameters")
        if self.max_parameters is not None and n_parameters is not None \
                and n_parameters > self.max_parameters:
            found["max_parameters"] = (
                f"{n_parameters} parameters > max_parameters={self.max_parameters} "
                f"({n_parameters / self.max_parameters:.3g}x)")
        latency = info.get("predict_seconds_per_row")
        if self.max_predict_latency is not None and latency is not None \
                and latency > self.max_predict_latency:
            found["max_predict_latency"] = (
                f"{latency:.3g}s per row > max_predict_latency={self.max_predict_latency:g}s "
                f"({latency / self.max_predict_latency:.3g}x)")
        return found

    @staticmethod
    def combined(infos) -> dict:
        """The info of an ensemble of models with these infos: it holds every member's
        parameters and predicts with every member, so both add up."""
        infos = list(infos)
        combined = {}
        for name in ("n_parameters", "predict_seconds_per_row"):
            values = [info[name] for info in infos if info.get(name) is not None]
            if values:
                combined[name] = sum(values)
        return combined

    def pass_to(self, model):
        """``model`` (a pipeline or an estimator), its last step told ``max_parameters``
        where it takes such a parameter (a network, which then checks its size before
        training: :class:`OverLimitError`). Changed in place and returned."""
        step = last_step(model)
        if self.max_parameters is not None and hasattr(step, "get_params") \
                and "max_parameters" in step.get_params(deep=False):
            step.set_params(max_parameters=self.max_parameters)
        return model

    def apply(self, result: TrialResult) -> TrialResult:
        """``result``, or its infeasible copy when its model passes a limit.

        The copy keeps score and info (the leaderboard shows what was excluded)
        and drops predictions and model: it is never ensembled nor refit.
        """
        if not result.ok:
            return result
        found = self.violations(result.info)
        if not found:
            return result
        return dataclasses.replace(result, status=Status.INFEASIBLE, predictions=None,
                                   model=None, error="over a limit: " + "; ".join(found.values()))
