"""Selection arms on one search each: which final model a kept history should end on.

Usage
-----
    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=2 nice -n 5 PYTHONPATH=. \\
        python benchmarks/selection.py search --task binary --seeds 0,1,2,3,4
    PYTHONPATH=. python benchmarks/selection.py arms --task binary --seeds 0,1,2,3,4
    PYTHONPATH=. python benchmarks/selection.py report

For each (dataset, seed) cell, ``search`` splits the shared dataset 75/25 exactly
as the peers benchmark does (``benchmarks/peers/protocol.py``: ``split_indices``
and ``read_split``), runs ONE fit (``AutoClassifier``/``AutoRegressor``,
``time_budget``, ``n_jobs=2``, ``random_state=seed``) and keeps the fitted
estimator (its history, with the validation predictions) in
``benchmarks/results/raw/selection/`` (git-ignored). It records two rows: the
fit's own final model (arm ``fitted``) and a default HistGradientBoosting
(arm ``hgb``, the peers' baseline adapter) on the same split.

``arms`` applies every selection rule of :data:`ARMS` to the SAME kept history
(:func:`automl_estimators.finish.choose_final`), refits the chosen pipeline or
ensemble members on the training rows (in this process, members cached across
arms), and scores the test rows: the arms differ only in the selection, and the
search's own noise is shared by all. ``report`` prints per-dataset means, the
wins/ties/losses against default HGB and the paired differences with their
standard error over seeds.

Rows go to ``benchmarks/results/selection/selection.csv`` (60 s; another budget B:
``selection_B.csv``; ``--rows FILE``: another table), one per (dataset, seed, arm);
rows already there are skipped, so a run resumes.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
from common import DATA_DIR, append_rows, load_manifest, read_rows, score_of, short_commit
from protocol import read_split, split_indices

OUT = HERE / "results" / "selection"
RAW = HERE / "results" / "raw" / "selection"
FIELDS = ["dataset", "task", "seed", "arm", "score", "final", "n_members", "n_trials",
          "validation", "seconds", "commit"]
# Arms: name -> rule of automl_estimators.finish.choose_final.
ARMS = {"main": "best", "default": "default", "se1": "one_se", "nested": "nested",
        "se1_nested": "nested_one_se", "se2": "one_se", "se_trials": "one_se"}
# The one-SE bar of arms other than one standard error: a number, or "trials" for
# sqrt(2 ln N), N the full-fidelity trials that beat the dummy (the expected maximum
# of N independent standard normals: how far the best of N equal pipelines' scores
# stands above the default's by chance alone).
BARS = {"se2": 2.0, "se_trials": "trials"}


def bar_of(arm, results):
    """The ``n_se`` of ``arm`` on a history's ``results``."""
    bar = BARS.get(arm, 1.0)
    if bar != "trials":
        return bar
    n = sum(1 for r in results if r.ok and r.fidelity == 1.0 and r.origin != "dummy")
    return max(1.0, float(np.sqrt(2 * np.log(max(n, 1)))))


def csv_path(budget):
    """The rows of searches at ``budget`` seconds (60 s: the first table's name)."""
    return OUT / ("selection.csv" if budget == 60 else f"selection_{budget}.csv")


def rows_path(args):
    """The CSV of this run's rows: ``--rows``, else :func:`csv_path` of its budget."""
    return Path(args.rows) if args.rows else csv_path(args.budget)


def done_rows(path):
    return {(r["dataset"], int(r["seed"]), r["arm"]) for r in read_rows(path)}


def write_row(row, path):
    append_rows(path, FIELDS, [{**row, "commit": short_commit(HERE)}])


def datasets_of(args):
    entries = [e for e in load_manifest() if args.task in (None, e["task"])]
    if args.datasets:
        names = args.datasets.split(",")
        entries = [e for e in entries if e["name"] in names]
    if args.skip:
        entries = [e for e in entries if e["name"] not in args.skip.split(",")]
    return entries


def load_cell(entry, seed):
    return read_split(DATA_DIR / entry["file"], split_indices(entry, seed))


def raw_path(entry, seed, budget):
    return RAW / f"{entry['name']}__{budget}__{seed}.pkl"


