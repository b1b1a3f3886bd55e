"""The worker's task: fit on folds, predict, and never raise."""

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from automl_estimators.runners.task import fit_and_predict
from automl_estimators.trial import Status, TrialTask
from tests.misbehaving import Crasher


@pytest.fixture
def data_path(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    path = str(tmp_path / "data.joblib")
    joblib.dump({"X": X, "y": y, "n_classes": 2, "splits": splits}, path)
    return path


def test_a_trial_answers_one_prediction_and_fit_time_per_fold(data_path):
    answer = fit_and_predict(data_path, TrialTask(LogisticRegression(), (0, 1, 2)))
    assert answer.status == Status.OK and answer.model is None
    assert len(answer.predictions) == len(answer.fit_seconds) == 3
    assert answer.predictions[0].values.shape == (40, 2)


def test_a_refit_fits_all_rows_and_returns_the_model(data_path):
    answer = fit_and_predict(data_path, TrialTask(LogisticRegression(), None, return_model=True))
    assert answer.ok and len(answer.fit_seconds) == 1
    assert answer.model.n_features_in_ == 3
    # ... and predicts every split's validation rows, for the finishing step's check.
    assert [p.values.shape for p in answer.predictions] == [(40, 2)] * 3
    X = joblib.load(data_path)["X"]
    splits = joblib.load(data_path)["splits"]
    np.testing.assert_allclose(answer.predictions[1].values,
                               answer.model.predict_proba(X[splits[1][1]]))


def test_a_failing_fit_is_an_answer_with_its_error_never_an_exception(data_path):
    answer = fit_and_predict(data_path, TrialTask(Crasher(), (0,)))
    assert answer.status == Status.CRASH and "deliberate failure in fit" in answer.error
    assert "Traceback" in answer.traceback


def test_a_refit_does_not_cut_a_network_short(tmp_path):
    """A refit bounded by time would replace the search's network by a barely
    trained one; unbounded, it finishes or fails (and the search's model serves)."""
    pytest.importorskip("torch")
    import joblib
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from automl_estimators.nas import NeuralClassifier
    from automl_estimators.runners.task import fit_and_predict
    from automl_estimators.trial import TrialTask

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    y = (X[:, 0] > 0).astype(int)
    splits = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    path = str(tmp_path / "data.joblib")
    joblib.dump({"X": X, "y": y, "n_classes": 2, "splits": splits}, path)
    network = make_pipeline(StandardScaler(), NeuralClassifier(
        max_epochs=200, patience=1000, random_state=0))
    # the same tiny limit cuts a trial's network short, not a refit's
    trial = fit_and_predict(path, TrialTask(network, (0,), return_model=True, time_limit=0.05))
    refit = fit_and_predict(path, TrialTask(network, None, return_model=True, time_limit=0.05))
    assert trial.ok and refit.ok
    assert trial.model[-1].stopped_by_time_ and trial.model[-1].n_iter_ < 200
    assert refit.model[-1].n_iter_ == 200 and not refit.model[-1].stopped_by_time_


def test_a_trial_reports_prediction_time_per_row(tmp_path):
    """Every OK answer carries the mean seconds per predicted row (for latency limits)."""
    import joblib

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), np.arange(60) % 2
    path = tmp_path / "data.joblib"
    joblib.dump({"X": X, "y": y, "n_classes": 2,
                 "splits": [(np.arange(40), np.arange(40, 60))]}, path)
    answer = fit_and_predict(str(path), TrialTask(LogisticRegression(), folds=(0,)))
    assert answer.ok
    assert 0 < answer.info["predict_seconds_per_row"] < 1
    assert "n_parameters" not in answer.info


