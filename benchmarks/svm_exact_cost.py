"""When is an exact RBF-kernel SVM affordable? Fit time against its kernel work.

    python benchmarks/svm_exact_cost.py --out benchmarks/results/svm_exact_cost.md

libsvm's time grows with the kernel entries it computes (rows^2 for one binary
problem; one-vs-one classes make k(k-1)/2 problems of 2n/k rows, about twice
the entries), each as costly as the columns: kernel work = rows^2 x columns,
which ``automl_estimators.pipelines.components.EXACT_SVM_MAX_WORK`` bounds for
the classifier beyond ``EXACT_SVM_MAX_ROWS`` (the regressor: the rows only). For
each case: its rows (a shared dataset, ``name@N``: N of them drawn by seed;
MNIST-1D generated with N samples) split 75/25 by seed (stratified for
classes), the search's 67 % holdout share of the 75 % trained on, standardized,
one thread; ``SVC``/``SVR(C, gamma)`` timed
and scored on the test rows (accuracy; R² of the standardized target), and the
same for the approximation the package uses above the bound (Nystroem, 1000
components, + ``LinearSVC``/``LinearSVR``). ns per unit = fit seconds / work.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common


def numeric_split(name, seed, rows=None):
    """Standardized numeric (train, test) arrays of a case: all its rows split 75/25
    by seed (the shared datasets' rows as ``common.load_split`` reads them, put
    back together and split again here, like MNIST-1D's), then 67 % of the 75 %
    (a search's holdout share) kept for training."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelEncoder, OrdinalEncoder, StandardScaler

    if name.startswith("mnist1d"):
        from mnist1d.data import get_dataset_args, make_dataset

        args = get_dataset_args()
        args.num_samples = int(rows or 5000)
        args.seed = seed
        data = make_dataset(args)
        X = np.vstack([data["x"], data["x_test"]])
        y = np.concatenate([data["y"], data["y_test"]])
    else:
        entry = common.dataset_entry(name)
        X_train, X_test, y_train, y_test = common.load_split(entry, seed, rows=rows)
        import pandas as pd

        frame = pd.concat([X_train, X_test])
        text = frame.select_dtypes(exclude="number").columns
        frame[text] = OrdinalEncoder().fit_transform(frame[text].astype(str))
        X = frame.fillna(frame.median()).to_numpy(float)
        y = np.concatenate([np.asarray(y_train), np.asarray(y_test)])
    classification = not np.issubdtype(np.asarray(y).dtype, np.floating)
    if classification:
        y = LabelEncoder().fit_transform(y)
    else:
        y = (y - y.mean()) / y.std()
    strata = y if classification else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=strata, random_state=seed)
    X_train, _, y_train, _ = train_test_split(
        X_train, y_train, test_size=0.33, stratify=y_train if classification else None,
        random_state=seed)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test, classification


def timed(model, X_train, y_train, X_test, y_test, classification):
    """Fit seconds and test score (accuracy, or R² of the standardized target)."""
    from sklearn.metrics import r2_score

    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    predicted = model.predict(X_test)
    score = np.mean(predicted == y_test) if classification else r2_score(y_test, predicted)
    return seconds, float(score)


def main():
    from sklearn.kernel_approximation import Nystroem
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR
    from threadpoolctl import threadpool_limits

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="kc1,phoneme,electricity@10000,electricity@15000,"
                    "letter,mnist1d@16000,shuttle,cpu_act,california_housing")
    ap.add_argument("--settings", default="1:0.1,10:0.02",
                    help="C:gamma pairs, comma-separated")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out")
    args = ap.parse_args()
    settings = [tuple(float(v) for v in s.split(":")) for s in args.settings.split(",")]
    lines = ["# Exact RBF kernel machines: fit time against kernel work (rows² × columns)", "",
             (f"- Command: `python benchmarks/svm_exact_cost.py --cases {args.cases} "
             f"--settings {args.settings} --seed {args.seed}`"),
             f"- {common.machine_line()}; one thread", "", __doc__.split("\n\n", 2)[2].strip(),
             "", ("| case | train rows | columns | classes | kernel work | model | C | gamma "
              "| fit s | ns per unit | test accuracy (R²) |"),
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    with threadpool_limits(1):
        for case in args.cases.split(","):
            name, _, rows = case.partition("@")
            X_train, X_test, y_train, y_test, classification = numeric_split(
                name, args.seed, int(rows) if rows else None)
            classes = len(np.unique(y_train)) if classification else "—"
            work = float(len(y_train)) ** 2 * X_train.shape[1]
            head = f"| {case} | {len(y_train)} | {X_train.shape[1]} | {classes} | {work:.2e} |"
            for C, gamma in settings:
                exact = (SVC(C=C, gamma=gamma, cache_size=500) if classification
                         else SVR(C=C, gamma=gamma, cache_size=500))
                linear = (LinearSVC(C=C, random_state=0) if classification
                          else LinearSVR(C=C, dual="auto", random_state=0, max_iter=5000))
                approx = make_pipeline(Nystroem(gamma=gamma, n_components=1000, random_state=0),
                                       linear)
                for label, model in (("exact", exact), ("Nystroem", approx)):
                    seconds, score = timed(model, X_train, y_train, X_test, y_test,
                                           classification)
                    lines.append(f"{head} {label} | {C:g} | {gamma:g} | {seconds:.2f} | "
                                 f"{seconds / work * 1e9:.2f} | {score:.4f} |")
                    print(lines[-1], flush=True)
    common.write_report(lines, args.out)


if __name__ == "__main__":
    main()
