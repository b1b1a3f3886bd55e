"""Where a small-budget fit's unused time goes: what the search holds back for the
finishing step when it stops, against what that step then takes.

    python benchmarks/finish_reserve_probe.py --budgets 3,5,10 \\
        --datasets phoneme,credit-g,kc1,abalone,segment,vehicle

Each fit runs in this process on the seed's 75/25 split (as the peers benchmark
splits), ``n_jobs=2``, at the given budget. Recorded per fit: when the search
loop last read its clock (its end, to a poll), the reserve it held then
(``Finisher.reserve``; the budget also keeps its shutdown margin, and the loop
``search_loop.POLL_SECONDS`` while the workers are not up), the seconds
``Finisher.finish`` took and what it ended on (and whether it kept a model as
fitted during search for want of time to refit it), the seconds from its end to
``fit``'s return, and ``fit_time_``.
``--busy N`` runs every fit beside N processes that keep a core busy each (a
loaded machine). The package is the one ``automl_estimators`` imports (set
``PYTHONPATH`` to probe another checkout); the report names its commit. It goes
to ``benchmarks/results/finish_reserve_probe.md`` (``--out``).
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import (  # noqa: E402
    RESULTS,
    busy_processes,
    dataset_entry,
    load_split,
    machine_line,
    short_commit,
    write_report,
)

OUT = RESULTS / "finish_reserve_probe.md"


class _Messages(logging.Handler):
    """Keeps the package's log messages of one fit."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


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
        seen["finish_end"] = finisher.budget.elapsed()
        seen["final"] = "ensemble" if final.members else final.chosen.origin
        return final

    entry = dataset_entry(name)
    X_train, _, y_train, _ = load_split(entry, seed)
    estimator = AutoRegressor if entry["task"] == "regression" else AutoClassifier
    search_loop.SearchLoop._search_left = watched_search_left
    finish.Finisher.finish = timed_finish
    log = logging.getLogger("automl_estimators")
    messages, level = _Messages(), log.level
    log.addHandler(messages)
    log.setLevel(logging.INFO)
    try:
        fitted = estimator(time_budget=budget, n_jobs=2, random_state=seed, verbose=1).fit(
            X_train, y_train)
    finally:
        search_loop.SearchLoop._search_left = search_left
        finish.Finisher.finish = finish_step
        log.removeHandler(messages)
        log.setLevel(level)
    kept = any("as fitted during search" in m or "not refit" in m or "% of the" in m
               for m in messages.messages)
    return dict(seen, dataset=name, budget=budget, seed=seed, fit_s=fitted.fit_time_,
                after_s=fitted.fit_time_ - seen["finish_end"], kept="yes" if kept else "",
                trials=len(fitted.leaderboard_) - 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="3,5,10")
    parser.add_argument("--datasets", default="phoneme,credit-g,kc1,abalone,segment,vehicle")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--busy", type=int, default=0,
                        help="processes keeping a core busy each beside every fit")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    import automl_estimators
    from automl_estimators import search_loop

    package = Path(automl_estimators.__file__).resolve().parent
    with busy_processes(args.busy):
        rows = [probe(name, float(budget), int(seed)) for budget in args.budgets.split(",")
                for name in args.datasets.split(",") for seed in args.seeds.split(",")]
    lines = ["# What a small-budget fit holds back for its finishing step, and what it takes",
             "", f"`python benchmarks/finish_reserve_probe.py --budgets {args.budgets} "
             f"--datasets {args.datasets} --seeds {args.seeds} --busy {args.busy}`, the "
             f"package at {short_commit(package)} ({package}); {machine_line()}; "
             f"{args.busy} busy processes beside each fit. The loop's poll is "
             f"{search_loop.POLL_SECONDS} s. After: from the finishing step's end to "
             "`fit`'s return (closing, the attributes); kept: the finishing step kept a "
             "model as fitted during search, refit part of the rows, or left the chosen "
             "ensemble unrefit, for want of time.", "",
             "| budget s | dataset | seed | search end s | reserve s "
             "| finishing step s | after s | final | kept | fit_time_ s | unused s | trials |",
             "|---:|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['budget']:g} | {r['dataset']} | {r['seed']} | {r['search_end']:.2f} "
                     f"| {r['reserve']:.2f} | {r['finish_s']:.2f} "
                     f"| {r['after_s']:.2f} | {r['final']} | {r['kept']} "
                     f"| {r['fit_s']:.2f} | {r['budget'] - r['fit_s']:.2f} | {r['trials']} |")
    for budget in args.budgets.split(","):
        part = [r for r in rows if r["budget"] == float(budget)]
        unused = sorted(r["budget"] - r["fit_s"] for r in part)
        lines.append(f"\n{budget} s: {len(part)} fits; unused median "
                     f"{unused[len(unused) // 2]:.2f} s (min {unused[0]:.2f}, max "
                     f"{unused[-1]:.2f}); {sum(bool(r['kept']) for r in part)} kept a "
                     f"search-time model; trials {sum(r['trials'] for r in part)}.")
    write_report(lines, args.out)


if __name__ == "__main__":
    main()
