"""Summary of the peers benchmark: tables, ranks, wins, resources, failures, plots.

Usage
-----
    .venv/bin/python benchmarks/peers/summarize.py
    .venv/bin/python benchmarks/peers/summarize.py --label "Smoke run: ..." --command "..."

Reads every record in ``benchmarks/peers/results/raw/`` (git-ignored) and the
committed per-run table ``benchmarks/peers/results/runs.csv`` (runs of earlier
sessions), writes the merged table back to runs.csv, and writes
``docs/benchmarks.md`` and ``docs/benchmarks/peers_*.png``. With ``--raw`` another
folder (a smoke run), only that folder is read and runs.csv is left alone. The
hand-written analysis at the end of docs/benchmarks.md (from the heading
``## Gap analysis`` on) is kept; everything above it is regenerated.

Ranking: within each (budget, dataset, seed) that every system of the records ran,
systems are ranked by the primary test metric (accuracy for classification, R² for
regression; 1 = best, ties share the average rank); a failed run ranks below
every completed one. Wins/ties/losses of this package against a system count the
same (budget, dataset, seed) cells: a failed run loses to a completed one, two
failed runs tie, and scores closer than ``TIE`` tie.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import fmt, machine_line
from envs import OURS, SYSTEMS
from protocol import LEAGUES, LEDGER, PRIMARY, RAW, Run

SUMMARY_COMMAND = ".venv/bin/python benchmarks/peers/summarize.py"
DOCS = HERE.parent.parent / "docs"
DOC = DOCS / "benchmarks.md"
PLOTS = DOCS / "benchmarks"
TIE = 1e-4  # test scores closer than this are a tie
# The hand-written analysis at the end of DOC starts at this heading; a new summary
# keeps it (the generated part above it is replaced).
ANALYSIS_HEADING = "## Gap analysis"
BASELINES = ("hgb", "xgboost")  # they take no budget: no overrun to speak of
TASKS = ("binary", "multiclass", "regression")
CELL = ["budget", "dataset", "seed"]
COLUMNS = ["system", "dataset", "task", "budget", "seed", "status", "accuracy",
           "balanced_accuracy", "log_loss", "roc_auc", "r2", "rmse", "fit_s", "predict_s",
           "elapsed_s", "overrun_ratio", "peak_mb", "peak_pss_mb", "max_procs", "n_train", "n_test",
           "leftovers_killed", "model", "error", "versions", "repo_commit"]


PROTOCOL = (
    "Protocol: for each (system, dataset, seed), one process of the system's venv; a 75/25 "
    "split of the dataset (stratified for classification) fixed by the seed and the same "
    "for every system; the system fitted on train with the time budget, 2 cores (pinned "
    "with taskset, `n_jobs`/`num_cpus` = 2, OMP_NUM_THREADS=2, OMP_WAIT_POLICY=PASSIVE) and "
    "its own defaults otherwise; scored on test by one scikit-learn. Primary metric: "
    "accuracy (classification), R² (regression). Baselines (default HistGradientBoosting "
    "after one-hot encoding, default XGBoost with native categoricals) take no budget. A "
    "run still going at 3 × budget + 120 s is killed and counts as a failure. Overrun = "
    "fit wall time / budget, the fit timed from before the adapter imports the system "
    "(about 1.1 s of ours; every system's the same way); peak MB = the largest sum of RSS over the run's process tree "
    "(sampled every 0.2 s), which counts a page shared by several processes (libraries "
    "loaded before workers fork) once per process; peak PSS MB = the largest sum of "
    "proportional set sizes, where a shared page counts once (recorded for runs from "
    "2026-11-24 on; their count in brackets).")

SETTINGS = """\
How each system is called (B = budget in seconds; `benchmarks/peers/systems.py`):

- automl-estimators: `AutoClassifier`/`AutoRegressor(time_budget=B, n_jobs=2,
  random_state=seed)`; the working tree, installed editable in its own venv.
- flaml: `AutoML().fit(X, y, task=..., time_budget=B, n_jobs=2, seed=seed)`, its default
  estimators and metric. `flaml[automl]` caps xgboost below 3 (2.1.4 here).
