"""Memory and time of training one network of the search space, by size (issue 21).

    python benchmarks/nas/network_memory.py --out benchmarks/results/nas/network_memory.md

Each row is a fresh process that trains ``NeuralClassifier`` on one thread, on CPU,
for one epoch of ``--rows`` random rows of MNIST-1D's shape (``image_shape=(40,)``,
10 classes) at the default batch, and reports the network's parameters, the
process's peak resident size (``VmHWM``) and peak virtual size (``VmPeak``, what a
trial worker's ``RLIMIT_AS`` cap counts) above its size after importing torch and
the package, and the fit's seconds (with torch's start-up: a timing of the
sizes relative to each other, not of a trial). Sizes: the search space's default
signal network (width 16, one cell per stage), the estimator's defaults (width 64,
2 cells) and the space's largest (width 256, 4 cells per stage, 5 blocks), each
with the cells of ``--seeds`` architecture seeds.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import write_report

SIZES = ((16, 1, 3), (64, 2, 3), (256, 4, 5))  # (width, cells per stage, blocks)


def _status_mb(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(width, cells, blocks, seed, rows):
    import numpy as np
    import torch

    from automl_estimators.nas.estimators import NeuralClassifier

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 40)).astype(np.float32)
    y = np.arange(rows) % 10
    start_virtual, start_resident = _status_mb("VmSize"), _status_mb("VmRSS")
    model = NeuralClassifier(image_shape=(40,), width=width, n_cells=cells, n_blocks=blocks,
                             architecture_seed=seed, max_epochs=1, validation_fraction=0.0,
                             random_state=0, n_jobs=1, device="cpu")
    start = time.perf_counter()
    model.fit(X, y)
    seconds = time.perf_counter() - start
    print(json.dumps({"width": width, "cells": cells, "blocks": blocks, "seed": seed,
                      "parameters": int(model.n_parameters_),
                      "resident_mb": _status_mb("VmHWM") - start_resident,
                      "virtual_mb": _status_mb("VmPeak") - start_virtual,
                      "fit_seconds": seconds}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=5, type=int)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--rows", type=int, default=384)
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows = []
    for width, cells, blocks in SIZES:
        for seed in (int(s) for s in args.seeds.split(",")):
            done = subprocess.run([sys.executable, __file__, "--child", str(width), str(cells),
                                   str(blocks), str(seed), str(args.rows)],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(done.stderr)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(row, flush=True)
            rows.append(row)
    lines = ["# Training one network: memory and time by size", "",
             ("`benchmarks/nas/network_memory.py`: one thread, CPU, MNIST-1D's shape "
              f"(40 values, 10 classes), {args.rows} random rows, batch 128, one epoch."), "",
             ("| width | cells per stage | blocks | architecture seed | parameters | "
              "peak resident MB | peak virtual MB | fit seconds |"),
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['width']} | {r['cells']} | {r['blocks']} | {r['seed']} | "
              f"{r['parameters']:,} | {r['resident_mb']:.0f} | {r['virtual_mb']:.0f} | "
              f"{r['fit_seconds']:.1f} |" for r in rows]
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
