"""Peak memory of this package against one peer on the same runs: summed RSS and PSS.

Usage
-----
    nice -n 19 .venv/bin/python benchmarks/peers/run.py \\
        --systems automl-estimators,autogluon --budgets 60 --seeds 0 --raw RAW
    .venv/bin/python benchmarks/peers/memory_pair.py RAW --peer autogluon \\
        --out benchmarks/results/memory_60s_vs_autogluon.md --command "..."

The records are the harness's (``run.py``): the peak over the run of the summed
memory of the run's whole process tree, sampled by ``common.TreeMemorySampler``.
Summed RSS counts a page that several processes map once per process: this
package's trial workers are forked from a forkserver that imported scikit-learn
(with pandas, pyarrow and SciPy: ~170 MB), so those pages count up to four times
(the fit's process, the forkserver, two workers), where a system that fits in one
process counts them once. Summed PSS divides each shared page among the processes
that map it: the memory the tree holds. The report gives both, per system and per
dataset, with the test score beside them (the cells both systems finished).
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
from summarize import load_records, table

MEASURES = (("peak_mb", "summed RSS"), ("peak_pss_mb", "summed PSS"))


def paired_memory(frame, peer, ours=OURS):
    """One row per (dataset, budget, seed) both systems ran: their peaks and scores."""
    import pandas as pd

    keep = ["dataset", "task", "budget", "seed", "score", "peak_mb", "peak_pss_mb", "max_procs"]
    mine = frame.loc[frame["system"] == ours, keep]
    theirs = frame.loc[frame["system"] == peer, keep]
    both = mine.merge(theirs, on=["dataset", "task", "budget", "seed"],
                      suffixes=("_ours", "_peer"))
    for column in ("score", "peak_mb", "peak_pss_mb", "max_procs"):
        for side in ("_ours", "_peer"):
            both[column + side] = pd.to_numeric(both[column + side], errors="coerce")
    return both.sort_values(["budget", "task", "dataset", "seed"]).reset_index(drop=True)


def summary_rows(both, peer, ours=OURS):
    """Per system: runs, median and max of each measure, median processes."""
    rows = []
    for system, side in ((ours, "_ours"), (peer, "_peer")):
        row = [system, len(both)]
        for column, _ in MEASURES:
            values = both[column + side]
            row += [fmt(values.median(), ".0f"), fmt(values.max(), ".0f")]
        row.append(fmt(both["max_procs" + side].median(), ".0f"))
        rows.append(row)
    return rows


def at_or_below(both, column):
    """Cells where our peak is at most the peer's, of the cells where both were recorded."""
    known = both[[column + "_ours", column + "_peer"]].dropna()
    return int((known[column + "_ours"] <= known[column + "_peer"]).sum()), len(known)


def render(both, peer, command, ours=OURS):
    header = ["system", "runs", "median RSS MB", "max RSS MB", "median PSS MB", "max PSS MB",
              "median processes"]
    lines = [f"# Peak memory: {ours} against {peer}, the same runs", "",
             f"Command: `{command}`" if command else "", "",
             ("Peak of the summed memory of each run's whole process tree (see "
              "`benchmarks/peers/memory_pair.py` for why both measures)."), "",
             *table(header, summary_rows(both, peer, ours)), ""]
    for column, name in MEASURES:
        count, known = at_or_below(both, column)
        lines.append(f"- {ours} at or below {peer} by {name}: {count} of {known} runs.")
    lines += ["", "## Per run", ""]
    body = [[r["dataset"], r["task"], r["budget"], r["seed"],
             fmt(r["peak_mb_ours"], ".0f"), fmt(r["peak_mb_peer"], ".0f"),
             fmt(r["peak_pss_mb_ours"], ".0f"), fmt(r["peak_pss_mb_peer"], ".0f"),
             fmt(r["score_ours"], ".4f"), fmt(r["score_peer"], ".4f")]
            for r in both.to_dict("records")]
    lines += table(["dataset", "task", "budget s", "seed", "RSS ours", f"RSS {peer}",
                    "PSS ours", f"PSS {peer}", "test ours", f"test {peer}"], body,
                   ["---", "---"] + ["---:"] * 8)
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("raw", help="folder of the run records (run.py --raw)")
    parser.add_argument("--peer", default="autogluon")
    parser.add_argument("--out", help="markdown report (default: print)")
    parser.add_argument("--command", default="", help="the run's command, for the report")
    args = parser.parse_args(argv)
    frame = load_records(args.raw)
    if frame.empty:
        parser.error(f"no run records in {args.raw}")
    both = paired_memory(frame, args.peer)
    if both.empty:
        parser.error(f"no cell in {args.raw} has records of both {OURS} and {args.peer}")
    text = render(both, args.peer, args.command)
    if args.out:
        Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
