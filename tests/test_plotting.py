"""Plots of a fit: what each draws (points, bars, lines, labels), from plain records
and from fitted estimators; the errors before fit, without a complexity, without
matplotlib."""

import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from automl_estimators import AutoClassifier, plotting
from automl_estimators.plotting import pareto_front, pareto_points, plot_search
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def trial(trial_id, model, status=Status.OK, score=float("nan"), end=0.0, fidelity=1.0,
          origin="random", info=None):
    return TrialResult(trial_id=trial_id, config={"model": model} if model else {},
                       origin="dummy" if model is None else origin, fidelity=fidelity,
                       status=status, score=score, started_at=end - 0.5, duration=0.5,
                       info=info or {})


HISTORY = [
    trial(0, None, score=0.3, end=0.5),
    trial(1, "hist_gradient_boosting", score=0.9, end=2.0, origin="default"),
    trial(2, "random_forest", score=0.85, end=3.0),
    trial(3, "knn", Status.CRASH, end=4.0),
    trial(4, "random_forest", Status.TIMEOUT, end=5.0),
    trial(5, "logistic_regression", score=0.95, end=6.0),
    trial(6, "hist_gradient_boosting", score=0.97, end=7.0, fidelity=0.33),
    trial(7, "random_forest", Status.INFEASIBLE, score=0.99, end=8.0),
    trial(8, "knn", Status.CANCELLED, end=9.0),
]


def by_label(ax, label):
    found = [c for c in [*ax.collections, *ax.lines] if c.get_label() == label]
    assert len(found) == 1, [c.get_label() for c in [*ax.collections, *ax.lines]]
    return found[0]


def test_search_plot_draws_best_so_far_trials_failures_and_the_budget():
    ax = plot_search(HISTORY, "accuracy", 10, fit_time=9.5)
    # best so far: full-fidelity successes only, in the order they ended, to the fit's end
    best = by_label(ax, "best accuracy so far")
    assert list(best.get_xdata()) == [0.5, 2.0, 3.0, 6.0, 9.5]
    assert list(best.get_ydata()) == [0.3, 0.9, 0.9, 0.95, 0.95]
    budget = by_label(ax, "budget (10s)")
    assert list(budget.get_xdata()) == [10, 10]
    # one series per model family; the low-fidelity trial is hollow, beside its family
    assert by_label(ax, "random_forest").get_offsets().tolist() == [[3.0, 0.85]]
    assert by_label(ax, "hist_gradient_boosting").get_offsets().tolist() == [[2.0, 0.9]]
    hollow = [c for c in ax.collections if c.get_offsets().tolist() == [[7.0, 0.97]]]
    assert len(hollow) == 1 and len(hollow[0].get_facecolors()) == 0
    ok_points = sum(len(c.get_offsets()) for c in ax.collections
                    if c.get_offsets().size and c.get_offsets()[0][1] > 0.1)
    assert ok_points == 5
    # failures at the bottom (axes fraction), one series per status, counted in the label
    for label, end in [("crash (1)", 4.0), ("timeout (1)", 5.0), ("infeasible (1)", 8.0),
                       ("cancelled (1)", 9.0)]:
        assert by_label(ax, label).get_offsets().tolist() == [[end, 0.03]]
    assert ax.get_ylabel() == "validation accuracy"
    assert "seconds" in ax.get_xlabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "knn" not in legend  # no knn trial succeeded: no series of it
    assert {"best accuracy so far", "budget (10s)", "crash (1)", "dummy"} <= set(legend)


def test_search_plot_colours_by_origin_on_request_and_checks_the_option():
    ax = plot_search(HISTORY, "accuracy", 10, color_by="origin")
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"default", "random", "dummy"} <= legend and "random_forest" not in legend
    with pytest.raises(ValueError, match="color_by must be one of"):
        plot_search(HISTORY, "accuracy", 10, color_by="family")


def test_pareto_front_keeps_the_non_dominated_points_by_complexity():
    complexities = [1, 1, 2, 3, 3, 4]
    scores = [0.5, 0.6, 0.55, 0.7, 0.7, 0.65]
    assert pareto_front(complexities, scores) == [1, 3]


