"""How long the quick forest's trial takes against what the plan expects of it, and
how it scores beside the quick model it runs before.

Usage
-----
    python benchmarks/quick_forest_seconds.py            # both parts, then the report
    python benchmarks/quick_forest_seconds.py --part synthetic
    python benchmarks/quick_forest_seconds.py --part shared --datasets letter,iris
    python benchmarks/quick_forest_seconds.py --report   # the report from the CSVs

Where neither form of the strong default is expected in time in a fit's own
process (a fit of a second or a few), the quick forest runs there
(``spaces.quick_forest``: extra trees at their defaults, 32 trees), else the quick
model (naive Bayes, ridge). There it has no time limit but
``plan.estimate_forest_seconds``, so that estimate must not fall short.

*synthetic*: one-thread seconds of the quick forest (fit, then predict on half the
rows; the best of two) on random data of 100-30,000 rows x 2-300 columns (binary,
5-class and regression targets), per tree. From them, the tightest upper envelope
(a linear program: the least sum of estimate / measured with every estimate at
least the measured) of ``plan.FOREST_TREE_MODEL`` is fitted and printed beside the
package's coefficients. Nothing of the shared datasets goes into it.

*shared*: the package's own trials of the quick forest and the quick model (its
preprocessing and model, the plan's split, one thread; fit and validation
predictions) on each shared dataset's seed-0 training split as a 1 s fit plans
them, with their validation scores and the plan's estimates.

Rows go to ``benchmarks/results/quick_forest_seconds_{synthetic,shared}.csv``; the
report to ``benchmarks/results/quick_forest_seconds.md``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    machine_line,
    read_rows,
    score_of,
    write_report,
)
from default_seconds import (  # noqa: E402
    _best_seconds,
    run_parts,
    shared_setup,
    slowest_envelope,
    synthetic_cases,
    timed_folds,
)

SYNTHETIC = RESULTS / "quick_forest_seconds_synthetic.csv"
SHARED = RESULTS / "quick_forest_seconds_shared.csv"
OUT = RESULTS / "quick_forest_seconds.md"
SYNTHETIC_FIELDS = ("run", "kind", "rows", "columns", "features", "trees", "seconds",
                    "tree_seconds")
SHARED_FIELDS = ("dataset", "task", "fits", "train_rows", "columns", "model_columns",
                 "classes", "forest_seconds", "forest_expected", "forest_score",
                 "quick_seconds", "quick_expected", "quick_score")


def _forest(task):
    """The quick forest's estimator for ``task``, built as a trial builds it."""
    from automl_estimators.pipelines.instantiation import make_component
    from automl_estimators.spaces import Space, quick_forest
    from automl_estimators.spaces.components import QUICK_FOREST
    from automl_estimators.spaces.declarations import MODEL

    space = Space(task, n_features=2)
    return make_component(space.component(MODEL, QUICK_FOREST),
                          space.default_config(QUICK_FOREST, quick_forest(task)[0]),
                          random_state=0)


