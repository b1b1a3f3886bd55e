"""A/B of two checkouts of this package, run back to back, cell by cell.

Usage
-----
    git worktree add --detach ../before <commit>
    nice -n 19 .venv/bin/python benchmarks/compare_checkouts.py --before ../before \\
        --after . --datasets credit-g,phoneme,... --seeds 0,1 --budget 60 \\
        --out benchmarks/results/compare_redesign.md

Each (dataset, seed) cell runs the ``before`` checkout, then at once the
``after`` one, so that both arms see the same machine at nearly the same time.
A run is one process of ``benchmarks/peers/run.py`` of that checkout (the peers
protocol: the seed's 75/25 split, 2 pinned cores, ``OMP_WAIT_POLICY=PASSIVE``,
the process tree's peak memory, a hard limit), with the checkout first on
``PYTHONPATH`` so that it imports its own package. Records go to
``benchmarks/results/raw/ab_<arm>/`` (git-ignored); a cell with both records is
skipped, so an interrupted comparison resumes. The report gives each cell's test
score (accuracy, or R² for regression) in both arms, the change, wins / ties /
losses, the fit time against the budget's promise (``budget + max(1 s, 5 %)``)
and the peak memory. ``--search NAME`` runs both arms with that search strategy
(``systems.SEARCH_VARIABLE``; records in ``ab_<arm>_<NAME>/``). With
``--reference-raw DIR`` (records of the peers harness for ``--reference``,
default ``hgb``, on the same splits, at any budget: e.g.
``benchmarks/results/reliability/raw``, or the sweep's committed table
``benchmarks/results/reliability/runs.csv``, whose ``hgb`` column is the
default HGB's score on each split), it also gives the reference's score
and, per arm, the cells below it by more than the reliability sweep's noise
(``reliability_sweep.tolerance``).
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
from common import checkout_env, short_commit  # noqa: E402
from systems import SEARCH_VARIABLE  # noqa: E402

RAW = HERE / "results" / "raw"
OURS = "automl-estimators"
ARMS = ("before", "after")


def arm_folder(arm, search=None):
    """Where an arm's records go: one folder per search strategy compared."""
    return RAW / (f"ab_{arm}" if search is None else f"ab_{arm}_{search}")


def record_path(arm, dataset, budget, seed, search=None):
    return arm_folder(arm, search) / f"{OURS}__{dataset}__{budget}__{seed}.json"


def run_arm(checkout, arm, dataset, seed, budget, search=None):
    """One run of ``checkout``'s peers harness for this cell, importing its own package
    (with ``search``, the strategy it searches with: the harness reads
    ``systems.SEARCH_VARIABLE``; a checkout whose harness predates it runs its
    default)."""
    checkout = Path(checkout).resolve()
    venvs = checkout / "benchmarks" / "peers" / ".venvs"
    if not (venvs / OURS / "bin" / "python").exists():
        raise SystemExit(f"{venvs / OURS} is missing: link it to a venv with this package's "
                         "dependencies installed (e.g. the checkout's .venv)")
    env = checkout_env(checkout)
    if search is not None:
        env[SEARCH_VARIABLE] = search
    subprocess.run([sys.executable, str(checkout / "benchmarks" / "peers" / "run.py"),
                    "--systems", OURS, "--datasets", dataset, "--seeds", str(seed),
                    "--budgets", str(budget), "--raw", str(arm_folder(arm, search))],
                   cwd=checkout, env=env, check=True)


def load(dataset, seed, budget, search=None):
    records = {}
    for arm in ARMS:
        path = record_path(arm, dataset, budget, seed, search)
        if path.exists():
            records[arm] = json.loads(path.read_text())
    return records


def score_of(record):
    if record.get("status") != "ok":
        return None
    return record.get(record.get("primary_metric"))


def reference_score(raw, system, dataset, seed):
    """The reference's test score on this split: its first ok record at any budget,
    or, when ``raw`` is a table of the reliability sweep (``runs.csv``, committed),
    the first of its rows for the split that has a ``system`` column value."""
    if Path(raw).suffix == ".csv":
        with open(raw, newline="") as table:
            for row in csv.DictReader(table):
                if (row["dataset"], row["seed"]) == (dataset, str(seed)) and row.get(system):
                    return float(row[system])
        return None
    for path in sorted(Path(raw).glob(f"{system}__{dataset}__*__{seed}.json")):
        if not path.name.endswith(".child.json"):
            score = score_of(json.loads(path.read_text()))
            if score is not None:
                return score
    return None


def _below(score, reference, record):
    """Whether ``score`` is below ``reference`` by more than the reliability sweep's noise."""
    from reliability_sweep import r2_error, tolerance
    if score is None or reference is None:
        return False
    return score < reference - tolerance(record["task"], reference, record["n_test"],
                                         r2_error(record["dataset"], record["seed"]))