def search(args):
    from systems import ADAPTERS

    from automl_estimators import AutoClassifier, AutoRegressor

    rows = rows_path(args)
    done = done_rows(rows)
    RAW.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for entry in datasets_of(args):
            name, task = entry["name"], entry["task"]
            path = raw_path(entry, seed, args.budget)
            if path.exists() and (name, seed, "fitted") in done and (name, seed, "hgb") in done:
                continue
            X_train, X_test, y_train, y_test = load_cell(entry, seed)
            if not path.exists():
                cls = AutoRegressor if task == "regression" else AutoClassifier
                start = time.monotonic()
                est = cls(time_budget=args.budget, n_jobs=2, random_state=seed).fit(
                    X_train, y_train)
                seconds = time.monotonic() - start
                test = score_of(task, y_test, est.predict(X_test))
                final = (f"ensemble of {len(est.ensemble_.members_)}" if est.ensemble_ is not None
                         else est.search_space_.describe(est.best_config_) if est.best_config_
                         else "dummy")
                write_row({"dataset": name, "task": task, "seed": seed, "arm": "fitted",
                           "score": test, "final": final,
                           "n_members": len(est.ensemble_.members_) if est.ensemble_ else 1,
                           "n_trials": est.n_trials_, "validation": est.best_score_,
                           "seconds": round(seconds, 2)}, rows)
                with open(path.with_suffix(".tmp"), "wb") as f:
                    pickle.dump(est, f)
                path.with_suffix(".tmp").replace(path)
                print(f"{name} seed {seed}: fitted {test:.4f} ({final}, {est.n_trials_} "
                      f"trials, {seconds:.1f}s)", flush=True)
            if (name, seed, "hgb") not in done:
                adapter = ADAPTERS["hgb"](task, args.budget, seed, 2, RAW)
                start = time.monotonic()
                adapter.fit(X_train, y_train)
                test = score_of(task, y_test, adapter.predict(X_test))
                write_row({"dataset": name, "task": task, "seed": seed, "arm": "hgb",
                           "score": test, "final": "default HistGradientBoosting",
                           "n_members": 1, "n_trials": 1, "validation": "",
                           "seconds": round(time.monotonic() - start, 2)}, rows)
                print(f"{name} seed {seed}: hgb {test:.4f}", flush=True)


def install_choice(est, choice, X_fit, y_fit, fitted, random_state):
    """Set ``est.model_`` to ``choice`` refit on ``(X_fit, y_fit)``: its one pipeline,
    or the ensemble of its members, each built with ``random_state`` and refit once
    (``fitted``: trial id -> refit pipeline, shared by the arms of a cell). Returns
    the refit models."""
    from threadpoolctl import threadpool_limits

    from automl_estimators.ensemble import EnsembleClassifier, EnsembleRegressor
    from automl_estimators.pipelines.builder import build_pipeline

    for t in choice.trials:
        if t.trial_id not in fitted:
            pipeline = build_pipeline(t.config, est.search_space_, est.profile_,
                                      random_state=random_state)
            with threadpool_limits(2):
                fitted[t.trial_id] = pipeline.fit(X_fit, y_fit)
    models = [fitted[t.trial_id] for t in choice.trials]
    if len(models) == 1:
        est.model_ = models[0]
    else:
        members = [(f"trial_{t.trial_id}", None) for t in choice.trials]
        est.model_ = (EnsembleClassifier.from_fitted(
            members, models, choice.weights, classes=np.arange(len(est.classes_)))
            if hasattr(est, "classes_") else
            EnsembleRegressor.from_fitted(members, models, choice.weights))
    return models


def splits_of(est, y):
    """(splits, seed) of a fitted estimator's search, recomputed as ``fit`` made them
    (its seed is the first draw of ``random_state``); checked against the dummy's
    stored fold scores."""
    from sklearn.utils import check_random_state

    from automl_estimators.plan import make_splits
    from automl_estimators.scoring import fold_scores, get_metric, split_folds

    seed = int(check_random_state(est.random_state).randint(np.iinfo(np.int32).max))
    classification = hasattr(est, "classes_")
    splits = make_splits(est.search_plan_, y, classification, seed)
    metric = get_metric(est.metric_, "classification" if classification else "regression")
    for trial in est.history_[1:]:
        if trial.predictions is not None and trial.fidelity >= 1.0:
            scores = fold_scores(metric, "classification" if classification else "regression",
                                 y, splits, split_folds(trial.predictions, splits))
            if not np.allclose(scores, trial.fold_scores):
                raise RuntimeError(f"recomputed splits do not reproduce trial "
                                   f"{trial.trial_id}'s fold scores")
            break
    return splits, seed


def arms(args):
    from automl_estimators import data
    from automl_estimators.scoring import get_metric
    from automl_estimators.selection import choose_final, choose_finals

    names = args.arms.split(",") if args.arms else list(ARMS)
    rows = rows_path(args)
    done = done_rows(rows)
    for seed in args.seeds:
        for entry in datasets_of(args):
            name, task = entry["name"], entry["task"]
            todo = [a for a in names if (name, seed, a) not in done]
            path = raw_path(entry, seed, args.budget)
            if not todo or not path.exists():
                continue
            with open(path, "rb") as f:
                est = pickle.load(f)
            X_train, X_test, y_train, y_test = load_cell(entry, seed)
            X_fit = data.check_X(X_train)
            classification = task != "regression"
            y_fit = (np.searchsorted(est.classes_, np.asarray(y_train)) if classification
                     else np.asarray(y_train, dtype=float))
            splits, inner_seed = splits_of(est, y_fit)
            metric = get_metric(est.metric_, "classification" if classification
                                else "regression")
            fitted = {}  # trial id -> its pipeline refit on the training rows (all arms)

            kind = "classification" if classification else "regression"
            start = time.monotonic()
            plain = [a for a in todo if a not in BARS]
            choices = choose_finals(est.history_, y_fit, splits, metric, kind,
                                    [ARMS[arm] for arm in plain])
            choices = {arm: choices[ARMS[arm]] for arm in plain}
            choices.update({arm: choose_final(est.history_, y_fit, splits, metric, kind,
                                              rule=ARMS[arm], n_se=bar_of(arm, est.history_))
                            for arm in todo if arm in BARS})
            choosing = (time.monotonic() - start) / len(todo)
            for arm in todo:
                start = time.monotonic() - choosing
                choice = choices[arm]
                models = install_choice(est, choice, X_fit, y_fit, fitted, inner_seed)
                test = score_of(task, y_test, est.predict(X_test))
                final = (f"ensemble of {len(models)}" if len(models) > 1 else
                         est.search_space_.describe(choice.trials[0].config))
                write_row({"dataset": name, "task": task, "seed": seed, "arm": arm,
                           "score": test, "final": final, "n_members": len(models),
                           "n_trials": est.n_trials_, "validation": choice.score,
                           "seconds": round(time.monotonic() - start, 2)}, rows)
                print(f"{name} seed {seed}: {arm} {test:.4f} ({final}; {choice.reason})",
                      flush=True)


