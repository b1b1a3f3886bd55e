"""Ensemble selection (Caruana) and the ensemble estimators."""

import pickle
import time

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeRegressor

from automl_estimators.ensemble import (
    EnsembleClassifier,
    EnsembleRegressor,
    blend,
    select_ensemble,
)
from automl_estimators.scoring import Predictions, get_metric
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET

RNG = np.random.default_rng(0)


def _splits(n, k=3):
    folds = np.array_split(np.random.default_rng(1).permutation(n), k)
    return [(None, f) for f in folds]


def _trial(i, values, y, splits, metric, task, fidelity=1.0, origin="smac"):
    values = np.asarray(values, dtype=float)
    labels = values.argmax(axis=1) if task == "classification" else None
    scores = []
    start = 0
    for _, valid in splits:
        part = slice(start, start + len(valid))
        scores.append(metric.score(task, y[valid], Predictions(
            values[part], None if labels is None else labels[part])))
        start += len(valid)
    return TrialResult(trial_id=i, config={"id": i}, origin=origin, fidelity=fidelity,
                       status=Status.OK, score=float(np.mean(scores)),
                       predictions=Predictions(values, labels))


def _regression_trials(n=300):
    y = RNG.normal(size=n)
    splits = _splits(n)
    order = np.concatenate([v for _, v in splits])
    metric = get_metric("r2", "regression")
    # three models with independent errors: their mean is better than each
    trials = [_trial(i + 1, y[order] + RNG.normal(scale=0.6, size=n), y, splits, metric,
                     "regression") for i in range(3)]
    return sorted(trials, key=lambda t: -t.score), y, splits, metric


def test_selection_blends_models_with_independent_errors_and_beats_the_best():
    trials, y, splits, metric = _regression_trials()
    selection = select_ensemble(trials, y, splits, metric, "regression")
    assert len(selection.trials) == 3
    assert selection.score > trials[0].score + 0.05
    assert np.isclose(selection.weights.sum(), 1.0)
    assert selection.trajectory[0] == pytest.approx(trials[0].score)  # first pick: the best


def test_selection_never_ends_below_the_best_single_trial():
    y = RNG.integers(0, 2, 200)
    splits = _splits(200)
    order = np.concatenate([v for _, v in splits])
    metric = get_metric("accuracy", "classification")
    perfect = np.eye(2)[y[order]]
    noise = RNG.dirichlet([1, 1], size=200)
    trials = [_trial(1, perfect, y, splits, metric, "classification"),
              _trial(2, noise, y, splits, metric, "classification")]
    selection = select_ensemble(trials, y, splits, metric, "classification")
    assert selection.score == pytest.approx(1.0)
    assert [t.trial_id for t in selection.trials] == [1]
    assert selection.weights.tolist() == [1.0]


def test_low_fidelity_failed_and_prediction_less_trials_are_not_candidates():
    trials, y, splits, metric = _regression_trials()
    low = _trial(9, trials[0].predictions.values, y, splits, metric, "regression", fidelity=0.3)
    bare = TrialResult(trial_id=10, config={"id": 10}, origin="smac", fidelity=1.0,
                       status=Status.OK, score=0.99)
    dummy = _trial(0, np.zeros(300), y, splits, metric, "regression", origin="dummy")
    selection = select_ensemble([bare, low, dummy, *trials], y, splits, metric, "regression")
    assert {t.trial_id for t in selection.trials} <= {t.trial_id for t in trials}
    assert select_ensemble([bare, low, dummy], y, splits, metric, "regression") is None


def test_selection_stops_at_its_deadline():
    trials, y, splits, metric = _regression_trials()
    start = time.monotonic()
    selection = select_ensemble(trials * 10, y, splits, metric, "regression", size=1000,
                                n_best=30, deadline=time.monotonic() + 0.2)
    assert time.monotonic() - start < 1.5
    assert len(selection.trajectory) >= 1


def test_blend_renormalises_probabilities():
    a = np.array([[0.2, 0.8]], dtype=np.float32)
    b = np.array([[0.6, 0.4]], dtype=np.float32)
    p = blend([a, b], [3, 1], "classification")
    np.testing.assert_allclose(p.values, [[0.3, 0.7]])
    assert p.labels.tolist() == [1]


def test_ensemble_classifier_is_a_proper_estimator():
    X, y = make_classification(200, 5, random_state=0)
    members = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    ensemble = EnsembleClassifier(members, weights=[3, 1]).fit(X, y)
    expected = 0.75 * members[0][1].fit(X, y).predict_proba(X) \
        + 0.25 * members[1][1].fit(X, y).predict_proba(X)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected)
    np.testing.assert_array_equal(ensemble.predict(X), expected.argmax(axis=1))
    assert ensemble.weights_.tolist() == [0.75, 0.25] and len(ensemble.members_) == 2
    again = pickle.loads(pickle.dumps(ensemble))
    np.testing.assert_allclose(again.predict_proba(X), expected)
    assert clone(ensemble).get_params()["weights"] == [3, 1]


