"""How much of a regression model's test error sits in a few test rows.

    python benchmarks/tail_errors.py cpu_act --seeds 0,1
    python benchmarks/tail_errors.py cpu_act --seeds 0,1 --out benchmarks/results/tail_errors_cpu_act.md

A difference of R² between systems on one split can be a handful of test rows that
one kind of model extrapolates badly and another does not; cross-validation on the
training rows cannot see it. For each seed's split of the benchmarks (75/25), four
models at their library defaults (the default HistGradientBoosting the peer
benchmark uses as its baseline, XGBoost, and two bagged forests of 200 trees):
5-fold cross-validated R² on the training rows, test R², the share of the test
squared error in the k worst rows, and test R² without the k rows where the
default HistGradientBoosting errs most.
"""
from __future__ import annotations

import argparse

import numpy as np
from common import dataset_entry, load_split, write_report

K = 5


def models(seed):
    import xgboost
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        HistGradientBoostingRegressor,
        RandomForestRegressor,
    )

    return {
        "hist_gradient_boosting": HistGradientBoostingRegressor(random_state=seed),
        "xgboost": xgboost.XGBRegressor(n_jobs=2, random_state=seed),
        "extra_trees": ExtraTreesRegressor(n_estimators=200, n_jobs=2, random_state=seed),
        "random_forest": RandomForestRegressor(n_estimators=200, n_jobs=2, random_state=seed),
    }


def one_hot(X_train, X_test):
    """Text columns one-hot encoded, the categories of both splits
    (a column per level; the peer benchmark's baselines ignore unseen ones), so that every model takes the same numeric table."""
    import pandas as pd

    both = pd.get_dummies(pd.concat([X_train, X_test], keys=["train", "test"]), dtype=float)
    return both.loc["train"], both.loc["test"]


def r2(errors, y):
    return 1.0 - errors.sum() / ((y - y.mean()) ** 2).sum()


def main(argv=None):
    from sklearn.model_selection import KFold, cross_val_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    entry = dataset_entry(args.dataset)
    if entry["task"] != "regression":
        raise SystemExit(f"{args.dataset} is a {entry['task']} dataset: this script reads "
                         "squared errors, give it a regression dataset")
    lines = [f"# Test error in the worst rows: {args.dataset}", "",
             f"Command: `python benchmarks/tail_errors.py {args.dataset} --seeds {args.seeds}`", "",
             (f"| seed | model | CV R² (train) | test R² | share of test SSE in {K} worst rows "
              f"| test R² without HGB's {K} worst rows |"), "|---:|---|---:|---:|---:|---:|"]
    for seed in [int(s) for s in args.seeds.split(",")]:
        X_train, X_test, y_train, y_test = load_split(entry, seed)
        X_train, X_test = one_hot(X_train, X_test)
        y = np.asarray(y_test, float)
        folds = KFold(5, shuffle=True, random_state=seed)
        errors = {}
        for name, model in models(seed).items():
            cv = cross_val_score(model, X_train, y_train, cv=folds, scoring="r2").mean()
            errors[name] = (model.fit(X_train, y_train).predict(X_test) - y) ** 2
            errors[name + "_cv"] = cv
        keep = np.ones(len(y), bool)
        keep[np.argsort(errors["hist_gradient_boosting"])[::-1][:K]] = False
        for name in models(seed):
            e = errors[name]
            lines.append(f"| {seed} | {name} | {errors[name + '_cv']:.4f} | {r2(e, y):.4f} | "
                         f"{np.sort(e)[::-1][:K].sum() / e.sum():.2f} | "
                         f"{r2(e[keep], y[keep]):.4f} |")
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