def report(cells, budget, commits, reference_raw=None, reference="hgb", search=None):
    from reliability_sweep import allowance

    limit = budget + allowance(budget)
    rows, deltas = [], []
    fits = {arm: [] for arm in ARMS}
    memory = {arm: [] for arm in ARMS}
    versus = {arm: [] for arm in ARMS}  # score - reference, where both are known
    below = {arm: [] for arm in ARMS}  # (dataset, seed) below the reference beyond noise
    for dataset, seed in cells:
        records = load(dataset, seed, budget, search)
        if len(records) < 2:
            continue
        before, after = (score_of(records[a]) for a in ARMS)
        delta = None if before is None or after is None else after - before
        if delta is not None:
            deltas.append(delta)
        for arm in ARMS:
            fits[arm].append(records[arm].get("fit_s") or float("nan"))
            memory[arm].append(records[arm].get("peak_mb") or float("nan"))
        ref_cell = ""
        if reference_raw is not None:
            ref = reference_score(reference_raw, reference, dataset, seed)
            ref_cell = f" {_fmt(ref)} |"
            for arm, score in zip(ARMS, (before, after)):
                if ref is not None and score is not None:
                    versus[arm].append(score - ref)
                if _below(score, ref, records[arm]):
                    below[arm].append(f"{dataset} {seed}")
        rows.append(f"| {dataset} | {records['after']['task']} | {seed} |{ref_cell} "
                    f"{_fmt(before)} | {_fmt(after)} | {_fmt(delta, sign=True)} | "
                    f"{_fmt(records['before'].get('fit_s'), 1)} | "
                    f"{_fmt(records['after'].get('fit_s'), 1)} | "
                    f"{_fmt(records['before'].get('peak_mb'), 0)} | "
                    f"{_fmt(records['after'].get('peak_mb'), 0)} |")
    wins = sum(d > 0 for d in deltas)
    losses = sum(d < 0 for d in deltas)
    ties = len(deltas) - wins - losses
    mean = sum(deltas) / len(deltas) if deltas else float("nan")
    over = {arm: sum(f > limit for f in fits[arm]) for arm in ARMS}
    lines = [
        f"# A/B: before ({commits['before']}) vs after ({commits['after']}), {budget} s"
        + (f", search={search!r}" if search else ""),
        "",
        "Written by `benchmarks/compare_checkouts.py`. Each cell ran the before checkout",
        "and then at once the after checkout (peers protocol: the seed's 75/25 split, 2",
        "pinned cores, `OMP_WAIT_POLICY=PASSIVE`). Test accuracy (classification) or R²",
        "(regression); fit time as the harness measures it (import included); peak",
        "memory: summed RSS of the process tree.",
        "",
        f"- cells: {len(rows)}; after vs before: {wins} wins / {ties} ties / {losses} "
        f"losses; mean change {mean:+.4f} (noise on the shared suite at 60 s: ~0.005)",
        f"- fits past `budget + max(1 s, 5 %)` = {limit:.1f} s: before {over['before']}, "
        f"after {over['after']}; longest fit: before {max(fits['before'], default=0):.1f} s, "
        f"after {max(fits['after'], default=0):.1f} s",
        f"- median peak memory: before {_median(memory['before']):.0f} MB, after "
        f"{_median(memory['after']):.0f} MB",
    ]
    if reference_raw is not None:
        for arm in ARMS:
            n = len(versus[arm])
            mean_vs = sum(versus[arm]) / n if n else float("nan")
            lines.append(
                f"- {arm} vs default `{reference}` ({n} cells): mean {mean_vs:+.4f}, "
                f"{sum(d > 0 for d in versus[arm])} above / {sum(d == 0 for d in versus[arm])} "
                f"equal / {sum(d < 0 for d in versus[arm])} below; below it by more than the "
                f"noise (`reliability_sweep.tolerance`): {len(below[arm])}"
                + (f" ({', '.join(below[arm])})" if below[arm] else ""))
    lines += [
        "",
        f"| dataset | task | seed |{f' {reference} |' if reference_raw else ''} before | "
        "after | change | fit s before | fit s after | MB before | MB after |",
        "|---|---|---|" + ("---|" if reference_raw else "") + "---|---|---|---|---|---|---|",
        *rows,
    ]
    return "\n".join(lines) + "\n"


def _median(values):
    values = sorted(v for v in values if v == v)
    return values[len(values) // 2] if values else float("nan")


def _fmt(value, digits=4, sign=False):
    if value is None or value != value:
        return "—"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, type=Path)
    ap.add_argument("--after", required=True, type=Path)
    ap.add_argument("--datasets", required=True, help="comma-separated")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--report-only", action="store_true", help="write the report, run nothing")
    ap.add_argument("--reference-raw", type=Path,
                    help="records of a reference system on the same splits (peers harness), "
                         "or the reliability sweep's runs.csv")
    ap.add_argument("--reference", default="hgb", help="the reference system's name")
    ap.add_argument("--search", help="the package's search strategy in both arms (default: "
                    "its own default); records in ab_<arm>_<search>/")
    args = ap.parse_args(argv)
    extra = {"reference_raw": args.reference_raw, "reference": args.reference,
             "search": args.search}
    checkouts = {"before": args.before, "after": args.after}
    commits = {arm: short_commit(checkout) for arm, checkout in checkouts.items()}
    cells = [(d, int(s)) for d in args.datasets.split(",") for s in args.seeds.split(",")]
    for dataset, seed in cells:
        if args.report_only:
            break
        for arm in ARMS:
            if not record_path(arm, dataset, args.budget, seed, args.search).exists():
                run_arm(checkouts[arm], arm, dataset, seed, args.budget, args.search)
        args.out.write_text(report(cells, args.budget, commits, **extra))
    args.out.write_text(report(cells, args.budget, commits, **extra))
    print(args.out.read_text())


if __name__ == "__main__":
    main()
