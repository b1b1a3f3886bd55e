"""A change of this package against the sweep's runs: same splits, same machine.

Usage
-----
    # run the changed package alone, into its own folder, on the sweep's splits
    cp -r benchmarks/peers/results/raw/splits CANDIDATE/
    .venv/bin/python benchmarks/peers/run.py --systems automl-estimators \\
        --raw CANDIDATE --datasets ... --seeds 0,1
    .venv/bin/python benchmarks/peers/compare.py CANDIDATE --out docs/benchmarks/compare_X.md

The baseline is this package's runs in the sweep (``runs.csv`` and the records
in ``results/raw``); the candidate is every record of this package in
``CANDIDATE``. For each (budget, dataset, seed) both ran, the report gives both
test scores, the change, and the rank each would take among the sweep's other
systems in that cell (the peers' runs are the same ones, so only our row
changes). Then the mean ranks per task type with the baseline or the candidate
in our place, wins/ties/losses of the candidate over the baseline, and their
fit time and peak memory (summed RSS, and the candidate's summed PSS where
recorded: see ``benchmarks/common.py``'s ``TreeMemorySampler``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from common import fmt
from envs import OURS
from protocol import LEDGER, RAW
from summarize import CELL, TASKS, _none, load_records, outcome, rank_runs, table

BEFORE, AFTER = "before", "after"


def _commits(values):
    commits = sorted({str(c)[:7] for c in values if isinstance(c, str)})
    return ", ".join(commits) or "unknown"


def _within(frame, cells):
    """The rows of ``frame`` whose (budget, dataset, seed) is one of ``cells``."""
    import pandas as pd

    return frame[pd.MultiIndex.from_frame(frame[CELL]).isin(cells)]


def paired(baseline, candidate, ours=OURS):
    """The cells both ran, with our row as ``before`` or ``after`` and the peers' rows.

    Returns
    -------
    (DataFrame, DataFrame)
        The records of those cells with the baseline in our place, then with the
        candidate in our place; ``system`` is ``ours`` in both.
    """
    import pandas as pd

    mine = candidate[candidate["system"] == ours]
    ran = _within(baseline, pd.MultiIndex.from_frame(mine[CELL]))
    both = pd.MultiIndex.from_frame(ran.loc[ran["system"] == ours, CELL])
    before = _within(ran, both)
    after = pd.concat([before[before["system"] != ours], _within(mine, both)],
                      ignore_index=True)
    return before.reset_index(drop=True), after


def compare(baseline, candidate, ours=OURS):
    """Per-cell rows and summaries of the candidate against the baseline (see module doc)."""
    before, after = paired(baseline, candidate, ours)
    ranked = {BEFORE: rank_runs(before), AFTER: rank_runs(after)}
    key = {name: r[r["system"] == ours].set_index(CELL) for name, r in ranked.items()}
    cells = sorted(key[BEFORE].index.intersection(key[AFTER].index))
    rows = []
    for cell in cells:
        b, a = key[BEFORE].loc[cell], key[AFTER].loc[cell]
        peers = _within(before, [cell])
        peers = peers[peers["system"] != ours]
        best = peers.loc[peers["score"].idxmax()] if peers["score"].notna().any() else None
        rows.append({
            "budget": cell[0], "dataset": cell[1], "seed": cell[2], "task": b["task"],
            "before": _none(b["score"]), "after": _none(a["score"]),
            "outcome": outcome(_none(a["score"]), _none(b["score"])),
            "rank_before": b["rank"], "rank_after": a["rank"],
            "best_peer": None if best is None else best["system"],
            "best_peer_score": None if best is None else float(best["score"]),
            "fit_before": float(b["fit_s"]), "fit_after": float(a["fit_s"]),
            "peak_before": float(b["peak_mb"]), "peak_after": float(a["peak_mb"]),
            "pss_after": _none(float(a.get("peak_pss_mb") or "nan")),
            "commit_before": b.get("repo_commit"), "commit_after": a.get("repo_commit"),
            "model_after": str(a.get("model") or "")})
    return rows


def render(rows, command=""):
    """The report as markdown lines."""
    import pandas as pd

    frame = pd.DataFrame(rows)
    baseline_commit = _commits(r["commit_before"] for r in rows)
    candidate_commit = _commits(r["commit_after"] for r in rows)
    lines = [f"# This package: {candidate_commit} against the sweep's {baseline_commit}", "",
             "Same splits, same machine; the peers' runs are the sweep's. Command: "
             f"`{command}`." if command else "Same splits, same machine; the peers' runs are "
             "the sweep's.", ""]
    if frame.empty:
        return [*lines, "No cell was run by both.", ""]
    lines += ["## Mean rank among the sweep's systems", ""]
    summary = []
    for task in (*TASKS, "all"):
        part = frame if task == "all" else frame[frame["task"] == task]
        if part.empty:
            continue
        counts = part["outcome"].value_counts()
        summary.append([task, len(part), fmt(part["rank_before"].mean(), ".2f"),
                        fmt(part["rank_after"].mean(), ".2f"),
                        f"{counts.get('win', 0)}/{counts.get('tie', 0)}/{counts.get('loss', 0)}",
                        fmt((part["after"] - part["before"]).mean(), "+.4f")])
    lines += table(["task", "cells", f"rank {baseline_commit}", f"rank {candidate_commit}",
                    "W/T/L new vs old", "mean Δ score"], summary)
    lines += ["", "## Per cell", ""]
    body = [[r["dataset"], r["seed"], r["task"], fmt(r["before"], ".4f"),
             fmt(r["after"], ".4f"),
             fmt(None if r["before"] is None or r["after"] is None
                 else r["after"] - r["before"], "+.4f"),
             f"{r['rank_before']:g} → {r['rank_after']:g}",
             f"{r['best_peer']} {fmt(r['best_peer_score'], '.4f')}",
             f"{r['fit_before']:.1f} → {r['fit_after']:.1f}",
             f"{r['peak_before']:.0f} → {r['peak_after']:.0f}"
             + (f" (PSS {r['pss_after']:.0f})" if r["pss_after"] is not None else ""),
             r["model_after"][:60]]
            for r in rows]
    lines += table(["dataset", "seed", "task", "old", "new", "Δ", "rank", "best peer",
                    "fit s", "peak MB", "new model"], body,
                   ["---", "---:", "---", "---:", "---:", "---:", "---:", "---", "---:",
                    "---:", "---"])
    return [*lines, ""]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("candidate", type=Path, help="folder of the changed package's records")
    ap.add_argument("--raw", type=Path, default=RAW, help="the sweep's records")
    ap.add_argument("--ledger", type=Path, default=LEDGER,
                    help="the sweep's committed ledger, for runs whose records are not in "
                         "--raw (a league's: benchmarks/peers/results/league300.csv)")
    ap.add_argument("--out", type=Path, help="markdown file (default: print)")
    ap.add_argument("--command", default="", help="how the candidate was run")
    args = ap.parse_args(argv)
    baseline = load_records(args.raw, args.ledger)
    candidate = load_records(args.candidate)
    if candidate.empty or not (candidate["system"] == OURS).any():
        ap.error(f"no record of {OURS} in {args.candidate}")
    rows = compare(baseline, candidate)
    text = "\n".join(render(rows, args.command))
    if args.out:
        args.out.write_text(text)
        print(f"wrote {args.out}")
    else:
        print(text)


if __name__ == "__main__":
    main()
