"""Scores computed directly from stored predictions equal their scikit-learn scorer's."""

import pickle

import numpy as np
import pytest
from sklearn.metrics import f1_score, make_scorer, recall_score, roc_auc_score

from automl_estimators.scoring import (
    DIRECT_SCORES,
    Metric,
    Predictions,
    _StoredClassifier,
    blend_fold_scores,
    get_metric,
)


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


def test_accuracy_without_labels_is_that_of_the_most_probable_class():
    """Probabilities without labels: the scorer predicts the most probable class."""
    metric = get_metric("accuracy", "classification")
    proba = np.array([[0.2, 0.8], [0.9, 0.1], [0.3, 0.7]])
    assert metric.score("classification", np.array([1, 0, 0]), Predictions(proba)) == \
        pytest.approx(2 / 3)


def test_a_bound_scorer_sees_the_user_s_labels_and_rows():
    """What cross_val_score would pass: labels, not encoded classes; X's rows for a
    plain callable; positions (never read) for a scikit-learn scorer."""
    X = np.arange(20.0).reshape(10, 2)
    proba = np.linspace(0.05, 0.95, 10)
    predictions = Predictions(np.column_stack([1 - proba, proba]), (proba > 0.5).astype(int))
    y = np.array([0, 0, 1, 0, 0, 1, 1, 0, 1, 1])
    seen = {}

    def plain(estimator, X_valid, y_valid):
        seen.update(X=X_valid, y=y_valid, predicted=estimator.predict(X_valid),
                    classes=estimator.classes_)
        return 0.5

    rows = np.array([1, 3, 5, 7, 9, 0, 2, 4, 6, 8])
    get_metric(plain, "classification").bind(X, np.array(["no", "yes"])).score(
        "classification", y, predictions, rows)
    np.testing.assert_array_equal(seen["X"], X[rows])
    np.testing.assert_array_equal(seen["y"], np.array(["no", "yes"])[y])
    np.testing.assert_array_equal(seen["predicted"], np.where(proba > 0.5, "yes", "no"))
    np.testing.assert_array_equal(seen["classes"], ["no", "yes"])
    recall_of_1 = make_scorer(recall_score, pos_label=1)
    metric = get_metric(recall_of_1, "classification").bind(X, np.array([1, 2]))
    assert metric.X is None  # make_scorer's scorers read X only through the estimator
    assert metric.score("classification", y, predictions, rows) == \
        pytest.approx(recall_score(y, predictions.labels, pos_label=0))


@pytest.mark.parametrize("classes, positive", [((1, 2), 0), ((0, 1), 1), ((-1, 1), 1),
                                               (("a", "b"), 1), ((False, True), 1)])
def test_a_scorer_name_s_positive_class(classes, positive):
    """scikit-learn's pos_label=1 where 1 is a label, else the second label."""
    rng = np.random.default_rng(0)
    y, predictions = _classification(rng, 50, 2)
    metric = get_metric("f1", "classification").bind(None, np.array(classes))
    assert metric.score("classification", y, predictions) == \
        pytest.approx(f1_score(y, predictions.labels, pos_label=positive))


def test_decisions_order_rows_as_the_probabilities_do():
    rng = np.random.default_rng(1)
    for k in (2, 4):
        y, predictions = _classification(rng, 200, k)
        predictions = Predictions(
            np.vstack([predictions.values, np.eye(k)[:2]]).astype(np.float32),
            np.concatenate([predictions.labels, [0, 1]]))  # exact 0 and 1 too
        y = np.concatenate([y, [0, 1]])
        by_decision = make_scorer(roc_auc_score, response_method="decision_function",
                                  **({} if k == 2 else {"multi_class": "ovr"}))
        if k > 2:  # log-probabilities: the same order in each column
            stand_in = _StoredClassifier(predictions, np.arange(k))
            np.testing.assert_array_equal(
                np.argsort(stand_in.decision_function(None), axis=0, kind="stable"),
                np.argsort(predictions.values, axis=0, kind="stable"))
            continue
        got = get_metric(by_decision, "classification").score("classification", y, predictions)
        assert got == pytest.approx(roc_auc_score(y, predictions.values[:, 1]))


def test_blend_scores_count_a_failure_or_nan_as_minus_infinity():
    y = np.array([0, 1, 0, 1])
    splits = [(None, np.array([0, 1])), (None, np.array([2, 3]))]
    folds = [Predictions(np.eye(2)[[0, 1]], np.array([0, 1]))] * 2

    def fails_on_the_second_fold(estimator, X, y_valid):
        if fails_on_the_second_fold.calls:
            raise RuntimeError("no")
        fails_on_the_second_fold.calls += 1
        return 1.0

    fails_on_the_second_fold.calls = 0
    metric = get_metric(fails_on_the_second_fold, "classification")
    assert blend_fold_scores(metric, "classification", y, splits, folds) == (1.0, -np.inf)
    nan = get_metric(lambda estimator, X, y_valid: float("nan"), "classification")
    assert blend_fold_scores(nan, "classification", y, splits, folds) == (-np.inf, -np.inf)


def test_a_metric_with_a_direct_score_pickles():
    metric = pickle.loads(pickle.dumps(get_metric("neg_root_mean_squared_error", "regression")))
    y = np.array([1.0, 2.0, 4.0])
    assert metric.score("regression", y, Predictions(np.array([1.0, 2.0, 2.0]))) == \
        pytest.approx(-np.sqrt(4 / 3))


def test_other_metrics_and_callables_go_through_their_scorer():
    assert get_metric("balanced_accuracy", "classification").direct is None
    assert get_metric(lambda est, X, y: 0.0, "classification").direct is None
