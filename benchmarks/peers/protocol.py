"""What every system of the peers benchmark shares: runs, splits, scores.

One source for the split and the scores, so that no system is judged differently:
the sweep (in the repository's own venv) computes the split, hands the row indices
to the system's process, and scores the predictions that come back with one
scikit-learn. Nothing here imports a peer.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import load_split

CLASSIFICATION = ("binary", "multiclass")
RAW = Path(__file__).resolve().parent / "results" / "raw"
LEDGER = RAW.parent / "runs.csv"  # committed: every finished run of RAW, one row each
PRIMARY = {"binary": "accuracy", "multiclass": "accuracy", "regression": "r2"}


@dataclass(frozen=True)
class League:
    """A sweep kept apart from the main one: its own records, ledger and page.

    The main summary ranks only the cells that every system of its records ran, so
    a system or budget run on a few datasets (AutoGluon's ``best_quality`` preset
    at 300 s) would empty its tables; a league has its own.

    Parameters
    ----------
    name : str
        Names the records folder ``results/raw_<name>/`` (git-ignored), the
        committed ledger ``results/<name>.csv`` and the page
        ``docs/benchmarks/<name>.md``.
    budgets, datasets, systems : tuple
        What ``run.py --league NAME`` runs by default.
    why : str
        How the datasets were chosen (before running), quoted on the page.
    """

    name: str
    budgets: tuple
    datasets: tuple
    systems: tuple
    why: str

    @property
    def raw(self) -> Path:
        return RAW.parent / f"raw_{self.name}"

    @property
    def ledger(self) -> Path:
        return RAW.parent / f"{self.name}.csv"


LEAGUES = {league.name: league for league in (
    League("league300", budgets=(300,),
           datasets=("adult", "electricity", "bank-marketing", "phoneme",
                     "shuttle", "letter", "hypothyroid", "segment",
                     "diamonds", "california_housing", "cpu_act", "wine_quality"),
           systems=("automl-estimators", "autogluon", "autogluon-best", "flaml", "hgb",
                    "xgboost"),
           why=("The four largest shared datasets of each task type by rows, where more "
                "time can change the result (on the small ones 60 s already runs hundreds "
                "of trials); chosen in session 4, before any 300 s run.")),
)}


@dataclass(frozen=True)
class Run:
    """One (system, dataset, budget, seed) cell of the sweep."""

    system: str
    dataset: str
    budget: int
    seed: int

    @property
    def stem(self) -> str:
        """File name stem of the run's raw files."""
        return f"{self.system}__{self.dataset}__{self.budget}__{self.seed}"

    @property
    def hard_limit(self) -> int:
        """Seconds after which the run's process tree is killed (and the run failed)."""
        return 3 * self.budget + 120


def plan_runs(systems, datasets, budgets, seeds):
    """Every run of a sweep, budget-major, then seed, dataset and system.

    Systems vary fastest, so a sweep cut short still compares all systems on the
    datasets it reached.
    """
    return [Run(system, dataset, budget, seed)
            for budget in budgets for seed in seeds
            for dataset in datasets for system in systems]


def finished(raw_dir, ledger=None):
    """Stems of the runs with a record: a JSON in ``raw_dir`` or a row of ``ledger``.

    The raw records are git-ignored, and a new session may get a fresh work tree; the
    ledger (the committed ``results/runs.csv``) carries the finished runs over.
    """
    stems = {p.name[:-len(".json")] for p in Path(raw_dir).glob("*__*__*__*.json")
             if not p.name.endswith(".child.json")}
    if ledger is not None and Path(ledger).exists():
        with open(ledger, newline="") as f:
            stems |= {Run(r["system"], r["dataset"], int(r["budget"]), int(r["seed"])).stem
                      for r in csv.DictReader(f)}
    return stems


def pending(runs, raw_dir, ledger=None):
    """The runs of ``runs`` without a record (see :func:`finished`): what a sweep resumes."""
    done = finished(raw_dir, ledger)
    return [run for run in runs if run.stem not in done]


