"""How long the strong default's trial takes against what the plan expects of it.

Usage
-----
    python benchmarks/default_seconds.py            # both parts, then the report
    python benchmarks/default_seconds.py --part synthetic
    python benchmarks/default_seconds.py --part shared --datasets letter,iris
    python benchmarks/default_seconds.py --report   # the report from the CSVs

A fit runs the strong default (HistGradientBoosting at its defaults) in its own
process while its workers start, when ``plan.estimate_default_seconds`` expects it
to take a fraction of the search time; there it has no time limit but that
estimate, so the estimate must not fall short, and a large overstatement makes a
fit of a second or a few end on a weaker stand-in (the default's 32-iteration form,
the quick model).

*synthetic*: one-thread seconds of a default HistGradientBoosting (fit, then
predict on half the rows; the best of two) on random data of 100-30,000 rows x
2-300 columns (binary, 5-class and regression targets; columns of 255 bins, of
few levels and of two, in the mixes of ``MIXES``), per tree and iteration.
From them, the tightest upper envelope (a linear program: the least sum of
estimate / measured with every estimate at least the measured) of the node model
``plan.HGB_NODE_MODEL`` is fitted and printed beside the package's coefficients.
Nothing of the shared datasets goes into it.

*shared*: the package's own default trial (its preprocessing and model, the plan's
split, one thread; fit and validation predictions; the best of two) on each shared
dataset's seed-0 training split, against the plan's estimate and its two parts
(the cell rate ``INLINE_CELL_SECONDS``, the node model), as ``make_plan`` computes
them for a 1 s fit; on the datasets with categorical columns, the same for the
default with native categorical splits (``spaces.native_default``).

Both parts record beside each timing the host's reference workload
(``host_speed.reference_seconds``, timed just before): a refit of the node model
on another host sets ``host_speed.REFERENCE_SECONDS`` to the median of the run's
(``benchmarks/host_speed_calibration.py`` checks it against the default's trials).

Rows go to ``benchmarks/results/default_seconds_{synthetic,shared}.csv`` (each
synthetic part adds a run; the shared part is written anew); the report to
``benchmarks/results/default_seconds.md``.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    append_rows,
    dataset_entry,
    load_manifest,
    load_split,
    machine_line,
    read_rows,
    write_report,
    write_rows,
)

SYNTHETIC = RESULTS / "default_seconds_synthetic.csv"
SHARED = RESULTS / "default_seconds_shared.csv"
OUT = RESULTS / "default_seconds.md"
SYNTHETIC_FIELDS = ("run", "kind", "mix", "rows", "columns", "bins", "trees", "iterations",
                    "seconds", "tree_seconds", "reference")
SHARED_FIELDS = ("dataset", "task", "form", "fits", "train_rows", "columns", "model_columns",
                 "model_bins", "classes", "iterations", "seconds", "expected", "by_cells",
                 "by_nodes", "reference")
ROWS = (100, 300, 1000, 3000, 10000, 30000)
COLUMNS = (2, 8, 30, 100, 300)
MAX_CELLS = 3_000_000
# The columns' values (synthetic_cases), so that the bins term is fitted apart from the
# columns': "mixed" every third column rounded (about 7 levels), the rest continuous
# (255 bins); "continuous"; "few" 6 levels each (ordinal codes of a category);
# "binary" 0/1 each but the first (one-hot encoded levels).
MIXES = ("mixed", "continuous", "few", "binary")


def _best_seconds(fit, repeats=2):
    from threadpoolctl import threadpool_limits

    best = np.inf
    for _ in range(repeats):
        with threadpool_limits(1):
            start = time.perf_counter()
            fit()
            best = min(best, time.perf_counter() - start)
    return best


def synthetic_rows(run):
    """One-thread timings of the default on random data (see the module doc), the
    ``run``-th time."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from automl_estimators import host_speed
    from automl_estimators.plan import column_bins

    rows_out = []
    for rows, columns, kind, X, y, mix in synthetic_cases(MIXES):
        if kind == "regression":
            model, trees = HistGradientBoostingRegressor(), 1
        else:
            model = HistGradientBoostingClassifier()
            trees = 1 if kind == "binary" else 5
        # every iteration, so that the time per iteration is that of all 100
        model.set_params(random_state=0, early_stopping=False)

        def fit(model=model, X=X, y=y):
            model.fit(X, y)
            model.predict(X[: rows // 2])

        reference = host_speed.reference_seconds()
        seconds = _best_seconds(fit)
        bins = sum(column_bins(len(np.unique(column))) for column in X.T)
        rows_out.append(dict(run=run, kind=kind, mix=mix, rows=rows, columns=columns,
                             bins=bins, trees=trees,
                             iterations=model.n_iter_, seconds=round(seconds, 5),
                             tree_seconds=seconds / model.n_iter_ / trees,
                             reference=round(reference, 5)))
        print(rows_out[-1], flush=True)
    return rows_out


def synthetic_cases(mixes=("mixed",)):
    """(rows, columns, kind, X, y, mix) of the random data both timing scripts fit:
    every ROWS x COLUMNS of at most MAX_CELLS cells, its columns' values as each of
    ``mixes`` says (:data:`MIXES`), and a binary, a regression and a 5-class target of
    the same features."""
    rng = np.random.default_rng(0)
    for mix, (rows, columns) in itertools.product(mixes, itertools.product(ROWS, COLUMNS)):
        if rows * columns > MAX_CELLS:
            continue
        X = rng.normal(size=(rows, columns))
        if mix == "mixed":
            X[:, ::3] = np.round(X[:, ::3])
        elif mix == "few":
            X = np.floor(rng.random(size=(rows, columns)) * 6)
        elif mix == "binary":
            X[:, 1:] = rng.random(size=(rows, columns - 1)) < 0.3
        z = X @ rng.normal(size=columns) / np.sqrt(columns) + np.sin(2 * X[:, 0])
        noise = rng.normal(scale=0.5, size=rows)
        yield rows, columns, "binary", X, z + noise > 0, mix
        yield rows, columns, "regression", X, z + noise, mix
        yield (rows, columns, "multiclass", X,
               np.digitize(z, np.quantile(z, [0.2, 0.4, 0.6, 0.8])), mix)


def envelope(rows):
    """The node model's coefficients fitted as the tightest upper envelope of the
    synthetic timings, each the slowest of its runs (this shared machine's load moves a
    timing by up to ~1.7x between runs): min sum(estimate / measured) with every
    estimate >= measured."""
    from automl_estimators.plan import hgb_tree_terms

    return slowest_envelope(rows, ("columns", "bins"), hgb_tree_terms)


def slowest_envelope(rows, sizes, terms):
    """(coefficients, terms matrix, timings) of :func:`tightest_envelope` over the
    slowest ``tree_seconds`` of each (kind, rows, ``sizes`` columns) cell of ``rows``;
    ``terms(rows, *sizes)`` gives a cell's terms."""
    slowest = {}
    for r in rows:
        key = (r["kind"], float(r["rows"]), *(float(r[size]) for size in sizes))
        slowest[key] = max(slowest.get(key, 0.0), float(r["tree_seconds"]))
    A = np.array([terms(*cell[1:]) for cell in slowest])
    y = np.array(list(slowest.values()))
    return tightest_envelope(A, y), A, y


def tightest_envelope(A, y):
    """Non-negative coefficients c of terms ``A`` (one row per timing) with every
    ``A @ c`` at least the measured ``y`` and the least sum of ``A @ c / y``."""
    from scipy.optimize import linprog

    fit = linprog((A / y[:, None]).sum(0), A_ub=-A, b_ub=-y,
                  bounds=[(0, None)] * A.shape[1], method="highs")
    return fit.x


def shared_setup(name, seed=0, budget=1.0):
    """What a ``budget`` fit of shared dataset ``name`` (``seed``'s training split) has
    before its first trial: (entry, X, y, profile, space, plan, splits), as the
    estimator checks, profiles and plans it."""
    from automl_estimators import AutoClassifier, AutoRegressor, data, plan
    from automl_estimators.spaces import Space, one_hot_width

    entry = dataset_entry(name)
    X_train, _, y_train, _ = load_split(entry, seed)
    classification = entry["task"] != "regression"
    estimator = AutoClassifier() if classification else AutoRegressor()
    X = data.check_X(X_train)
    y = estimator._check_y(X, y_train)
    profile = data.profile(X, y, estimator._task)
    fit_plan = plan.make_plan(profile, time_budget=budget)
    space = Space.for_profile(estimator._task, profile, seed=0,
                              one_hot_features=one_hot_width(profile))
    return (entry, X, y, profile, space, fit_plan,
            plan.make_splits(fit_plan, y, classification, seed))


def timed_folds(config, space, profile, X, y, splits, repeats=2):
    """The package's trial of ``config`` on one thread, fold by fold: each fold's
    pipeline fitted on its training rows and predicting its validation rows, the
    best of ``repeats`` timings. Returns (seconds summed over the folds, [(pipeline,
    validation rows, their predictions)])."""
    from automl_estimators.pipelines.builder import build_pipeline

    seconds, folds = 0.0, []
    for train, valid in splits:
        pipeline = build_pipeline(config, space, profile, random_state=0)
        predicted = {}

        def fit(pipeline=pipeline, train=train, valid=valid, predicted=predicted):
            pipeline.fit(X.iloc[train], y[train])
            predicted["valid"] = pipeline.predict(X.iloc[valid])

        seconds += _best_seconds(fit, repeats)
        folds.append((pipeline, valid, predicted["valid"]))
    return seconds, folds


def shared_rows(names):
    """The package's default trial on each shared dataset, and that of its form with
    native categorical splits where the data has categorical columns (see the module
    doc)."""
    from automl_estimators import host_speed, plan
    from automl_estimators.spaces import native_default
    from automl_estimators.spaces.components import DEFAULT_MODEL

    rows_out = []
    for name in names:
        entry, X, y, profile, space, fit_plan, splits = shared_setup(name)
        reference = host_speed.reference_seconds()
        forms = [("one_hot", space.default_config(DEFAULT_MODEL), False)]
        if profile.categorical and (native := native_default(space)) is not None:
            forms.append(("native", native, True))
        for form, config, is_native in forms:
            seconds, folds = timed_folds(config, space, profile, X, y, splits)
            iterations = [pipeline[-1].n_iter_ for pipeline, _, _ in folds]
            train_rows = len(splits[0][0])
            classes = profile.n_classes or 0
            trees = classes if classes > 2 else 1
            columns, bins = plan.hgb_model_shape(profile, is_native)
            fits = len(splits)
            by_cells = fits * (plan.INLINE_FIT_SECONDS + plan.INLINE_CELL_SECONDS * train_rows
                               * profile.n_features * trees)
            by_nodes = fits * (plan.INLINE_FIT_SECONDS + plan.HGB_ITERATIONS * trees
                               * plan.hgb_tree_seconds(train_rows, columns, bins))
            expected = plan._profile_default_seconds(fits, train_rows, profile,
                                                     native=is_native)
            rows_out.append(dict(
                dataset=name, task=entry["task"], form=form, fits=fits,
                train_rows=train_rows, columns=profile.n_features, model_columns=columns,
                model_bins=bins, classes=classes, iterations=int(np.mean(iterations)),
                seconds=round(seconds, 4), expected=round(expected, 4),
                by_cells=round(by_cells, 4), by_nodes=round(by_nodes, 4),
                reference=round(reference, 5)))
            print(rows_out[-1], flush=True)
    return rows_out


def _slowdown(row):
    """A shared row's host slowdown as a fit reads it (:func:`host_speed.slowdown`)."""
    from automl_estimators import host_speed

    return host_speed.slowdown(float(row["reference"]))


def _ratios(rows, column):
    return np.array([float(r[column]) / float(r["seconds"]) for r in rows])


def report():
    from automl_estimators import host_speed, plan

    lines = ["# The strong default's expected seconds against measured", "",
             f"Written by `python benchmarks/default_seconds.py --report` from "
             f"[default_seconds_synthetic.csv](default_seconds_synthetic.csv) and "
             f"[default_seconds_shared.csv](default_seconds_shared.csv) "
             f"(`python benchmarks/default_seconds.py`); {machine_line()}. One thread; "
             "the best of two runs each. What each part measures: the script's doc.", ""]
    synthetic = read_rows(SYNTHETIC) if SYNTHETIC.exists() else []
    if synthetic:
        coef, A, y = envelope(synthetic)
        ours = np.array(plan.HGB_NODE_MODEL)
        runs = len({r["run"] for r in synthetic})
        lines += ["## The node model, fitted on synthetic data", "",
                  f"{len(y)} cells, {len(synthetic)} timings in {runs} runs (each cell's "
                  "slowest counts; column mixes: `MIXES`). Seconds per tree and iteration "
                  "= fixed + per node x nodes + per row x rows + per column and node x "
                  "columns x nodes + per bin and node x bins x nodes + per cell x rows x "
                  "columns (bins: the columns' distinct values, at most 255 each).", "",
                  "| coefficients | fixed | per node | per row | per column and node | "
                  "per bin and node | per cell |", "|---|---:|---:|---:|---:|---:|---:|",
                  "| fitted here | " + " | ".join(f"{c:.3g}" for c in coef) + " |",
                  "| `plan.HGB_NODE_MODEL` | " + " | ".join(f"{c:.3g}" for c in ours)
                  + " |", ""]
        for label, c in (("fitted here", coef), ("`plan.HGB_NODE_MODEL`", ours)):
            r = A @ c / y
            lines.append(f"- {label}: estimate / measured min {r.min():.2f}, median "
                         f"{np.median(r):.2f}, 90th percentile {np.quantile(r, 0.9):.2f}, "
                         f"max {r.max():.2f}")
        lines.append("")
    shared = read_rows(SHARED) if SHARED.exists() else []
    if shared:
        lines += ["## The package's default trial on the shared datasets", "",
                  "Seed 0's training split, the plan of a 1 s fit (its resampling: "
                  "holdout, or 5-fold cross-validation on the smallest). *expected*: "
                  "the plan's estimate of the form (`plan._profile_default_seconds`), the "
                  "lower of *by cells* (`INLINE_CELL_SECONDS`, the data's columns) and "
                  "*by nodes* (`HGB_NODE_MODEL`, the model's columns and bins: "
                  "`plan.hgb_model_shape`). *one_hot*: the strong default; *native*: "
                  "its form with native categorical splits (`spaces.native_default`), "
                  "on the datasets with categorical columns.", "",
                  "| form | estimate | min | median | max | below measured |",
                  "|---|---|---:|---:|---:|---:|"]
        for form in ("one_hot", "native"):
            of_form = [r for r in shared if r.get("form", "one_hot") == form]
            for label, column in (("expected", "expected"), ("by cells", "by_cells"),
                                  ("by nodes", "by_nodes")):
                if not of_form:
                    continue
                r = _ratios(of_form, column)
                lines.append(f"| {form} | {label} / measured | {r.min():.2f} | "
                             f"{np.median(r):.2f} | {r.max():.2f} | {(r < 1).sum()} of "
                             f"{len(r)} |")
            timed = [r for r in of_form if r.get("reference")]
            if timed:
                r = _ratios(timed, "expected") * np.array([_slowdown(r) for r in timed])
                lines.append(f"| {form} | expected x host slowdown / measured | "
                             f"{r.min():.2f} | {np.median(r):.2f} | {r.max():.2f} | "
                             f"{(r < 1).sum()} of {len(r)} |")
        references = [float(r["reference"]) for r in shared if r.get("reference")]
        if references:
            lines += ["", f"*host slowdown*: the reference workload's seconds "
                      f"(`host_speed.reference_seconds`, timed before each dataset: median "
                      f"{np.median(references):.4f}, {min(references):.4f}-"
                      f"{max(references):.4f}) over `host_speed.REFERENCE_SECONDS` "
                      f"({host_speed.REFERENCE_SECONDS:g}), clipped as a fit clips it "
                      "(`host_speed.slowdown`): a fit on this machine runs a trial in its "
                      "own process only where the trial's estimate times it ends within "
                      "the search time and the budget's allowance (`plan.inline_limit`)."]
        lines += ["", "| dataset | form | fits | train rows | columns | model columns | "
                  "model bins | classes | iterations | measured s | expected s | "
                  "by cells s | by nodes s | reference s |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in shared:
            lines.append("| " + " | ".join(str(r.get(k)) if r.get(k) not in (None, "") else "—"
                                           for k in (
                "dataset", "form", "fits", "train_rows", "columns", "model_columns",
                "model_bins", "classes", "iterations", "seconds", "expected", "by_cells",
                "by_nodes", "reference")) + " |")
    write_report(lines, OUT)


def main(argv=None):
    run_parts(argv, __doc__, (SYNTHETIC, SYNTHETIC_FIELDS, synthetic_rows),
              (SHARED, SHARED_FIELDS, shared_rows), report)


def run_parts(argv, doc, synthetic, shared, report_):
    """A timing script's command line: its synthetic part (a run appended to its CSV),
    its shared part (the CSV written anew), or both, then its report. ``synthetic``
    and ``shared``: (CSV path, fields, function making the rows)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--part", choices=("synthetic", "shared", "both"), default="both")
    parser.add_argument("--datasets", help="comma-separated shared datasets (default: all)")
    parser.add_argument("--report", action="store_true", help="only rebuild the report")
    args = parser.parse_args(argv)
    if not args.report:
        if args.part in ("synthetic", "both"):
            path, fields, make_rows = synthetic
            runs = {int(r["run"]) for r in read_rows(path)}
            append_rows(path, fields, make_rows(max(runs, default=0) + 1))
        if args.part in ("shared", "both"):
            path, fields, make_rows = shared
            names = (args.datasets.split(",") if args.datasets
                     else [e["name"] for e in load_manifest()])
            write_rows(path, fields, make_rows(names))
    report_()


if __name__ == "__main__":
    main()
