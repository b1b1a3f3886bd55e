"""How much the default HistGradientBoosting baseline moves with its own ``random_state``.

Usage
-----
    OMP_NUM_THREADS=2 python benchmarks/hgb_seed_noise.py run [--datasets a,b] [--seeds 0,1]
    python benchmarks/hgb_seed_noise.py report

The peers benchmark's baseline (``benchmarks/peers/systems.py``, adapter ``hgb``:
one-hot encoding, then ``HistGradientBoosting*(random_state=seed)``) is one draw:
above 10,000 training rows HGB stops early on a validation share it draws with
``random_state``, so the same split scores differently under another seed. A fit
compared with that one draw ("never below the default HGB") inherits its luck.

For each (dataset, split seed), the split of the peers benchmark is fitted with
``random_state`` 0-4 (the split seed's own among them) and scored on the test rows.
Default datasets: the shared ones whose 75 % training split has over 10,000 rows
(below it HGB does not stop early and does not depend on ``random_state``).
Rows go to ``benchmarks/results/hgb_seed_noise.csv`` (resumable); ``report``
prints per cell the range and mean over the five draws and how far the split
seed's own draw (the peers' baseline) stands from that mean.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))
from common import DATA_DIR, append_rows, load_manifest, read_rows, score_of
from protocol import read_split, split_indices

CSV = HERE / "results" / "hgb_seed_noise.csv"
FIELDS = ["dataset", "task", "seed", "random_state", "score", "seconds"]
RANDOM_STATES = range(5)
# HistGradientBoosting's early_stopping="auto" turns on above this many rows.
EARLY_STOPPING_ROWS = 10_000


def _entries(names):
    entries = load_manifest()
    if names:
        return [e for e in entries if e["name"] in names.split(",")]
    return [e for e in entries if int(e["n_rows"] * 0.75) > EARLY_STOPPING_ROWS]


def run(args):
    from systems import ADAPTERS

    done = {(r["dataset"], int(r["seed"]), int(r["random_state"])) for r in read_rows(CSV)}
    for seed in args.seeds:
        for entry in _entries(args.datasets):
            todo = [rs for rs in RANDOM_STATES if (entry["name"], seed, rs) not in done]
            if not todo:
                continue
            X_train, X_test, y_train, y_test = read_split(DATA_DIR / entry["file"],
                                                          split_indices(entry, seed))
            for rs in todo:
                start = time.monotonic()
                adapter = ADAPTERS["hgb"](entry["task"], 60, rs, 2, HERE)
                adapter.fit(X_train, y_train)
                score = score_of(entry["task"], y_test, adapter.predict(X_test))
                append_rows(CSV, FIELDS, [{
                    "dataset": entry["name"], "task": entry["task"], "seed": seed,
                    "random_state": rs, "score": score,
                    "seconds": round(time.monotonic() - start, 2)}])
                print(f"{entry['name']} seed {seed} random_state {rs}: {score:.4f}", flush=True)


def report(args):
    import pandas as pd

    frame = pd.read_csv(CSV)
    print("| dataset | split seed | min | mean | max | the peers' draw (random_state = seed) "
          "| its distance from the mean |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    offsets = []
    for (name, seed), cell in frame.groupby(["dataset", "seed"]):
        scores = cell.set_index("random_state")["score"]
        own = scores.get(seed, np.nan)
        offsets.append(own - scores.mean())
        print(f"| {name} | {seed} | {scores.min():.4f} | {scores.mean():.4f} | "
              f"{scores.max():.4f} | {own:.4f} | {own - scores.mean():+.4f} |")
    spread = frame.groupby(["dataset", "seed"])["score"].std(ddof=1)
    print(f"\n{len(offsets)} cells; standard deviation over random_state, median "
          f"{spread.median():.4f}, largest {spread.max():.4f}; the peers' draw above its "
          f"cell's mean in {sum(o > 0 for o in offsets)} of {len(offsets)} cells, mean "
          f"{np.nanmean(offsets):+.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("phase", choices=("run", "report"))
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--seeds", default="0,1", type=lambda s: [int(x) for x in s.split(",")])
    args = parser.parse_args()
    {"run": run, "report": report}[args.phase](args)


if __name__ == "__main__":
    main()
