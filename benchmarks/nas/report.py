"""The NAS benchmark's summary: tables, evolution vs random late in the run, plots.

Reads the JSON records ``bench.py`` writes (``<results-dir>/raw/nas/``) and writes
``nas.md``, ``nas.csv`` and ``nas_anytime_<dataset>_<budget>[_cuda].png`` beside
``raw/``. Nothing here runs a fit.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import fmt, machine_line, versions
from search import TIE

NEURAL_ARMS = ("random", "evolution")
ARMS = NEURAL_ARMS + ("baseline",)
# Points of the validation curves at which evolution and random are compared,
# as shares of the budget: "late in the run".
CHECKPOINTS = (0.5, 0.75, 1.0)


def load_records(raw):
    import pandas as pd

    rows = [json.loads(p.read_text()) for p in sorted(Path(raw).glob("*.json"))]
    return pd.DataFrame(rows)


def best_at(curve, seconds):
    """Best validation score of an anytime curve by ``seconds`` (nan: none yet)."""
    scores = [s for t, s in curve or () if t <= seconds]
    return max(scores) if scores else float("nan")


def outcome(a, b):
    """+1, 0 or -1: ``a`` beats, ties or loses to ``b``; a missing score loses."""
    if math.isnan(a) and math.isnan(b):
        return 0
    if math.isnan(a) or math.isnan(b):
        return -1 if math.isnan(a) else 1
    return 0 if abs(a - b) <= TIE else (1 if a > b else -1)


def signed(value):
    """A difference to 4 places with its sign; never "-0.0000"."""
    if value is None or math.isnan(value):
        return fmt(None, "")
    return f"{round(value, 4) + 0.0:+.4f}"


def mean_sd(values):
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "—"
    mean = sum(values) / len(values)
    if len(values) < 2:
        return f"{mean:.4f}"
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return f"{mean:.4f} ± {sd:.4f}"


def paired(sub, column):
    """(dataset, seed) x arm frame of one column of the records."""
    import pandas as pd

    rows = {}
    for _, r in sub.iterrows():
        rows.setdefault((r["dataset"], r["seed"]), {})[r["arm"]] = r[column]
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.names = ["dataset", "seed"]
    return frame


def late_comparison(sub, budget):
    """Evolution vs random per (dataset, seed) pair with both runs.

    One row per comparison: (label, the pairs, their outcomes, evolution − random).
    """
    both = paired(sub, "curve")
    if not set(NEURAL_ARMS) <= set(both.columns):
        return []
    both = both.dropna(subset=list(NEURAL_ARMS))
    rows = []
    for share in CHECKPOINTS:
        label = (f"validation at the end ({budget} s)" if share == 1 else
                 f"validation at {share:.0%} of the budget ({share * budget:g} s)")
        rows.append((label, *_compare(
            both["evolution"].map(lambda c, s=share: best_at(c, s * budget)),
            both["random"].map(lambda c, s=share: best_at(c, s * budget)))))
    for column, label in (("test_score_single", "test accuracy, best network"),
                          ("test_score", "test accuracy, final model")):
        scores = paired(sub, column).loc[both.index]
        rows.append((label, *_compare(scores["evolution"], scores["random"])))
    return rows


def _compare(evolution, random):
    outcomes = [outcome(float(e), float(r)) for e, r in zip(evolution, random)]
    diffs = (evolution - random).astype(float)
    return evolution.index, outcomes, diffs


def wtl(outcomes):
    return outcomes.count(1), outcomes.count(0), outcomes.count(-1)


def header(df, command):
    from automl_estimators import plan

    machines = sorted(set(df["machine"].dropna())) if "machine" in df else []
    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = "not installed"
    return [
        "# Neural architecture search benchmark", "",
        f"- Command: `{command}`",
        "- Machine: " + ("; ".join(machines) if machines else machine_line()),
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items())
        + f", torch {torch_version}",
        ("- Arms (`AutoClassifier(time_budget=B, n_jobs=2, random_state=seed)`, the same "
        "75/25 stratified split per seed): **random** = `search=\"random\", neural=True, "
        "include=[\"neural_network\"]`; **evolution** = `search=\"evolution\", neural=True, "
        "include=[\"neural_network\"]` (regularized evolution, successive halving over "
        "epochs); **baseline** = `neural=False` with the default search (SMAC from "
        f"{plan.SMAC_MIN_BUDGET:g} s): the best non-neural pipeline. Both neural arms start "
        "from the network component at its defaults. digits: `sklearn.datasets.load_digits` "
        "with `image_shape=(8, 8)` (convolutional cells); the others are tabular."),
        ("- Test accuracy of the **best single pipeline** (`best_pipeline_`, refit on the "
        "training split: for random and evolution the best network) and of the **final "
        "model** (`predict`: the ensemble when one was kept). Anytime curves: best "
        "full-fidelity validation score of the networks (baseline: of its pipelines) vs "
        "seconds into the fit. Epochs: the `max_epochs` each finished network trial was "
        "given (its share at a low fidelity) times its folds; early stopping may end a "
        "network sooner. Networks: distinct network configurations trained."),
        (f"- Rows: the package searches on at most {plan.SEARCH_ROWS} rows once a fit has "
        f"more than {plan.ROW_CAP} (`plan.ROW_CAP`); up to {plan.CV_MAX_ROWS} rows "
        f"it cross-validates ({plan.DEFAULT_FOLDS} folds, so a trial trains "
        f"{plan.DEFAULT_FOLDS} networks), above a {plan.DEFAULT_HOLDOUT:.0%} holdout; "
        "with the neural branch on CPU, a holdout at any size (since 2026-11-24)."), ""]


def plan_table(ok, lines):
    lines += [("| dataset | rows | training rows | searched on | features | image_shape | "
              "resampling |"), "|---|---:|---:|---:|---:|---|---|"]
    for name, part in ok.groupby("dataset"):
        r = part.iloc[0]
        shape = r.get("image_shape")
        shape = "×".join(map(str, shape)) if isinstance(shape, list) else "—"
        by_arm = {arm: (f"{int(row['n_folds'])}-fold CV" if row["resampling"] == "cv"
                        else "holdout") for arm, row in part.groupby("arm").first().iterrows()}
        resampling = (next(iter(by_arm.values())) if len(set(by_arm.values())) == 1
                      else ", ".join(f"{arm}: {how}" for arm, how in sorted(by_arm.items())))
        capped = "" if r["search_rows"] >= r["total_rows"] else " (capped)"
        lines.append(f"| {name} | {int(r['rows'])} | {int(r['total_rows'])} | "
                     f"{int(r['search_rows'])}{capped} | {int(r['features'])} | {shape} | "
                     f"{resampling} |")
    lines.append("")


def accuracy_tables(sub, lines):
    arms = [a for a in ARMS if a in set(sub["arm"])]
    for column, title in (("test_score_single", "Test accuracy of the best single pipeline"),
                          ("test_score", "Test accuracy of the final model")):
        lines += [f"### {title} (mean ± sd over seeds)", "",
                  "| dataset | seeds | " + " | ".join(arms)
                  + (" | evolution − random |" if set(NEURAL_ARMS) <= set(arms) else " |"),
                  "|---|---:|" + "---:|" * (len(arms) + (set(NEURAL_ARMS) <= set(arms)))]
        for name, part in sub.groupby("dataset"):
            by_arm = {a: part.loc[part["arm"] == a, column].tolist() for a in arms}
            row = (f"| {name} | {part['seed'].nunique()} | "
                   + " | ".join(mean_sd(by_arm[a]) for a in arms))
            if set(NEURAL_ARMS) <= set(arms):
                wide = paired(part, column).dropna(subset=list(NEURAL_ARMS))
                diff = (wide["evolution"] - wide["random"]).mean() if len(wide) else None
                row += f" | {signed(diff)}"
            lines.append(row + " |")
        if column == "test_score":
            kept = sub.groupby("arm")["ensemble_members"].apply(lambda m: int((m > 0).sum()))
            lines += ["", "Ensembles kept: " + ", ".join(
                f"{a} {kept.get(a, 0)}/{int((sub['arm'] == a).sum())}" for a in arms) + "."]
        lines.append("")


def late_tables(sub, budget, lines):
    rows = late_comparison(sub, budget)
    if not rows:
        return
    lines += ["### Evolution vs random late in the run", "",
              (f"Per (dataset, seed) pair; tie: |diff| ≤ {TIE}; a curve without a "
              "full-fidelity network by then loses (both without one: a tie)."), "",
              ("| comparison | pairs | evolution wins | ties | random wins | "
              "mean diff (evolution − random) |"), "|---|---:|---:|---:|---:|---:|"]
    for label, _, outcomes, diffs in rows:
        w, t, l_ = wtl(outcomes)
        finite = diffs[diffs.abs() < float("inf")].dropna()
        lines.append(f"| {label} | {len(outcomes)} | {w} | {t} | {l_} | "
                     f"{signed(finite.mean() if len(finite) else None)} |")
    names = sorted({name for name, _ in rows[0][1]})
    lines += ["", "Per dataset, wins/ties/losses of evolution:", "",
              "| dataset | " + " | ".join(label for label, *_ in rows) + " |",
              "|---|" + "---:|" * len(rows)]
    for name in names:
        cells = []
        for _, index, outcomes, _ in rows:
            mine = [o for (d, _), o in zip(index, outcomes) if d == name]
            cells.append("/".join(map(str, wtl(mine))))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")


def effort_table(sub, lines):
    columns = [("n_trials", ".1f"), ("n_networks", ".1f"), ("n_full", ".1f"),
               ("n_low", ".1f"), ("n_failed", ".1f"), ("epochs", ".0f"),
               ("final_epochs", ".1f"), ("fit_time", ".1f"), ("wall_s", ".1f")]
    lines += ["### Search effort (mean over seeds)", "",
              ("| dataset | arm | trials | networks | full-fidelity ok | low-fidelity ok | "
              "failed | epochs | epochs of the chosen network's refit | fit s | wall s |"),
              "|---|---|" + "---:|" * len(columns)]
    for (name, arm), part in sub.groupby(["dataset", "arm"]):
        cells = []
        for column, spec in columns:
            values = part[column].dropna() if column in part else []
            cells.append(fmt(values.mean() if len(values) else None, spec))
        lines.append(f"| {name} | {arm} | " + " | ".join(cells) + " |")
    failures = {}
    for part in sub["failures"].dropna() if "failures" in sub else []:
        for status, n in part.items():
            failures[status] = failures.get(status, 0) + n
    if failures:
        lines += ["", "Failed trials by status, all runs: " + ", ".join(
            f"{s} {n}" for s, n in sorted(failures.items())) + "."]
    lines.append("")


def architectures(sub, lines):
    lines += ["### Chosen models", ""]
    for (name, arm, seed), part in sub.sort_values(["dataset", "arm", "seed"]).groupby(
            ["dataset", "arm", "seed"], sort=False):
        r = part.iloc[0]
        what = (f"{r['best_macro']}: `{r['best_architecture']}`"
                if isinstance(r.get("best_architecture"), str) else f"`{r['best_pipeline']}`")
        lines.append(f"- {name}, {arm}, seed {seed} (validation {r['best_val']:.4f}, test "
                     f"{r['test_score_single']:.4f}): {what}")
    lines.append("")


def plot_anytime(sub, name, budget, path):
    """Mean over seeds of each arm's anytime curve on one dataset; seeds faint."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    grid = np.linspace(0, budget, 121)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    styles = {"random": ("tab:grey", "-"), "evolution": ("tab:blue", "-"),
              "baseline": ("tab:green", ":")}
    empty = []
    for arm, (colour, line) in styles.items():
        runs = sub.loc[(sub["dataset"] == name) & (sub["arm"] == arm), "curve"]
        curves = [[best_at(curve, g) for g in grid] for curve in runs if curve]
        if not curves:
            empty += [arm] if len(runs) else []
            continue
        curves = np.array(curves, dtype=float)
        for one in curves:
            ax.plot(grid, one, color=colour, linestyle=line, alpha=0.25, linewidth=0.8)
        # from when every seed has a result: a mean over fewer seeds would jump
        mean = curves.mean(axis=0)
        label = "non-neural baseline" if arm == "baseline" else arm
        ax.plot(grid, mean, color=colour, linestyle=line, linewidth=2,
                label=f"{label} ({len(curves)} seeds)")
    if empty:
        ax.text(0.02, 0.95, f"no full-fidelity result: {', '.join(empty)}",
                transform=ax.transAxes, fontsize=7, verticalalignment="top")
    ax.set_xlim(0, budget)
    ax.set_xlabel("seconds into the fit")
    ax.set_ylabel("best full-fidelity validation accuracy")
    ax.set_title(f"{name}, budget {budget} s", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def speedup_table(ok, lines):
    """CPU vs CUDA runs of the same machine, arm, dataset, budget and seed."""
    lines += ["## GPU speed-up", ""]
    cuda = ok[ok["device"] == "cuda"]
    if cuda.empty:
        lines += [("No runs recorded with `--device cuda` yet. On a machine with a CUDA GPU, "
                  "run the sweep with `--device cpu` and with `--device cuda --arms "
                  "random,evolution` (same machine), then `--summarize`."), ""]
        return
    key = ["machine", "arm", "dataset", "budget", "seed"]
    pairs = cuda.merge(ok[ok["device"] == "cpu"], on=key, suffixes=("_cuda", "_cpu"))
    if pairs.empty:
        lines += [(f"{len(cuda)} cuda runs, but no CPU run of the same machine, arm, dataset, "
                  "budget and seed to compare with."), ""]
        return
    pairs["reach"] = [next((t for t, s in c or () if s >= best_at(p, float("inf")) - 1e-12),
                           float("inf")) for c, p in zip(pairs["curve_cuda"], pairs["curve_cpu"])]
    lines += [("Same machine, arm, dataset, budget and seed on both devices; epochs speed-up: "
              "mean of (epochs trained on cuda / on cpu) in the same budget; reached: pairs in "
              "which the cuda run's validation curve reaches the cpu run's final value, and "
              "the median seconds it takes."), "",
              ("| dataset | arm | budget | GPU | pairs | networks cpu | networks cuda | "
              "epochs cpu | epochs cuda | epochs speed-up | test cpu | test cuda | reached | "
              "median s |"), "|---|---|---:|---|---:|" + "---:|" * 9]
    for (name, arm, budget, gpu), part in pairs.groupby(["dataset", "arm", "budget",
                                                          "gpu_cuda"]):
        ratio = (part["epochs_cuda"] / part["epochs_cpu"].where(part["epochs_cpu"] > 0))
        reached = part["reach"][part["reach"] < float("inf")]
        lines.append(
            f"| {name} | {arm} | {budget} | {gpu} | {len(part)} | "
            f"{part['n_networks_cpu'].mean():.1f} | {part['n_networks_cuda'].mean():.1f} | "
            f"{part['epochs_cpu'].mean():.0f} | {part['epochs_cuda'].mean():.0f} | "
            f"{fmt(ratio.mean(), '.2f')}× | {mean_sd(part['test_score_single_cpu'])} | "
            f"{mean_sd(part['test_score_single_cuda'])} | {len(reached)}/{len(part)} | "
            f"{fmt(reached.median() if len(reached) else None, '.1f')} |")
    lines.append("")


def summarize(raw, results, command):
    """Write nas.md, nas.csv and the anytime plots into ``results``; return nas.md's path."""
    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    df = load_records(raw)
    lines = header(df, command)
    if df.empty:
        lines.append("No runs yet.")
    else:
        ok = df[df["status"] == "ok"]
        if len(ok):
            plan_table(ok, lines)
        for device in ("cpu", "cuda"):
            for budget in sorted(ok.loc[ok["device"] == device, "budget"].unique()):
                sub = ok[(ok["budget"] == budget) & (ok["device"] == device)]
                lines += [f"## Budget {budget} s, networks on {device}", ""]
                accuracy_tables(sub, lines)
                late_tables(sub, budget, lines)
                effort_table(sub, lines)
                lines += ["### Anytime curves", "",
                          ("Best full-fidelity validation accuracy vs seconds into the fit; "
                           "thick: mean over seeds, from when every seed has a result; "
                           "faint: each seed."), ""]
                for name in sorted(sub["dataset"].unique()):
                    png = f"nas_anytime_{name}_{budget}{'_cuda' if device == 'cuda' else ''}.png"
                    plot_anytime(sub, name, budget, results / png)
                    lines.append(f"![{name}]({png})")
                lines.append("")
                architectures(sub, lines)
        speedup_table(ok, lines)
        failed = df[df["status"] != "ok"]
        if len(failed):
            lines += ["## Failed runs", ""] + [
                f"- {r['dataset']} {r['arm']} B={r['budget']} seed={r['seed']} "
                f"device={r.get('device')}: {r['status']} {r.get('error', '')}"
                for _, r in failed.iterrows()] + [""]
        df.drop(columns=["curve", "traceback"], errors="ignore").to_csv(
            results / "nas.csv", index=False)
    path = results / "nas.md"
    path.write_text("\n".join(lines) + "\n")
    return path
