"""How the strong default's fit time grows with its rows: what a refit on all rows
takes against the trial's fit on part of them.

Usage
-----
    python benchmarks/hgb_row_scaling.py                  # all 28 datasets, then the report
    python benchmarks/hgb_row_scaling.py --datasets ames_housing,letter
    python benchmarks/hgb_row_scaling.py --report          # the report from the CSV

The finishing step expects a trial's refit on all rows to take the trial's fit
seconds scaled to the rows (``finish.Finisher._refit_estimate``). A fit of a second
decides from that estimate whether the strong default (HistGradientBoosting at its
defaults), fitted during search on a holdout's two thirds of the rows, is refit on
all of them in the time left, or kept as fitted. HistGradientBoosting's time grows
more slowly than its rows: per boosting iteration it pays per tree node and per
histogram bin as well as per row (``plan.HGB_NODE_MODEL``).

For each shared dataset (seed 0's 75/25 training split, at most
``plan.SEARCH_ROWS`` rows of it, drawn at random), the package's pipeline of the
strong default (its preprocessing and model; and its form with native categorical
splits, ``spaces.native_default``, where the data has categorical columns) is
fitted on one thread on the first ``fraction`` of those rows, for each fraction of
``FRACTIONS``; each time is the best of two. From them, for every fraction below
1: the measured ratio (all rows' seconds over the fraction's), the rows' ratio
(the linear scaling), and the node model's ratio (``plan`` estimates of the two,
the model's columns and bins of the data's profile).

Rows go to ``benchmarks/results/hgb_row_scaling.csv`` (a dataset already there is
skipped); the report to ``benchmarks/results/hgb_row_scaling.md``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    append_rows,
    load_manifest,
    machine_line,
    read_rows,
    short_commit,
    write_report,
)
from default_seconds import _best_seconds, shared_setup  # noqa: E402

CSV = RESULTS / "hgb_row_scaling.csv"
OUT = RESULTS / "hgb_row_scaling.md"
FIELDS = ("dataset", "task", "form", "rows", "columns", "model_columns", "model_bins",
          "classes", "fraction", "seconds")
FRACTIONS = (0.25, 0.5, 0.67, 0.8, 1.0)


def dataset_rows(name):
    """The timings of one dataset (see the module doc)."""
    from automl_estimators import plan
    from automl_estimators.pipelines.builder import build_pipeline
    from automl_estimators.runners.task import early_stopping_within_reach
    from automl_estimators.spaces import native_default
    from automl_estimators.spaces.components import DEFAULT_MODEL

    entry, X, y, profile, space, _, _ = shared_setup(name)
    order = np.random.default_rng(0).permutation(len(y))[:plan.SEARCH_ROWS]
    forms = [("one_hot", space.default_config(DEFAULT_MODEL), False)]
    if profile.categorical and (native := native_default(space)) is not None:
        forms.append(("native", native, True))
    out = []
    for form, config, is_native in forms:
        columns, bins = plan.hgb_model_shape(profile, is_native)
        for fraction in FRACTIONS:
            rows = order[:int(round(fraction * len(order)))]

            def fit(rows=rows, config=config):
                pipeline = build_pipeline(config, space, profile, random_state=0)
                early_stopping_within_reach(pipeline, y[rows])  # as a trial does
                pipeline.fit(X.iloc[rows], y[rows])

            out.append(dict(dataset=name, task=entry["task"], form=form, rows=len(rows),
                            columns=profile.n_features, model_columns=columns,
                            model_bins=bins, classes=profile.n_classes or 0,
                            fraction=fraction,
                            seconds=round(_best_seconds(fit), 4)))
            print(out[-1], flush=True)
    return out


def node_ratio(row, rows_from, rows_to):
    """The plan's expected seconds of the default on ``rows_to`` rows over those on
    ``rows_from`` (the data's model columns and bins)."""
    from automl_estimators import plan

    def expected(rows):
        return plan.estimate_default_seconds(
            1, rows, int(row["columns"]), int(row["classes"]),
            model_columns=int(row["model_columns"]), model_bins=int(row["model_bins"]))
    return expected(rows_to) / expected(rows_from)


def ratio_rows(rows):
    """For each (dataset, form) and fraction below 1: measured, linear and node ratios."""
    by_case = {}
    for r in rows:
        by_case.setdefault((r["dataset"], r["form"]), []).append(r)
    out = []
    for (dataset, form), case in by_case.items():
        full = max(case, key=lambda r: float(r["fraction"]))
        for r in case:
            if r is full:
                continue
            measured = float(full["seconds"]) / float(r["seconds"])
            linear = int(full["rows"]) / int(r["rows"])
            out.append(dict(dataset=dataset, form=form, fraction=float(r["fraction"]),
                            rows=int(r["rows"]), all_rows=int(full["rows"]),
                            seconds=float(r["seconds"]), all_seconds=float(full["seconds"]),
                            measured=measured, linear=linear,
                            node=node_ratio(full, int(r["rows"]), int(full["rows"]))))
    return out


def _quantiles(values):
    q = np.quantile(values, [0.0, 0.5, 0.9, 1.0])
    return " | ".join(f"{v:.2f}" for v in q)


def report():
    from automl_estimators.budget import REFIT_SAFETY

    rows = read_rows(CSV)
    ratios = ratio_rows(rows)
    lines = [
        "# The strong default's fit time against its rows",
        "",
        f"Written by `python benchmarks/hgb_row_scaling.py --report` from "
        f"`benchmarks/results/hgb_row_scaling.csv` (rows by `python "
        f"benchmarks/hgb_row_scaling.py`, checkout {short_commit(HERE.parent)}); "
        f"{machine_line()}. One thread, the best of two fits; seed 0's training "
        f"split, at most 30,000 rows of it; the package's pipeline of the default "
        f"(`one_hot`) and of its native-split form (`native`).",
        "",
        "A ratio is the seconds of the fit on all of those rows over the seconds on "
        "the fraction's: `measured`; the rows' ratio (`linear`, the scaling "
        "`finish.Finisher._refit_estimate` used before); `node`, the plan's node "
        "model's ratio. `node / measured` below 1 would be an estimate short of the "
        f"time before the refit safety factor ({REFIT_SAFETY}).",
        "",
        "| fraction | cases | measured: min / median / 90 % / max | linear / measured "
        "| node / measured |",
        "|---:|---:|---|---|---|",
    ]
    for fraction in sorted({r["fraction"] for r in ratios}):
        sel = [r for r in ratios if r["fraction"] == fraction]
        lines.append(
            f"| {fraction:.2f} | {len(sel)} | {_quantiles([r['measured'] for r in sel])} "
            f"| {_quantiles([r['linear'] / r['measured'] for r in sel])} "
            f"| {_quantiles([r['node'] / r['measured'] for r in sel])} |")
    lines += ["", "(Each cell of the last two columns: min | median | 90 % | max.)", "",
              "## Per case, fraction 0.67 (a holdout's training rows)", "",
              "| dataset | form | rows | all rows | s | all rows s | measured | linear "
              "| node |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted((r for r in ratios if r["fraction"] == 0.67),
                    key=lambda r: (r["dataset"], r["form"])):
        lines.append(f"| {r['dataset']} | {r['form']} | {r['rows']} | {r['all_rows']} "
                     f"| {r['seconds']:.3f} | {r['all_seconds']:.3f} | {r['measured']:.2f} "
                     f"| {r['linear']:.2f} | {r['node']:.2f} |")
    write_report(lines, OUT)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="comma-separated names (default: all)")
    parser.add_argument("--report", action="store_true", help="only write the report")
    args = parser.parse_args(argv)
    if not args.report:
        names = (args.datasets.split(",") if args.datasets
                 else [d["name"] for d in load_manifest()])
        done = {r["dataset"] for r in read_rows(CSV)}
        for name in names:
            if name not in done:
                append_rows(CSV, FIELDS, dataset_rows(name))
    report()


if __name__ == "__main__":
    main()
