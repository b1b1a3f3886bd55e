"""Trials under limits: hangs, memory hogs and crashes become results, never exceptions."""

import time

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from automl_estimators.evaluation import Evaluator
from automl_estimators.scoring import get_metric
from automl_estimators.trial import Status
from tests.misbehaving import BusyInC, Crasher, MemoryHog, Sleeper


def _binary_evaluator(n_rows, n_columns, **options):
    """(an Evaluator with 2 workers over a separable binary problem of ``n_rows`` x
    ``n_columns``, its y, its 3 stratified splits); ``options`` go to Evaluator."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, n_columns))
    y = (X[:, 0] > 0).astype(int)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    return Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=2,
                     metric=get_metric(None, "classification"), **options), y, splits


@pytest.fixture
def evaluator():
    ev = _binary_evaluator(200, 5, memory_limit=300)[0]
    with ev:
        # Start the workers (the first trial starts them all) before a test times
        # anything: a start took 6 s with the load average at 10 on 2 cores, and the
        # timed tests are about stopping trials, not starting workers.
        assert run(ev, LogisticRegression(), 60).status == Status.OK
        yield ev


@pytest.fixture
def workerless():
    """(an Evaluator without workers, as a fit below 1.7 s has, its y, its 3 splits)."""
    ev, y, splits = _binary_evaluator(120, 4, workers=False)
    with ev:
        yield ev, y, splits


def run(evaluator, estimator, timeout):
    future = evaluator.submit(estimator, timeout)
    return evaluator.collect(future, trial_id=1, config={}, origin="test",
                             submitted=time.monotonic())


def test_ok_trial_has_score_and_out_of_fold_predictions(evaluator):
    result = run(evaluator, LogisticRegression(), 30)
    assert result.status == Status.OK and 0.8 < result.score <= 1.0
    assert len(result.fold_scores) == 3
    assert result.predictions.values.shape == (200, 2)
    np.testing.assert_allclose(result.predictions.values.sum(axis=1), 1.0, rtol=1e-5)


def test_hanging_trial_is_stopped_and_the_next_one_runs(evaluator):
    start = time.monotonic()
    result = run(evaluator, Sleeper(seconds=60), 1.0)
    assert result.status == Status.TIMEOUT
    assert time.monotonic() - start < 10
    assert run(evaluator, LogisticRegression(), 30).status == Status.OK


def test_memory_hog_is_stopped_and_recorded(evaluator):
    result = run(evaluator, MemoryHog(megabytes=2000), 30)
    assert result.status == Status.MEMOUT, result.error
    assert run(evaluator, LogisticRegression(), 30).status == Status.OK


def test_crash_is_recorded_with_its_error(evaluator):
    result = run(evaluator, Crasher(), 30)
    assert result.status == Status.CRASH
    assert "deliberate failure in fit" in result.error


def test_parallel_trials_do_not_wait_for_a_hanging_one(evaluator):
    hang = evaluator.submit(Sleeper(seconds=60), 20)
    start = time.monotonic()
    result = run(evaluator, LogisticRegression(), 20)
    assert result.status == Status.OK and time.monotonic() - start < 10
    hang.cancel()


def test_a_cancelled_trial_in_compiled_code_frees_its_worker_at_once(evaluator):
    busy = [evaluator.submit(BusyInC(), 60) for _ in range(2)]  # both workers in libsvm
    time.sleep(1.0)
    start = time.monotonic()
    for future in busy:
        future.cancel()
    result = run(evaluator, LogisticRegression(), 30)
    # pebble's Python-level SIGTERM handler waited 3 s per worker before SIGKILL; the
    # bound is below that wait, with the most room for a loaded machine
    assert result.status == Status.OK and time.monotonic() - start < 2.9


def test_a_slow_network_returns_what_it_learned_within_the_trial_limit():
    """A network given far too many epochs trains for a share of the trial's time
    (its max_time), instead of being killed at the limit with nothing to show."""
    pytest.importorskip("torch")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from automl_estimators.nas import NeuralClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    splits = list(StratifiedKFold(2, shuffle=True, random_state=0).split(X, y))
    slow = make_pipeline(StandardScaler(), NeuralClassifier(
        max_epochs=100_000, patience=100_000, random_state=0))
    limit = 10.0  # its 25 % margin (predicting, sending back) holds under load
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                   metric=get_metric(None, "classification"), preload=("torch",)) as ev:
        # A first network in a fresh worker spends seconds beyond its max_time on a
        # loaded machine (imports, building the module: 5.2 s for a 3 s max_time with
        # the load average at 8), which the trial's 25 % margin does not cover; this
        # test is about the steady state, so a one-epoch network goes first.
        warm_up = make_pipeline(StandardScaler(), NeuralClassifier(max_epochs=1, random_state=0))
        assert ev.collect(ev.submit(warm_up, 60), trial_id=0, config={},
                          origin="warm-up").status == Status.OK
        submitted = time.monotonic()
        future = ev.submit(slow, limit, return_model=True)
        result = ev.collect(future, trial_id=1, config={}, origin="test", submitted=submitted)
        # a bound the user set stays theirs
        bounded = make_pipeline(StandardScaler(), NeuralClassifier(
            max_epochs=100_000, patience=100_000, max_time=0.5, random_state=0))
        again = ev.collect(ev.submit(bounded, limit, return_model=True), trial_id=2,
                           config={}, origin="test", submitted=time.monotonic())
    assert result.status == Status.OK, result.error
    assert result.score > 0.8
    network = result.model[-1]
    assert network.stopped_by_time_ and 1 < network.n_iter_ < 100_000
    assert network.max_time is None  # the returned model refits without a bound
    assert again.status == Status.OK and again.model[-1].max_time == 0.5
    assert again.fit_seconds < result.fit_seconds


class _TimeBounded:
    """A classifier with a ``max_time`` parameter (as a network has) that records the
    bound it was fitted under."""

    def __init__(self, max_time=None):
        self.max_time = max_time

    def get_params(self, deep=True):
        return {"max_time": self.max_time}

    def set_params(self, **params):
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def fit(self, X, y):
        self.fitted_under_ = self.max_time
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_a_refit_trains_a_time_bounded_model_for_the_seconds_it_is_given(evaluator):
    """A refit gives a network the training time its trial had, scaled to the rows
    (``training_seconds``), and the returned model refits without a bound; without
    it the refit is unbounded (a bound the user set stays theirs)."""
    bounded = evaluator.refit_here(_TimeBounded(), training_seconds=2.5).model
    assert bounded.fitted_under_ == 2.5 and bounded.max_time is None
    assert evaluator.refit_here(_TimeBounded()).model.fitted_under_ is None
    own = evaluator.refit_here(_TimeBounded(max_time=7.0), training_seconds=2.5).model
    assert own.fitted_under_ == 7.0 and own.max_time == 7.0


def test_a_trial_says_whether_its_model_trained_within_a_time_bound(evaluator):
    """A trial whose model took a training bound from its time limit (a network) says
    so (``time_bounded``, which the refit's estimate and the late-start rule read);
    one whose model has no bound, or that ran without a limit, does not."""
    bounded = run(evaluator, _TimeBounded(), 30)
    assert bounded.status == Status.OK and bounded.time_bounded
    assert not run(evaluator, LogisticRegression(), 30).time_bounded
    unlimited = evaluator.collect(evaluator.run_here(_TimeBounded()), trial_id=2, config={},
                                  origin="test")
    assert unlimited.status == Status.OK and not unlimited.time_bounded


class _BusyInPython(Sleeper):
    """Spends ``seconds`` of CPU time in fit; says it ran on ``device`` (``device_``)."""

    def __init__(self, seconds=0.3, device="cpu"):
        self.seconds = seconds
        self.device = device

    def fit(self, X, y):
        start = time.process_time()
        while time.process_time() - start < self.seconds:
            pass
        self.model_ = DummyClassifier().fit(X, y)
        self.classes_ = self.model_.classes_
        self.device_ = self.device
        return self


def test_a_trial_says_what_share_of_a_core_it_had_while_fitting(evaluator):
    """A trial on one thread reports the CPU seconds of its fits over their wall
    seconds (``cpu_share``, from which the finishing step picks its refits'
    threads): near nothing for a model that sleeps, more for one that computes, and
    at most about one core whatever the load."""
    sleeping = run(evaluator, Sleeper(0.3), 30)
    busy = run(evaluator, _BusyInPython(0.3), 30)
    assert sleeping.status == Status.OK and busy.status == Status.OK
    assert 0.0 <= sleeping.cpu_share < 0.2
    assert sleeping.cpu_share < busy.cpu_share <= 1.2
    # In the fit's own process (the strong default while the workers start) it is
    # not measured: that process's clock counts its other threads.
    here = evaluator.collect(evaluator.run_here(_BusyInPython(0.05)), trial_id=3, config={},
                             origin="test")
    assert here.status == Status.OK and here.cpu_share is None
    # Nor for a model trained on a GPU (a network's ``device_``): there the CPU waits.
    assert run(evaluator, _BusyInPython(0.05, device="cuda"), 30).cpu_share is None


def test_a_trial_here_starts_no_fold_expected_to_end_past_its_stop(workerless):
    """No limit kills a trial in the fit's own process: given ``stop_after`` it starts
    no fold that, taking the mean of those done, would end past it, and is scored on
    the folds it fitted, as FLAML's cross-validation stops at its budget. It keeps
    its last fold's model and no out-of-fold predictions (blends pair every
    validation row); without ``stop_after``, or with time to spare, every fold runs.
    Each fold sleeps 0.2 s: the second would end at 0.4 s or later, past 0.3 s."""
    from automl_estimators.trial import FOLDS_DONE

    ev, y, splits = workerless
    stopped = ev.collect(ev.run_here(Sleeper(0.2), return_model=True, stop_after=0.3),
                         trial_id=1, config={}, origin="test")
    assert stopped.ok and stopped.info[FOLDS_DONE] == 1
    assert len(stopped.fold_scores) == 1 and stopped.score == stopped.fold_scores[0]
    assert stopped.predictions is None and stopped.model is not None
    # the score is that of the first split's validation rows alone
    expected = np.mean(y[splits[0][1]] == np.bincount(y[splits[0][0]]).argmax())
    assert stopped.score == pytest.approx(expected)
    for stop_after in (None, 60.0):
        whole = ev.collect(ev.run_here(Sleeper(0.01), stop_after=stop_after),
                           trial_id=2, config={}, origin="test")
        assert whole.ok and FOLDS_DONE not in whole.info
        assert len(whole.fold_scores) == 3 and whole.predictions.values.shape == (120, 2)


def test_without_workers_trials_and_refits_run_here_and_a_worker_refit_says_why_not(
        workerless):
    """``workers=False`` (a budget too short for workers): nothing waits for them, a
    trial and a refit run in this process, and a refit asked of the workers fails at
    once with the reason, not as a worker start that timed out."""
    from automl_estimators.runners import NoWorkers, WorkersUnavailable

    ev = workerless[0]
    assert not ev.has_workers and not ev.ready(5.0)
    here = ev.collect(ev.run_here(LogisticRegression()), trial_id=1, config={},
                      origin="test")
    assert here.ok and here.score > 0.9
    assert ev.refit_here(LogisticRegression()).model is not None
    start = time.monotonic()
    refit, = ev.refit_many([LogisticRegression()], timeout=5.0)
    assert refit.model is None and refit.error == NoWorkers.reason
    assert time.monotonic() - start < 1.0  # not the 5 s a starting pool is waited for
    with pytest.raises(WorkersUnavailable, match="no trial workers were started"):
        ev.submit(LogisticRegression(), 5.0)
