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
