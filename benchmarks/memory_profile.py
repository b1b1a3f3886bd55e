"""Where the memory of one fit goes: RSS and PSS of each process of the tree, by role.

One ``AutoClassifier`` / ``AutoRegressor`` fit (``n_jobs=2`` by default) on a
shared dataset runs in this process while a sampler thread records, every 0.2 s,
the RSS, PSS and private memory (USS) of every process of the tree, grouped by
role: ``parent`` (this process: the fit), ``forkserver`` (the process the trial
workers are forked from), ``workers`` (its children), ``others`` (the resource
tracker, anything else). The sums are what ``TreeMemorySampler`` (the peers
benchmark's) measures: summed RSS counts a page shared by several processes once
per process, summed PSS counts it once in all.

Printed: the breakdown at the peak of the summed RSS and at the peak of the
summed PSS, each role's own peak, and a timeline (one line per ``--every``
seconds, with the phases of the fit: search, finish). ``--json`` writes all of
it, samples included.

Usage
-----
    python benchmarks/memory_profile.py diamonds --budget 30
    python benchmarks/memory_profile.py iris --budget 20 --max-trials 30 --json out.json
    python benchmarks/memory_profile.py letter --budget 30 --parent-top 15  # tracemalloc

Run it alone (``nice -n 19`` on a shared machine): another process's load
changes how many trials run, and so what is held.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PeriodicSampler, dataset_entry, load_split, score_of

ROLES = ("parent", "forkserver", "workers", "others")
MB = 2**20


def _rollup(pid):
    """(PSS, USS) in bytes from /proc/<pid>/smaps_rollup; (0, 0) where unreadable."""
    pss = uss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                    uss += int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, uss


def maps_torch(pid):
    """Whether the process has torch's library mapped."""
    try:
        with open(f"/proc/{pid}/maps") as maps:
            return any("libtorch" in line for line in maps)
    except OSError:
        return False


def role_of(proc, forkserver_pid, me):
    """``parent``, ``forkserver``, ``workers`` (the forkserver's children) or ``others``."""
    if proc.pid == me:
        return "parent"
    if proc.pid == forkserver_pid:
        return "forkserver"
    if forkserver_pid is not None and proc.ppid() == forkserver_pid:
        return "workers"
    return "others"


class RoleSampler(PeriodicSampler):
    """Samples the process tree of this process by role until :meth:`stop`."""

    def __init__(self, interval=0.2):
        super().__init__(interval)
        import psutil

        self._psutil = psutil
        self.me = psutil.Process()
        self.samples = []  # (seconds, {role: [rss, pss, uss, n]})
        self.start_time = time.monotonic()
        self._forkserver = None
        self._looked = {}  # worker pid -> when its libraries were last looked at
        self.torch_in_workers = False

    def _find_forkserver(self, children):
        if self._forkserver is not None:
            return self._forkserver
        for proc in children:
            try:
                if any("forkserver" in part for part in proc.cmdline()):
                    self._forkserver = proc.pid
                    return proc.pid
            except self._psutil.Error:
                continue
        return None

    def sample(self):
        try:
            children = self.me.children(recursive=True)
        except self._psutil.Error:
            children = []
        forkserver = self._find_forkserver(children)
        roles = {role: [0, 0, 0, 0] for role in ROLES}
        for proc in (self.me, *children):
            try:
                rss = proc.memory_info().rss
                role = role_of(proc, forkserver, self.me.pid)
            except self._psutil.Error:
                continue
            pss, uss = _rollup(proc.pid)
            now = time.monotonic()
            if role == "workers" and not self.torch_in_workers and \
                    now - self._looked.get(proc.pid, -1e9) > 5.0:
                self._looked[proc.pid] = now
                self.torch_in_workers = maps_torch(proc.pid)
            row = roles[role]
            row[0] += rss
            row[1] += pss
            row[2] += uss
            row[3] += 1
        self.samples.append((time.monotonic() - self.start_time, roles))


def total(roles, column):
    return sum(row[column] for row in roles.values())


def breakdown(roles):
    return {role: {"rss_mb": row[0] / MB, "pss_mb": row[1] / MB, "uss_mb": row[2] / MB,
                   "n": row[3]} for role, row in roles.items()}


