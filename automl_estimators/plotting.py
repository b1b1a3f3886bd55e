"""Plots of what a fit did, drawn from its plain records (the history, the leaderboard).

matplotlib is an optional dependency (``pip install "automl-estimators[plots]"``),
imported only when a plot is drawn. Each function draws on ``ax`` (a new figure's
axes when None) and returns it. The estimators' ``plot_*`` methods pass their
fitted attributes here.
"""

from __future__ import annotations

import math

import numpy as np

from .spaces.program import complexity
from .trial import Status

INSTALL = 'pip install "automl-estimators[plots]"'
# Statuses drawn as failures, at the bottom of the search plot (an infeasible
# trial scored, but it can never be chosen: it is not a point of the search).
FAILED = (Status.CRASH, Status.TIMEOUT, Status.MEMOUT, Status.INFEASIBLE, Status.CANCELLED)
FAILED_MARKERS = {Status.CRASH: "x", Status.TIMEOUT: "x", Status.MEMOUT: "x",
                  Status.INFEASIBLE: "x", Status.CANCELLED: "|"}
COLOR_BY = ("model", "origin")
# Longest pipeline description in a bar label, in characters.
LABEL_WIDTH = 48


def pyplot():
    """``matplotlib.pyplot``, or an ImportError naming the install command."""
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415 - an optional dependency
    except ImportError as exc:
        raise ImportError(f"plotting needs matplotlib, which is not installed: {INSTALL}"
                          ) from exc
    return plt


def _axes(ax, size):
    if ax is not None:
        return ax
    _, ax = pyplot().subplots(figsize=size, layout="constrained")
    return ax


def _ended_at(result) -> float:
    """Seconds into the fit when a trial ended (submitted + duration)."""
    end = result.ended_at
    return float(end if math.isfinite(end) else result.started_at)


def _family(result, color_by) -> str:
    if result.origin == "dummy":
        return "dummy"
    if color_by == "origin":
        return result.origin or "unknown"
    return str(result.config.get("model", "unknown"))