- tpot: `TPOTClassifier`/`TPOTRegressor(max_time_mins=B/60, n_jobs=2, random_state=seed,
  preprocessing=True)`: TPOT's own imputation and one-hot encoding, without which it takes
  no text or missing values; default "linear" space, 10-fold CV, a Dask cluster of 2
  workers. TPOT 1.1.0's `TPOTClassifier.predict` returns encoded labels when it encoded
  them; the adapter decodes them with its `label_encoder_`. Its venv needs `setuptools<81`.
- autogluon: `TabularPredictor(label, problem_type=task).fit(time_limit=B, num_cpus=2,
  num_gpus=0)`, default preset; no seed argument (its models use seed 0, so only the split
  varies with the seed). Extras `lightgbm,catboost,xgboost,fastai`: every model family of
  the default preset; pandas 2.3 (AutoGluon requires < 2.4). The torchvision that fastai
  pulls from PyPI is a CUDA build that cannot be imported beside the CPU torch; the tabular
  networks (NeuralNetTorch, NeuralNetFastAI) do not import it, and train.
- autogluon-best (leagues only): the same with `presets="best_quality"` (k-fold bagging
  and multi-layer stacking).
- hgb: `HistGradientBoosting{Classifier,Regressor}(random_state=seed)` after
  `OneHotEncoder(handle_unknown="ignore")` of text columns; no budget.
- xgboost: `XGB{Classifier,Regressor}(n_jobs=2, random_state=seed, enable_categorical=True)`,
  text columns as pandas categories; no budget.

Every system gets the same pandas DataFrame, text columns as `object` dtype."""


# ------------------------------------------------------------------ loading
def load_records(raw=RAW, ledger=None):
    """All finished runs as a DataFrame (one row per run; ``score`` = primary metric).

    The records in ``raw``, and the rows of ``ledger`` (runs.csv, committed by an
    earlier session) for the runs that ``raw`` lacks.
    """
    import pandas as pd

    rows = [json.loads(p.read_text()) for p in sorted(Path(raw).glob("*__*__*__*.json"))
            if not p.name.endswith(".child.json")]
    if ledger is not None and Path(ledger).exists():
        have = {Run(r["system"], r["dataset"], r["budget"], r["seed"]).stem for r in rows}
        for row in pd.read_csv(ledger).to_dict("records"):
            row = {k: v for k, v in row.items() if pd.notna(v)}  # NaN: absent
            row["versions"] = json.loads(row.get("versions", "{}"))
            if Run(row["system"], row["dataset"], row["budget"], row["seed"]).stem not in have:
                rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["score"] = [r.get(PRIMARY[r["task"]]) if r.get("status") == "ok" else None
                      for r in rows]
    frame["score"] = frame["score"].astype(float)
    return frame


def systems_in(frame):
    """Systems of the records, in the order of ``envs.SYSTEMS`` (others last)."""
    present = list(dict.fromkeys(frame["system"]))
    return [s for s in SYSTEMS if s in present] + [s for s in present if s not in SYSTEMS]


# ------------------------------------------------------------------ analysis
def rank_runs(frame):
    """Rank the systems within each complete (budget, dataset, seed) cell.

    Returns
    -------
    DataFrame
        The rows of the complete cells, with a ``rank`` column (1 = best).
    """
    n_systems = frame["system"].nunique()
    complete = frame.groupby(CELL)["system"].transform("nunique") == n_systems
    ranked = frame[complete].copy()
    ranked["rank"] = (ranked["score"].fillna(-float("inf"))
                      .groupby([ranked[c] for c in CELL]).rank(ascending=False, method="average"))
    return ranked


def mean_ranks(ranked):
    """Mean rank of each system per budget and task type, then over all tasks.

    Returns
    -------
    DataFrame
        Indexed by (budget, task), task ``"all"`` last within each budget; one
        column per system.
    """
    import pandas as pd

    every = ranked.assign(task="all")
    table = pd.concat([ranked, every]).pivot_table(index=["budget", "task"], columns="system",
                                                   values="rank", aggfunc="mean")
    order = {task: i for i, task in enumerate((*TASKS, "all"))}
    return table.sort_index(key=lambda level: level.map(order) if level.name == "task"
                            else level)


def outcome(ours, other, tie=TIE):
    """'win', 'tie' or 'loss' of our score against another's (None = failed run)."""
    if ours is None and other is None:
        return "tie"
    if other is None:
        return "win"
    if ours is None:
        return "loss"
    if abs(ours - other) <= tie:
        return "tie"
    return "win" if ours > other else "loss"


