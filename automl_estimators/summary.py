"""One screen on a fitted estimator: what was searched, for how long, how the trials
ended, the plan and why, the final model and its validation score.

:func:`describe_fit` gathers it once as labelled lines and a few top trials;
:func:`as_text` (``summary()``, a terminal or a log) and :func:`as_html` (a
notebook's ``_repr_html_``) lay the same facts out.
"""

from __future__ import annotations

import html
import math
import textwrap
from collections import Counter
from dataclasses import dataclass

from .trial import Status

# Width of the text summary, and of its label column.
WIDTH = 88
LABEL = 13
# Trials listed under the summary.
TOP_TRIALS = 5
# Longest text of one value of ``search_report_`` in the summary.
REPORT_VALUE_WIDTH = 60


@dataclass(frozen=True)
class FitDescription:
    """What the summary says: a title, (label, text) lines, and the top trials as
    (rank, trial, score, fit seconds per fold, ensemble weight, pipeline)."""

    title: str
    lines: tuple
    top_header: tuple
    top: tuple


def _statuses(history) -> str:
    counts = Counter(str(r.status) for r in history)
    order = [s.value for s in Status]
    parts = [f"{counts[s]} {s}" for s in order if counts.get(s)]
    low = sum(1 for r in history if r.status == Status.OK and r.fidelity < 1.0)
    if low:
        parts.append(f"{low} of the ok at lower fidelity")
    return ", ".join(parts)


def _final_model(estimator, leaderboard) -> str:
    members = leaderboard[leaderboard["ensemble_weight"] > 0].sort_values(
        ["ensemble_weight", "trial"], ascending=[False, True])
    refit = {"all rows": "refit on all rows",
             "part of the rows": "refit on part of the rows (all not in time)",
             "search-time model": "the search's model (refit not in time, or rejected)",
             "dummy": "the dummy fallback"}.get(estimator.refit_, estimator.refit_)
    if len(members):
        parts = [f"{row['ensemble_weight']:.2f} x #{int(row['trial'])} {row['pipeline']}"
                 for _, row in members.iterrows()]
        return f"ensemble of {len(members)} ({refit}): " + "; ".join(parts)
    chosen = leaderboard[leaderboard["config"].map(lambda c: c == estimator.best_config_)
                         & leaderboard["rank"].notna()].head(1)
    if chosen.empty:
        return f"single pipeline ({refit})"
    row = chosen.iloc[0]
    return f"single pipeline #{int(row['trial'])} {row['pipeline']} ({refit})"


def _report(search_report) -> str:
    parts = []
    for key, value in search_report.items():
        text = value if isinstance(value, str) else repr(value)
        parts.append(f"{key}={textwrap.shorten(text, REPORT_VALUE_WIDTH, placeholder=' …')}")
    return "; ".join(parts)


def describe_fit(estimator) -> FitDescription:
    """The facts of one fitted estimator's fit (see the module's docstring)."""
    profile, plan, metric = estimator.profile_, estimator.search_plan_, estimator.metric_
    history, leaderboard = estimator.history_, estimator.leaderboard_
    kind = f"{profile.n_classes} classes" if profile.n_classes else "regression"
    models = estimator.search_space_.models
    time_line = f"{estimator.fit_time_:.1f}s of a {estimator.time_budget:g}s budget"
    if estimator.max_trials is not None:
        time_line += f", max_trials={estimator.max_trials}"
    dummy = next((r for r in history if r.origin == "dummy"), None)
    ranked = leaderboard[leaderboard["rank"].notna()]
    best_trial = ranked.iloc[0] if len(ranked) else None
    score = f"{metric} = {estimator.best_score_:.4f}"
    notes = []
    if best_trial is not None and best_trial["score"] != estimator.best_score_:
        notes.append(f"best trial {best_trial['score']:.4f}")
    if dummy is not None and math.isfinite(dummy.score):
        notes.append(f"dummy {dummy.score:.4f}")
    if notes:
        score += f" ({', '.join(notes)})"
    lines = [
        ("data", f"{profile.n_rows} rows x {profile.n_features} columns, {kind}"),
        ("search", f"{plan.strategy} over {len(models)} model families: {', '.join(models)}"),
        ("time", time_line),
        ("trials", f"{len(history)} (the dummy included): {_statuses(history)}"),
        ("plan", plan.reason),
        ("final model", _final_model(estimator, leaderboard)),
        ("validation", score),
    ]
    if estimator.search_report_:
        lines.append(("search report", _report(estimator.search_report_)))
    top = tuple((int(row["rank"]), int(row["trial"]), float(row["score"]),
                 float(row["fit_seconds"]), float(row["ensemble_weight"]), str(row["pipeline"]))
                for _, row in ranked.head(TOP_TRIALS).iterrows())
    return FitDescription(
        title=(f"{type(estimator).__name__}: {metric} {estimator.best_score_:.4f} on validation, "
               f"{plan.strategy} search, {len(history)} trials in {estimator.fit_time_:.1f}s"),
        lines=tuple(lines),
        top_header=("rank", "trial", metric, "fit s/fold", "weight", "pipeline"),
        top=top)


def as_text(description: FitDescription, width: int = WIDTH) -> str:
    """The description as plain text of at most ``width`` columns (long values wrapped)."""
    out = [description.title, "-" * min(len(description.title), width)]
    for label, text in description.lines:
        out.extend(textwrap.wrap(text, width, initial_indent=f"{label:<{LABEL}}",
                                 subsequent_indent=" " * LABEL, break_on_hyphens=False)
                   or [label])
    if description.top:
        out.append(f"top {len(description.top)} trials:")
        out.append(f"  {'rank':>4} {'trial':>5} {description.top_header[2]:>10} "
                   f"{'fit s':>7} {'weight':>6}  pipeline")
        for rank, trial, score, fit, weight, pipeline in description.top:
            row = f"  {rank:>4} {trial:>5} {score:>10.4f} {fit:>7.2f} {weight:>6.2f}  "
            out.append(row + textwrap.shorten(pipeline, max(width - len(row), 20),
                                              placeholder="…"))
    return "\n".join(out)


def as_html(description: FitDescription) -> str:
    """The description as an HTML table (a notebook's view of a fitted estimator)."""
    esc = html.escape
    cell = 'style="text-align:left;vertical-align:top;padding:2px 8px"'
    rows = "".join(f"<tr><th {cell}>{esc(label)}</th><td {cell}>{esc(text)}</td></tr>"
                   for label, text in description.lines)
    top = ""
    if description.top:
        head = "".join(f"<th {cell}>{esc(h)}</th>" for h in description.top_header)
        body = "".join(
            f"<tr><td {cell}>{rank}</td><td {cell}>{trial}</td><td {cell}>{score:.4f}</td>"
            f"<td {cell}>{fit:.2f}</td><td {cell}>{weight:.2f}</td><td {cell}>{esc(pipeline)}"
            f"</td></tr>" for rank, trial, score, fit, weight, pipeline in description.top)
        top = (f"<table class=\"automl-top-trials\"><caption style=\"text-align:left\">top "
               f"{len(description.top)} trials</caption><thead><tr>{head}</tr></thead>"
               f"<tbody>{body}</tbody></table>")
    return (f"<div class=\"automl-summary\"><strong>{esc(description.title)}</strong>"
            f"<table class=\"automl-fit\"><tbody>{rows}</tbody></table>{top}</div>")
