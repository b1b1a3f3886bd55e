"""Search benchmarks: SMAC vs random, successive halving on vs off, parallel trials.

Usage
-----
    python benchmarks/search.py compare  [--budgets 30,120] [--seeds 0,1,2] [--datasets a,b]
    python benchmarks/search.py halving  [--budgets 60] [--seeds 0]
    python benchmarks/search.py parallel [--budgets 30] [--seeds 0] [--datasets a,b]
    python benchmarks/search.py strategies [--budgets 60] [--seeds 0,1,2] [--datasets a,b]
    python benchmarks/search.py warmstart [--budgets 10,30] [--seeds 0,1,2] [--arms cold,knn]
    python benchmarks/search.py resampling --budgets 10 --datasets <wide datasets>
    python benchmarks/search.py midsize --budgets 60 --datasets adult@8000,cpu_act
    python benchmarks/search.py compare --summarize     # only rewrite the tables and plots

Experiments (arms run at equal budget, same split and seed):
- compare:  search="random" vs search="smac", on every dataset;
- halving:  SMAC(multi_fidelity="successive_halving") vs SMAC(multi_fidelity="off"),
            on the datasets with more than 10 000 rows;
- parallel: n_jobs=1, n_jobs=2 and a dask LocalCluster of 2 one-thread workers
            (SMAC), trials completed in the same budget;
- strategies: search="random" vs "smac" vs "genetic": mean rank, and the
            complexity (operators) of the chosen pipelines; Pareto front of one
            genetic run.
- warmstart: warm_start=None ("cold": the models' default configurations) vs
            "knn" vs "portfolio" vs "auto" (the defaults, then k-NN's),
            leave-one-dataset-out (the evaluated dataset and
            the configurations only its own search found are removed from the
            shipped meta-data); wins/ties/losses vs cold, and the time each arm
            takes to reach cold start's final validation score.
- resampling: resampling="cv" (5-fold) vs the size- and budget-aware policy
            (resampling="auto"), on datasets where the policy picks a holdout.
- midsize:  the same two arms on mid-sized data (5 000-10 000 rows), where the
            policy's row cap picks a holdout; ``name@N`` runs on N rows of a
            shared dataset drawn with the run's seed (before the 75/25 split).

Each run is its own subprocess (OMP_WAIT_POLICY=PASSIVE), killed at 3 x budget + 60 s;
its JSON goes to benchmarks/results/raw/search/ (git-ignored) and is skipped when
there. Results: benchmarks/results/search_<experiment>.md (+ .csv, + anytime PNGs).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    RESULTS,
    dataset_entry,
    fmt,
    load_manifest,
    load_split,
    machine_line,
    score_of,
    spawn,
    versions,
)

RAW = RESULTS / "raw" / "search"
LARGE_ROWS = 10_000
TIE = 1e-4  # test scores closer than this are a tie
ARMS = {
    "compare": ["random", "smac"],
    "halving": ["sh", "full"],
    "parallel": ["n_jobs=1", "n_jobs=2", "dask-2"],
    "strategies": ["random", "smac", "genetic"],
    "warmstart": ["cold", "knn", "portfolio", "auto"],
    "resampling": ["cv", "policy"],
    "midsize": ["policy", "cv"],
}
DEFAULTS = {"compare": ([30, 120], [0, 1, 2]), "halving": ([60], [0]), "parallel": ([30], [0]),
            "strategies": ([60], [0, 1, 2]), "warmstart": ([10, 30], [0, 1, 2]),
            "resampling": ([10, 30], [0, 1]), "midsize": ([60], [0, 1, 2])}


def arm_params(arm):
    from automl_estimators.search import SMAC

    return {
        "random": {"search": "random", "n_jobs": 2},
        "genetic": {"search": "genetic", "n_jobs": 2},
        "smac": {"search": "smac", "n_jobs": 2},
        "sh": {"search": SMAC(multi_fidelity="successive_halving"), "n_jobs": 2},
        "full": {"search": SMAC(multi_fidelity="off"), "n_jobs": 2},
        "n_jobs=1": {"search": "smac", "n_jobs": 1},
        "n_jobs=2": {"search": "smac", "n_jobs": 2},
        "dask-2": {"search": "smac"},
        "cold": {"warm_start": None, "n_jobs": 2},
        "knn": {"warm_start": "knn", "n_jobs": 2},
        "portfolio": {"warm_start": "portfolio", "n_jobs": 2},
        "auto": {"warm_start": "auto", "n_jobs": 2},
        "cv": {"resampling": "cv", "n_jobs": 2},
        "policy": {"n_jobs": 2},
    }[arm]


def leave_dataset_out(name):
    """Warm starts of this process draw on the shipped meta-data without ``name``."""
    from automl_estimators.metalearning import suggestions, warm_start

    metadata = suggestions.load_metadata()
    if metadata is None:
        raise SystemExit(f"no meta-data at {suggestions.METADATA_FILE}: build it first")
    left_out = suggestions.leave_out(metadata, [name])
    warm_start.load_metadata = lambda: left_out


def anytime_curve(leaderboard):
    """(seconds into fit, best full-fidelity validation score so far) after each trial."""
    ok = leaderboard[(leaderboard["status"] == "ok") & (leaderboard["fidelity"] >= 1.0)
                     & (leaderboard["origin"] != "dummy")]
    ends = (ok["started_at"] + ok["duration"]).to_numpy()
    scores = ok["score"].to_numpy()
    order = ends.argsort()
    curve, best = [], -float("inf")
    for t, s in zip(ends[order], scores[order]):
        best = max(best, float(s))
        curve.append((round(float(t), 2), best))
    return curve


def load_named_split(name, seed):
    """(entry, X_train, X_test, y_train, y_test) of ``name``, or of ``N`` rows of it
    drawn with ``seed`` when the name is ``dataset@N``."""
    base, _, rows = name.partition("@")
    entry = dataset_entry(base)
    if not rows:
        return entry, *load_split(entry, seed)
    rows = min(int(rows), entry["n_rows"])
    return {**entry, "n_rows": rows}, *load_split(entry, seed, rows)


def run_one(experiment, arm, name, budget, seed, out):
    rec = {"experiment": experiment, "arm": arm, "dataset": name, "budget": budget,
           "seed": seed, "status": "error"}
    try:
        from automl_estimators import AutoClassifier, AutoRegressor

        entry, X_tr, X_te, y_tr, y_te = load_named_split(name, seed)
        task = entry["task"]
        rec.update(task=task, rows=entry["n_rows"])
        cls = AutoRegressor if task == "regression" else AutoClassifier
        params = arm_params(arm)
        if experiment == "warmstart":
            leave_dataset_out(name)
        start = time.perf_counter()
        if arm == "dask-2":
            from distributed import Client, LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                start = time.perf_counter()  # the cluster's start-up is not the fit's
                est = cls(time_budget=budget, random_state=seed, dask_client=client,
                          **params).fit(X_tr, y_tr)
                rec["wall_s"] = time.perf_counter() - start
                rec["test_score"] = score_of(task, y_te, est.predict(X_te))
        else:
            est = cls(time_budget=budget, random_state=seed, **params).fit(X_tr, y_tr)
            rec["wall_s"] = time.perf_counter() - start
            rec["test_score"] = score_of(task, y_te, est.predict(X_te))
        from automl_estimators.spaces.program import complexity

        lb = est.leaderboard_
        real = lb[lb["origin"] != "dummy"]
        space = est.search_space_
        full_ok = real[(real["status"] == "ok") & (real["fidelity"] >= 1.0)]
        rec["complexity"] = complexity(est.best_config_, space) if est.best_config_ else 0
        # The best single pipeline is refit inside the ensemble: its test score is
        # the paired "single best" of the same run.
        ensemble = getattr(est, "ensemble_", None)
        rec["ensemble_members"] = 0 if ensemble is None else len(ensemble.members_)
        single = est.best_pipeline_.predict(X_te)
        if task != "regression":
            single = est.classes_[single.astype(int)]
        rec["test_score_single"] = score_of(task, y_te, single)
        if ensemble is not None:
            members = lb[lb["ensemble_weight"] > 0]
            rec["ensemble_weights"] = [(str(p), float(w)) for p, w in
                                       zip(members["pipeline"], members["ensemble_weight"])]
        rec["trials"] = [(float(r["score"]), complexity(r["config"], space), r["origin"])
                         for _, r in full_ok.iterrows()]
        rec.update(
            status="ok", n_trials=len(real),
            n_ok=int((real["status"] == "ok").sum()),
            n_full=int(((real["status"] == "ok") & (real["fidelity"] >= 1.0)).sum()),
            n_low=int(((real["status"] == "ok") & (real["fidelity"] < 1.0)).sum()),
            n_configs=len({repr(sorted(c.items())) for c in real["config"]}),
            best_val=float(est.best_score_), final=str(lb.iloc[0]["pipeline"]),
            plan=est.search_plan_.reason, curve=anytime_curve(lb))
    except BaseException as exc:  # noqa: BLE001 - recorded, never lost
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc()
    Path(out).write_text(json.dumps(rec, indent=1, default=str))
    return 0 if rec["status"] == "ok" else 1


def datasets_for(experiment, names):
    entries = load_manifest()
    if names:
        return names
    if experiment == "halving":
        return [d["name"] for d in entries if d["n_rows"] > LARGE_ROWS]
    return [d["name"] for d in entries]


def sweep(experiment, names, budgets, seeds, arms):
    RAW.mkdir(parents=True, exist_ok=True)
    for budget in budgets:
        for seed in seeds:
            for name in names:
                for arm in arms:
                    stem = f"{experiment}__{arm}__{name}__{budget}__{seed}"
                    out = RAW / f"{stem}.json"
                    if out.exists():
                        continue
                    print(f"[{time.strftime('%H:%M:%S')}] {stem}", flush=True)
                    timeout = 3 * budget + 60
                    rc, timed_out, elapsed = spawn(
                        Path(__file__).resolve(),
                        ["--one", experiment, arm, name, str(budget), str(seed), "--out",
                         str(out)], timeout, RAW / f"{stem}.log")
                    if timed_out or not out.exists():
                        out.write_text(json.dumps({
                            "experiment": experiment, "arm": arm, "dataset": name,
                            "budget": budget, "seed": seed,
                            "status": "timeout" if timed_out else "crash",
                            "error": f"rc={rc} after {elapsed:.0f}s"}))
                    rec = json.loads(out.read_text())
                    print(f"    -> {rec['status']} score={rec.get('test_score')} "
                          f"trials={rec.get('n_trials')} {rec.get('error', '')}", flush=True)


def load_runs(experiment):
    import pandas as pd

    rows = [json.loads(p.read_text()) for p in sorted(RAW.glob(f"{experiment}__*.json"))]
    return pd.DataFrame(rows)


def header(experiment, command):
    return [f"# Search benchmark: {experiment}", "",
            f"- Command: `{command}`",
            f"- Machine: {machine_line()}",
            f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
            "- Setup: 75/25 split (stratified for classification) with the run's seed; "
            "`time_budget=B, random_state=seed`; test score = accuracy / R²; each run in its "
            "own subprocess, OMP_WAIT_POLICY=PASSIVE.", ""]


def summarize_pair(df, lines, experiment):
    """Two arms, paired by dataset and seed: the second vs the first (the baseline)."""
    base, other = ARMS[experiment]
    for budget in sorted(df["budget"].unique()):
        sub = df[(df["budget"] == budget) & (df["status"] == "ok")]
        wide = sub.pivot_table(index=["dataset", "seed"], columns="arm", values="test_score")
        wide = wide.dropna()
        if wide.empty:
            continue
        ranks = wide.rank(axis=1, ascending=False, method="average")
        diff = wide[other] - wide[base]
        wins, ties, losses = int((diff > TIE).sum()), int((diff.abs() <= TIE).sum()), \
            int((diff < -TIE).sum())
        trials = sub.pivot_table(index=["dataset", "seed"], columns="arm", values="n_trials")
        lines += [f"## Budget {budget} s ({len(wide)} dataset × seed pairs)", "",
                  "| arm | mean rank | mean test score | mean trials |", "|---|---:|---:|---:|"]
        for arm in (base, other):
            lines.append(f"| {arm} | {ranks[arm].mean():.3f} | {wide[arm].mean():.4f} | "
                         f"{trials[arm].mean():.1f} |")
        lines += ["", (f"{other} vs {base} on test score: {wins} wins, {ties} ties, {losses} "
                       f"losses (tie: |diff| ≤ {TIE})."), "",
                  f"| dataset | {base} | {other} | diff | trials {base} | trials {other} |",
                  "|---|---:|---:|---:|---:|---:|"]
        per = wide.groupby(level="dataset").mean()
        per_trials = trials.groupby(level="dataset").mean()
        for name, row in per.iterrows():
            lines.append(f"| {name} | {row[base]:.4f} | {row[other]:.4f} | "
                         f"{row[other] - row[base]:+.4f} | "
                         f"{per_trials.loc[name, base]:.0f} | "
                         f"{per_trials.loc[name, other]:.0f} |")
        png = f"search_{experiment}_anytime_{budget}.png"
        plot_anytime(sub, budget, RESULTS / png, (base, other))
        lines += ["", (f"Anytime curves (best full-fidelity validation score vs seconds, "
                       f"mean over seeds): ![anytime]({png})"), ""]


def summarize_strategies(df, lines):
    arms = ARMS["strategies"]
    for budget in sorted(df["budget"].unique()):
        sub = df[(df["budget"] == budget) & (df["status"] == "ok")]
        wide = sub.pivot_table(index=["dataset", "seed"], columns="arm",
                               values="test_score").dropna()
        if wide.empty or not set(arms) <= set(wide.columns):
            continue
        ranks = wide.rank(axis=1, ascending=False, method="average")
        cplx = sub.pivot_table(index=["dataset", "seed"], columns="arm", values="complexity")
        trials = sub.pivot_table(index=["dataset", "seed"], columns="arm", values="n_trials")
        lines += [f"## Budget {budget} s ({len(wide)} dataset × seed triples)", "",
                  "| arm | mean rank | mean test score | mean trials | mean complexity of "
                  "the chosen pipeline |", "|---|---:|---:|---:|---:|"]
        for arm in arms:
            lines.append(f"| {arm} | {ranks[arm].mean():.3f} | {wide[arm].mean():.4f} | "
                         f"{trials[arm].mean():.1f} | {cplx[arm].mean():.2f} |")
        diff = wide["genetic"] - wide[["random", "smac"]].max(axis=1)
        lines += ["", f"Genetic vs the better of random and SMAC: {int((diff > TIE).sum())} "
                      f"wins, {int((diff.abs() <= TIE).sum())} ties, "
                      f"{int((diff < -TIE).sum())} losses (tie: |diff| ≤ {TIE}). Complexity: "
                      "operators in the pipeline (the model plus each transformation, "
                      "union and stacking step).", "",
                  "| dataset | " + " | ".join(arms) + " | "
                  + " | ".join(f"complexity {a}" for a in arms) + " |",
                  "|---|" + "---:|" * (2 * len(arms))]
        per, per_c = wide.groupby(level="dataset").mean(), cplx.groupby(level="dataset").mean()
        for name, row in per.iterrows():
            lines.append(f"| {name} | " + " | ".join(f"{row[a]:.4f}" for a in arms) + " | "
                         + " | ".join(f"{per_c.loc[name, a]:.1f}" for a in arms) + " |")
        summarize_ensemble(sub, budget, lines, "strategies")
        genetic = sub[(sub["arm"] == "genetic") & sub["trials"].map(bool)]
        if len(genetic):
            run = genetic.loc[genetic["trials"].map(len).idxmax()]
            png = f"search_strategies_pareto_{budget}.png"
            plot_pareto(run, RESULTS / png)
            lines += ["", f"Pareto front of the genetic run with the most trials "
                          f"({run['dataset']}, seed {run['seed']}): ![pareto]({png})", ""]


def summarize_warmstart(df, lines):
    arms = [a for a in ARMS["warmstart"] if a in set(df["arm"])]
    for budget in sorted(df["budget"].unique()):
        sub = df[(df["budget"] == budget) & (df["status"] == "ok")]
        wide = sub.pivot_table(index=["dataset", "seed"], columns="arm", values="test_score")
        present = [a for a in arms if a in wide.columns]
        wide = wide[present].dropna()
        if wide.empty or "cold" not in present:
            continue
        ranks = wide.rank(axis=1, ascending=False, method="average")
        lines += [f"## Budget {budget} s ({len(wide)} dataset × seed pairs)", "",
                  "| arm | mean rank | mean test score | wins vs cold | ties | losses |",
                  "|---|---:|---:|---:|---:|---:|"]
        for arm in present:
            d = wide[arm] - wide["cold"]
            lines.append(f"| {arm} | {ranks[arm].mean():.3f} | {wide[arm].mean():.4f} | "
                         + ("— | — | — |" if arm == "cold" else
                            f"{int((d > TIE).sum())} | {int((d.abs() <= TIE).sum())} | "
                            f"{int((d < -TIE).sum())} |"))
        per = wide.groupby(level="dataset").mean()
        lines += ["", f"Per dataset, mean test score over seeds (tie: |diff| ≤ {TIE}):", "",
                  "| dataset | " + " | ".join(present) + " |", "|---|" + "---:|" * len(present)]
        for name, row in per.iterrows():
            lines.append(f"| {name} | " + " | ".join(f"{row[a]:.4f}" for a in present) + " |")
        reach = time_to_reach(sub, present)
        if reach is not None:
            png = f"search_warmstart_time_to_reach_{budget}.png"
            plot_time_to_reach(reach, budget, RESULTS / png)
            lines += ["", ("Time to reach cold start's final validation score (the best "
                           "full-fidelity validation score of the cold run, same dataset and "
                           "seed; never reached counts as the budget):"), "",
                      "| arm | reached | median s | mean s |", "|---|---:|---:|---:|"]
            for arm in present:
                t = reach[arm]
                lines.append(f"| {arm} | {int((t < float('inf')).sum())}/{len(t)} | "
                             f"{t.clip(upper=budget).median():.1f} | "
                             f"{t.clip(upper=budget).mean():.1f} |")
            lines += ["", f"![time to reach]({png})"]
        summarize_ensemble(sub, budget, lines, "warmstart")
        lines.append("")


def time_to_reach(sub, arms):
    """Per (dataset, seed): seconds each arm's anytime curve takes to reach the final
    validation score of the cold run (inf: never)."""
    import pandas as pd

    curves = sub.set_index(["dataset", "seed", "arm"])["curve"]
    rows = {}
    for (name, seed), _ in sub.groupby(["dataset", "seed"]):
        if not all((name, seed, a) in curves.index for a in arms):
            continue
        cold = curves[(name, seed, "cold")]
        if not cold:
            continue
        target = max(s for _, s in cold) - 1e-12
        rows[(name, seed)] = {a: next((t for t, s in curves[(name, seed, a)] if s >= target),
                                      float("inf")) for a in arms}
    return pd.DataFrame.from_dict(rows, orient="index") if rows else None


def plot_time_to_reach(reach, budget, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    grid = np.linspace(0, budget, 200)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for arm in reach.columns:
        t = reach[arm].to_numpy()
        ax.plot(grid, [(t <= g).mean() for g in grid], label=arm)
    ax.set_xlabel("seconds into the fit")
    ax.set_ylabel("share of runs at cold's final score")
    ax.set_title(f"time to reach cold start's {budget} s validation score", fontsize=9)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def summarize_ensemble(sub, budget, lines, experiment):
    """Final model (ensemble when one was kept) vs the best single pipeline of the same run."""
    if "test_score_single" not in sub:
        return
    sub = sub.dropna(subset=["test_score_single"])
    diff = sub["test_score"] - sub["test_score_single"]
    lines += ["", f"### Ensemble vs single best ({len(sub)} runs, all arms)", "",
              "Paired within each run: the fit's final model (the ensemble when it was kept: "
              "it beat the best pipeline on validation and could be refit in time) vs the best "
              "single pipeline, refit on all rows inside the same fit.", "",
              "| arm | runs | ensembles kept | wins | ties | losses | mean test final | "
              "mean test single |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for arm, part in sub.groupby("arm"):
        d = diff[part.index]
        lines.append(f"| {arm} | {len(part)} | {int((part['ensemble_members'] > 0).sum())} | "
                     f"{int((d > TIE).sum())} | {int((d.abs() <= TIE).sum())} | "
                     f"{int((d < -TIE).sum())} | {part['test_score'].mean():.4f} | "
                     f"{part['test_score_single'].mean():.4f} |")
    kept = sub[sub["ensemble_members"] > 0]
    if len(kept) and "ensemble_weights" in kept:
        run = kept.loc[kept["ensemble_members"].idxmax()]
        png = f"search_{experiment}_ensemble_weights_{budget}.png"
        plot_weights(run, RESULTS / png)
        lines += ["", f"Ensemble weights of the largest ensemble ({run['dataset']}, "
                      f"{run['arm']}, seed {run['seed']}): ![weights]({png})"]


def plot_weights(run, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names, weights = zip(*sorted(run["ensemble_weights"], key=lambda p: p[1]))
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(names) + 1))
    ax.barh(range(len(names)), weights, color="tab:blue")
    ax.set_yticks(range(len(names)), [n[:60] for n in names], fontsize=7)
    ax.set_xlabel("weight")
    ax.set_title(f"ensemble of {run['dataset']} ({run['arm']}, {run['budget']} s)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_pareto(run, path):
    """Validation score vs complexity of every trial of one run, the front highlighted."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [(c, s, o) for s, c, o in run["trials"]]
    front, best = [], -float("inf")
    for c, s, _ in sorted(points, key=lambda p: (p[0], -p[1])):
        if s > best:
            front.append((c, s))
            best = s
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for origin, colour in (("default", "tab:grey"), ("genetic", "tab:blue")):
        mine = [(c, s) for c, s, o in points if o == origin]
        if mine:
            ax.scatter(*zip(*mine), s=14, alpha=0.6, color=colour, label=origin)
    ax.step(*zip(*front), where="post", color="tab:red", label="Pareto front")
    ax.set_xlabel("complexity (operators)")
    ax.set_ylabel("validation score")
    ax.set_title(f"{run['dataset']}, {run['budget']} s, seed {run['seed']}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_anytime(sub, budget, path, arms):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = sorted(sub["dataset"].unique())
    cols = 6
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.4 * rows), squeeze=False)
    grid = np.linspace(0, budget, 60)
    for ax, name in zip(axes.flat, names):
        for arm, colour in zip(arms, ("tab:grey", "tab:blue")):
            curves = []
            for curve in sub[(sub["dataset"] == name) & (sub["arm"] == arm)]["curve"]:
                if not curve:
                    continue
                t, s = np.array(curve).T
                curves.append([s[t <= g].max() if (t <= g).any() else np.nan for g in grid])
            if curves:
                ax.plot(grid, np.nanmean(np.array(curves, dtype=float), axis=0), color=colour,
                        label=arm)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"best validation score vs time, budget {budget} s")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def summarize_table(df, lines):
    cols = ["test_score", "n_trials", "n_configs", "n_full", "n_low", "wall_s"]
    for budget in sorted(df["budget"].unique()):
        sub = df[(df["budget"] == budget)]
        lines += [f"## Budget {budget} s", "",
                  "| dataset | arm | status | test score | trials | configs | full-fidelity ok | "
                  "low-fidelity ok | wall s |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for _, r in sub.sort_values(["dataset", "arm"]).iterrows():
            lines.append(f"| {r['dataset']} | {r['arm']} | {r['status']} | "
                         + " | ".join(fmt(r.get(c), ".4f" if c == "test_score" else
                                          (".1f" if c == "wall_s" else ".0f")) for c in cols)
                         + " |")
        ok = sub[sub["status"] == "ok"]
        if len(ok):
            means = ok.groupby("arm")[["test_score", "n_trials", "n_configs"]].mean()
            lines += ["", "| arm | mean test score | mean trials | mean configs |",
                      "|---|---:|---:|---:|"]
            for arm, r in means.iterrows():
                lines.append(f"| {arm} | {r['test_score']:.4f} | {r['n_trials']:.1f} | "
                             f"{r['n_configs']:.1f} |")
        lines.append("")


def summarize(experiment, command):
    df = load_runs(experiment)
    lines = header(experiment, command)
    if df.empty:
        lines.append("No runs yet.")
    elif experiment in ("compare", "resampling", "midsize"):
        summarize_pair(df, lines, experiment)
    elif experiment == "strategies":
        summarize_strategies(df, lines)
    elif experiment == "warmstart":
        summarize_warmstart(df, lines)
    else:
        summarize_table(df, lines)
    failed = df[df["status"] != "ok"] if len(df) else df
    if len(failed):
        lines += ["## Failed runs", ""] + [
            f"- {r['dataset']} {r['arm']} B={r['budget']} seed={r['seed']}: {r['status']} "
            f"{r.get('error', '')}" for _, r in failed.iterrows()] + [""]
    if len(df):
        df.drop(columns=["curve", "traceback"], errors="ignore").to_csv(
            RESULTS / f"search_{experiment}.csv", index=False)
    (RESULTS / f"search_{experiment}.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment", nargs="?", choices=sorted(ARMS))
    ap.add_argument("--one", nargs=5, metavar=("EXPERIMENT", "ARM", "DATASET", "BUDGET", "SEED"))
    ap.add_argument("--out")
    ap.add_argument("--budgets")
    ap.add_argument("--seeds")
    ap.add_argument("--datasets")
    ap.add_argument("--arms", help="comma-separated subset of the experiment's arms")
    ap.add_argument("--summarize", action="store_true")
    args = ap.parse_args(argv)
    if args.one:
        experiment, arm, name, budget, seed = args.one
        return run_one(experiment, arm, name, int(budget), int(seed), args.out)
    if not args.experiment:
        ap.error("name an experiment: " + ", ".join(sorted(ARMS)))
    budgets, seeds = DEFAULTS[args.experiment]
    budgets = [int(b) for b in args.budgets.split(",")] if args.budgets else budgets
    seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else seeds
    names = datasets_for(args.experiment, args.datasets.split(",") if args.datasets else None)
    command = "python benchmarks/search.py " + " ".join(argv if argv is not None
                                                          else sys.argv[1:])
    arms = args.arms.split(",") if args.arms else ARMS[args.experiment]
    unknown = set(arms) - set(ARMS[args.experiment])
    if unknown:
        ap.error(f"unknown arms {sorted(unknown)}; {args.experiment} has {ARMS[args.experiment]}")
    if not args.summarize:
        sweep(args.experiment, names, budgets, seeds, arms)
    summarize(args.experiment, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
