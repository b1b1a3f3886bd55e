"""Where a small-budget fit's unused time goes: what the search holds back for the
finishing step when it stops, against what that step then takes.

    python benchmarks/finish_reserve_probe.py --budgets 3,5,10 \\
        --datasets phoneme,credit-g,kc1,abalone,segment,vehicle

Each fit runs in this process on the seed's 75/25 split (as the peers benchmark
splits), ``n_jobs=2``, at the given budget. Recorded per fit: when the search
loop last read its clock (its end, to a poll), the reserve it held then
(``Finisher.reserve``; the loop also keeps ``search_loop.POLL_SECONDS`` and the
budget its shutdown margin), the seconds ``Finisher.finish`` took and what it
ended on, and ``fit_time_``. The report goes to
``benchmarks/results/finish_reserve_probe.md`` (``--out``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    dataset_entry,
    load_split,
    machine_line,
    short_commit,
    write_report,
)

OUT = RESULTS / "finish_reserve_probe.md"


def probe(name, budget, seed):
    """One fit of ``name`` at ``budget``: a dict of what the module doc lists."""
    from automl_estimators import AutoClassifier, AutoRegressor, finish, search_loop

    seen = {}
    search_left, finish_step = search_loop.SearchLoop._search_left, finish.Finisher.finish

    def watched_search_left(loop):
        left = search_left(loop)
        seen["reserve"] = loop.reserve(loop._refit_candidates(), loop.history.results)
        seen["search_end"] = loop.budget.elapsed()
        return left

    def timed_finish(finisher, *args, **kwargs):
        started = time.monotonic()
        final = finish_step(finisher, *args, **kwargs)
        seen["finish_s"] = time.monotonic() - started
        seen["final"] = "ensemble" if final.members else final.chosen.origin
        return final

    entry = dataset_entry(name)
    X_train, _, y_train, _ = load_split(entry, seed)
    estimator = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    search_loop.SearchLoop._search_left = watched_search_left
    finish.Finisher.finish = timed_finish
    try:
        fitted = estimator(time_budget=budget, n_jobs=2, random_state=seed).fit(
            X_train, y_train)
    finally:
        search_loop.SearchLoop._search_left = search_left
        finish.Finisher.finish = finish_step
    return dict(seen, dataset=name, budget=budget, fit_s=fitted.fit_time_,
                trials=len(fitted.leaderboard_) - 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="3,5,10")
    parser.add_argument("--datasets", default="phoneme,credit-g,kc1,abalone,segment,vehicle")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    from automl_estimators import search_loop

    rows = [probe(name, float(budget), args.seed) for budget in args.budgets.split(",")
            for name in args.datasets.split(",")]
    lines = ["# What a small-budget fit holds back for its finishing step, and what it takes",
             "", f"`python benchmarks/finish_reserve_probe.py --budgets {args.budgets} "
             f"--datasets {args.datasets} --seed {args.seed}` at {short_commit(HERE)}; "
             f"{machine_line()}. The loop also keeps {search_loop.POLL_SECONDS} s (its poll) "
             "and the budget's shutdown margin beyond the reserve.", "",
             "| budget s | dataset | search end s | reserve s | finishing step s | final "
             "| fit_time_ s | unused s | trials |", "|---:|---|---:|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['budget']:g} | {r['dataset']} | {r['search_end']:.2f} "
                     f"| {r['reserve']:.2f} | {r['finish_s']:.2f} | {r['final']} "
                     f"| {r['fit_s']:.2f} | {r['budget'] - r['fit_s']:.2f} | {r['trials']} |")
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