def summarize(samples, phases):
    """Peaks (summed RSS, summed PSS), each role's own peak, and the phase of each."""
    def phase_at(t):
        name = "before"
        for label, start in phases:
            if t >= start:
                name = label
        return name

    at_rss = max(samples, key=lambda s: total(s[1], 0))
    at_pss = max(samples, key=lambda s: total(s[1], 1))
    role_peaks = {role: {"rss_mb": max(s[1][role][0] for s in samples) / MB,
                         "pss_mb": max(s[1][role][1] for s in samples) / MB,
                         "max_n": max(s[1][role][3] for s in samples)} for role in ROLES}
    return {
        "peak_rss_mb": total(at_rss[1], 0) / MB, "peak_rss_at": at_rss[0],
        "peak_rss_phase": phase_at(at_rss[0]), "at_peak_rss": breakdown(at_rss[1]),
        "peak_pss_mb": total(at_pss[1], 1) / MB, "peak_pss_at": at_pss[0],
        "peak_pss_phase": phase_at(at_pss[0]), "at_peak_pss": breakdown(at_pss[1]),
        "role_peaks": role_peaks,
    }


def print_table(title, parts):
    print(f"\n{title}")
    print(f"  {'role':<11}{'n':>3}{'RSS MB':>9}{'PSS MB':>9}{'USS MB':>9}")
    for role in ROLES:
        p = parts[role]
        print(f"  {role:<11}{p['n']:>3}{p['rss_mb']:>9.0f}{p['pss_mb']:>9.0f}{p['uss_mb']:>9.0f}")
    print(f"  {'total':<14}{sum(p['rss_mb'] for p in parts.values()):>9.0f}"
          f"{sum(p['pss_mb'] for p in parts.values()):>9.0f}"
          f"{sum(p['uss_mb'] for p in parts.values()):>9.0f}")


