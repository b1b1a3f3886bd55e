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
dummy fallback is scored (the ``started_at`` of trial 0). Each dataset in a
fresh process (``--one``, the package imported there first): ``first`` is its
first fit (the first calls' costs included, as in a user's script), ``warm`` the
median of the ``--repeats`` fits after it. At 1 s this is much of the budget;
at 5 and 10 s, time the search does not get.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    dataset_entry,
    load_manifest,
    load_split,
    machine_line,
)

MD = RESULTS / "parent_overhead.md"


def overhead(entry, repeats):
    """(first, median of the next ``repeats``) seconds from ``fit`` entered to the
    dummy scored."""
    import automl_estimators
    from automl_estimators import AutoClassifier, AutoRegressor

    X, _, y, _ = load_split(entry, 0)
    cls = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    seconds = []
    for _ in range(repeats + 1):
        # so short that no search starts after the dummy (budget.MIN_TRIAL_SECONDS)
        est = cls(time_budget=0.2, n_jobs=1, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        dummy = next(r for r in est.history_ if r.origin == "dummy")
        seconds.append(dummy.started_at)
    return seconds[0], statistics.median(seconds[1:]), automl_estimators.__file__


def compare(before_path, after_path):
    before, after = (json.loads(Path(p).read_text()) for p in (before_path, after_path))
    lines = ["# The fit's own time before its search (data checks + dummy fallback)", "",
             f"- Command: `python benchmarks/parent_overhead.py` on two checkouts, then "
             f"`--compare`; {machine_line()}.",
             f"- {before['label']}: `{before['package']}`; {after['label']}: "
             f"`{after['package']}`; median of {after['repeats']} fits each, "
             "`time_budget=0.2`, the training split of seed 0.", "",
             f"| dataset | rows × columns | first: {before['label']} | first: {after['label']} "
             f"| warm: {before['label']} | warm: {after['label']} |",
             "|---|---|---:|---:|---:|---:|"]
    rows = sorted(after["rows"], key=lambda r: -(before["first"][r["name"]] - r["first"]))
    for r in rows:
        lines.append(f"| {r['name']} | {r['shape']} | {before['first'][r['name']]:.3f} s | "
                     f"{r['first']:.3f} s | {before['seconds'][r['name']]:.3f} s | "
                     f"{r['seconds']:.3f} s |")
    for key, what in (("first", "first fits"), ("seconds", "warm fits")):
        total_b = sum(before[key].values())
        total_a = sum(r[key] for r in after["rows"])
        lines.append(f"\nSum of the {what} over {len(rows)} datasets: {total_b:.2f} s → "
                     f"{total_a:.2f} s.")
    MD.write_text("\n".join(lines) + "\n")
    return MD.read_text()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--label", default="after")
    ap.add_argument("--out", type=Path, default=None, help="write the timings here (JSON)")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.compare:
        print(compare(*args.compare))
        return 0
    if args.one:
        first, warm, package = overhead(dataset_entry(args.one), args.repeats)
        print(json.dumps({"first": first, "warm": warm, "package": package}))
        return 0
    rows, package = [], None
    for entry in load_manifest():
        done = subprocess.run([sys.executable, __file__, "--one", entry["name"],
                               "--repeats", str(args.repeats)], capture_output=True,
                              text=True, check=True)
        one = json.loads(done.stdout.strip().splitlines()[-1])
        package = one["package"]
        X, _, _, _ = load_split(entry, 0)
        rows.append({"name": entry["name"], "shape": f"{X.shape[0]} × {X.shape[1]}",
                     "first": one["first"], "seconds": one["warm"]})
        print(f"{entry['name']:22s} first {one['first']:.3f} s, warm {one['warm']:.3f} s",
              flush=True)
    result = {"label": args.label, "package": str(Path(package).parent.parent.name),
              "repeats": args.repeats, "rows": rows,
              "first": {r["name"]: r["first"] for r in rows},
              "seconds": {r["name"]: r["seconds"] for r in rows}}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