def wins_ties_losses(frame, ours=OURS, tie=TIE):
    """Per budget and system: wins, ties and losses of ``ours`` over the shared cells."""
    import pandas as pd

    score = frame.set_index(CELL + ["system"])["score"]
    rows = []
    for system in systems_in(frame):
        if system == ours:
            continue
        mine = score.xs(ours, level="system")
        theirs = score.xs(system, level="system")
        shared = mine.index.intersection(theirs.index)
        for budget in sorted({cell[0] for cell in shared}):
            cells = [c for c in shared if c[0] == budget]
            counts = {"win": 0, "tie": 0, "loss": 0}
            for cell in cells:
                counts[outcome(_none(mine[cell]), _none(theirs[cell]), tie)] += 1
            rows.append({"budget": budget, "system": system, "cells": len(cells),
                         "wins": counts["win"], "ties": counts["tie"],
                         "losses": counts["loss"]})
    return pd.DataFrame(rows, columns=["budget", "system", "cells", "wins", "ties", "losses"])


def _none(value):
    return None if math.isnan(value) else float(value)  # NaN: a failed run


def resources(frame):
    """Per budget and system: runs, failures, overrun ratio and peak memory."""
    rows = []
    order = {system: i for i, system in enumerate(systems_in(frame))}
    groups = sorted(frame.groupby(["budget", "system"]), key=lambda g: (g[0][0], order[g[0][1]]))
    for (budget, system), part in groups:
        budgeted = system not in BASELINES
        overrun = part["overrun_ratio"].astype(float)
        rows.append({
            "budget": budget, "system": system, "runs": len(part),
            "failures": int((part["status"] != "ok").sum()),
            "by_status": ", ".join(f"{k} {v}" for k, v in
                                   part.loc[part["status"] != "ok", "status"]
                                   .value_counts().items()),
            "median_overrun": overrun.median() if budgeted else None,
            "max_overrun": overrun.max() if budgeted else None,
            "max_elapsed_s": part["elapsed_s"].astype(float).max(),
            "median_peak_mb": part["peak_mb"].astype(float).median(),
            "max_peak_mb": part["peak_mb"].astype(float).max(),
            # summed PSS: shared pages counted once (recorded from 2026-11-24 on)
            "median_peak_pss_mb": part["peak_pss_mb"].astype(float).median(),
            "pss_runs": int(part["peak_pss_mb"].notna().sum())})
    return rows


# ------------------------------------------------------------------ markdown
def table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|",
            *("| " + " | ".join(map(str, row)) + " |" for row in rows)]


def per_dataset_lines(frame, budget, systems):
    """Mean primary test score over seeds per dataset; the best in bold."""
    sub = frame[frame["budget"] == budget]
    rows = []
    for dataset, part in sub.groupby("dataset", sort=False):
        means, cells = {}, []
        for system in systems:
            runs = part[part["system"] == system]
            means[system] = runs["score"].mean() if runs["score"].notna().any() else None
        best = max((v for v in means.values() if v is not None), default=None)
        for system in systems:
            runs = part[part["system"] == system]
            failed = int((runs["status"] != "ok").sum())
            text = fmt(means[system], ".4f") if len(runs) else "not run"
            if means[system] is not None and best is not None and means[system] >= best - TIE:
                text = f"**{text}**"
            if failed:
                text += f" ({failed}/{len(runs)} failed)"
            cells.append(text)
        task = part["task"].iloc[0]
        rows.append([dataset, task, PRIMARY[task], part["seed"].nunique(), *cells])
    return table(["dataset", "task", "metric", "seeds", *systems], rows,
                 ["---", "---", "---", "---:"] + ["---:"] * len(systems))