def _markdown(frame, index_name):
    """A DataFrame of strings as a Markdown table."""
    columns = [index_name, *frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(["---"] + ["---:"] * len(
        frame.columns)) + "|"]
    lines += ["| " + " | ".join([str(i), *map(str, row)]) + " |"
              for i, row in zip(frame.index, frame.to_numpy())]
    return "\n".join(lines)


def report(args):
    """Markdown tables: mean test score per dataset and arm; W/T/L and mean difference
    against default HGB; paired differences against HGB and main (SE over seeds); how
    many cells each arm ends on another final model than main."""
    import pandas as pd

    frame = pd.read_csv(rows_path(args))
    if args.task:
        frame = frame[frame["task"].isin(args.task.split(","))]
    wide = frame.pivot_table(index=["dataset", "seed"], columns="arm", values="score")
    finals = frame.pivot_table(index=["dataset", "seed"], columns="arm", values="final",
                               aggfunc="first")
    present = [a for a in ["hgb", "fitted", *ARMS] if a in wide.columns]
    wide = wide[present].dropna()
    print(f"{len(wide)} cells with every arm ({wide.index.get_level_values(0).nunique()} "
          "datasets)\n")
    means = wide.groupby(level="dataset").mean().map(lambda v: f"{v:.4f}")
    means["seeds"] = wide.groupby(level="dataset").size()
    overall = wide.mean().map(lambda v: f"{v:.4f}")
    means.loc["**mean**"] = [*overall, len(wide)]
    print(_markdown(means, "dataset"), "\n")
    tol = 1e-9
    rows = {}
    for arm in present[1:]:
        diff = wide[arm] - wide["hgb"]
        vs_main = wide[arm] - wide["main"] if "main" in wide else diff * np.nan
        changed = (finals.loc[wide.index, arm] != finals.loc[wide.index, "main"]).sum() \
            if arm in ARMS else ""
        rows[arm] = [f"{diff.mean():+.4f} ({diff.std(ddof=1) / np.sqrt(len(diff)):.4f})",
                     f"{(diff > tol).sum()}/{(diff.abs() <= tol).sum()}/{(diff < -tol).sum()}",
                     f"{vs_main.mean():+.4f} ({vs_main.std(ddof=1) / np.sqrt(len(diff)):.4f})",
                     (f"{(vs_main > tol).sum()}/{(vs_main.abs() <= tol).sum()}/"
                      f"{(vs_main < -tol).sum()}"), changed]
    table = pd.DataFrame(rows, index=["vs HGB: mean Δ (SE over cells)", "vs HGB: W/T/L",
                                      "vs main: mean Δ (SE)", "vs main: W/T/L",
                                      "final differs from main's (cells)"]).T
    print(_markdown(table, "arm"), "\n")
    for ref in ("hgb", "main"):
        if ref not in wide:
            continue
        print(f"Paired differences against {ref}: mean over seeds (standard error)\n")
        rows = {}
        for arm in present:
            if arm == ref:
                continue
            diff = (wide[arm] - wide[ref]).groupby(level="dataset")
            rows[arm] = [f"{m:+.4f} ({s:.4f})" if n > 1 else f"{m:+.4f}" for m, s, n in
                         zip(diff.mean(), diff.std(ddof=1) / np.sqrt(diff.size()), diff.size())]
        table = pd.DataFrame(rows, index=sorted(wide.index.get_level_values(0).unique()))
        print(_markdown(table, "dataset"), "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("phase", choices=("search", "arms", "report"))
    parser.add_argument("--task", default=None)
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--skip", default=None)
    parser.add_argument("--seeds", default="0,1,2,3,4",
                        type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--budget", type=int, default=60)
    parser.add_argument("--arms", default=None)
    parser.add_argument("--rows", default=None,
                        help="CSV of the rows (default: by --budget, see csv_path)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    {"search": search, "arms": arms, "report": report}[args.phase](args)


if __name__ == "__main__":
    main()
