"""The NAS strategies benchmark's report: tables and anytime plots from the JSONL rows.

Reads every ``<results>/*.jsonl`` (``records.py``) and writes ``<results>/README.md``
and ``<results>/anytime_<dataset>_<budget>_<device>.png``. Nothing here runs a fit::

    python benchmarks/nas/report_strategies.py [--results-dir DIR] [--title TEXT]

Sections, per (budget, device) of the network arms (the cpu-only arms join every
section of their budget): test accuracy per dataset x arm; each strategy vs random
search (paired over seeds, 95 % t and bootstrap intervals); networks trained to
reach the REINFORCE controller's best; the controller's mean reward per round; the
one-shot search's cost against one network's; the training recipes picked; the
anytime plots. Then the CPU vs GPU speed-up, from pairs of runs on both devices.
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import arms
import records
from common import fmt
from paired_stats import paired_difference

TIE = 1e-4  # validation scores closer than this count as reached
REFERENCE_ARM = "random"
CONTROLLER_ARM = "controller"
ONE_SHOT_ARM = "one_shot"
NO_GPU = "not measured: no GPU lent"


# ------------------------------------------------------------------ rows
def ok(rows):
    return [r for r in rows if r.get("status") == "ok"]


def arm_order(names):
    known = [a for a in arms.DEFAULT_ARMS if a in names]
    return known + sorted(set(names) - set(known))


def sections(rows):
    """``{(budget, device): rows}``: the network arms' devices, cpu-only arms in each."""
    network_devices = {(r["budget"], r["device"]) for r in rows
                       if r["arm"] not in arms.CPU_ONLY_ARMS}
    budgets_only_cpu = {r["budget"] for r in rows} - {b for b, _ in network_devices}
    keys = sorted(network_devices | {(b, "cpu") for b in budgets_only_cpu},
                  key=lambda k: (k[0], k[1] != "cpu", k[1]))
    return {(b, d): [r for r in rows if r["budget"] == b and (
        r["device"] == d or r["arm"] in arms.CPU_ONLY_ARMS)] for b, d in keys}


def by_arm(rows, dataset, arm):
    """``{seed: row}`` of the ok runs of one arm on one dataset."""
    return {r["seed"]: r for r in ok(rows) if r["dataset"] == dataset and r["arm"] == arm}


# ---------------------------------------------------------------- curves
def best_at(curve, position, axis):
    """Best validation by ``position`` seconds (axis 0) or networks trained (axis 1)."""
    scores = [p[2] for p in curve or () if p[axis] <= position and p[2] is not None]
    return max(scores) if scores else None


def networks_to_reach(curve, target):
    """Networks trained when the curve first reaches ``target`` (None: never)."""
    for seconds, networks, best in curve or ():
        if best is not None and best >= target - TIE:
            return networks
    return None


def final_best(curve):
    scores = [p[2] for p in curve or () if p[2] is not None]
    return max(scores) if scores else None


# --------------------------------------------------------- search reports
def reward_series(report):
    """``(key, per-round values)`` of the first list of numbers whose key says reward."""
    for key, value in (report or {}).items():
        if "reward" in key.lower() and isinstance(value, list) and value and all(
                isinstance(v, (int, float)) for v in value):
            return key, value
    return None


def search_costs(report):
    """Numbers of a strategy's report whose key says seconds or cost (one-shot's search);
    a list of numbers (one per search, as one-shot's ``search_seconds``) counts as its mean."""
    costs = {}
    for key, value in (report or {}).items():
        if "seconds" not in key.lower() and "cost" not in key.lower():
            continue
        values = value if isinstance(value, list) else [value]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if numbers and len(numbers) == len(values):
            costs[key] = sum(numbers) / len(numbers)
    return costs