def gaps(frame, budget, ours=OURS, tie=TIE):
    """Datasets where another system's mean test score over shared seeds beats ours.

    Returns
    -------
    list of dict
        One per dataset with a higher-scoring system: ``dataset``, ``task``,
        ``seeds`` (shared by every system), ``best`` (the system), ``margin`` (its
        score minus ours), ``ours``, ``theirs``, and ``hgb_margin`` (the default
        HistGradientBoosting's score minus ours, where run). Largest margin first.
    """
    sub = frame[frame["budget"] == budget]
    out = []
    for dataset, part in sub.groupby("dataset", sort=False):
        seeds = set.intersection(*(set(g["seed"]) for _, g in part.groupby("system")))
        part = part[part["seed"].isin(seeds)]
        means = part.groupby("system")["score"].mean()  # a failed run (NaN) is skipped
        if ours not in means or not math.isfinite(means[ours]) or len(means) < 2:
            continue
        others = means.drop(ours).dropna()
        if others.empty or others.max() <= means[ours] + tie:
            continue
        hgb = means.get("hgb")
        out.append({"dataset": dataset, "task": part["task"].iloc[0], "seeds": len(seeds),
                    "best": others.idxmax(), "margin": others.max() - means[ours],
                    "ours": means[ours], "theirs": others.max(),
                    "hgb_margin": None if hgb is None or math.isnan(hgb)
                    else hgb - means[ours]})
    return sorted(out, key=lambda row: -row["margin"])


def gap_lines(frame, budget):
    rows = [[g["dataset"], g["task"], PRIMARY[g["task"]], g["seeds"], g["best"],
             fmt(g["theirs"], ".4f"), fmt(g["ours"], ".4f"), fmt(g["margin"], "+.4f"),
             fmt(g["hgb_margin"], "+.4f")] for g in gaps(frame, budget)]
    if not rows:
        return [f"None: {OURS} has the best mean score on every dataset."]
    return table(["dataset", "task", "metric", "seeds", "best system", "its score", OURS,
                  "margin", "hgb − ours"], rows,
                 ["---", "---", "---", "---:", "---", "---:", "---:", "---:", "---:"])


def rank_lines(ranked, systems):
    if ranked.empty:
        return ["No (budget, dataset, seed) cell has a run of every system yet."]
    rows = []
    for (budget, task), row in mean_ranks(ranked).iterrows():
        sub = ranked[ranked["budget"] == budget]
        if task != "all":
            sub = sub[sub["task"] == task]
        rows.append([budget, task, len(sub[CELL].drop_duplicates()),
                     *(fmt(row.get(s), ".2f") for s in systems)])
    return table(["budget s", "task", "cells", *systems], rows,
                 ["---:", "---", "---:"] + ["---:"] * len(systems))


def wtl_lines(frame):
    wtl = wins_ties_losses(frame)
    if wtl.empty:
        return [f"No run of {OURS} to compare."]
    rows = [[r.budget, r.system, r.cells, r.wins, r.ties, r.losses] for r in wtl.itertuples()]
    return table(["budget s", f"{OURS} vs", "cells", "wins", "ties", "losses"], rows,
                 ["---:", "---", "---:", "---:", "---:", "---:"])


def resource_lines(frame):
    rows = [[r["budget"], r["system"], r["runs"],
             f"{r['failures']}" + (f" ({r['by_status']})" if r["failures"] else ""),
             fmt(r["median_overrun"], ".2f"), fmt(r["max_overrun"], ".2f"),
             fmt(r["max_elapsed_s"], ".0f"), fmt(r["median_peak_mb"], ".0f"),
             fmt(r["max_peak_mb"], ".0f"),
             fmt(r["median_peak_pss_mb"], ".0f") + (f" ({r['pss_runs']})" if r["pss_runs"]
                                                    else "")] for r in resources(frame)]
    return table(["budget s", "system", "runs", "failures", "median overrun", "max overrun",
                  "max process s", "median peak MB", "max peak MB",
                  "median peak PSS MB (runs)"], rows,
                 ["---:", "---", "---:", "---"] + ["---:"] * 6)


def failure_lines(frame):
    failed = frame[frame["status"] != "ok"]
    if failed.empty:
        return ["None."]
    return [f"- {r.system} on {r.dataset} (budget {r.budget} s, seed {r.seed}): "
            f"{r.status}: `{str(r.error).replace('`', chr(39))[:300]}`"
            for r in failed.itertuples()]


