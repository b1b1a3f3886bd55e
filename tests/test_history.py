"""History: duplicates, finished results, ranking by fidelity, models kept for the best only."""

import math

import numpy as np

from automl_estimators.history import KEPT_PREDICTIONS, History
from automl_estimators.scoring import Predictions
from automl_estimators.trial import Status, TrialResult


def result(trial_id, score, fidelity=1.0, status=Status.OK, model=None, model_name="m",
           origin="test"):
    return TrialResult(trial_id=trial_id, config={"model": model_name, "x": trial_id},
                       origin=origin, fidelity=fidelity, status=status,
                       score=score if status == Status.OK else math.nan, model=model,
                       predictions=Predictions(np.zeros(3)))


def test_only_the_best_full_fidelity_trial_keeps_its_model():
    h = History()
    h.add(result(1, 0.5, model="model-1"))
    h.add(result(2, 0.4, model="model-2"))  # worse: dropped
    h.add(result(3, 0.9, fidelity=0.3, model="model-3"))  # low fidelity: dropped
    assert [r.model for r in h.results] == ["model-1", None, None]
    h.add(result(4, 0.7, model="model-4"))  # new best: the old one's goes
    assert [r.model for r in h.results] == [None, None, None, "model-4"]
    # low-fidelity trials keep no predictions (never ensembled with full ones)
    assert h.results[2].predictions is None and h.results[3].predictions is not None


def test_finished_and_seen():
    h = History()
    config = {"model": "m", "x": 1}
    h.mark(config)
    assert h.seen(config) and h.finished(config) is None and not h.seen(config, 0.5)
    h.add(result(1, 0.5))
    assert h.finished(config).score == 0.5


def test_leaderboard_ranks_full_fidelity_then_lower_then_failures():
    h = History()
    h.add(result(1, 0.6))
    h.add(result(2, 0.99, fidelity=1 / 3))
    h.add(result(3, None, status=Status.CRASH))
    h.add(result(4, 0.8))
    h.add(result(5, 0.7, fidelity=1 / 9))
    lb = h.leaderboard(lambda c: c["model"])
    assert list(lb["trial"]) == [4, 1, 2, 5, 3]
    assert list(lb["rank"].iloc[:2]) == [1, 2] and lb["rank"].iloc[2:].isna().all()
    assert h.best().trial_id == 4


def test_a_model_is_kept_even_when_the_best_trial_sent_none():
    h = History()
    h.add(result(0, 0.1, model_name="dummy"))
    h.add(result(1, 0.9))  # the best, without a model (large data)
    assert not h.has_fallback_model()
    h.add(result(2, 0.6, model="model-2"))  # worse than the best, but the only model
    assert h.held_model().trial_id == 2 and h.has_fallback_model()
    h.add(result(3, 0.5, model="model-3"))  # worse than the held model: dropped
    h.add(result(4, 0.7, model="model-4"))  # better than the held model: replaces it
    assert [r.model for r in h.results] == [None, None, None, None, "model-4"]


def test_the_strong_default_keeps_its_model_beside_the_best():
    # The selection rule may choose the strong default over the best: its model must
    # still be there when its refit does not fit in the time left.
    h = History()
    h.add(result(0, 0.1, origin="dummy"))
    h.add(result(2, 0.6, model="rf", origin="default"))  # another model's default
    h.add(result(1, 0.7, model="hgb", origin="default"))  # the strong default: first submitted
    h.add(result(3, 0.8, model="best"))
    assert [r.model for r in h.results] == [None, None, "hgb", "best"]
    assert h.held_model().trial_id == 3
    h.add(result(4, 0.9, model="better"))
    assert [r.model for r in h.results] == [None, None, "hgb", None, "better"]
    h.add(result(5, 0.2, model="worse"))
    assert [r.model for r in h.results if r.model] == ["hgb", "better"]


def test_a_dropped_model_or_prediction_is_not_held_elsewhere():
    # finished() answers with the history's own entry: once a trial's model (or its
    # predictions, beyond the best KEPT_PREDICTIONS) is dropped, nothing holds it.
    h = History()
    h.add(result(1, 0.5, model="model-1"))
    h.add(result(2, 0.7, model="model-2"))
    assert h.finished({"model": "m", "x": 1}).model is None
    assert h.finished({"model": "m", "x": 2}).model == "model-2"
    for i in range(3, KEPT_PREDICTIONS + 4):
        h.add(result(i, 0.6 + i * 1e-4))
    assert h.finished({"model": "m", "x": 1}).predictions is None


def test_a_fallback_held_need_not_be_the_best_model_held():
    # A stand-in run in the fit's own process (here the native default) may score
    # best; the strong default's model, held beside it, is still a fallback, so
    # the workers' trials need not send theirs back.
    h = History()
    h.add(result(0, 0.1, origin="dummy", model="dummy"))
    h.add(result(2, 0.9, model="native", origin="native_default"))
    assert h.has_fallback_model()
    assert not h.has_fallback_model(exclude={"native_default"})
    h.add(result(1, 0.8, model="hgb", origin="default"))
    assert h.held_model().trial_id == 2
    assert h.has_fallback_model(exclude={"native_default"})
    # a held model no better than the dummy is no fallback
    h = History()
    h.add(result(0, 0.5, origin="dummy", model="dummy"))
    h.add(result(1, 0.5, model="hgb", origin="default"))
    assert not h.has_fallback_model()
