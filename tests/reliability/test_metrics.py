"""Metrics as users pass them: a scorer gets what ``cross_val_score`` would give it.

Each case fits with a scorer written against the user's own labels or X, and
checks the fit's validation score against the same scorer applied by
scikit-learn to the fitted pipeline, so a scorer fed encoded labels or row
positions (what trials were scored with before) fails here.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import hinge_loss, make_scorer, recall_score, roc_auc_score

from automl_estimators import AutoClassifier, AutoRegressor

from .conftest import TINY, no_leaked_warnings, numeric_frame, target_for, tiny_fit


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[::2].reset_index(drop=True), y.iloc[::2].to_numpy()  # 285 rows


@pytest.mark.parametrize("labels", [
    (1, 2),                              # 1 is the smaller label: encoded, it was class 0
    (-1, 1),
    ("malignant", "benign"),             # string pos_label: refused before
], ids=["ints-1-2", "ints-minus-1", "strings"])
def test_a_scorer_s_pos_label_is_one_of_the_user_s_labels(cancer, labels):
    """The positive class is the minority one (y01 == 0), labels[0]: the dummy, which
    predicts the majority class, has a recall of 0 on it (of 1 on encoded labels
    where the scorer's pos_label named the other class)."""
    X, y01 = cancer
    y = np.asarray(labels, dtype=object if isinstance(labels[0], str) else int)[y01]
    recall = make_scorer(recall_score, pos_label=labels[0])
    model = tiny_fit(AutoClassifier, X, y, metric=recall)
    assert model.leaderboard_.query("trial == 0")["score"].iloc[0] == 0.0
    assert model.refit_ != "dummy"
    assert 0.8 < model.best_score_ <= 1.0
    assert recall(model, X, y) > 0.8


def test_a_scorer_name_s_positive_class_is_scikit_learn_s(cancer):
    """'recall' on labels {1, 2} is the recall of 1 (scikit-learn's pos_label=1), as in
    cross_val_score; on string labels, where scikit-learn's default fails, of the
    second label in sorted order."""
    X, y01 = cancer
    for y, positive in [(np.where(y01 == 1, 2, 1), 1), (np.where(y01 == 1, "b", "a"), "b")]:
        model = tiny_fit(AutoClassifier, X, y, metric="recall")
        dummy = model.leaderboard_.query("trial == 0")["score"].iloc[0]
        majority = "b" if positive == "b" else 2  # y01 == 1 is the majority
        assert dummy == (1.0 if majority == positive else 0.0), (positive, dummy)


def test_a_scorer_that_reads_x_gets_the_validation_rows(estimator_class):
    X = numeric_frame(n_rows=120)
    X["weight"] = np.linspace(1.0, 2.0, len(X))
    y = target_for(estimator_class, X)
    seen = []

    def weighted_error(estimator, X_valid, y_valid):
        seen.append(X_valid)
        w = X_valid["weight"].to_numpy()
        return -float(np.sum(w * (estimator.predict(X_valid) != y_valid)) / w.sum()) \
            if estimator_class is AutoClassifier else \
            -float(np.sum(w * np.abs(estimator.predict(X_valid) - y_valid)) / w.sum())

    tiny_fit(estimator_class, X, y, metric=weighted_error)
    assert seen
    for X_valid in seen:
        assert isinstance(X_valid, pd.DataFrame) and list(X_valid.columns) == list(X.columns)
        pd.testing.assert_frame_equal(X_valid, X.loc[X_valid.index])


def test_scorers_that_ask_for_decisions(cancer):
    X, y = cancer
    hinge = make_scorer(hinge_loss, greater_is_better=False,
                        response_method="decision_function")
    model = tiny_fit(AutoClassifier, X, y, metric=hinge)
    assert (model.leaderboard_["status"] == "ok").all()
    assert np.isfinite(model.best_score_) and model.best_score_ <= 0
    auc = make_scorer(roc_auc_score, response_method="decision_function")
    model = tiny_fit(AutoClassifier, X, y, metric=auc)
    assert model.best_score_ > 0.9


def test_a_scorer_s_shown_name(cancer):
    X, y = cancer
    model = tiny_fit(AutoClassifier, X, y, metric=make_scorer(recall_score, pos_label=0))
    assert model.metric_ == "make_scorer(recall_score, response_method='predict', pos_label=0)"


def test_a_scorer_that_fails_on_the_user_s_labels_is_a_clear_error(cancer):
    X, y01 = cancer
    y = np.where(y01 == 1, "benign", "malignant")
    with no_leaked_warnings(), pytest.raises(
            ValueError, match=r"cannot score this classification target \(classes "
                              r"\['benign', 'malignant'\]\).*pos_label"):
        AutoClassifier(**TINY, metric=make_scorer(recall_score, pos_label=1)).fit(X, y)


def test_a_scorer_that_fails_on_some_predictions_never_stops_the_fit(estimator_class):
    """It fails on every third call after the dummy's folds: trials it fails on are
    failed trials; blends and refits it fails on lose their comparisons; the fit
    ends on a scored model."""
    X = numeric_frame(n_rows=150)
    y = target_for(estimator_class, X)
    calls = []

    def flaky(estimator, X_valid, y_valid):
        calls.append(1)
        if len(calls) > 10 and len(calls) % 3 == 0:
            raise RuntimeError("flaky scorer")
        return -float(np.mean(np.abs(estimator.predict(X_valid) - y_valid)))

    model = tiny_fit(estimator_class, X, y, metric=flaky, max_trials=6, resampling="cv",
                     ensemble_size=10)
    assert len(calls) > 20  # selection and the refit check score through it too
    assert model.refit_ != "dummy"
    assert "flaky scorer" in " ".join(model.leaderboard_["error"].fillna(""))


@pytest.mark.parametrize("how", ["nan", "error"])
def test_a_fit_that_ends_on_the_dummy_because_no_trial_scored_says_why(estimator_class, how):
    X = numeric_frame()
    y = target_for(estimator_class, X)
    calls = []

    def scorer(estimator, X_valid, y_valid):
        calls.append(1)
        if len(calls) == 1:  # the dummy's score: the metric fits the target
            return 0.0
        if how == "error":
            raise RuntimeError("no score for you")
        return float("nan")

    expected = "all 2 trial\\(s\\) failed.*no score for you" if how == "error" else \
        "scored all 2 trial\\(s\\) NaN"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.warns(UserWarning, match=expected):
            model = estimator_class(**TINY, metric=scorer).fit(X, y)
    assert model.refit_ == "dummy"


def test_a_fit_whose_trials_scored_does_not_warn(estimator_class):
    X = numeric_frame()
    tiny_fit(estimator_class, X, target_for(estimator_class, X), metric=None)


del AutoRegressor  # the estimator_class fixture runs both