def version_lines(frame, root="../"):
    """Versions each system ran with (from its records) and where its full pins are."""
    lines = []
    for system in systems_in(frame):
        seen = {}
        for versions in frame.loc[frame["system"] == system, "versions"].dropna():
            for name, value in versions.items():
                seen.setdefault(name, set()).add(str(value))
        text = ", ".join(f"{k} {'/'.join(sorted(v))}" for k, v in seen.items()) or "unknown"
        if system == OURS:
            commits = sorted(set(frame.loc[frame["system"] == system, "repo_commit"].dropna()))
            text += f" at commit {', '.join(commits) or 'unknown'}"
        venv = SYSTEMS.get(system, system)
        lines.append(f"- {system}: {text} (venv `{venv}`, all pins: "
                     f"[`benchmarks/peers/pins/{venv}.txt`]({root}benchmarks/peers/pins/{venv}.txt))")
    return lines


def render(frame, command, label=None, plots=(), summary_command=SUMMARY_COMMAND,
           where="the per-run records are not committed", league=None, plot_dir="benchmarks/",
           root="../"):
    """The whole of ``docs/benchmarks.md``, or of a league's page (``league``).

    ``plot_dir``: the plots' folder relative to the page; ``root``: the repository's.
    """
    systems = systems_in(frame)
    ranked = rank_runs(frame)
    budgets = sorted(frame["budget"].unique())
    if league is None:
        lines = ["# Benchmarks", "",
                 "## This package vs FLAML, TPOT, AutoGluon and default baselines", ""]
    else:
        lines = [f"# League `{league.name}`: {', '.join(map(str, league.budgets))} s", "",
                 f"Datasets: {', '.join(league.datasets)}. {league.why}", "",
                 f"Systems: {', '.join(league.systems)}.", "", "## Results", ""]
    if label:
        lines += [f"> **{label}**", ""]
    seeds = ", ".join(map(str, sorted(frame["seed"].unique())))
    lines += [
        f"Generated by `benchmarks/peers/summarize.py`; {where}.",
        "",
        ("- Install (one venv per system, none of them a dependency of the package): "
         "`nice -n 19 python3 benchmarks/peers/install.py`"),
        f"- Sweep: `{command}`",
        f"- Summary: `{summary_command}`",
        f"- Machine: {machine_line()}",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        (f"- Runs: {len(frame)} ({', '.join(systems)}; budgets "
         f"{', '.join(map(str, budgets))} s; {frame['dataset'].nunique()} datasets; "
         f"seeds {seeds})"),
        "- Versions:", *(f"  {line}" for line in version_lines(frame, root)), "",
        PROTOCOL, "", SETTINGS, ""]
    lines += ["### Mean rank (1 = best)", "", *rank_lines(ranked, systems), "",
              f"### Wins / ties / losses of {OURS}", "",
              (f"Over (dataset, seed) cells on the primary metric; |difference| ≤ {TIE} is "
               "a tie, a failed run loses to a completed one."), "", *wtl_lines(frame), "",
              "### Time and memory", "", *resource_lines(frame), ""]
    for budget in budgets:
        lines += [f"### Test scores at {budget} s (mean over seeds)", "",
                  *per_dataset_lines(frame, budget, systems), "",
                  f"### Where another system scores higher than {OURS} at {budget} s", "",
                  ("Mean test score over the seeds every system ran; the margin is the best "
                   f"other system's score minus {OURS}'s."), "",
                  *gap_lines(frame, budget), ""]
    lines += ["### Failures", "", *failure_lines(frame), ""]
    if plots:
        seeds_at = {b: sorted(frame.loc[frame["budget"] == b, "seed"].unique()) for b in budgets}
        per_budget = "; ".join(
            f"{b} s: seed{'s' if len(at) > 1 else ''} {', '.join(map(str, at))}"
            for b, at in seeds_at.items())
        lines += ["### Plots", "",
                  (f"Each budget's points are means over the seeds run at it ({per_budget}), "
                   "so a system that takes no budget moves between budgets only by its seeds."),
                  ""] + [f"![{name}]({plot_dir}{name})" for name in plots] + [""]
    return "\n".join(lines)


