"""Peak memory of one HistGradientBoosting fit by its leaves and columns.

HistGradientBoosting's tree grower keeps a histogram (columns x 256 bins x 20
bytes: ~1.9 MB at 377 columns) for the nodes it may still split, so its peak grows
with ``max_leaf_nodes`` x columns, not with the rows or the iterations. Here, on
diamonds' training rows (seed 0's split, the 27,105 rows of its search holdout's
training part): the one-hot columns (26) and those columns through
``PolynomialFeatures(2)`` (377), at 31 and 2047 leaves; three iterations without
early stopping, one thread, each case in a fresh process (its peak RSS is
``ru_maxrss``).

Usage
-----
    python benchmarks/hgb_grower_memory.py            # every case, a markdown table
    python benchmarks/hgb_grower_memory.py --one 1 2047 2   # one case: poly, leaves, min leaf
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = [(0, 31, 20), (0, 2047, 2), (1, 31, 20), (1, 255, 2), (1, 2047, 2)]
ROWS = 27105


def one(poly: int, leaves: int, min_leaf: int) -> str:
    import resource
    import time

    sys.path.insert(0, str(HERE))
    import numpy as np
    import pandas as pd
    from common import dataset_entry, load_split
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.preprocessing import PolynomialFeatures

    X, _, y, _ = load_split(dataset_entry("diamonds"), 0)
    X = pd.get_dummies(X, dtype=float).to_numpy(float)[:ROWS]
    y = np.asarray(y)[:ROWS]
    X = PolynomialFeatures(2, include_bias=False).fit_transform(X) if poly else X
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    start = time.perf_counter()
    model = HistGradientBoostingRegressor(max_iter=3, max_leaf_nodes=leaves,
                                          min_samples_leaf=min_leaf, early_stopping=False,
                                          random_state=0).fit(X, y)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    grown = model._predictors[0][0].get_n_leaf_nodes()
    return (f"| {X.shape[1]} | {leaves} | {min_leaf} | {grown} | {before} | {peak} | "
            f"{peak - before} | {time.perf_counter() - start:.1f} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", nargs=3, type=int, metavar=("POLY", "LEAVES", "MIN_LEAF"))
    args = ap.parse_args(argv)
    if args.one:
        print(one(*args.one))
        return 0
    sys.path.insert(0, str(HERE))
    from common import print_case_table
    print_case_table(__file__, ["columns", "max_leaf_nodes", "min_samples_leaf",
                                "leaves grown (first tree)", "RSS before the fit MB",
                                "peak RSS MB", "the fit's rise MB", "fit s"], CASES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