# ---------------------------------------------------------------- format
def mean_sd(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "—"
    mean = sum(values) / len(values)
    if len(values) < 2:
        return f"{mean:.4f}"
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return f"{mean:.4f} ± {sd:.4f}"


def signed(value):
    return "—" if value is None else f"{round(value, 4) + 0.0:+.4f}"


def interval(bounds):
    return "—" if bounds is None else f"[{signed(bounds[0])}, {signed(bounds[1])}]"


def numeric(cell):
    """Whether a table cell holds a number (or a range or count of them): right-aligned."""
    if isinstance(cell, (int, float)):
        return True
    return bool(re.match(r"^([+\-]?[\d.]|\[|—$|not reached)", str(cell)))


def table(header, rows):
    """A markdown table; columns of numbers right-aligned."""
    right = [bool(rows) and all(numeric(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


# -------------------------------------------------------------- sections
def accuracy_table(rows, datasets, arm_names):
    body = []
    for dataset in datasets:
        cells = [mean_sd([r["test_accuracy"] for r in by_arm(rows, dataset, a).values()])
                 for a in arm_names]
        seeds = {r["seed"] for r in ok(rows) if r["dataset"] == dataset}
        body.append([dataset, len(seeds), *cells])
    return table(["dataset", "seeds", *arm_names], body)


def paired_diffs(rows, dataset, arm, column):
    """``arm − random`` of one column on the seeds both have, in seed order."""
    mine, theirs = by_arm(rows, dataset, arm), by_arm(rows, dataset, REFERENCE_ARM)
    return [mine[s][column] - theirs[s][column] for s in sorted(mine)
            if s in theirs and mine[s].get(column) is not None
            and theirs[s].get(column) is not None]


def wins_ties_losses(diffs):
    return (sum(d > TIE for d in diffs), sum(abs(d) <= TIE for d in diffs),
            sum(d < -TIE for d in diffs))


def versus_random(rows, datasets, arm_names):
    """Each strategy's paired difference from random search, per dataset and pooled."""
    strategies = [a for a in arm_names if arms.is_strategy(a) and a != REFERENCE_ARM]
    if REFERENCE_ARM not in arm_names or not strategies:
        return [f"Needs the `{REFERENCE_ARM}` arm and another strategy on the same seeds."]
    body = []
    for arm in strategies:
        for column, label in (("test_accuracy", "test accuracy"),
                              ("best_validation", "best validation")):
            per_dataset = {d: paired_diffs(rows, d, arm, column) for d in datasets}
            pooled = [d for diffs in per_dataset.values() for d in diffs]
            groups = list(per_dataset.items())
            if len([d for d, diffs in groups if diffs]) > 1:
                groups.append(("**all**", pooled))
            for dataset, diffs in groups:
                if not diffs:
                    continue
                result = paired_difference(diffs)
                body.append([arm, label, dataset, result.n, signed(result.mean),
                             interval(result.t_interval), interval(result.bootstrap_interval),
                             "/".join(map(str, wins_ties_losses(diffs)))])
    if not body:
        return ["No strategy shares a (dataset, seed) with random search yet."]
    return [("Difference strategy − random over paired seeds (the same dataset, seed, "
            "budget and device); **all**: every (dataset, seed) pair. 95 % intervals: t "
            "with n − 1 degrees of freedom, and percentile bootstrap "
            "(10 000 resamples); — with one pair. w/t/l: wins, ties (|diff| ≤ 0.0001), "
            "losses."), "",
            *table(["strategy", "score", "dataset", "pairs", "mean diff", "95 % t interval",
                    "95 % bootstrap", "w/t/l"], body)]


def networks_to_controller_best(rows, datasets, arm_names):
    """Networks each arm trained to reach the controller's final best validation."""
    others = [a for a in arm_names if arms.is_strategy(a) and a != CONTROLLER_ARM]
    if CONTROLLER_ARM not in arm_names:
        return [f"No `{CONTROLLER_ARM}` runs."]
    body, ratios = [], {a: [] for a in others}
    for dataset in datasets:
        controller = by_arm(rows, dataset, CONTROLLER_ARM)
        for seed, row in sorted(controller.items()):
            target = final_best(row.get("curve"))
            if target is None:
                continue
            own = networks_to_reach(row["curve"], target)
            cells = []
            for arm in others:
                other = by_arm(rows, dataset, arm).get(seed)
                reached = None if other is None else networks_to_reach(other.get("curve"),
                                                                        target)
                if other is None:
                    cells.append("—")
                elif reached is None:
                    cells.append(f"not reached ({other.get('n_networks', 0)})")
                else:
                    cells.append(str(reached))
                    if own and reached:
                        ratios[arm].append(own / reached)
            body.append([dataset, seed, f"{target:.4f}", own, *cells])
    if not body:
        return ["No controller run with a full-fidelity network yet."]
    lines = [("Target: the controller's best full-fidelity validation score in that run. "
             "Cells: networks the arm had trained (ok trials, any fidelity) when its "
             "best full-fidelity validation first reached the target; not reached: the "
             "arm's networks in all. PNAS (Liu et al. 2018) reports reaching the RL "
             "controller's accuracy with up to 5x fewer models."), "",
             *table(["dataset", "seed", "controller best", CONTROLLER_ARM, *others], body)]
    summary = [f"{arm}: {sorted(r)[len(r) // 2]:.2f}x ({len(r)} runs)"
               for arm, r in ratios.items() if r]
    if summary:
        lines += ["", "Median of controller networks / arm networks, where both reached it: "
                  + "; ".join(summary) + "."]
    return lines


def controller_rewards(rows, datasets):
    body = []
    for dataset in datasets:
        for seed, row in sorted(by_arm(rows, dataset, CONTROLLER_ARM).items()):
            series = reward_series(row.get("search_report"))
            if series is None:
                body.append([dataset, seed, "—", 0, "—", "—", "—"])
                continue
            key, values = series
            body.append([dataset, seed, f"`{key}`", len(values), f"{values[0]:.4f}",
                         f"{values[-1]:.4f}", signed(values[-1] - values[0])])
    if not body:
        return [f"No `{CONTROLLER_ARM}` runs."]
    return [("From each run's `search_report_`: the first list of numbers whose key "
            "names a reward (one value per round)."), "",
            *table(["dataset", "seed", "report key", "rounds", "first round", "last round",
                    "last − first"], body)]


def one_shot_cost(rows, datasets):
    body = []
    for dataset in datasets:
        randoms = by_arm(rows, dataset, REFERENCE_ARM)
        for seed, row in sorted(by_arm(rows, dataset, ONE_SHOT_ARM).items()):
            costs = search_costs(row.get("search_report"))
            per_network = (randoms.get(seed) or {}).get("network_seconds_mean")
            own = row.get("network_seconds_mean")
            search = max(costs.values()) if costs else None
            body.append([
                dataset, seed,
                ", ".join(f"`{k}` {v:.1f}" for k, v in costs.items()) or "—",
                row.get("n_networks", "—"), fmt(own, ".1f"), fmt(per_network, ".1f"),
                fmt(search / per_network if search and per_network else None, ".1f")])
    if not body:
        return [f"No `{ONE_SHOT_ARM}` runs."]
    return [("Search cost: the numbers of the one-shot run's `search_report_` whose key "
            "names seconds or a cost. Per network: mean seconds of a full-fidelity "
            "network trial (ok), in the one-shot run and in random search on the same "
            "seed. In networks: the largest search cost over random search's seconds "
            "per network."), "",
            *table(["dataset", "seed", "search cost (s)", "networks trained",
                    "s per network (one-shot)", "s per network (random)",
                    "search cost in networks"], body)]


def recipe_picks(rows):
    counts = {}
    for row in ok(rows):
        for name, (value, source) in (row.get("recipe") or {}).items():
            cell = counts.setdefault((name, str(value)), {"searched": 0, "default": 0,
                                                          "arms": set()})
            cell[source] = cell.get(source, 0) + 1
            cell["arms"].add(row["arm"])
    if not counts:
        return [("No run recorded a network's training recipe (activation, optimizer, "
                "lr_schedule) yet.")]
    body = [[name, f"`{value}`", c["searched"], c["default"], ", ".join(arm_order(c["arms"]))]
            for (name, value), c in sorted(counts.items())]
    return [("The best network of each run (the chosen one, else the best full-fidelity "
            "network): searched: its configuration set the value; default: the network "
            "estimator's default."), "",
            *table(["hyperparameter", "value", "searched", "default", "arms"], body)]


def effort_table(rows, datasets, arm_names):
    body = []
    for dataset in datasets:
        for arm in arm_names:
            runs = list(by_arm(rows, dataset, arm).values())
            if not runs:
                continue

            def mean(column, runs=runs):
                values = [r[column] for r in runs if r.get(column) is not None]
                return sum(values) / len(values) if values else None

            body.append([dataset, arm, len(runs), fmt(mean("fit_seconds"), ".1f"),
                         fmt(mean("n_trials"), ".1f"), fmt(mean("n_networks"), ".1f"),
                         fmt(mean("network_seconds_mean"), ".1f"),
                         mean_sd([r.get("best_validation") for r in runs])])
    return table(["dataset", "arm", "runs", "fit s", "trials", "networks trained",
                  "s per network", "best validation"], body)


# ----------------------------------------------------------------- plots
def plot_anytime(rows, dataset, budget, device, out_dir):
    """Best validation vs seconds and vs networks trained, every arm of one dataset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    runs = [r for r in ok(rows) if r["dataset"] == dataset and r.get("curve")]
    if not runs:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = plt.get_cmap("tab10")
    for i, arm in enumerate(arm_order({r["arm"] for r in runs})):
        curves = [r["curve"] for r in runs if r["arm"] == arm]
        for axis, ax in enumerate(axes):
            if axis == 1 and not any(p[1] for c in curves for p in c):
                continue  # trains no network: no curve over networks
            end = max(p[axis] for c in curves for p in c) if axis else budget * 1.05
            grid = np.linspace(0, end, 300) if axis == 0 else np.arange(0, end + 1)
            values = np.array([[np.nan if (b := best_at(c, g, axis)) is None else b
                                for g in grid] for c in curves])
            for line in values:
                ax.step(grid, line, where="post", color=colours(i % 10), alpha=0.25, lw=0.8)
            whole = ~np.isnan(values).any(axis=0)
            mean = values[:, whole].mean(axis=0)
            ax.step(grid[whole], mean, where="post", color=colours(i % 10), lw=2,
                    label=f"{arm} ({len(curves)})")
            if mean.size:  # the end, visible even for a curve of one point
                ax.plot(grid[whole][-1], mean[-1], "o", color=colours(i % 10), ms=4)
    axes[0].set_xlabel("seconds into the fit")
    axes[1].set_xlabel("networks trained")
    for ax in axes:
        ax.set_ylabel("best full-fidelity validation accuracy")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"{dataset}: budget {budget} s, {device} (thick: mean over seeds)")
    fig.tight_layout()
    path = Path(out_dir) / f"anytime_{dataset}_{budget}_{device}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


# ------------------------------------------------------------- GPU table
def speedup(rows):
    pairs = {}
    for row in ok(rows):
        if row["arm"] not in arms.CPU_ONLY_ARMS:
            pairs.setdefault((row["dataset"], row["arm"], row["seed"], row["budget"]),
                             {})[row["device"]] = row
    body = []
    for (dataset, arm, seed, budget), both in sorted(pairs.items(), key=str):
        if {"cpu", "cuda"} - set(both):
            continue
        cpu, cuda = both["cpu"], both["cuda"]
        target = final_best(cpu.get("curve"))
        reached = {d: next((p[0] for p in both[d].get("curve") or ()
                            if target is not None and p[2] is not None
                            and p[2] >= target - TIE), None) for d in both}
        body.append([dataset, arm, seed, budget, cuda.get("gpu") or "—",
                     cpu.get("n_networks", 0), cuda.get("n_networks", 0),
                     fmt(cuda["n_networks"] / cpu["n_networks"] if cpu.get("n_networks")
                         else None, ".2f"),
                     fmt(reached["cpu"], ".1f"), fmt(reached["cuda"], ".1f"),
                     fmt(reached["cpu"] / reached["cuda"] if reached["cpu"] and reached["cuda"]
                         else None, ".2f")])
    if not body:
        return [NO_GPU + " (no run has both a cpu and a cuda row)."]
    return [("Pairs of runs of the same (dataset, arm, seed, budget) on both devices. "
            "Networks: ok network trials in the budget. Seconds to reach the cpu run's "
            "best validation."), "",
            *table(["dataset", "arm", "seed", "budget", "GPU", "networks cpu",
                    "networks cuda", "× networks", "s to cpu best: cpu", "cuda",
                    "speed-up"], body)]


# ---------------------------------------------------------------- report
def header(rows, command, title):
    machines = sorted({r["machine"] for r in rows if r.get("machine")})
    commits = sorted({r["commit"] for r in rows if r.get("commit")})
    statuses = {}
    for r in rows:
        statuses[r.get("status")] = statuses.get(r.get("status"), 0) + 1
    return [f"# {title}", "",
            f"- Written by `benchmarks/nas/report_strategies.py` on "
            f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, from "
            f"{len(rows)} runs (" + ", ".join(f"{k} {v}" for k, v in sorted(
                statuses.items(), key=str)) + ").",
            f"- Command: `{command}`",
            "- Machines: " + ("; ".join(machines) or "—"),
            "- Package commits: " + (", ".join(commits) or "—"),
            ("- Arms and protocol: `benchmarks/nas/README.md`. Each run is one process; "
            "`AutoClassifier(time_budget=B, random_state=seed, n_jobs, image_shape)`; "
            "a strategy arm searches networks only (`neural=True, search=NAME, "
            "include=[\"neural_network\"]`). Test accuracy on the dataset's test split "
            "(75/25 by seed; MNIST-1D: its own 4000/1000 split)."), ""]


def write_report(results: Path, command: str, title: str | None = None) -> Path:
    """Write ``<results>/README.md`` and its plots from the rows of ``results``."""
    results = Path(results)
    rows = records.read_rows(results)
    lines = header(rows, command, title or "NAS strategies benchmark")
    if not rows:
        lines.append("No runs recorded yet.")
    for (budget, device), section in sections(rows).items():
        datasets = sorted({r["dataset"] for r in section})
        arm_names = arm_order({r["arm"] for r in section})
        lines += [f"## Budget {budget} s, networks on {device}", "",
                  "### Test accuracy (mean ± sd over seeds)", "",
                  *accuracy_table(section, datasets, arm_names), "",
                  "### Strategies vs random search", "",
                  *versus_random(section, datasets, arm_names), "",
                  "### Networks trained to reach REINFORCE's best", "",
                  *networks_to_controller_best(section, datasets, arm_names), "",
                  "### Controller: mean reward per round", "",
                  *controller_rewards(section, datasets), "",
                  "### One-shot search cost vs one network", "",
                  *one_shot_cost(section, datasets), "",
                  "### Training recipes picked", "", *recipe_picks(section), "",
                  "### Search effort (mean over seeds)", "",
                  *effort_table(section, datasets, arm_names), "",
                  "### Anytime curves", "",
                  ("Best full-fidelity validation accuracy vs seconds into the fit (left) "
                  "and vs networks trained (right); faint: each seed; thick: the mean "
                  "where every seed has a value."), ""]
        for dataset in datasets:
            path = plot_anytime(section, dataset, budget, device, results)
            if path is not None:
                lines.append(f"![{dataset}]({path.name})")
        lines.append("")
    lines += ["## CPU vs GPU speed-up", "", *speedup(rows), ""]
    failed = [r for r in rows if r.get("status") != "ok"]
    if failed:
        lines += ["## Runs without a result", ""]
        lines += [f"- {r['dataset']} {r['arm']} seed={r['seed']} B={r['budget']} "
                  f"{r['device']}: {r['status']}: {r.get('error', '')}" for r in
                  sorted(failed, key=records.key_of)]
        lines.append("")
    finals = [r for r in ok(rows) if r.get("final_model")]
    if finals:
        lines += ["## Final models", ""]
        lines += [f"- {r['dataset']} {r['arm']} seed={r['seed']} B={r['budget']} "
                  f"{r['device']} (test {r['test_accuracy']:.4f}): {r['final_model']}"
                  for r in sorted(finals, key=records.key_of)]
        lines.append("")
    path = results / "README.md"
    path.write_text("\n".join(lines))
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results-dir", type=Path, default=HERE.parent / "results" / "nas")
    ap.add_argument("--title", default=None)
    args = ap.parse_args(argv)
    command = "python benchmarks/nas/report_strategies.py " + shlex.join(
        argv if argv is not None else sys.argv[1:])
    print(write_report(args.results_dir, command.strip(), args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