def split_indices(entry, seed):
    """Row positions of the 75/25 split of a shared dataset, fixed by ``seed``.

    Stratified for classification (``benchmarks/common.py: load_split``); the CSV is
    read with a default RangeIndex, so index labels are row positions.

    Returns
    -------
    dict
        ``{"train": [...], "test": [...]}``, lists of ints.
    """
    X_train, X_test, _, _ = load_split(entry, seed)
    return {"train": [int(i) for i in X_train.index], "test": [int(i) for i in X_test.index]}


def read_split(csv_path, split):
    """(X_train, X_test, y_train, y_test) of a CSV at the given row positions.

    Text columns come as ``object`` whatever the pandas version: pandas 3 reads them
    as its new ``str`` dtype, which peers built for pandas 2 do not recognise as
    categorical. Every system gets the same frame.
    """
    import pandas as pd

    frame = pd.read_csv(csv_path)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.StringDtype):
            frame[column] = frame[column].astype(object)
    y = frame.pop("target")
    train, test = split["train"], split["test"]
    return (frame.iloc[train].reset_index(drop=True), frame.iloc[test].reset_index(drop=True),
            y.iloc[train].reset_index(drop=True), y.iloc[test].reset_index(drop=True))


def _finite(value):
    return float(value) if value is not None and math.isfinite(value) else None


def score_predictions(task, y_true, predictions, labels=None):
    """Test metrics of one run's predictions.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
    y_true : array-like
        Test targets, as read from the dataset.
    predictions : dict
        ``{"predict": [...]}`` and, for a classifier with probabilities,
        ``"proba": [[...], ...]`` with its columns' labels in ``"classes"``.
    labels : sequence, optional
        Every class of the dataset, for log loss and ROC AUC (default: those of
        ``y_true``). A class the system never predicts gets probability 0.

    Returns
    -------
    dict
        accuracy, balanced_accuracy, log_loss and roc_auc (None without
        probabilities) for classification; r2 and rmse for regression.
    """
    import numpy as np
    from sklearn import metrics

    if task not in CLASSIFICATION:
        y_true = np.asarray(y_true, dtype=float)
        y_pred = np.asarray(predictions["predict"], dtype=float)
        return {"r2": _finite(metrics.r2_score(y_true, y_pred)),
                "rmse": _finite(math.sqrt(metrics.mean_squared_error(y_true, y_pred)))}
    # Labels compare as text: a system may hand back 1.0 or "1" for the class 1.
    y_true = np.array([_label(v) for v in y_true])
    y_pred = np.array([_label(v) for v in predictions["predict"]])
    out = {"accuracy": float(metrics.accuracy_score(y_true, y_pred)),
           "balanced_accuracy": float(metrics.balanced_accuracy_score(y_true, y_pred)),
           "log_loss": None, "roc_auc": None}
    if predictions.get("proba") is not None:
        out.update(_probability_scores(y_true, predictions, labels))
    return out


def _label(value):
    """A class label as text, integral floats without their '.0'."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _probability_scores(y_true, predictions, labels):
    import numpy as np
    from sklearn import metrics

    labels = sorted({_label(v) for v in (labels if labels is not None else y_true)})
    given = [_label(c) for c in predictions["classes"]]
    proba = np.asarray(predictions["proba"], dtype=float)
    aligned = np.zeros((len(proba), len(labels)))
    for j, label in enumerate(given):
        if label in labels:
            aligned[:, labels.index(label)] = proba[:, j]
    aligned = aligned / np.clip(aligned.sum(axis=1, keepdims=True), 1e-15, None)
    out = {}
    try:
        out["log_loss"] = _finite(metrics.log_loss(y_true, aligned, labels=labels))
    except ValueError:
        out["log_loss"] = None
    try:
        if len(labels) == 2:
            out["roc_auc"] = _finite(metrics.roc_auc_score(y_true == labels[1], aligned[:, 1]))
        else:
            out["roc_auc"] = _finite(metrics.roc_auc_score(y_true, aligned, multi_class="ovr",
                                                           labels=labels))
    except ValueError:  # a class absent from the test split
        out["roc_auc"] = None
    return out


def write_json(path, record):
    """Write ``record`` so that a reader never sees half a file (resume relies on it)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(record, indent=1, default=str))
    tmp.replace(path)