def synthetic_rows(run):
    """One-thread timings of the quick forest on random data (see the module doc), the
    ``run``-th time."""
    from automl_estimators.plan import forest_features
    from automl_estimators.spaces import quick_forest

    rows_out = []
    for rows, columns, kind, X, y, _ in synthetic_cases():
        task = "regression" if kind == "regression" else "classification"
        model = _forest(task)
        _, trees, _ = quick_forest(task)

        def fit(model=model, X=X, y=y):
            model.fit(X, y)
            model.predict(X[: rows // 2])

        seconds = _best_seconds(fit)
        rows_out.append(dict(run=run, kind=kind, rows=rows, columns=columns,
                             features=forest_features(task, columns), trees=trees,
                             seconds=round(seconds, 5), tree_seconds=seconds / trees))
        print(rows_out[-1], flush=True)
    return rows_out


def envelope(rows, task):
    """``plan.FOREST_TREE_MODEL[task]`` fitted as the tightest upper envelope of the
    synthetic timings of ``task``, each the slowest of its runs."""
    from automl_estimators.plan import forest_tree_terms

    return slowest_envelope([r for r in rows if (r["kind"] == "regression")
                             == (task == "regression")], ("features",), forest_tree_terms)


def shared_rows(names):
    """The package's quick forest and quick model trials on each shared dataset (see
    the module doc)."""
    from automl_estimators import plan
    from automl_estimators.spaces import one_hot_width, quick_forest
    from automl_estimators.spaces.components import QUICK_FOREST, QUICK_MODEL

    rows_out = []
    for name in names:
        entry, X, y, profile, space, fit_plan, splits = shared_setup(name)
        train_rows = len(splits[0][0])
        row = dict(dataset=name, task=entry["task"], fits=len(splits), train_rows=train_rows,
                   columns=profile.n_features, model_columns=one_hot_width(profile),
                   classes=profile.n_classes or 0,
                   forest_expected=round(plan.estimate_forest_seconds(
                       len(splits), train_rows, profile), 4),
                   quick_expected=round(plan.estimate_quick_seconds(
                       len(splits), train_rows, profile), 4))
        for part, config in (
                ("forest", space.default_config(QUICK_FOREST,
                                                quick_forest(space.task)[0])),
                ("quick", space.default_config(QUICK_MODEL[space.task]))):
            seconds, folds = timed_folds(config, space, profile, X, y, splits, repeats=1)
            scores = [score_of(entry["task"], y[valid], predicted)
                      for _, valid, predicted in folds]
            row[f"{part}_seconds"] = round(seconds, 4)
            row[f"{part}_score"] = round(float(np.mean(scores)), 4)
        rows_out.append(row)
        print(row, flush=True)
    return rows_out


def report():
    from automl_estimators import plan

    lines = ["# The quick forest's expected seconds against measured, and its scores", "",
             f"Written by `python benchmarks/quick_forest_seconds.py --report` from "
             f"[quick_forest_seconds_synthetic.csv](quick_forest_seconds_synthetic.csv) "
             f"and [quick_forest_seconds_shared.csv](quick_forest_seconds_shared.csv) "
             f"(`python benchmarks/quick_forest_seconds.py`); {machine_line()}. One "
             "thread. What each part measures: the script's doc.", ""]
    synthetic = read_rows(SYNTHETIC)
    if synthetic:
        runs = len({r["run"] for r in synthetic})
        lines += ["## The per-tree model, fitted on synthetic data", "",
                  f"{len(synthetic)} timings in {runs} runs (each cell's slowest counts), "
                  "fitted for each task apart (classification: the binary and 5-class "
                  "targets). Seconds per tree = fixed + per row x rows + per row and "
                  "level x rows x log2(rows) + per row, level and feature x rows x "
                  "log2(rows) x the features a split considers.", "",
                  "| task | coefficients | fixed | per row | per row and level | "
                  "per row, level and feature | estimate / measured: min | median | "
                  "90th percentile | max |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for task in ("classification", "regression"):
            coef, A, y = envelope(synthetic, task)
            for label, c in ((f"fitted here ({len(y)} cells)", coef),
                             ("`plan.FOREST_TREE_MODEL`", plan.FOREST_TREE_MODEL[task])):
                r = A @ np.asarray(c) / y
                lines.append(f"| {task} | {label} | " + " | ".join(f"{v:.3g}" for v in c)
                             + f" | {r.min():.2f} | {np.median(r):.2f} | "
                             f"{np.quantile(r, 0.9):.2f} | {r.max():.2f} |")
        lines.append("")
    shared = read_rows(SHARED)
    if shared:
        def ratios(part):
            return np.array([float(r[f"{part}_expected"]) / float(r[f"{part}_seconds"])
                             for r in shared])

        lines += ["## The package's trials on the shared datasets", "",
                  "Seed 0's training split, the plan of a 1 s fit (its resampling: "
                  "holdout, or 5-fold cross-validation on the smallest); *expected*: "
                  "`plan.estimate_forest_seconds`, `plan.estimate_quick_seconds`; "
                  "*score*: validation accuracy or R² (the mean over folds).", "",
                  "| estimate | min | median | max | below measured |",
                  "|---|---:|---:|---:|---:|"]
        for part in ("forest", "quick"):
            r = ratios(part)
            lines.append(f"| {part} expected / measured | {r.min():.2f} | "
                         f"{np.median(r):.2f} | {r.max():.2f} | {(r < 1).sum()} of "
                         f"{len(r)} |")
        lines.append("")
        for task in ("classification", "regression"):
            chosen = [r for r in shared if (r["task"] == "regression") == (task == "regression")]
            forest = np.mean([float(r["forest_score"]) for r in chosen])
            quick = np.mean([float(r["quick_score"]) for r in chosen])
            higher = sum(float(r["forest_score"]) > float(r["quick_score"]) for r in chosen)
            lines.append(f"- {task}, {len(chosen)} datasets: mean validation score quick "
                         f"forest {forest:.4f}, quick model {quick:.4f}; the forest higher "
                         f"on {higher}")
        lines += ["", "| dataset | fits | train rows | columns | one-hot | classes | "
                  "forest s | expected | score | quick model s | expected | score |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in shared:
            lines.append("| " + " | ".join(str(r[k]) for k in (
                "dataset", "fits", "train_rows", "columns", "model_columns", "classes",
                "forest_seconds", "forest_expected", "forest_score", "quick_seconds",
                "quick_expected", "quick_score")) + " |")
    write_report(lines, OUT)


def main(argv=None):
    run_parts(argv, __doc__, (SYNTHETIC, SYNTHETIC_FIELDS, synthetic_rows),
              (SHARED, SHARED_FIELDS, shared_rows), report)


if __name__ == "__main__":
    main()
