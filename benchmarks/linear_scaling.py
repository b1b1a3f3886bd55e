"""The iteratively fitted linear models of the space on unscaled and on standardised
columns: 5-fold cross-validated score, CPU seconds and solver warnings, every shared
dataset (rows above 5000 subsampled with seed 0, as the search cross-validates only
up to there), one thread.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/linear_scaling.py \\
        --out benchmarks/results/linear_scaling.md

A model is built as the search builds it (``build_pipeline``: imputation, one-hot
encoding, then the ``scaling`` step), at its default hyperparameters and, for the
models with a ``C``, at the largest ``C`` of its range (little regularisation: the
solver's hardest case). ``no_scaling`` is one choice of the flat space's scaling
step, and a program tree of the genetic search feeds the model the bare encoded
columns unless a scaling node stands between them.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from common import load_manifest, load_split, short_commit, write_report
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from automl_estimators import data
from automl_estimators.pipelines import build_pipeline
from automl_estimators.spaces import Space
from automl_estimators.spaces.declarations import MODEL

MAX_ROWS = 5000
SCALINGS = ("no_scaling", "standard")
MODELS = {"classification": ("logistic_regression", "linear_svm", "sgd"),
          "regression": ("lasso", "elastic_net", "linear_svm", "sgd")}


def load(entry):
    """(X, y): the training rows of a shared dataset's seed-0 split, at most MAX_ROWS
    of them (drawn with seed 0)."""
    X, _, y, _ = load_split(entry, seed=0)
    if len(X) > MAX_ROWS:
        keep = np.random.default_rng(0).choice(len(X), MAX_ROWS, replace=False)
        X, y = X.iloc[keep], y.iloc[keep]
    return X, y


def variants(space, model):
    """(label, hyperparameters): the defaults, and the largest C where there is one."""
    component = space.component(MODEL, model)
    out = [("default", {})]
    c = next((hp for hp in component.hyperparameters if hp.name == "C"), None)
    if c is not None:
        out.append((f"C={c.high:g}", {f"model:{model}:C": c.high}))
    return out


def bare_model(pipeline):
    """``pipeline`` with its model as the space declared it before ``scale_inputs``
    (e0bb341 and earlier): without the ``StandardScaler`` that the component now puts
    in front of it, so that the ``scaling`` step alone decides the columns' scales."""
    name, model = pipeline.steps[-1]
    outer = model if isinstance(model, TransformedTargetRegressor) else None
    inner = outer.regressor if outer is not None else model
    if isinstance(inner, Pipeline) and isinstance(inner.steps[0][1], StandardScaler):
        inner = inner.steps[-1][1]
        if outer is not None:
            outer.set_params(regressor=inner)
        else:
            pipeline.steps[-1] = (name, inner)
    return pipeline


def cross_validate(pipeline_of, X, y, task):
    """(mean score, CPU seconds of the five fits, fits that warned of convergence)."""
    folds = (StratifiedKFold if task == "classification" else KFold)(
        5, shuffle=True, random_state=0)
    scores, seconds, warned = [], 0.0, 0
    for train, test in folds.split(X, y):
        pipeline = pipeline_of()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.process_time()
            pipeline.fit(X.iloc[train], y[train])
            seconds += time.process_time() - start
        warned += any(issubclass(w.category, ConvergenceWarning) for w in caught)
        scores.append(pipeline.score(X.iloc[test], y[test]))
    return float(np.mean(scores)), seconds, warned


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="comma-separated names (default: all)")
    parser.add_argument("--out", help="markdown report path (default: print)")
    args = parser.parse_args(argv)
    entries = load_manifest()
    if args.datasets:
        entries = [e for e in entries if e["name"] in args.datasets.split(",")]
    rows = []
    with threadpool_limits(1):
        for entry in entries:
            task = "regression" if entry["task"] == "regression" else "classification"
            X, y = load(entry)
            X = data.check_X(X)
            y = (data.check_y_classification(X, y, "benchmark")[0]
                 if task == "classification" else data.check_y_regression(X, y, "benchmark"))
            profile = data.profile(X, y, task)
            space = Space.for_profile(task, profile, seed=0)
            for model in MODELS[task]:
                if model not in space.models:
                    continue
                for label, params in variants(space, model):
                    cells = {}
                    for scaling in SCALINGS:
                        config = {**space.default_config(model), **params, "scaling": scaling}

                        def pipeline_of(config=config):
                            return bare_model(build_pipeline(config, space, profile,
                                                             random_state=0))
                        cells[scaling] = cross_validate(pipeline_of, X, y, task)
                    rows.append((entry["name"], task, model, label, cells))
                    print(entry["name"], model, label,
                          {k: tuple(round(v, 3) for v in c) for k, c in cells.items()},
                          flush=True)
    write_report(render(rows, short_commit(".")), args.out)


def render(rows, commit):
    """The report's lines: one row per (dataset, model, hyperparameters), then totals."""
    lines = ["# Linear models on unscaled and standardised columns",
             "", f"`benchmarks/linear_scaling.py` at {commit}; 5-fold CV, one thread, "
             f"at most {MAX_ROWS} rows. Score: accuracy or R². Seconds: CPU of the five "
             "fits. Warned: folds whose fit warned that the solver did not converge.", "",
             "| dataset | model | hyperparameters | score unscaled | score standardised "
             "| s unscaled | s standardised | warned unscaled | warned standardised |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, _, model, label, cells in rows:
        (s0, t0, w0), (s1, t1, w1) = cells["no_scaling"], cells["standard"]
        lines.append(f"| {name} | {model} | {label} | {s0:.4f} | {s1:.4f} | {t0:.2f} "
                     f"| {t1:.2f} | {w0} | {w1} |")
    lines += ["", "| task | model | hyperparameters | rows | median score change "
              "| higher / equal / lower standardised | CPU s unscaled | CPU s standardised "
              "| warned folds unscaled | warned folds standardised |",
              "|---|---|---|---:|---:|---|---:|---:|---:|---:|"]
    groups = {}
    for name, task, model, label, cells in rows:
        groups.setdefault((task, model, label.split("=")[0]), []).append(cells)
    for (task, model, label), group in groups.items():
        diff = [c["standard"][0] - c["no_scaling"][0] for c in group]
        higher = sum(d > 1e-4 for d in diff)
        lower = sum(d < -1e-4 for d in diff)
        lines.append(
            f"| {task} | {model} | {label} | {len(group)} | {np.median(diff):+.4f} "
            f"| {higher} / {len(group) - higher - lower} / {lower} "
            f"| {sum(c['no_scaling'][1] for c in group):.1f} "
            f"| {sum(c['standard'][1] for c in group):.1f} "
            f"| {sum(c['no_scaling'][2] for c in group)} "
            f"| {sum(c['standard'][2] for c in group)} |")
    return lines


if __name__ == "__main__":
    main()