def test_ensemble_of_fitted_members_aligns_missing_classes():
    X, y = make_classification(150, 4, n_classes=3, n_informative=3, n_redundant=0,
                               random_state=0)
    two = LogisticRegression().fit(X[y < 2], y[y < 2])  # saw classes 0 and 1 only
    three = LogisticRegression().fit(X, y)
    ensemble = EnsembleClassifier.from_fitted([("a", LogisticRegression()),
                                               ("b", LogisticRegression())],
                                              [two, three], [1, 1], classes=[0, 1, 2])
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 2], 0.5 * three.predict_proba(X)[:, 2])


def test_ensemble_regressor_and_bad_weights():
    X, y = make_regression(100, 3, random_state=0)
    members = [("lin", LinearRegression()), ("tree", DecisionTreeRegressor(random_state=0))]
    ensemble = EnsembleRegressor(members).fit(X, y)
    expected = 0.5 * LinearRegression().fit(X, y).predict(X) \
        + 0.5 * DecisionTreeRegressor(random_state=0).fit(X, y).predict(X)
    np.testing.assert_allclose(ensemble.predict(X), expected)
    with pytest.raises(ValueError, match="non-negative"):
        EnsembleRegressor(members, weights=[1, -1]).fit(X, y)
    with pytest.raises(ValueError, match="one per estimator"):
        EnsembleRegressor(members, weights=[1]).fit(X, y)
    with pytest.raises(ValueError, match="at least one"):
        EnsembleRegressor([]).fit(X, y)


# ----------------------------------------------------------------- inside a fit
def test_fit_ends_with_an_ensemble_only_when_it_beats_the_best_trial(credit):
    from automl_estimators import AutoClassifier

    X, y = credit
    # Stops on its trials (tests/conftest.py): under a 12 s budget beside the busy
    # suite (session 50) the best trial's refit did not fit in the time left and the
    # next candidate's did (finish.Finisher._refit), a third outcome this test does
    # not check. The budget with an ensemble: test_strategies' budget tests and
    # benchmarks/reliability_sweep.py.
    clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=10, n_jobs=2,
                         random_state=0).fit(X, y)
    board = clf.leaderboard_
    best_trial = board["score"].iloc[0]
    if clf.ensemble_ is not None:
        assert clf.best_score_ > best_trial
        members = board[board["ensemble_weight"] > 0]
        assert len(members) == len(clf.ensemble_.members_) >= 2
        np.testing.assert_allclose(sorted(members["ensemble_weight"]),
                                   sorted(clf.ensemble_.weights_))
        # the blend of the members' probabilities is what predict_proba returns
        Xc = X.iloc[:20]
        blended = sum(w * m.predict_proba(Xc)
                      for m, w in zip(clf.ensemble_.members_, clf.ensemble_.weights_))
        np.testing.assert_allclose(clf.predict_proba(Xc), blended, rtol=1e-6)
        again = pickle.loads(pickle.dumps(clf))
        np.testing.assert_array_equal(again.predict(X), clf.predict(X))
    else:  # the best trial, or the strong default it does not beat by the fold noise
        default = board[board["origin"] == "default"].sort_values("trial").iloc[0]
        assert clf.best_score_ == best_trial or (
            clf.best_config_ == default["config"] and clf.best_score_ == default["score"])
        assert (board["ensemble_weight"] == 0).all()


def test_ensemble_size_one_keeps_the_single_best_pipeline(mpg):
    from automl_estimators import AutoRegressor

    X, y = mpg
    # stops on its trial count: what it asserts needs no clock (8 s and two workers
    # took ~15 s of CPU)
    reg = AutoRegressor(time_budget=SLACK_BUDGET, max_trials=6, ensemble_size=1, n_jobs=1,
                        random_state=0).fit(X, y)
    assert reg.ensemble_ is None and reg.model_ is reg.best_pipeline_
    board = reg.leaderboard_
    default = board[board["origin"] == "default"].sort_values("trial").iloc[0]
    assert reg.best_score_ == board["score"].iloc[0] or (
        reg.best_config_ == default["config"] and reg.best_score_ == default["score"])


@pytest.mark.parametrize("bad", [-1, 2.5, "50"])
def test_bad_ensemble_size_is_refused(bad, mpg):
    from automl_estimators import AutoRegressor

    with pytest.raises((ValueError, TypeError), match="ensemble_size"):
        AutoRegressor(time_budget=5, ensemble_size=bad).fit(*mpg)