def _colors(names):
    """One colour per name, stable across plots of one fit (sorted names)."""
    from matplotlib import colormaps  # noqa: PLC0415

    names = sorted(set(names))
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def _short(text, width=LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def plot_search(history, metric, time_budget, *, fit_time=None, color_by="model", ax=None):
    """Best validation score so far against the seconds of the fit.

    Parameters
    ----------
    history : list of TrialResult
        Every trial of the fit (``history_``).
    metric : str
        The metric's name, for the axis label.
    time_budget : float
        The fit's budget: a vertical line.
    fit_time : float, default=None
        Seconds the fit took: the best-so-far line runs until then.
    color_by : {"model", "origin"}, default="model"
        Colour successful trials by model family, or by who proposed them (the
        strong default, the warm start, the strategy).
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib Axes
        Successful full-fidelity trials as points at the time they ended,
        lower-fidelity ones hollow (their scores are not comparable), the best
        score so far as a step line, failed and cancelled trials as markers
        at the bottom, one per status, and the budget as a dashed line.
    """
    if color_by not in COLOR_BY:
        raise ValueError(f"color_by must be one of {COLOR_BY}, got {color_by!r}.")
    ax = _axes(ax, (8, 4.5))
    ok = [r for r in history if r.status == Status.OK and math.isfinite(r.score)]
    colors = _colors(_family(r, color_by) for r in ok)
    for name, color in colors.items():
        full = [r for r in ok if _family(r, color_by) == name and r.fidelity >= 1.0]
        low = [r for r in ok if _family(r, color_by) == name and r.fidelity < 1.0]
        if full:
            ax.scatter([_ended_at(r) for r in full], [r.score for r in full], color=color,
                       s=30, zorder=3, label=name)
        if low:
            ax.scatter([_ended_at(r) for r in low], [r.score for r in low], s=30, zorder=3,
                       facecolors="none", edgecolors=color,
                       label=None if full else f"{name} (lower fidelity)")
    ranked = sorted((r for r in ok if r.fidelity >= 1.0), key=_ended_at)
    if ranked:
        times = [_ended_at(r) for r in ranked]
        best = np.maximum.accumulate([r.score for r in ranked])
        end = max(times[-1], fit_time if fit_time is not None else times[-1])
        ax.step(times + [end], list(best) + [best[-1]], where="post", color="black",
                linewidth=1.5, zorder=2, label=f"best {metric} so far")
    for status in FAILED:
        failed = [r for r in history if r.status == status]
        if failed:
            # x in seconds, y in axes fractions: at the bottom whatever the scores' range
            ax.scatter([_ended_at(r) for r in failed], [0.03] * len(failed),
                       transform=ax.get_xaxis_transform(), marker=FAILED_MARKERS[status],
                       color="tab:red" if status != Status.CANCELLED else "grey",
                       s=40, zorder=3, label=f"{status} ({len(failed)})")
    ax.axvline(time_budget, color="grey", linestyle="--", linewidth=1,
               label=f"budget ({time_budget:g}s)")
    ax.set_xlabel("seconds since the fit started (trial end)")
    ax.set_ylabel(f"validation {metric}")
    title = f"Search: {len(history)} trials"
    if ranked:
        title += f", best {metric} {best[-1]:.4f}"
    ax.set_title(title)
    ax.legend(fontsize="small", loc="best")
    return ax


def _ranked(leaderboard):
    return leaderboard[leaderboard["rank"].notna()]


def _bar_label(row) -> str:
    return f"#{int(row['trial'])} {_short(str(row['pipeline']))}"


def plot_leaderboard(leaderboard, metric, *, top=10, ax=None):
    """The best ranked trials as horizontal bars, best on top.

    Parameters
    ----------
    leaderboard : pandas.DataFrame
        The fit's ``leaderboard_``.
    metric : str
    top : int, default=10
        How many trials to show.
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib Axes
        One bar per trial (its length: the score above a baseline just below the
        lowest shown, so that small differences show), annotated with the score
        and the mean fit seconds per fold; ensemble members in another colour.
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}.")
    rows = _ranked(leaderboard).head(top)
    ax = _axes(ax, (8, 0.45 * max(len(rows), 2) + 1.2))
    scores = rows["score"].to_numpy(dtype=float)
    if len(rows):
        low, high = float(scores.min()), float(scores.max())
        pad = 0.1 * (high - low) if high > low else 0.05 * max(abs(high), 1e-3)
        base = low - pad
        weights = rows["ensemble_weight"].to_numpy(dtype=float) if \
            "ensemble_weight" in rows else np.zeros(len(rows))
        colors = ["tab:orange" if w > 0 else "tab:blue" for w in weights]
        positions = np.arange(len(rows))
        bars = ax.barh(positions, scores - base, left=base, color=colors)
        for bar, (_, row) in zip(bars, rows.iterrows()):
            ax.annotate(f" {row['score']:.4f}   fit {row['fit_seconds']:.2f}s/fold",
                        (bar.get_x() + bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        va="center", ha="left", fontsize="small")
        ax.set_yticks(positions, [_bar_label(row) for _, row in rows.iterrows()],
                      fontsize="small")
        ax.invert_yaxis()
        ax.set_xlim(base, high + 4 * pad + 0.35 * (high - base))
        if (weights > 0).any():
            from matplotlib.patches import Patch  # noqa: PLC0415

            ax.legend(handles=[Patch(color="tab:orange", label="ensemble member"),
                               Patch(color="tab:blue", label="not in the ensemble")],
                      fontsize="small", loc="lower right")
    ax.set_xlabel(f"validation {metric}")
    ax.set_title(f"Leaderboard: top {len(rows)} of {len(_ranked(leaderboard))} ranked trials")
    return ax


def plot_ensemble(leaderboard, metric, score, best_config, *, ax=None):
    """The final model's members and their weights.

    Parameters
    ----------
    leaderboard : pandas.DataFrame
        The fit's ``leaderboard_`` (its ``ensemble_weight`` column).
    metric : str
    score : float
        The final model's validation score (``best_score_``).
    best_config : dict
        The chosen pipeline's configuration: the single bar when the fit ended
        on one model.
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib Axes
        One bar per member (weight), annotated with the weight and the member's
        own score; one bar of weight 1 when a single pipeline won.
    """
    members = leaderboard[leaderboard["ensemble_weight"] > 0].sort_values(
        ["ensemble_weight", "trial"], ascending=[False, True])
    single = members.empty
    if single:
        chosen = leaderboard[(leaderboard["config"].map(lambda c: c == best_config))
                             & leaderboard["rank"].notna()].head(1)
        members = chosen.assign(ensemble_weight=1.0)
    ax = _axes(ax, (8, 0.45 * max(len(members), 2) + 1.2))
    positions = np.arange(len(members))
    weights = members["ensemble_weight"].to_numpy(dtype=float)
    bars = ax.barh(positions, weights, color="tab:orange")
    for bar, (_, row) in zip(bars, members.iterrows()):
        ax.annotate(f" {row['ensemble_weight']:.2f}   ({metric} {row['score']:.4f})",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    va="center", ha="left", fontsize="small")
    ax.set_yticks(positions, [_bar_label(row) for _, row in members.iterrows()],
                  fontsize="small")
    ax.invert_yaxis()
    ax.set_xlim(0, 1.45)
    ax.set_xlabel("weight in the final model")
    if single:
        ax.set_title(f"Single model, no ensemble (validation {metric} {score:.4f})")
    else:
        ax.set_title(f"Ensemble of {len(members)} members (validation {metric} {score:.4f})")
    return ax


def pareto_points(history, space, strategy):
    """Each successful full-fidelity trial's (complexity, score), and what complexity is.

    Complexity is, after a genetic search (``strategy``, the plan's; or any
    program configuration in the history), the
    operators of the pipeline (the genetic search's second objective,
    :func:`~automl_estimators.spaces.program.complexity`), else a network's
    trainable parameters (``n_parameters`` in a trial's ``info``: networks only).

    Returns
    -------
    (trials, complexities, scores, label)

    Raises
    ------
    ValueError
        When no trial recorded a complexity.
    """
    ok = [r for r in history if r.status == Status.OK and r.fidelity >= 1.0 and r.config
          and math.isfinite(r.score)]
    programs = strategy == "genetic" or any("transforms" in r.config for r in history)
    if programs:
        points = [(r, complexity(r.config, space)) for r in ok]
        label = "complexity (operators in the pipeline)"
    else:
        points = [(r, r.info["n_parameters"]) for r in ok
                  if r.info.get("n_parameters") is not None]
        label = "trainable parameters (networks)"
    if not points:
        raise ValueError(
            "plot_pareto needs a complexity per trial, and this fit recorded none: "
            "search='genetic' records each pipeline's complexity (its operators, the "
            "search's second objective), and neural networks record their parameters "
            "(neural=True, or search='evolution'). Fit with one of them, or use "
            "plot_search / plot_leaderboard.")
    return ([r.trial_id for r, _ in points], [float(c) for _, c in points],
            [r.score for r, _ in points], label)


def pareto_front(complexities, scores) -> list[int]:
    """Indices of the non-dominated points (higher score, lower complexity), by complexity.

    A point is dominated when another is at least as good on both and better
    on one; of equal points, the first is kept.
    """
    order = sorted(range(len(scores)), key=lambda i: (complexities[i], -scores[i], i))
    front, best = [], -math.inf
    for i in order:
        if scores[i] > best:
            front.append(i)
            best = scores[i]
    return front


def plot_pareto(history, space, metric, *, strategy, ax=None):
    """Validation score against complexity, the non-dominated front highlighted.

    Parameters
    ----------
    history : list of TrialResult
    space : Space
        The fit's ``search_space_`` (to count a program's operators).
    metric : str
    strategy : str
        The fit's search strategy (``search_plan_.strategy``).
    ax : matplotlib Axes, default=None

    Returns
    -------
    matplotlib Axes
        Every successful full-fidelity trial as a grey point, the front's
        trials as red points joined by a step line and labelled with their
        trial number.

    Raises
    ------
    ValueError
        When the fit recorded no complexity (see :func:`pareto_points`).
    """
    trials, complexities, scores, label = pareto_points(history, space, strategy)
    ax = _axes(ax, (7, 4.5))
    front = pareto_front(complexities, scores)
    ax.scatter(complexities, scores, color="lightgrey", edgecolors="grey", s=30, zorder=2,
               label=f"trials ({len(scores)})")
    fx, fy = [complexities[i] for i in front], [scores[i] for i in front]
    ax.step(fx, fy, where="post", color="tab:red", linewidth=1, zorder=3)
    ax.scatter(fx, fy, color="tab:red", s=45, zorder=4,
               label=f"non-dominated front ({len(front)})")
    for i in front:
        ax.annotate(f"#{trials[i]}", (complexities[i], scores[i]), textcoords="offset points",
                    xytext=(4, -10), fontsize="x-small")
    if "parameters" in label and max(complexities) > 10 * max(min(complexities), 1):
        ax.set_xscale("log")
    else:
        from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label)
    ax.set_ylabel(f"validation {metric}")
    ax.set_title(f"Score against complexity: {len(front)} of {len(scores)} trials on the front")
    ax.legend(fontsize="small", loc="lower right")
    return ax
