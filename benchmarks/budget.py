"""Time-budget benchmark: does AutoClassifier/AutoRegressor keep its time budget,
how many trials does it run, how much memory does the process tree take, and how
does its test score compare with a default HistGradientBoosting baseline?

Usage
-----
    python benchmarks/budget.py                      # sweep (resumable) + summary
    python benchmarks/budget.py --datasets iris,car --budgets 10
    python benchmarks/budget.py --summarize          # only rewrite budget.md / budget.csv
    python benchmarks/budget.py --one iris 10 --out r.json      # one run (used internally)
    python benchmarks/budget.py --baseline iris --out b.json    # one baseline (internal)

Each (dataset, budget) run is its own subprocess, killed at 3 x budget + 60 s.
Per-run JSON goes to benchmarks/results/raw/ (git-ignored); runs already there are
skipped.  The HGB baseline is fitted once per dataset in its own subprocess.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    RESULTS,
    TreeMemorySampler,
    dataset_entry,
    fmt,
    load_manifest,
    load_split,
    machine_line,
    score_of,
    spawn,
    versions,
)
from reliability_sweep import allowance as overrun_allowance  # noqa: E402

RAW = RESULTS / "raw"
DEFAULT_BUDGETS = [10, 30]
TOL = 0.005  # AutoML counts as "as good" when score >= HGB - TOL


# ----------------------------------------------------------------- single run
def run_one(name, budget, out):
    entry = dataset_entry(name)
    task = entry["task"]
    rec = {"dataset": name, "task": task, "n_rows": entry["n_rows"], "budget": budget,
           "status": "error", "started": _dt.datetime.now().isoformat(timespec="seconds")}

    def dump():
        Path(out).write_text(json.dumps(rec, indent=1, default=str))

    try:
        X_tr, X_te, y_tr, y_te = load_split(entry)
        from automl_estimators import AutoClassifier, AutoRegressor

        cls = AutoRegressor if task == "regression" else AutoClassifier
        est = cls(time_budget=budget, n_jobs=2, random_state=0)
        sampler = TreeMemorySampler()
        sampler.start()
        t0 = time.perf_counter()
        try:
            est.fit(X_tr, y_tr)
        except BaseException as exc:  # record exceptions out of fit
            rec["wall_s"] = time.perf_counter() - t0
            sampler.stop()
            rec["peak_mb"] = sampler.peak / 2**20
            rec["error"] = f"{type(exc).__name__}: {exc}"
            rec["traceback"] = traceback.format_exc()
            rec["phase"] = "fit"
            dump()
            return 1
        wall = time.perf_counter() - t0
        sampler.stop()
        rec.update(wall_s=wall, peak_mb=sampler.peak / 2**20,
                   max_child_procs=sampler.max_children,
                   fit_time_attr=getattr(est, "fit_time_", None))
        rec["n_trials"] = int(getattr(est, "n_trials_", -1))
        pipe = None
        lb = getattr(est, "leaderboard_", None)
        try:
            if lb is not None and len(lb) and "rank" in lb:
                top = lb[lb["rank"] == 1]
                if len(top):
                    pipe = str(top.iloc[0]["pipeline"])
            if lb is not None and "status" in lb:
                rec["trial_status"] = {str(k): int(v)
                                       for k, v in lb["status"].value_counts().items()}
                errs = lb.loc[lb["error"].notna(), "error"].astype(str) if "error" in lb else []
                rec["trial_errors"] = sorted(set(e[:300] for e in errs))[:10]
        except Exception as exc:  # noqa: BLE001
            rec["leaderboard_error"] = repr(exc)
        if pipe is None:
            pipe = str((getattr(est, "best_config_", None) or {}).get("model"))
        rec["pipeline"] = pipe
        rec["best_cv_score"] = getattr(est, "best_score_", None)
        rec["metric"] = getattr(est, "metric_", None)
        try:
            rec["automl_score"] = score_of(task, y_te, est.predict(X_te))
        except Exception as exc:  # noqa: BLE001
            rec["error"] = f"predict: {type(exc).__name__}: {exc}"
            rec["traceback"] = traceback.format_exc()
            rec["phase"] = "predict"
            dump()
            return 1
        rec["status"] = "ok"
        dump()
        return 0
    except BaseException as exc:  # noqa: BLE001
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc()
        dump()
        return 1


def run_baseline(name, out):
    entry = dataset_entry(name)
    task = entry["task"]
    rec = {"dataset": name, "task": task}
    try:
        from sklearn.compose import ColumnTransformer, make_column_selector
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        X_tr, X_te, y_tr, y_te = load_split(entry)
        pre = ColumnTransformer(
            [("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
              make_column_selector(dtype_include=["object", "category", "string"]))],
            remainder="passthrough")
        model = (HistGradientBoostingRegressor(random_state=0) if task == "regression"
                 else HistGradientBoostingClassifier(random_state=0))
        pipe = make_pipeline(pre, model)
        t0 = time.perf_counter()
        pipe.fit(X_tr, y_tr)
        rec["fit_s"] = time.perf_counter() - t0
        rec["hgb_score"] = score_of(task, y_te, pipe.predict(X_te))
        rec["status"] = "ok"
    except Exception as exc:  # noqa: BLE001
        rec["status"] = "error"
        rec["error"] = f"{type(exc).__name__}: {exc}"
        rec["traceback"] = traceback.format_exc()
    Path(out).write_text(json.dumps(rec, indent=1))
    return 0 if rec["status"] == "ok" else 1


# ---------------------------------------------------------------------- sweep




def sweep(datasets, budgets):
    RAW.mkdir(parents=True, exist_ok=True)
    entries = {d["name"]: d for d in load_manifest()}
    names = datasets or list(entries)
    for budget in budgets:
        for name in names:
            out = RAW / f"{name}__{budget}.json"
            if out.exists():
                continue
            timeout = 3 * budget + 60
            print(f"[{time.strftime('%H:%M:%S')}] {name} budget={budget}s ...", flush=True)
            rc, timed_out, elapsed = spawn(Path(__file__).resolve(),
                                           ["--one", name, str(budget), "--out", str(out)],
                                           timeout, RAW / f"{name}__{budget}.log")
            if timed_out or not out.exists():
                rec = {"dataset": name, "task": entries[name]["task"],
                       "n_rows": entries[name]["n_rows"], "budget": budget,
                       "status": "timeout" if timed_out else "crash",
                       "error": (f"killed after {timeout}s (3 x budget + 60)" if timed_out
                                 else f"child exited rc={rc} without writing a result"),
                       "wall_s": elapsed, "rc": rc}
                out.write_text(json.dumps(rec, indent=1))
            else:
                rec = json.loads(out.read_text())
                rec["rc"] = rc
                rec["child_elapsed_s"] = elapsed
                out.write_text(json.dumps(rec, indent=1, default=str))
            print(f"    -> {rec.get('status')} wall={rec.get('wall_s', float('nan')):.1f}s "
                  f"trials={rec.get('n_trials')} score={rec.get('automl_score')} "
                  f"{rec.get('error', '')}", flush=True)
            # baseline after the AutoML run, in its own process, once per dataset
            bout = RAW / f"{name}__hgb.json"
            if not bout.exists():
                rc, timed_out, _ = spawn(Path(__file__).resolve(),
                                         ["--baseline", name, "--out", str(bout)], 600,
                                         RAW / f"{name}__hgb.log")
                if timed_out or not bout.exists():
                    bout.write_text(json.dumps({"dataset": name, "status": "error",
                                                "error": f"baseline rc={rc} timeout={timed_out}"}))


# ------------------------------------------------------------------ summary




def summarize(budgets, command):
    import pandas as pd

    RESULTS.mkdir(parents=True, exist_ok=True)
    entries = load_manifest()
    order = [d["name"] for d in entries]
    hgb = {}
    for name in order:
        p = RAW / f"{name}__hgb.json"
        if p.exists():
            hgb[name] = json.loads(p.read_text())
    rows = []
    for budget in budgets:
        for d in entries:
            p = RAW / f"{d['name']}__{budget}.json"
            if not p.exists():
                continue
            r = json.loads(p.read_text())
            b = hgb.get(d["name"], {})
            wall = r.get("wall_s")
            allowance = budget + overrun_allowance(budget)
            row = {
                "dataset": d["name"], "task": d["task"], "rows": d["n_rows"], "budget": budget,
                "status": r.get("status"), "wall_s": wall,
                "overrun_ratio": wall / budget if wall is not None else None,
                "overrun_s": wall - budget if wall is not None else None,
                "allowed": (wall <= allowance) if wall is not None else None,
                "n_trials": r.get("n_trials"), "pipeline": r.get("pipeline"),
                "peak_mb": r.get("peak_mb"), "automl_score": r.get("automl_score"),
                "hgb_score": b.get("hgb_score"), "error": r.get("error"),
                "trial_status": json.dumps(r.get("trial_status")) if r.get("trial_status") else None,
            }
            if row["automl_score"] is not None and row["hgb_score"] is not None:
                row["diff"] = row["automl_score"] - row["hgb_score"]
            else:
                row["diff"] = None
            rows.append(row)
    df = pd.DataFrame(rows)
    df.to_csv(RESULTS / "budget.csv", index=False)

    v = versions()
    lines = ["# Time-budget benchmark", "",
             f"- Command: `{command}`",
             f"- Machine: {machine_line()}",
             f"- Date: {_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
             "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
             "- Setup: 75/25 split (stratified for classification), random_state=0; "
             "`AutoClassifier`/`AutoRegressor(time_budget=B, n_jobs=2, random_state=0)` "
             "on the raw DataFrame; each run in its own subprocess "
             "(OMP_WAIT_POLICY=PASSIVE), killed at 3×B+60 s.",
             "- Allowance: wall ≤ B + max(1 s, 5 % of B). Peak MB = max RSS of the run's "
             "process + all children (sampled every 0.2 s, so short spikes may be missed).",
             "- Score: accuracy (classification) / R² (regression) on the 25 % test split. "
             "HGB = default HistGradientBoosting{Classifier,Regressor}(random_state=0) after "
             "OneHotEncoder(handle_unknown='ignore') on object/category/string columns, "
             "fitted in a separate process.",
             ""]
    all_names = order
    for budget in budgets:
        sub = df[df["budget"] == budget] if len(df) else df
        lines += [f"## Budget {budget} s", ""]
        lines += ["| dataset | task | rows | wall s | overrun ratio | within allowance | "
                  "trials | peak MB | AutoML | HGB | diff | pipeline |",
                  "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"]
        for _, r in sub.iterrows():
            within = "—" if r["allowed"] is None or r["allowed"] != r["allowed"] else (
                "yes" if r["allowed"] else "**NO**")
            pipe = str(r["pipeline"]) if r["status"] == "ok" else f"FAILED ({r['status']}): {r['error']}"
            pipe = pipe.replace("|", "\\|").replace("\n", " ")
            if len(pipe) > 160:
                pipe = pipe[:157] + "..."
            lines.append(
                f"| {r['dataset']} | {r['task']} | {r['rows']} | {fmt(r['wall_s'], '.1f')} | "
                f"{fmt(r['overrun_ratio'], '.3f')} | {within} | "
                f"{fmt(r['n_trials'], '.0f') if r['n_trials'] is not None else '—'} | "
                f"{fmt(r['peak_mb'], '.0f')} | {fmt(r['automl_score'], '.4f')} | "
                f"{fmt(r['hgb_score'], '.4f')} | {fmt(r['diff'], '+.4f')} | {pipe} |")
        missing = [n for n in all_names if len(sub) == 0 or n not in set(sub["dataset"])]
        if missing:
            lines += ["", f"Not run at this budget (missing): {', '.join(missing)}"]
        lines.append("")

    lines += ["## Totals", "",
              "| budget | runs | max overrun ratio | beyond allowance | "
              "AutoML ≥ HGB − 0.005 | failures |", "|---:|---:|---:|---:|---:|---:|"]
    for budget in budgets:
        sub = df[df["budget"] == budget] if len(df) else df
        if len(sub) == 0:
            lines.append(f"| {budget} | 0 | — | — | — | — |")
            continue
        walls = sub["wall_s"].dropna()
        beyond = sub[sub["allowed"] == False]
        comp = sub.dropna(subset=["automl_score", "hgb_score"])
        good = int((comp["automl_score"] >= comp["hgb_score"] - TOL).sum())
        fails = sub[sub["status"] != "ok"]
        lines.append(
            f"| {budget} | {len(sub)} | {fmt(sub['overrun_ratio'].max(), '.3f')} "
            f"({sub.loc[sub['overrun_ratio'].idxmax(), 'dataset'] if len(walls) else '—'}) | "
            f"{len(beyond)}{(' (' + ', '.join(beyond['dataset']) + ')') if len(beyond) else ''} | "
            f"{good} / {len(sub)} | {len(fails)}"
            f"{(' (' + ', '.join(fails['dataset']) + ')') if len(fails) else ''} |")
    lines.append("")
    fails = df[df["status"] != "ok"] if len(df) else df
    if len(fails):
        lines += ["## Failures", ""]
        for _, r in fails.iterrows():
            lines.append(f"- {r['dataset']} @ {r['budget']} s: {r['status']}: `{r['error']}`")
        lines.append("")
    bad_hgb = [n for n, b in hgb.items() if b.get("status") != "ok"]
    if bad_hgb:
        lines += ["Baseline failures: " + ", ".join(f"{n}: {hgb[n].get('error')}" for n in bad_hgb), ""]
    (RESULTS / "budget.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--one", nargs=2, metavar=("DATASET", "BUDGET"))
    ap.add_argument("--baseline", metavar="DATASET")
    ap.add_argument("--out")
    ap.add_argument("--summarize", action="store_true", help="only write the summary")
    ap.add_argument("--datasets", help="comma-separated dataset names (default: all)")
    ap.add_argument("--budgets", default=",".join(map(str, DEFAULT_BUDGETS)),
                    help="comma-separated budgets in seconds (default: 10,30)")
    args = ap.parse_args(argv)
    if args.one:
        return run_one(args.one[0], float(args.one[1]) if "." in args.one[1]
                       else int(args.one[1]), args.out)
    if args.baseline:
        return run_baseline(args.baseline, args.out)
    budgets = [int(b) for b in args.budgets.split(",") if b]
    datasets = [d for d in args.datasets.split(",") if d] if args.datasets else None
    command = "python benchmarks/budget.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if not args.summarize:
        sweep(datasets, budgets)
    summarize(budgets, command.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