# ------------------------------------------------------------------ plots
def plot_score_vs_budget(ranked, path, label=None):
    """Mean primary test score per task type, and mean rank, of each system vs the budget.

    Only the complete cells (every system ran), so that the means compare alike; a
    failed run has no score and counts in the rank only.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in TASKS if t in set(ranked["task"])]
    budgets = sorted(ranked["budget"].unique())
    fig, axes = plt.subplots(1, len(tasks) + 1, figsize=(3.8 * (len(tasks) + 1), 3.4),
                             squeeze=False)
    panels = [(task, ranked[ranked["task"] == task], "score") for task in tasks]
    panels.append(("all tasks", ranked, "rank"))
    for ax, (title, sub, column) in zip(axes.flat, panels):
        for system in systems_in(ranked):
            means = sub[sub["system"] == system].groupby("budget")[column].mean()
            ax.plot(means.index, means.values, marker="o", label=system)
        ax.set_title(f"{title} ({sub['dataset'].nunique()} datasets)", fontsize=9)
        ax.set_xticks(budgets)
        ax.set_xlabel("budget (s)")
        ax.set_ylabel("mean rank (1 = best)" if column == "rank"
                      else f"mean test {PRIMARY[title]}")
        if column == "rank":
            ax.invert_yaxis()
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("score vs budget" + (f" — {label}" if label else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def budget_axis_means(league_frame, main_frame):
    """Mean test score per (task, system, budget) over a league's datasets and seeds.

    The league's runs and the main ledger's runs of the same datasets, systems and
    seeds at other budgets; a (task, system, budget) only where that system ran
    every (dataset, seed) of the task that the league ran at its own budgets, so
    that each mean covers the same cells.

    Returns
    -------
    DataFrame
        Columns task, system, budget, score, cells.
    """
    import pandas as pd

    datasets, seeds = set(league_frame["dataset"]), set(league_frame["seed"])
    systems = set(league_frame["system"])
    other = main_frame[main_frame["dataset"].isin(datasets) & main_frame["seed"].isin(seeds)
                       & main_frame["system"].isin(systems)
                       & ~main_frame["budget"].isin(set(league_frame["budget"]))]
    frame = pd.concat([league_frame, other], ignore_index=True)
    rows = []
    for task, of_task in frame.groupby("task"):
        cells = set(zip(league_frame.loc[league_frame["task"] == task, "dataset"],
                        league_frame.loc[league_frame["task"] == task, "seed"]))
        for (system, budget), runs in of_task.groupby(["system", "budget"]):
            runs = runs.drop_duplicates(["dataset", "seed"])
            have = set(zip(runs["dataset"], runs["seed"]))
            if cells <= have:
                runs = runs[[(d, s) in cells for d, s in zip(runs["dataset"], runs["seed"])]]
                rows.append({"task": task, "system": system, "budget": int(budget),
                             "score": runs["score"].mean(), "cells": len(runs)})
    return pd.DataFrame(rows, columns=["task", "system", "budget", "score", "cells"])


def plot_budget_axis(league_frame, main_frame, path, label=None):
    """Score against the budget (log axis) per task over a league's datasets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    means = budget_axis_means(league_frame, main_frame)
    tasks = [t for t in TASKS if t in set(means["task"])]
    fig, axes = plt.subplots(1, max(len(tasks), 1), figsize=(4.2 * max(len(tasks), 1), 3.4),
                             squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        sub = means[means["task"] == task]
        for system in systems_in(sub):
            line = sub[sub["system"] == system].sort_values("budget")
            ax.plot(line["budget"], line["score"], marker="o", label=system)
        ax.set_xscale("log")
        ax.set_xticks(sorted(sub["budget"].unique()), map(str, sorted(sub["budget"].unique())))
        ax.set_xlabel("budget (s)")
        ax.set_ylabel(f"mean test {PRIMARY[task]}")
        ax.set_title(f"{task} ({int(sub['cells'].max())} cells)", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("score vs budget over the league's datasets"
                 + (f" — {label}" if label else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_rank_distribution(ranked, path, label=None):
    """Distribution of each system's rank over the complete cells, per budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = sorted(ranked["budget"].unique())
    systems = systems_in(ranked)
    fig, axes = plt.subplots(1, len(budgets), figsize=(5.5 * len(budgets), 3.4), squeeze=False)
    for ax, budget in zip(axes.flat, budgets):
        sub = ranked[ranked["budget"] == budget]
        ax.boxplot([sub.loc[sub["system"] == s, "rank"] for s in systems], showmeans=True)
        ax.set_xticks(range(1, len(systems) + 1), systems, rotation=30, fontsize=7)
        ax.set_ylabel("rank (1 = best)")
        ax.invert_yaxis()
        ax.set_title(f"budget {budget} s, {len(sub[CELL].drop_duplicates())} cells", fontsize=9)
    fig.suptitle("rank distribution" + (f" — {label}" if label else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------ main
def summarize(raw=RAW, command="", label=None, summary_command=SUMMARY_COMMAND,
              plot_label=None, ledger=None, league=None):
    """Write the summary and the plots from the records of ``raw`` (and ``ledger``).

    With a ledger, every record, merged, is written back to it: the committed
    runs.csv that carries finished runs over to later sessions. With a
    :class:`~protocol.League`, its own records, ledger and page
    (``docs/benchmarks/<name>.md``, plots beside it), and a plot of the score
    against the budget that adds the main ledger's runs of its datasets.
    """
    if league is not None:
        raw, ledger = league.raw, league.ledger
    doc = DOC if league is None else PLOTS / f"{league.name}.md"
    prefix = "peers" if league is None else league.name
    frame = load_records(raw, ledger)
    if frame.empty:
        raise SystemExit(f"no records in {raw}: run benchmarks/peers/run.py first")
    PLOTS.mkdir(parents=True, exist_ok=True)
    plots = []
    ranked = rank_runs(frame)
    if not ranked.empty:
        plots = [f"{prefix}_score_vs_budget.png", f"{prefix}_rank_distribution.png"]
        plot_score_vs_budget(ranked, PLOTS / plots[0], plot_label)
        plot_rank_distribution(ranked, PLOTS / plots[1], plot_label)
    if league is not None:
        plots.append(f"{prefix}_budget_axis.png")
        plot_budget_axis(frame, load_records(RAW, LEDGER), PLOTS / plots[-1], plot_label)
    if ledger is not None:
        runs = frame[COLUMNS].copy()
        runs["versions"] = [json.dumps(v, sort_keys=True) if isinstance(v, dict) else "{}"
                            for v in runs["versions"]]
        runs.sort_values(["budget", "seed", "dataset", "system"]).to_csv(ledger, index=False)
    root = "../" if league is None else "../../"  # from the page to the repository
    where = (f"every run is a row of [`{_relative(ledger)}`]({root}{_relative(ledger)})"
             if ledger is not None else
             f"the per-run records are in `{_relative(raw)}` (not committed)")
    text = render(frame, command, label, plots, summary_command, where, league,
                  plot_dir="benchmarks/" if league is None else "", root=root)
    doc.write_text(text + kept_analysis(doc))
    return doc


def kept_analysis(doc) -> str:
    """The hand-written analysis of ``doc`` (from ``ANALYSIS_HEADING`` on), or ''."""
    if not Path(doc).exists():
        return ""
    old = Path(doc).read_text()
    at = old.find(f"\n{ANALYSIS_HEADING}")
    return "" if at < 0 else old[at:].rstrip() + "\n"


def _relative(path):
    path = Path(path).resolve()
    root = HERE.parent.parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", type=Path, default=RAW,
                    help="records to summarize (default: the sweep's, merged with and "
                         "written back to the committed results/runs.csv)")
    ap.add_argument("--command", default="nice -n 19 .venv/bin/python benchmarks/peers/run.py",
                    help="the sweep command to quote in the summary")
    ap.add_argument("--label", help="banner for the summary (e.g. that it is a smoke run)")
    ap.add_argument("--plot-label", help="short note in the plots' titles")
    ap.add_argument("--league", choices=sorted(LEAGUES),
                    help="summarize a league (its records, ledger and page) instead")
    args = ap.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    summary_command = " ".join([SUMMARY_COMMAND, *(f'"{a}"' if " " in a else a for a in argv)])
    ledger = LEDGER if args.raw.resolve() == RAW else None
    league = LEAGUES[args.league] if args.league else None
    print(summarize(args.raw, args.command, args.label, summary_command, args.plot_label,
                    ledger, league))
    return 0


if __name__ == "__main__":
    sys.exit(main())
