"""The fit's own time before its search: data checks and the dummy fallback, per shared dataset.

Usage
-----
    .venv/bin/python benchmarks/parent_overhead.py                      # this checkout
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/parent_overhead.py \\
        --label before --out /tmp/before.json                          # another one
    .venv/bin/python benchmarks/parent_overhead.py --compare before.json after.json

What every fit spends in its own process before the first trial can start, and
counts against its budget: ``fit`` entered with a fresh estimator
(``AutoClassifier`` / ``AutoRegressor``, ``time_budget=0.2``, so that no search
starts) on the training split of seed 0, its ``Budget`` clock read when the
dummy fallback is scored (the ``started_at`` of trial 0). Median of ``--repeats`` fits in one
process (imports warm). At 1 s this is most of the budget; at 5 and 10 s, time
the search does not get.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import RESULTS, load_manifest, load_split, machine_line  # noqa: E402

MD = RESULTS / "parent_overhead.md"


def overhead(entry, repeats):
    """Median seconds from ``fit`` entered to the dummy fitted, over ``repeats`` fits."""
    import automl_estimators
    from automl_estimators import AutoClassifier, AutoRegressor

    X, _, y, _ = load_split(entry, 0)
    cls = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    seconds = []
    for _ in range(repeats):
        # so short that no search starts after the dummy (budget.MIN_TRIAL_SECONDS)
        est = cls(time_budget=0.2, n_jobs=1, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        dummy = next(r for r in est.history_ if r.origin == "dummy")
        seconds.append(dummy.started_at)
    return statistics.median(seconds), automl_estimators.__file__


def compare(before_path, after_path):
    before, after = (json.loads(Path(p).read_text()) for p in (before_path, after_path))
    lines = ["# The fit's own time before its search (data checks + dummy fallback)", "",
             f"- Command: `python benchmarks/parent_overhead.py` on two checkouts, then "
             f"`--compare`; {machine_line()}.",
             f"- {before['label']}: `{before['package']}`; {after['label']}: "
             f"`{after['package']}`; median of {after['repeats']} fits each, "
             "`time_budget=0.2`, the training split of seed 0.", "",
             f"| dataset | rows × columns | {before['label']} s | {after['label']} s | saved s |",
             "|---|---|---:|---:|---:|"]
    rows = sorted(after["rows"], key=lambda r: -(before["seconds"][r["name"]] - r["seconds"]))
    for r in rows:
        b = before["seconds"][r["name"]]
        lines.append(f"| {r['name']} | {r['shape']} | {b:.3f} | {r['seconds']:.3f} | "
                     f"{b - r['seconds']:+.3f} |")
    total_b = sum(before["seconds"].values())
    total_a = sum(r["seconds"] for r in after["rows"])
    lines += ["", f"Sum over {len(rows)} datasets: {total_b:.2f} s → {total_a:.2f} s."]
    MD.write_text("\n".join(lines) + "\n")
    return MD.read_text()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--label", default="after")
    ap.add_argument("--out", type=Path, default=None, help="write the timings here (JSON)")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args(argv)
    if args.compare:
        print(compare(*args.compare))
        return 0
    rows, package = [], None
    for entry in load_manifest():
        start = time.perf_counter()
        seconds, package = overhead(entry, args.repeats)
        X, _, _, _ = load_split(entry, 0)
        rows.append({"name": entry["name"], "shape": f"{X.shape[0]} × {X.shape[1]}",
                     "seconds": seconds})
        print(f"{entry['name']:22s} {seconds:.3f} s  ({time.perf_counter() - start:.1f} s)",
              flush=True)
    result = {"label": args.label, "package": str(Path(package).parent.parent.name),
              "repeats": args.repeats, "rows": rows,
              "seconds": {r["name"]: r["seconds"] for r in rows}}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
