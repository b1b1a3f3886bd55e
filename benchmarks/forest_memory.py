"""How large a fitted forest is, by its trees, leaf size and classes.

A random forest or extra trees of fully grown trees keeps, for every node, the
class fractions of its rows (``tree_.value``: nodes x classes, float64) beside the
node itself (64 bytes), so its size grows with trees x nodes x classes. The 300 s
league's letter fit (26 classes, 15,000 training rows) peaked at the finishing step
with the fit's own process holding 1943 MB of refit ensemble members, forests of
505 and 100 trees among them (``benchmarks/results/memory_hgb_grower.md``,
section 4). Here, on letter's training rows (seed 0's split, all 15,000: the rows
of a refit): one forest per process, its nodes, the bytes of its arrays, its
pickle, and the process's peak RSS rise over the fit.

Usage
-----
    python benchmarks/forest_memory.py                 # every case, a markdown table
    python benchmarks/forest_memory.py --one extra_trees 100 1   # one case
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = [("extra_trees", 100, 1), ("extra_trees", 100, 3), ("extra_trees", 505, 1),
         ("random_forest", 100, 1), ("random_forest", 100, 3)]


def one(kind: str, trees: int, min_leaf: int) -> str:
    import pickle
    import resource
    import time

    sys.path.insert(0, str(HERE))
    import numpy as np
    from common import dataset_entry, load_split
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    X, _, y, _ = load_split(dataset_entry("letter"), 0)
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    cls = ExtraTreesClassifier if kind == "extra_trees" else RandomForestClassifier
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    start = time.perf_counter()
    model = cls(n_estimators=trees, min_samples_leaf=min_leaf, n_jobs=1,
                random_state=0).fit(X, y)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    nodes = sum(t.tree_.node_count for t in model.estimators_)
    arrays = sum(t.tree_.value.nbytes + t.tree_.node_count * 64 for t in model.estimators_)
    pickled = len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    return (f"| {kind} | {trees} | {min_leaf} | {len(np.unique(y))} | {X.shape[0]} | "
            f"{nodes // trees} | {arrays / 2**20:.0f} | {pickled / 2**20:.0f} | "
            f"{peak - before} | {seconds:.1f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", nargs=3, metavar=("KIND", "TREES", "MIN_LEAF"))
    args = ap.parse_args(argv)
    if args.one:
        kind, trees, min_leaf = args.one
        print(one(kind, int(trees), int(min_leaf)))
        return 0
    sys.path.insert(0, str(HERE))
    from common import print_case_table
    print_case_table(__file__, ["forest", "trees", "min_samples_leaf", "classes", "rows",
                                "nodes per tree", "node arrays MB", "pickle MB",
                                "the fit's RSS rise MB", "fit s"], CASES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