def test_a_returned_model_gets_its_n_jobs_back(data_path):
    """Inside the worker a trial's n_jobs parameters get its threads; the model that
    comes back has its own values again: a ColumnTransformer left at n_jobs=2 would
    start joblib processes at every predict in the user's process."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = Pipeline([("columns", ColumnTransformer([("scale", StandardScaler(), [0, 1, 2])])),
                         ("model", RandomForestClassifier(n_estimators=5, n_jobs=None))])
    answer = fit_and_predict(data_path, TrialTask(pipeline, None, n_threads=2, return_model=True))
    assert answer.ok
    jobs = {k: v for k, v in answer.model.get_params().items() if k.endswith("n_jobs")}
    assert jobs == {"columns__n_jobs": None, "model__n_jobs": None}


@pytest.mark.parametrize("rows, classes, singleton, early_stopping, fraction, possible", [
    (12_000, 2, True, "auto", 0.1, False),    # "auto" stops early: a class of one row
    (12_000, 2, False, "auto", 0.1, True),
    (9_000, 2, True, "auto", 0.1, True),      # "auto" does not stop early here
    (200, 30, False, True, 0.1, False),       # 20 held-out rows for 30 classes
    (200, 30, False, True, 40, True),
    (200, 2, True, True, None, True),         # no validation split at all
    (200, 2, True, False, 0.1, True),
])
def test_early_stopping_split_possible_follows_scikit_learn(rows, classes, singleton,
                                                            early_stopping, fraction,
                                                            possible):
    """The check says False exactly where HistGradientBoostingClassifier's fit
    raises on its stratified validation split."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from automl_estimators.runners.task import early_stopping_split_possible

    rng = np.random.default_rng(0)
    y = np.arange(rows) % classes
    if singleton:
        y[0] = classes
    X = rng.normal(size=(rows, 2))
    model = HistGradientBoostingClassifier(max_iter=2, early_stopping=early_stopping,
                                           validation_fraction=fraction)
    assert early_stopping_split_possible(model, y) is possible
    try:
        model.fit(X, y)
        fitted = True
    except ValueError:
        fitted = False
    assert fitted is possible
    # A regressor's split is not stratified: never in the way.
    from sklearn.ensemble import HistGradientBoostingRegressor
    assert early_stopping_split_possible(HistGradientBoostingRegressor(early_stopping=True), y)


def test_a_boosting_left_to_decide_fits_without_early_stopping_where_its_split_fails(
        tmp_path):
    """More than 10,000 rows with a class of one row: HistGradientBoostingClassifier at
    its defaults (early_stopping="auto") stops early on a stratified split it cannot
    make, and raised in every trial and refit. It now fits all its iterations there,
    in trials and in refits, and the returned model says so. A configuration that
    asks for early stopping is fitted as set, and fails there; elsewhere nothing
    changes."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(0)
    X = rng.normal(size=(16_000, 3))
    y = (X[:, 0] > 0).astype(int)
    y[0] = 2  # one row of a third class
    train, valid = train_test_split(np.arange(len(y)), test_size=0.2, random_state=0)
    path = str(tmp_path / "data.joblib")
    joblib.dump({"X": X, "y": y, "n_classes": 3, "splits": [(train, valid)]}, path)
    model = HistGradientBoostingClassifier(max_iter=20)

    trial = fit_and_predict(path, TrialTask(model, (0,)))
    refit = fit_and_predict(path, TrialTask(model, None, return_model=True))
    assert trial.status == Status.OK and refit.status == Status.OK, (trial.error, refit.error)
    assert refit.model.early_stopping is False and refit.model.n_iter_ == 20
    assert model.early_stopping == "auto"  # the task's own pipeline is untouched
    asked = fit_and_predict(path, TrialTask(model.set_params(early_stopping=True), (0,)))
    assert asked.status == Status.CRASH and "least populated class" in asked.error
    # Two rows of that class: the split can be made, and early stopping stays.
    y[1] = 2
    joblib.dump({"X": X, "y": y, "n_classes": 3, "splits": [(train, valid)]}, path)
    refit = fit_and_predict(path, TrialTask(model.set_params(early_stopping="auto"), None,
                                            return_model=True))
    assert refit.ok and refit.model.early_stopping == "auto"