def test_pareto_points_read_network_parameters_and_say_when_none_is_recorded():
    history = [trial(0, None, score=0.3),
               trial(1, "neural_network", score=0.8, info={"n_parameters": 5000}),
               trial(2, "random_forest", score=0.85),
               trial(3, "neural_network", Status.CRASH)]
    trials, complexities, scores, label = pareto_points(history, None, "random")
    assert (trials, complexities, scores) == ([1], [5000.0], [0.8]) and "parameters" in label
    with pytest.raises(ValueError, match="search='genetic' records each pipeline's complexity"):
        pareto_points(history[:3:2], None, "smac")


def test_leaderboard_plot_shows_the_top_trials_with_scores_and_fit_times(iris_fit):
    ax = iris_fit.plot_leaderboard(top=3)
    ranked = iris_fit.leaderboard_[iris_fit.leaderboard_["rank"].notna()].head(3)
    assert len(ax.patches) == 3
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"#{t} {p}" for t, p in zip(ranked["trial"], ranked["pipeline"])]
    notes = [t.get_text() for t in ax.texts]
    assert all(f"{s:.4f}" in n and "s/fold" in n for s, n in zip(ranked["score"], notes))
    # bar ends at the scores (above a common baseline below the lowest)
    ends = [p.get_x() + p.get_width() for p in ax.patches]
    np.testing.assert_allclose(ends, ranked["score"])
    assert ax.get_xlabel() == "validation accuracy"
    assert len(iris_fit.plot_leaderboard().patches) == min(10, len(iris_fit.leaderboard_))
    with pytest.raises(ValueError, match="top must be a positive integer"):
        iris_fit.plot_leaderboard(top=0)


def test_ensemble_plot_shows_members_and_weights(iris_fit):
    assert iris_fit.ensemble_ is not None, "the fixture's fit should end on an ensemble"
    fig, ax = plt.subplots()
    assert iris_fit.plot_ensemble(ax=ax) is ax
    np.testing.assert_allclose(sorted(p.get_width() for p in ax.patches),
                               sorted(iris_fit.ensemble_.weights_))
    assert ax.get_title().startswith(f"Ensemble of {len(iris_fit.ensemble_.weights_)} members")


def test_ensemble_plot_of_a_single_pipeline_is_one_bar_of_weight_one(genetic_fit):
    ax = genetic_fit.plot_ensemble()
    assert [p.get_width() for p in ax.patches] == [1.0]
    assert ax.get_title().startswith("Single model, no ensemble")
    chosen = genetic_fit.leaderboard_[genetic_fit.leaderboard_["config"].map(
        lambda c: c == genetic_fit.best_config_)].iloc[0]
    assert ax.get_yticklabels()[0].get_text() == f"#{chosen['trial']} {chosen['pipeline']}"


def test_pareto_plot_of_a_genetic_search_highlights_the_front(genetic_fit):
    ax = genetic_fit.plot_pareto()
    ok = [r for r in genetic_fit.history_ if r.ok and r.config and r.fidelity == 1.0]
    assert any("transforms" in r.config for r in ok), "the search should have bred programs"
    points = by_label(ax, f"trials ({len(ok)})")
    assert len(points.get_offsets()) == len(ok)
    complexities, scores = points.get_offsets()[:, 0], points.get_offsets()[:, 1]
    front = pareto_front(list(complexities), list(scores))
    assert len(by_label(ax, f"non-dominated front ({len(front)})").get_offsets()) == len(front)
    assert "operators" in ax.get_xlabel() and ax.get_ylabel() == "validation accuracy"
    assert max(scores) == max(r.score for r in ok)


def test_pareto_plot_says_which_search_records_complexity(iris_fit):
    with pytest.raises(ValueError, match="search='genetic'"):
        iris_fit.plot_pareto()


def test_search_plot_of_a_fit_marks_its_budget_and_every_trial(iris_fit):
    ax = iris_fit.plot_search()
    assert list(by_label(ax, f"budget ({SLACK_BUDGET}s)").get_xdata()) == [SLACK_BUDGET] * 2
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len(iris_fit.history_)
    assert by_label(ax, "best accuracy so far").get_ydata()[-1] == pytest.approx(
        iris_fit.leaderboard_["score"].max())


@pytest.mark.parametrize("method", ["plot_search", "plot_leaderboard", "plot_ensemble",
                                    "plot_pareto"])
def test_plots_need_a_fitted_estimator(method):
    with pytest.raises(NotFittedError):
        getattr(AutoClassifier(), method)()


def test_plots_without_matplotlib_name_the_install(iris_fit, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "automl-estimators\[plots\]"'):
        iris_fit.plot_search()
    with pytest.raises(ImportError, match="needs matplotlib"):
        plotting.pyplot()