def timeline(samples, phases, every):
    """One line per ``every`` seconds: the sample with the highest summed RSS in it."""
    print(f"\ntimeline (max summed RSS per {every:g} s; MB RSS/PSS per role)")
    marks = sorted(phases, key=lambda p: p[1])
    buckets = {}
    for t, roles in samples:
        key = int(t // every)
        if key not in buckets or total(roles, 0) > total(buckets[key][1], 0):
            buckets[key] = (t, roles)
    for key in sorted(buckets):
        t, roles = buckets[key]
        while marks and marks[0][1] <= t:
            print(f"  -- {marks[0][0]} at {marks[0][1]:.1f} s")
            marks.pop(0)
        cells = "  ".join(f"{role[:4]} {roles[role][0] / MB:4.0f}/{roles[role][1] / MB:4.0f}"
                          for role in ROLES if roles[role][3])
        print(f"  {t:6.1f} s  total {total(roles, 0) / MB:5.0f}/{total(roles, 1) / MB:5.0f}"
              f"  {cells}")


def instrument(phases, start):
    """Record when the search loop and the finishing step start (monotonic, from start)."""
    from automl_estimators import finish, search_loop

    def wrap(cls, name, label):
        original = getattr(cls, name)

        def timed(self, *args, **kwargs):
            phases.append((label, time.monotonic() - start))
            try:
                return original(self, *args, **kwargs)
            finally:
                phases.append((f"{label} end", time.monotonic() - start))

        setattr(cls, name, timed)

    wrap(search_loop.SearchLoop, "run", "search")
    wrap(finish.Finisher, "finish", "finish")


def record_trials(trials, start):
    """Record (what, seconds) for every trial and refit started, to name the peaks."""
    from automl_estimators import evaluation

    def name(pipeline):
        steps = getattr(pipeline, "steps", None)
        last = steps[-1][1] if steps else pipeline
        inner = getattr(last, "regressor", None)  # a TransformedTargetRegressor's model
        params = last.get_params(deep=False)
        size = {k: params[k] for k in ("n_estimators", "max_iter", "min_samples_leaf")
                if k in params}
        before = [type(step).__name__ for _, step in (steps or [])[:-1]
                  if type(step).__name__ != "ColumnTransformer"]
        model = type(last).__name__ + (f"({type(inner).__name__})" if inner is not None else "")
        return " + ".join(before + [f"{model}{size or ''}"])

    submit, refit_many = evaluation.Evaluator.submit, evaluation.Evaluator.refit_many

    def logged_submit(self, pipeline, timeout, **kwargs):
        what = f"trial {name(pipeline)} at fidelity {kwargs.get('fidelity', 1.0):.2f}"
        trials.append((what, time.monotonic() - start))
        return submit(self, pipeline, timeout, **kwargs)

    def logged_refit_many(self, pipelines, *args, **kwargs):
        trials.append(("refit " + ", ".join(name(p) for p in pipelines),
                       time.monotonic() - start))
        return refit_many(self, pipelines, *args, **kwargs)

    evaluation.Evaluator.submit = logged_submit
    evaluation.Evaluator.refit_many = logged_refit_many


def in_flight(board, at, fit_start):
    """The trials of ``board`` (a leaderboard) running ``at`` seconds into the profile,
    the fit having started ``fit_start`` seconds into it: one text line each."""
    lines = []
    for row in board.itertuples():
        start = fit_start + row.started_at
        if start <= at <= start + (row.duration if row.duration == row.duration else 0.0):
            lines.append(f"trial {row.trial} {row.pipeline} (fidelity {row.fidelity:.2f}, "
                         f"{row.status}, {row.duration:.1f} s from {row.started_at:.1f} s)")
    return lines


def worker_peaks(samples, count=5, apart=5.0):
    """The ``count`` highest samples of the workers' summed RSS, at least ``apart``
    seconds from each other: (seconds, MB)."""
    ranked = sorted(((roles["workers"][0] / MB, t) for t, roles in samples), reverse=True)
    peaks = []
    for mb, t in ranked:
        if all(abs(t - other) >= apart for other, _ in peaks):
            peaks.append((t, mb))
        if len(peaks) == count:
            break
    return sorted(peaks)


def compare(a, b):
    """Print whether two --save files agree: trials, scores, final model, predictions."""
    import numpy as np

    first, second = (json.loads(Path(p).read_text()) for p in (a, b))
    same = {key: first[key] == second[key] for key in ("leaderboard", "final", "refit",
                                                         "ensemble")}
    try:
        same["predictions"] = bool(np.array_equal(np.asarray(first["predictions"]),
                                                  np.asarray(second["predictions"])))
    except (TypeError, ValueError):
        same["predictions"] = first["predictions"] == second["predictions"]
    print(f"{a} vs {b}: " + ", ".join(f"{k} {'same' if v else 'DIFFERENT'}"
                                       for k, v in same.items()))
    if not same["leaderboard"]:
        for x, y in zip(first["leaderboard"], second["leaderboard"]):
            if x != y:
                print(f"  first difference: {x} vs {y}")
                break
    return 0 if all(same.values()) else 1


def refit_transport(entry, seed, n_estimators, origin):
    """Refit two forests on all rows through ``Evaluator.refit_many`` (the finishing
    step's path) and keep them, as an ensemble's members are: what sending large
    fitted models back costs, apart from any search. Returns the phases and a
    function that describes the models (to call once sampling has stopped)."""
    import pickle

    import numpy as np
    import pandas as pd
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    from automl_estimators.evaluation import Evaluator
    from automl_estimators.scoring import get_metric

    X_tr, _, y_tr, _ = load_split(entry, seed)
    X = pd.get_dummies(X_tr, dtype=float).to_numpy(dtype=float)
    if entry["task"] == "regression":
        task, y, n_classes, forest = "regression", np.asarray(y_tr, float), None, \
            ExtraTreesRegressor
    else:
        task, forest = "classification", ExtraTreesClassifier
        y = np.unique(np.asarray(y_tr), return_inverse=True)[1]
        n_classes = int(y.max()) + 1
    pipelines = [forest(n_estimators=n_estimators, min_samples_leaf=leaf, random_state=0)
                 for leaf in (1, 2)]
    splits = [(np.arange(len(y)), np.arange(len(y)))]
    with Evaluator(X, y, splits, task=task, metric=get_metric(None, task),
                   n_classes=n_classes, n_workers=2, memory_limit=None) as evaluator:
        phases = [("refit", time.monotonic() - origin)]
        fitted = evaluator.refit_many(pipelines, timeout=600)
        phases.append(("refit end", time.monotonic() - origin))
        time.sleep(1.0)
    what = (f"2 x {forest.__name__}({n_estimators} trees, min_samples_leaf 1 and 2) refit "
            f"on {len(y)} rows")

    def describe():
        """After sampling: pickling here would add a peak of its own."""
        sizes = [round(len(pickle.dumps(r.model)) / MB) for r in fitted if r.model is not None]
        errors = [r.error for r in fitted if r.model is None]
        return f"{what}: pickled sizes {sizes} MB {errors or ''}"

    return phases, describe


def report(summary, samples, phases, every):
    """Print the peaks, the breakdown by role at each, each role's peak, the timeline."""
    print(f"\npeak summed RSS {summary['peak_rss_mb']:.0f} MB at {summary['peak_rss_at']:.1f} s "
          f"({summary['peak_rss_phase']}); peak summed PSS {summary['peak_pss_mb']:.0f} MB at "
          f"{summary['peak_pss_at']:.1f} s ({summary['peak_pss_phase']})")
    print_table("at the peak of summed RSS", summary["at_peak_rss"])
    print_table("at the peak of summed PSS", summary["at_peak_pss"])
    print("\neach role's own peak (MB RSS / PSS, most processes at once)")
    for role, p in summary["role_peaks"].items():
        print(f"  {role:<11}{p['rss_mb']:7.0f} /{p['pss_mb']:5.0f}   n {p['max_n']}")
    timeline(samples, phases, every)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", nargs="?", help="a shared dataset's name (manifest.json), "
                        "or 'million': memory_scale.py's generated table")
    parser.add_argument("--budget", type=float, default=30, help="time_budget, seconds")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="split and random_state")
    parser.add_argument("--max-trials", type=int, default=None)
    parser.add_argument("--every", type=float, default=2.0, help="timeline step, seconds")
    parser.add_argument("--parent-top", type=int, default=0,
                        help="tracemalloc the parent: print its N largest allocation sites "
                             "at the end of the search (slows the parent)")
    parser.add_argument("--refit-forests", type=int, metavar="TREES", default=0,
                        help="instead of a fit: refit two extra-trees forests of TREES "
                             "trees on all rows through Evaluator.refit_many (the "
                             "finishing step's transport of large models)")
    parser.add_argument("--json", help="write the summary and samples here")
    parser.add_argument("--save", help="write the leaderboard and the test predictions "
                                       "here, to compare two checkouts (--compare)")
    parser.add_argument("--compare", nargs=2, metavar=("A", "B"),
                        help="compare two --save files (no fit): same trials, scores, "
                             "final model and predictions?")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if args.dataset is None:
        parser.error("a dataset is needed (or --compare A B)")

    if args.dataset == "million":  # memory_scale.py's generated 1,000,000 x 50 table
        entry = {"name": "million", "task": "binary"}
    else:
        entry = dataset_entry(args.dataset)
    sampler = RoleSampler()
    sampler.start()
    if args.refit_forests:
        phases, describe = refit_transport(entry, args.seed, args.refit_forests,
                                           sampler.start_time)
        sampler.stop()
        what = describe()
        summary = summarize(sampler.samples, phases)
        print(f"{args.dataset}: {what}")
        report(summary, sampler.samples, phases, args.every)
        if args.json:
            Path(args.json).write_text(json.dumps({"dataset": args.dataset, "what": what,
                                                   **summary}, indent=1))
        return 0
    from memory_scale import load

    X_tr, X_te, y_tr, y_te = load(args.dataset, args.seed)
    loaded = time.monotonic() - sampler.start_time
    from automl_estimators import AutoClassifier, AutoRegressor

    phases = [("data loaded", loaded), ("imported", time.monotonic() - sampler.start_time)]
    instrument(phases, sampler.start_time)
    trials = []
    record_trials(trials, sampler.start_time)
    top = []
    if args.parent_top:
        import tracemalloc

        from automl_estimators import finish

        tracemalloc.start()
        original = finish.Finisher.finish

        def snapshot_then_finish(self, *a, **k):
            top.extend(tracemalloc.take_snapshot().statistics("lineno")[:args.parent_top])
            return original(self, *a, **k)

        finish.Finisher.finish = snapshot_then_finish

    cls = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    model = cls(time_budget=args.budget, n_jobs=args.n_jobs, random_state=args.seed,
                max_trials=args.max_trials)
    start = time.perf_counter()
    fit_start = time.monotonic() - sampler.start_time
    model.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - start
    phases.append(("fitted", time.monotonic() - sampler.start_time))
    predictions = model.predict(X_te)
    test = score_of(entry["task"], y_te, predictions)
    phases.append(("predicted", time.monotonic() - sampler.start_time))
    time.sleep(0.5)
    sampler.stop()

    summary = summarize(sampler.samples, phases)
    print(f"{args.dataset} ({entry['task']}, {len(X_tr)} training rows, {X_tr.shape[1]} "
          f"columns): budget {args.budget:g} s, n_jobs {args.n_jobs}, {model.n_trials_} trials, "
          f"fit {fit_s:.1f} s, test score {test:.4f}")
    print(f"plan: {model.search_plan_.reason if hasattr(model.search_plan_, 'reason') else ''}")
    print(f"torch imported by the parent: {'torch' in sys.modules}; by a worker: "
          f"{sampler.torch_in_workers}")
    print(f"final model: {model.leaderboard_.iloc[0]['pipeline']}"
          + (f" (ensemble of {len(model.ensemble_.members_)})"
             if getattr(model, "ensemble_", None) is not None else ""))
    report(summary, sampler.samples, phases + trials, args.every)
    started = [what for what, t in trials if t <= summary["peak_rss_at"]]
    print(f"\nthe last trials started before the peak of summed RSS: {started[-3:]}")
    board = model.leaderboard_
    print("\ntrials in flight at the workers' highest peaks (RSS, at least 5 s apart)")
    for at, mb in worker_peaks(sampler.samples):
        print(f"  {at:6.1f} s  workers {mb:6.0f} MB")
        recent = [f"started at {t - fit_start:.1f} s: {what}" for what, t in trials if t <= at]
        # A trial cancelled at the end of the search is not on the leaderboard.
        for line in in_flight(board, at, fit_start) or (
                ["(none on the leaderboard; the last started:)"] + recent[-2:]):
            print(f"           {line}")
    if top:
        print("\nparent's largest allocation sites at the end of the search (tracemalloc)")
        for stat in top:
            print(f"  {stat.size / MB:7.1f} MB  {stat.count:7d}  {stat.traceback}")
    if args.save:
        board = model.leaderboard_
        Path(args.save).write_text(json.dumps({
            "leaderboard": [[int(r.trial), r.pipeline, None if r.score != r.score
                             else float(r.score), r.status] for r in board.itertuples()],
            "final": model.leaderboard_.iloc[0]["pipeline"], "refit": str(model.refit_),
            "ensemble": None if getattr(model, "ensemble_", None) is None
            else [type(m).__name__ for m in model.ensemble_.members_],
            "predictions": [p.item() if hasattr(p, "item") else p for p in predictions]}))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "dataset": args.dataset, "budget": args.budget, "n_jobs": args.n_jobs,
            "seed": args.seed, "max_trials": args.max_trials, "n_trials": model.n_trials_,
            "fit_s": fit_s, "test_score": test, "phases": phases, "trials": trials, **summary,
            "samples": [(t, breakdown(r)) for t, r in sampler.samples]}, indent=1))
    return 0


if __name__ == "__main__":
    # As the peers benchmark runs a system (run.py's child_env), before numpy loads.
    for name, value in (("OMP_WAIT_POLICY", "PASSIVE"), ("OMP_NUM_THREADS", "2"),
                        ("OPENBLAS_NUM_THREADS", "2"), ("MKL_NUM_THREADS", "2")):
        os.environ.setdefault(name, value)
    sys.exit(main())
