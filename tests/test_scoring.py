"""Scores computed directly from stored predictions equal their scikit-learn scorer's."""

import pickle

import numpy as np
import pytest

from automl_estimators.scoring import DIRECT_SCORES, Metric, Predictions, get_metric


def _through_the_scorer(metric):
    """The same metric with no direct score: scikit-learn's scorer decides."""
    return Metric(metric.name, metric.scorer)


def _classification(rng, n, k):
    proba = rng.random((n, k))
    proba /= proba.sum(axis=1, keepdims=True)
    return rng.integers(0, k, n), Predictions(proba, proba.argmax(axis=1))


def _regression(rng, n, scale=1.0):
    y = rng.normal(size=n) * scale
    return y, Predictions(y + rng.normal(size=n) * scale)


@pytest.mark.parametrize("name", sorted(DIRECT_SCORES))
@pytest.mark.parametrize("n", [2, 3, 57, 2000])
def test_a_direct_score_equals_its_scorer_s(name, n):
    task = "classification" if name == "accuracy" else "regression"
    metric = get_metric(name, task)
    assert metric.direct is DIRECT_SCORES[name]
    rng = np.random.default_rng(n)
    cases = ([_classification(rng, n, k) for k in (2, 3, 7)] if task == "classification"
             else [_regression(rng, n), _regression(rng, n, scale=1e12),
                   (np.full(n, 3.0), Predictions(np.full(n, 3.0))),      # constant, exact
                   (np.full(n, 3.0), Predictions(np.arange(n, dtype=float)))])  # constant, not
    for y, predictions in cases:
        direct = metric.score(task, y, predictions)
        scorer = _through_the_scorer(metric).score(task, y, predictions)
        assert direct == pytest.approx(scorer, rel=1e-12, abs=1e-12), (y, predictions)


@pytest.mark.filterwarnings("ignore:R\\^2 score is not well-defined")
def test_the_scorer_decides_where_a_direct_score_would_differ():
    """One row (R² undefined), predictions that are not finite (the scorer's error
    says so): the same outcome as the scorer's."""
    metric = get_metric("r2", "regression")
    assert np.isnan(metric.score("regression", np.array([1.0]), Predictions(np.array([2.0]))))
    with pytest.raises(ValueError):
        metric.score("regression", np.array([1.0, 2.0]), Predictions(np.array([np.nan, 2.0])))
    with pytest.raises(ValueError):
        _through_the_scorer(metric).score("regression", np.array([1.0, 2.0]),
                                          Predictions(np.array([np.nan, 2.0])))


def test_accuracy_without_labels_goes_through_the_scorer():
    """Probabilities without labels: the scorer's outcome (its error), never a silent 0."""
    metric = get_metric("accuracy", "classification")
    proba = np.array([[0.2, 0.8], [0.9, 0.1]])
    with pytest.raises(ValueError):
        metric.score("classification", np.array([1, 0]), Predictions(proba))


def test_a_metric_with_a_direct_score_pickles():
    metric = pickle.loads(pickle.dumps(get_metric("neg_root_mean_squared_error", "regression")))
    y = np.array([1.0, 2.0, 4.0])
    assert metric.score("regression", y, Predictions(np.array([1.0, 2.0, 2.0]))) == \
        pytest.approx(-np.sqrt(4 / 3))


def test_other_metrics_and_callables_go_through_their_scorer():
    assert get_metric("balanced_accuracy", "classification").direct is None
    assert get_metric(lambda est, X, y: 0.0, "classification").direct is None
