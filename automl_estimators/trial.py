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

from dataclasses import dataclass, field
from enum import Enum

from .scoring import Predictions


class Status(str, Enum):
    """How a trial ended. A ``str`` enum: ``Status.OK == "ok"``, and it prints as its value."""

    OK = "ok"
    CRASH = "crash"
    TIMEOUT = "timeout"
    MEMOUT = "memout"
    CANCELLED = "cancelled"

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

    ``origin`` says who proposed it (``"default"``, ``"warm_start"``, a strategy's name).
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
    used; ``time_limit`` the seconds the task may take (a network trains for a
    share of it, see :mod:`.runners.task`).
    """

    pipeline: object
    folds: tuple | None
    fidelity: float = 1.0
    seed: int = 0
    n_threads: int = 1
    return_model: bool = False
    time_limit: float | None = None


@dataclass(frozen=True)
class WorkerAnswer:
    """A worker's answer to a :class:`TrialTask`, or the runner's word for a task that died.

    On success, one :class:`~.scoring.Predictions` and one fit time per fold
    (no predictions for a refit), what the worker learned about the fitted model
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
    built from, e.g. the cell a one-shot search derived).
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
