"""The one-screen summary of a fit, as text and as a notebook's HTML."""

import pytest
from sklearn import config_context
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from automl_estimators import AutoClassifier
from automl_estimators.summary import WIDTH, describe_fit
from tests.conftest import SLACK_BUDGET


def test_summary_says_what_was_searched_for_how_long_and_what_won(iris_fit):
    text = iris_fit.summary()
    lines = text.splitlines()
    assert len(lines) <= 30 and max(len(line) for line in lines) <= WIDTH
    plan = iris_fit.search_plan_
    flat = " ".join(text.split())  # long values are wrapped
    assert f"search random over {len(iris_fit.search_space_.models)} model families" in flat
    assert all(model in flat for model in iris_fit.search_space_.models)
    assert f"{iris_fit.fit_time_:.1f}s of a {SLACK_BUDGET}s budget, max_trials=6" in flat
    assert f"trials {iris_fit.n_trials_} (the dummy included): {iris_fit.n_trials_} ok" in flat
    assert " ".join(plan.reason.split()) in flat
    weights = sorted(iris_fit.ensemble_.weights_, reverse=True)
    assert f"final model ensemble of {len(weights)} (refit on all rows): {weights[0]:.2f} x #" \
        in flat
    assert f"validation accuracy = {iris_fit.best_score_:.4f}" in flat
    best = iris_fit.leaderboard_.iloc[0]
    assert any(line.split()[:3] == ["1", str(best["trial"]), f"{best['score']:.4f}"]
               for line in lines)


def test_summary_of_a_single_pipeline_names_it(genetic_fit):
    chosen = genetic_fit.leaderboard_[genetic_fit.leaderboard_["config"].map(
        lambda c: c == genetic_fit.best_config_)].iloc[0]
    flat = " ".join(genetic_fit.summary().split())
    assert f"final model single pipeline #{chosen['trial']} {chosen['pipeline']}" in flat
    assert "search genetic over 3 model families" in flat


def test_html_shows_the_same_facts_as_a_table_above_sklearns_diagram(iris_fit):
    page = iris_fit._repr_html_()
    assert page.startswith('<div class="automl-summary">')
    for label, text in describe_fit(iris_fit).lines:
        assert "<th" in page and f">{label}</th>" in page
    assert "automl-top-trials" in page
    assert "sk-estimator" in page or "sk-container" in page  # scikit-learn's diagram follows
    bundle = iris_fit._repr_mimebundle_()
    assert bundle["text/html"].startswith('<div class="automl-summary">')


def test_html_of_an_unfitted_estimator_is_sklearns(iris_fit):
    unfitted = AutoClassifier(time_budget=5)
    page = unfitted._repr_html_()
    assert "automl-summary" not in page and "AutoClassifier" in page
    # inside a pipeline, scikit-learn draws each step itself
    page = make_pipeline(StandardScaler(), iris_fit)._repr_html_()
    assert "AutoClassifier" in page and "automl-summary" not in page
    with config_context(display="text"), pytest.raises(AttributeError):
        iris_fit._repr_html_  # noqa: B018 - scikit-learn's rule: no HTML in text mode


def test_summary_needs_a_fitted_estimator():
    with pytest.raises(NotFittedError):
        AutoClassifier().summary()
