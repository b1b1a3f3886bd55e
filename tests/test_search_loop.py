"""The search loop keeps its deadline whatever the strategy and the trials do."""

import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from automl_estimators.budget import Budget
from automl_estimators.evaluation import Evaluator
from automl_estimators.finish import Finisher
from automl_estimators.history import History
from automl_estimators.progress import Reporter
from automl_estimators.runners.base import Runner
from automl_estimators.scoring import get_metric
from automl_estimators.search import Candidate, SearchStrategy
from automl_estimators.search_loop import SearchLoop
from automl_estimators.trial import TrialResult
from tests.conftest import SLACK_BUDGET, loaded_bound


def search(*, strategy, warm_start, evaluator, history, budget, build, describe=str,
           n_rows_total, n_rows_train, ensemble=False, **options):
    """Run the loop with the reserve a fit's finishing step would ask for."""
    reporter = Reporter(0, budget, "accuracy")
    finisher = _finisher(evaluator, budget, reporter, n_rows_train, n_rows_total, ensemble)
    SearchLoop(strategy, evaluator, history, budget, reporter, build, describe,
               finisher.reserve, **options).run(warm_start)


def _started(evaluator):
    """``evaluator`` once its workers have started (one quick trial each).

    A worker start (forkserver, imports) took 6 s with the load average at 10 on 2
    cores: the tests whose clock must measure the loop, not the start, start their
    Budget after this.
    """
    futures = [evaluator.submit(LogisticRegression(), 60) for _ in range(evaluator.n_workers)]
    for i, future in enumerate(futures):
        assert evaluator.collect(future, trial_id=-1 - i, config={}, origin="warm-up").ok
    return evaluator


def _data(n_rows):
    """A separable binary problem and its 3 stratified folds."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 3))
    y = (X[:, 0] > 0).astype(int)
    return X, y, list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))


class SlowToThink(SearchStrategy):
    """Answers fast twice, then thinks for a minute."""

    name = "slow"

    def __init__(self):
        super().__init__(space=None, seed=0)
        self.asked = 0

    def ask(self, n):
        self.asked += 1
        if self.asked > 2:
            time.sleep(60)
        return [Candidate({"C": float(self.asked)}, 1.0, self.name)]


def test_a_slow_ask_cannot_hold_the_loop_past_its_deadline():
    X, y, splits = _data(120)
    strategy = SlowToThink()
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                   metric=get_metric(None, "classification")) as evaluator:
        _started(evaluator)
        # 8 s from started workers: two quick trials, then the ask that hangs for 60 s
        history, budget = History(), Budget(8)
        search(strategy=strategy, warm_start=[], evaluator=evaluator, history=history,
               budget=budget,
               build=lambda config, fidelity=1.0: (LogisticRegression(C=config["C"]), 1.0),
               n_rows_total=120, n_rows_train=80)
    # The promise is budget + max(1 s, 5 %); on a loaded machine 8 + 5 s (the tight
    # promise is measured idle by benchmarks/reliability_sweep.py). Waiting for the
    # ask would take 60 s.
    assert budget.elapsed() <= loaded_bound(8)
    assert [r.status for r in history.results] == ["ok", "ok"]
    assert strategy.asked == 3  # the slow ask did happen


class Listed(SearchStrategy):
    """Proposes the given configurations in order."""

    name = "listed"

    def __init__(self, configs):
        super().__init__(space=None, seed=0)
        self.configs = list(configs)

    def ask(self, n):
        return [Candidate(self.configs.pop(0), 1.0, self.name)] if self.configs else []


def _build(config, fidelity=1.0):
    from tests.misbehaving import Crasher

    return (Crasher() if config["C"] < 0 else LogisticRegression(C=config["C"])), 1.0


def test_a_model_comes_back_while_none_that_beats_the_dummy_is_held():
    """Large data returns no models, except until one that beats the dummy is held:
    the strong default may fail, and the refit may not finish (letter at 30 s)."""
    X, y, splits = _data(150)
    history, budget = History(), Budget(SLACK_BUDGET)  # max_trials ends the search
    history.add(TrialResult(
        trial_id=0, config={}, origin="dummy", fidelity=1.0, status="ok", score=0.5))
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                   metric=get_metric(None, "classification")) as evaluator:
        search(strategy=Listed([{"C": 1.0}, {"C": 0.01}, {"C": 10.0}]),
               warm_start=[Candidate({"C": -1.0}, 1.0, "default")],  # the default crashes
               evaluator=evaluator, history=history, budget=budget, build=_build,
               n_rows_total=150, n_rows_train=100, return_models=False, max_trials=4)
    crashed, first, *later = history.results[1:]
    assert crashed.status == "crash"
    assert first.model is not None and history.has_fallback_model()
    assert all(r.model is None for r in later)  # one held model is enough


class Broken(Listed):
    """Proposes once, then fails to learn from the result."""

    def tell(self, candidate, result):
        raise ValueError("deliberate failure in tell")


def test_a_strategy_that_raises_stops_the_search_but_keeps_its_trials():
    X, y, splits = _data(120)
    history, budget = History(), Budget(SLACK_BUDGET)
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                   metric=get_metric(None, "classification")) as evaluator, \
            pytest.warns(RuntimeWarning, match="listed strategy failed to learn from trial 1 "
                                               r"\(ValueError: deliberate failure in tell\)"):
        search(strategy=Broken([{"C": 1.0}, {"C": 2.0}]),
               warm_start=[Candidate({"C": 0.5}, 1.0, "default")],
               evaluator=evaluator, history=history, budget=budget, build=_build,
               n_rows_total=120, n_rows_train=80, max_trials=3)
    assert [r.status for r in history.results] == ["ok"]  # the default; no more asking
    # at once, not at the end of the budget (a bound that holds on a loaded machine)
    assert budget.elapsed() < SLACK_BUDGET / 2


def _slow_build(config, fidelity=1.0):
    from tests.misbehaving import Sleeper, SlowLearner

    return (SlowLearner(config["seconds"]) if config["C"] else Sleeper(config["seconds"])), 1.0


def test_the_first_trial_is_not_cancelled_for_the_refit_of_a_weaker_one():
    """A weak trial that ends first sets a refit reserve that ends the search time
    while the strong default still runs: the loop waits for the default (within
    its limit) instead of cancelling it (digits: a fit ended at test 0.124)."""
    X, y, splits = _data(150)
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=2,
                   metric=get_metric(None, "classification")) as evaluator:
        # the timings below (sleeps) hold from started workers; a start under load
        # took 6 s, after which the default could not finish within the budget
        _started(evaluator)
        history, budget = History(), Budget(12)
        search(strategy=Listed([{"C": 0.0, "seconds": 1.5}]),  # weak, 1.5 s a fold
               warm_start=[Candidate({"C": 1.0, "seconds": 2.5}, 1.0, "default")],
               evaluator=evaluator, history=history, budget=budget, build=_slow_build,
               n_rows_total=150, n_rows_train=100, ensemble=True)
    assert budget.elapsed() <= loaded_bound(12)  # promise: 12 + 1 s, measured idle
    default, weak = sorted(history.results, key=lambda r: r.trial_id)
    assert weak.status == "ok" and weak.score == pytest.approx(0.5, abs=0.1)
    assert default.status == "ok" and default.score > 0.9 and history.best() is default
    # the weak trial ended first, and its reserve ended the search time before the default
    assert weak.started_at + weak.duration < default.started_at + default.duration


def _finisher(evaluator, budget, reporter, n_rows_train, n_rows_total, ensemble=False):
    """The finishing step of a fit on ``evaluator``'s data (trials on ``n_rows_train``
    of ``n_rows_total`` rows), refitting on its workers."""
    return Finisher("classification", evaluator.metric, evaluator.y, evaluator.splits,
                    evaluator.n_classes, ensemble_size=50 if ensemble else 1,
                    n_threads=evaluator.n_workers, n_workers=evaluator.n_workers,
                    train_rows=n_rows_train, all_rows=n_rows_total, budget=budget,
                    reporter=reporter)


def _finished_search(X, *, strategy, warm_start, evaluator, budget, n_rows_train):
    """A fit's search and finishing step on ``evaluator``'s data, the dummy first:
    (history, Final, times the loop asked for an early refit)."""
    from sklearn.dummy import DummyClassifier

    from automl_estimators.finish import fit_fallback

    history, reporter = History(), Reporter(0, budget, "accuracy")
    fallback = fit_fallback(DummyClassifier(), X, evaluator.y, evaluator.splits,
                            task="classification", metric=evaluator.metric, n_classes=2,
                            history=history, budget=budget)
    finisher = _finisher(evaluator, budget, reporter, n_rows_train, len(evaluator.y))
    calls = []

    def refit_early():
        calls.append(budget.elapsed())
        finisher.refit_early(history, evaluator, lambda config: _slow_build(config)[0])

    SearchLoop(strategy, evaluator, history, budget, reporter, _slow_build, str,
               finisher.reserve, refit_early=refit_early).run(warm_start)
    final = finisher.finish(history, evaluator, lambda config: _slow_build(config)[0],
                            fallback)
    return history, final, calls


def test_a_free_worker_refits_the_best_while_the_strong_default_is_waited_for():
    """The best trial's refit reserve ends the search time while the strong default's
    trial still runs: the loop waits for the default, and the worker left free
    starts the best's refit meanwhile, which the fit ends on. Before, the reserved
    time went to the wait, and the fit kept the best's model as fitted during
    search (letter, 10 s: extra trees at 0.9626 on validation lost to random
    forest's search-time model, test 0.9486)."""
    X, y, splits = _data(150)
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=2,
                   metric=get_metric(None, "classification")) as evaluator:
        _started(evaluator)
        budget = Budget(8)
        # the default (weak, 4 s a fold) outlasts the budget; the challenger learns in
        # 0.3 s a fold, and its refit reserve (~1-2 s) ends the search time
        history, final, calls = _finished_search(X,
            strategy=Listed([{"C": 1.0, "seconds": 0.3}]),
            warm_start=[Candidate({"C": 0.0, "seconds": 4.0}, 1.0, "default")],
            evaluator=evaluator, budget=budget, n_rows_train=100)
    assert budget.elapsed() <= loaded_bound(8)
    challenger = next(r for r in history.results if r.config.get("seconds") == 0.3)
    assert challenger.status == "ok" and challenger.score > 0.9
    assert len(calls) == 1  # once, when the search time ended with the default running
    # the fit ends on the challenger refit on all 150 rows, not on its model as
    # fitted during search on a fold's 100
    assert final.chosen is challenger and final.rows_share == 1.0
    assert final.model is not challenger.model
    np.testing.assert_allclose(final.model.model_.coef_,
                               LogisticRegression().fit(X, y).coef_)


def test_the_search_runs_on_when_the_best_s_refit_cannot_finish_and_its_model_is_held():
    """The best trial's refit can no longer finish in the time left, and its model
    as fitted during search is held (it serves): no time is held back for that
    refit, and trials go on starting (MNIST-1D, networks at 120 s: the search
    stopped at 51 s for a refit it then could not run, and the fit ended there)."""
    X, y, splits = _data(150)
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=2,
                   metric=get_metric(None, "classification")) as evaluator:
        _started(evaluator)
        history, budget = History(), Budget(14)
        # the default: 2.8 s a fold, ~8.4 s in all; its refit, estimated from a
        # fold's fit on 100 of 150 rows with the safety factor, ~6.8 s, is more
        # than the ~5.6 s left when it ends (fewer on a loaded machine)
        search(strategy=Listed([{"C": 0.0, "seconds": 0.3 + i / 1000} for i in range(60)]),
               warm_start=[Candidate({"C": 1.0, "seconds": 2.8}, 1.0, "default")],
               evaluator=evaluator, history=history, budget=budget, build=_slow_build,
               n_rows_total=150, n_rows_train=100)
    assert budget.elapsed() <= loaded_bound(14)
    default = min(history.results, key=lambda r: r.trial_id)
    assert default.status == "ok" and history.best() is default and default.model is not None
    ended = default.started_at + default.duration
    assert any(r.started_at > ended for r in history.results if r is not default)


class _NoWorkers(Runner):
    """A runner whose workers never start (as when processes cannot be created)."""

    n_workers = 1

    def __init__(self, *args, **kwargs):
        pass

    def schedule(self, task, timeout):
        from automl_estimators.runners import WorkersUnavailable

        raise WorkersUnavailable("trial worker processes could not run (none in this test)")

    def close(self):
        pass


def test_a_fit_whose_workers_cannot_start_says_so_instead_of_ending_on_the_dummy(monkeypatch):
    from sklearn.datasets import load_iris

    from automl_estimators import AutoClassifier, evaluation
    from automl_estimators.runners import WorkersUnavailable

    monkeypatch.setattr(evaluation, "PoolRunner", _NoWorkers)
    X, y = load_iris(return_X_y=True)
    start = time.monotonic()
    with pytest.raises(WorkersUnavailable, match="No trial could run.*dask_client"):
        AutoClassifier(time_budget=SLACK_BUDGET, n_jobs=1, random_state=0).fit(X, y)
    # at once, not at the end of the budget (a bound that holds on a loaded machine)
    assert time.monotonic() - start < SLACK_BUDGET / 2


class _StillStarting(_NoWorkers):
    """A runner whose workers are still starting, all fit long (a fresh process's
    forkserver takes 1.5 s and more to import the libraries)."""

    def ready(self, timeout=0.0):
        time.sleep(timeout)
        return False


def test_while_the_workers_start_the_default_and_its_stand_ins_run_and_are_refit_here(
        monkeypatch):
    """Workers that never come up: the strong default runs in the fit's own process,
    then the quick forest and the quick model in turn; the final model, an ensemble
    of them on iris (it beats the default by more than the fold noise), is refit on
    all rows here, not left waiting for the workers until the time is out."""
    from sklearn.datasets import load_iris

    from automl_estimators import AutoClassifier, evaluation
    from automl_estimators.metalearning.warm_start import QUICK_FOREST_ORIGIN, QUICK_ORIGIN

    monkeypatch.setattr(evaluation, "PoolRunner", _StillStarting)
    X, y = load_iris(return_X_y=True)
    start = time.monotonic()
    # 10 s: at 6 s the third of them did not start beside four busy processes (session 50)
    model = AutoClassifier(time_budget=10, n_jobs=1, random_state=0, verbose=0).fit(X, y)
    assert time.monotonic() - start < loaded_bound(10)
    trials = model.leaderboard_.set_index("trial")
    assert trials.loc[1, "status"] == "ok" and trials.loc[1, "model"] == "hist_gradient_boosting"
    assert trials.loc[1, "origin"] == "default"
    assert list(trials.loc[[2, 3], "origin"]) == [QUICK_FOREST_ORIGIN, QUICK_ORIGIN]
    assert (trials.loc[[1, 2, 3], "status"] == "ok").all()
    assert model.refit_ == "all rows" and model.ensemble_ is not None
    assert model.score(X, y) > 0.95


class _MustNotStart(_NoWorkers):
    """Local worker processes that a fit must not start."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("worker processes were started")


def test_a_fit_too_short_for_workers_starts_none_and_ends_when_its_trial_is_refit(
        monkeypatch):
    """A 1 s budget ends before workers could start (~1.5 s) and run a trial: none
    start (no forkserver beside the fit's own trial, no process for the exit to
    wait for), the strong default runs and is refit in the fit's process, and the
    fit returns then rather than wait out its search time for workers."""
    import psutil
    from sklearn.datasets import load_iris

    from automl_estimators import AutoClassifier, evaluation

    monkeypatch.setattr(evaluation, "PoolRunner", _MustNotStart)
    X, y = load_iris(return_X_y=True)
    # (this test process may hold a forkserver of earlier tests: no new child)
    before = set(psutil.Process().children(recursive=True))
    model = AutoClassifier(time_budget=1, n_jobs=2, random_state=0, verbose=0).fit(X, y)
    assert not model.search_plan_.workers and "no trial workers" in model.search_plan_.reason
    assert set(psutil.Process().children(recursive=True)) <= before
    assert model.fit_time_ < loaded_bound(1)
    trials = model.leaderboard_.set_index("trial")
    assert list(trials.index) in ([1, 0], [0])  # the default's trial (if in time), the dummy
    if model.refit_ != "dummy":
        # refit here on all rows when that is expected in the time left; on a loaded
        # machine (this test beside other test processes, pytest -n) it may not be, and
        # the default's model as fitted during search serves (seen at 2dcc4a8)
        assert trials.loc[1, "status"] == "ok"
        assert model.refit_ in ("all rows", "search-time model")
        assert model.score(X, y) > 0.9
    # what the workers' absence changes: nothing waited for them
    assert not any(r.status == "cancelled" for r in model.leaderboard_.itertuples())


def test_a_fit_of_a_second_or_two_runs_the_short_default_when_the_default_is_too_long(
        monkeypatch):
    """When the strong default is not expected in time in the fit's process while the
    workers start, its short form runs there instead (not the dummy's end); the
    strong default stays first for the workers, which never come up here."""
    from sklearn.datasets import load_iris

    from automl_estimators import AutoClassifier, evaluation, plan
    from automl_estimators.metalearning.warm_start import SHORT_DEFAULT_ORIGIN

    monkeypatch.setattr(evaluation, "PoolRunner", _StillStarting)
    # The full default past INLINE_MAX_SECONDS, its 32-iteration form well within, and
    # the workers not expected in time for the full one (they never come up here).
    monkeypatch.setattr(plan, "estimate_default_seconds",
                        lambda *args, iterations_share=1.0, **_: 3.0 * iterations_share)
    monkeypatch.setattr(plan, "WORKER_START_SECONDS", 100.0)
    # the quick forest in time too, but expected to take longer (else it runs first)
    monkeypatch.setattr(plan, "estimate_forest_seconds", lambda *args: 1.5)
    X, y = load_iris(return_X_y=True)
    start = time.monotonic()
    model = AutoClassifier(time_budget=8, n_jobs=1, random_state=0, verbose=0).fit(X, y)
    assert time.monotonic() - start < loaded_bound(8)
    trials = model.leaderboard_.set_index("trial")
    assert list(trials.index) == [1, 0]  # the short default, the dummy
    assert trials.loc[1, "status"] == "ok" and trials.loc[1, "origin"] == SHORT_DEFAULT_ORIGIN
    assert model.best_config_["model:hist_gradient_boosting:max_iter"] == 32
    assert model.score(X, y) > 0.95


def test_a_fit_of_a_second_or_two_runs_the_native_default_when_one_hot_is_too_long(
        monkeypatch):
    """Categories of many levels: when the one-hot default is not expected in time in
    the fit's process but the same model splitting them natively is (a column per
    categorical column, not per level), that runs there, at its full iterations,
    before the short form is considered; the fitted model splits them as categories."""
    import pandas as pd

    from automl_estimators import AutoRegressor, evaluation, plan
    from automl_estimators.metalearning.warm_start import NATIVE_DEFAULT_ORIGIN

    monkeypatch.setattr(evaluation, "PoolRunner", _StillStarting)

    def seconds(n_fits, rows, columns, n_classes, iterations_share=1.0, model_columns=None,
                model_bins=None):
        wide = model_columns is not None and model_columns > columns
        return (3.0 if wide else 0.5) * iterations_share  # one-hot: past INLINE_MAX_SECONDS

    monkeypatch.setattr(plan, "estimate_default_seconds", seconds)
    monkeypatch.setattr(plan, "WORKER_START_SECONDS", 100.0)
    rng = np.random.default_rng(0)
    levels = [f"level {i}" for i in range(12)]
    X = pd.DataFrame({"x": rng.normal(size=400), "a": rng.choice(levels, 400),
                      "b": rng.choice(levels, 400)})
    effect = dict(zip(levels, rng.normal(size=12) * 3))
    y = X["x"] + X["a"].map(effect) + rng.normal(scale=0.1, size=400)
    model = AutoRegressor(time_budget=8, n_jobs=1, random_state=0, verbose=0).fit(X, y)
    trials = model.leaderboard_.set_index("trial")
    assert list(trials.index) == [1, 0]  # the native default, the dummy
    assert trials.loc[1, "status"] == "ok" and trials.loc[1, "origin"] == NATIVE_DEFAULT_ORIGIN
    assert model.best_config_["encoding"] == "ordinal"
    assert "model:hist_gradient_boosting:max_iter" not in model.best_config_ or \
        model.best_config_["model:hist_gradient_boosting:max_iter"] == 100
    assert model.best_pipeline_[-1].is_categorical_.sum() == 2
    assert model.score(X, y) > 0.9


def test_the_short_default_runs_here_as_insurance_when_the_default_is_in_time_only_without_margin(
        monkeypatch):
    """A full default expected to end in a worker within the search time only if
    the workers start in WORKER_START_SECONDS and it takes no longer than its
    estimate (car at 5 s on a slower machine: planned 2.1 + 1.5 s, seen 2.5 + 2.3 s,
    the default cancelled) is late: its short form runs in the fit's own process
    while the workers start, and the fit does not end on a weaker model."""
    from sklearn.datasets import load_iris

    from automl_estimators import AutoClassifier, evaluation, plan
    from automl_estimators.metalearning.warm_start import SHORT_DEFAULT_ORIGIN

    monkeypatch.setattr(evaluation, "PoolRunner", _StillStarting)
    # 4 s expected: past INLINE_MAX_SECONDS; 4 + 1.5 s is within an 8 s fit's search
    # time, (4 + 1.5) x 1.5 is not
    monkeypatch.setattr(plan, "estimate_default_seconds",
                        lambda *args, iterations_share=1.0, **_: 4.0 * iterations_share)
    monkeypatch.setattr(plan, "estimate_forest_seconds", lambda *args: 1.5)  # 1.28 s first
    X, y = load_iris(return_X_y=True)
    model = AutoClassifier(time_budget=8, n_jobs=1, random_state=0, verbose=0).fit(X, y)
    trials = model.leaderboard_.set_index("trial")
    assert list(trials.index) == [1, 0]  # the short default, the dummy
    assert trials.loc[1, "status"] == "ok" and trials.loc[1, "origin"] == SHORT_DEFAULT_ORIGIN
    assert model.score(X, y) > 0.95
    # without the margin the same fit counts on a worker as the search begins; the
    # worker never comes up here, and once it is late (plan.workers_late) and the
    # search time left no longer holds the default, the short form runs here after all
    monkeypatch.setattr(plan, "DEFAULT_LATE_SAFETY", 1.0)
    model = AutoClassifier(time_budget=8, n_jobs=1, random_state=0, verbose=0).fit(X, y)
    trials = model.leaderboard_.set_index("trial")
    assert list(trials.index) == [1, 0]
    assert trials.loc[1, "status"] == "ok" and trials.loc[1, "origin"] == SHORT_DEFAULT_ORIGIN
    assert plan.workers_late(trials.loc[1, "started_at"])
    assert model.score(X, y) > 0.95


@pytest.mark.parametrize("forest_in_time", [True, False])
@pytest.mark.parametrize("Estimator, quick", [("AutoClassifier", "naive_bayes"),
                                              ("AutoRegressor", "ridge")])
def test_a_fit_of_a_second_runs_the_quick_forest_or_model_when_no_form_of_the_default_is_in_time(
        monkeypatch, Estimator, quick, forest_in_time):
    """When neither form of the strong default is expected in time in the fit's
    process (data too large or wide for a boosted model in a second), the quick
    forest runs there instead, or the quick model when the forest is not expected in
    time either, and the fit ends on a model that read the features, not on the
    dummy."""
    from sklearn.datasets import load_diabetes, load_wine

    import automl_estimators
    from automl_estimators import evaluation, plan
    from automl_estimators.metalearning.warm_start import QUICK_FOREST_ORIGIN, QUICK_ORIGIN
    from automl_estimators.spaces.components import QUICK_FOREST

    monkeypatch.setattr(evaluation, "PoolRunner", _StillStarting)
    # both forms of the default past INLINE_MAX_SECONDS; the workers never come up
    monkeypatch.setattr(plan, "estimate_default_seconds",
                        lambda *args, iterations_share=1.0, **_: 30.0 * iterations_share)
    if not forest_in_time:
        monkeypatch.setattr(plan, "estimate_forest_seconds", lambda *args: 30.0)
    monkeypatch.setattr(plan, "WORKER_START_SECONDS", 100.0)
    X, y = (load_wine if quick == "naive_bayes" else load_diabetes)(return_X_y=True)
    start = time.monotonic()
    model = getattr(automl_estimators, Estimator)(
        time_budget=8, n_jobs=1, random_state=0, verbose=0).fit(X, y)
    assert time.monotonic() - start < loaded_bound(8)
    trials = model.leaderboard_.set_index("trial")
    assert list(trials.index) == [1, 0]  # the quick forest or model, the dummy
    ran, origin = (QUICK_FOREST, QUICK_FOREST_ORIGIN) if forest_in_time else (quick, QUICK_ORIGIN)
    assert trials.loc[1, "status"] == "ok" and trials.loc[1, "origin"] == origin
    assert trials.loc[1, "model"] == ran and model.best_config_["model"] == ran
    assert model.refit_ == "all rows"
    assert model.score(X, y) > (0.9 if quick == "naive_bayes" else 0.4)


@pytest.mark.parametrize("Estimator", ["AutoClassifier", "AutoRegressor"])
def test_a_fit_without_workers_on_data_too_large_for_its_stand_ins_searches_a_sample(
        monkeypatch, Estimator):
    """A fit without workers where no stand-in of the strong default is expected in
    time on all its rows (adult and shuttle at 1 s ended on the dummy, most of the
    second unused) searches on a sample of them, runs the default's short form there
    and ends on it, not on the dummy."""
    from sklearn.datasets import make_classification, make_regression

    import automl_estimators
    from automl_estimators import plan, search_loop
    from automl_estimators.metalearning.warm_start import QUICK_ORIGIN, SHORT_DEFAULT_ORIGIN

    # a 2.5 s fit without workers, where the default's seconds grow with its rows (its
    # short form 2.6 s on all 4020 training rows, 1.65 s on 2578) and the forest never
    # fits; the loop runs what the plan expects in time whatever its own setup took
    monkeypatch.setattr(plan, "WORKERLESS_BUDGET", 100.0)
    monkeypatch.setattr(plan, "estimate_default_seconds",
                        lambda fits, rows, *args, iterations_share=1.0, **_:
                        fits * rows * 2e-3 * iterations_share)
    monkeypatch.setattr(plan, "estimate_forest_seconds", lambda *args: 30.0)
    # (under load the fit's setup can take more than the 0.85 s it leaves the plan: the
    # short form's 1.65 s are then given whatever is left)
    monkeypatch.setattr(search_loop, "inline_limit",
                        lambda search_left, *args: max(search_left, 1.7))
    if Estimator == "AutoClassifier":
        X, y = make_classification(6000, 10, n_informative=5, random_state=0)
    else:
        X, y = make_regression(6000, 10, n_informative=5, noise=1.0, random_state=0)
    start = time.monotonic()
    model = getattr(automl_estimators, Estimator)(
        time_budget=2.5, n_jobs=2, random_state=0, verbose=0).fit(X, y)
    assert time.monotonic() - start < loaded_bound(2.5)
    searched = model.search_plan_
    assert not searched.workers and searched.total_rows == 6000
    assert 3800 <= searched.search_rows <= 3900  # 2578 training rows: a third held out
    assert f"search on {searched.search_rows} of 6000 rows (a 2.5s fit without workers: " \
           "the strong default's short form is expected in time" in searched.reason
    trials = model.leaderboard_.set_index("trial")
    # the dummy, the short default on the sample, then the quick model on the same
    # sample (the forest is never in time) when the 2.5 s still hold it: beside two
    # busy processes it once did not get its turn (session 45), and the fit ended on
    # the short default, as it should
    assert sorted(trials.index) in ([0, 1], [0, 1, 2])
    assert trials.loc[1, "status"] == "ok" and trials.loc[1, "origin"] == SHORT_DEFAULT_ORIGIN
    if 2 in trials.index:
        assert trials.loc[2, "status"] == "ok" and trials.loc[2, "origin"] == QUICK_ORIGIN
    best = trials.index[0]  # the leaderboard's first: the higher validation score
    assert model.best_config_ == trials.loc[best, "config"]
    assert model.score(X, y) > 0.8


class _ReadyAfterFirstLook:
    """An evaluator stand-in whose one worker is not up at the first look and is at
    every later one; trials score 0.9 (here) or 0.95 (in the worker) at once."""

    n_workers = 1
    has_workers = True

    def __init__(self):
        self.looks, self.here, self.submitted, self.stop_after = 0, [], [], []

    def ready(self, timeout=0.0):
        self.looks += 1
        return self.looks > 1

    def run_here(self, pipeline, *, fidelity=1.0, seed=0, return_model=False,
                 stop_after=None):
        self.here.append(pipeline)
        self.stop_after.append(stop_after)
        return self._done(0.9)

    def submit(self, pipeline, timeout, *, fidelity=1.0, seed=0, return_model=False):
        self.submitted.append({"config": pipeline, "timeout": timeout, "seed": seed,
                               "return_model": return_model})
        return self._done(0.95)

    @staticmethod
    def _done(score):
        from concurrent.futures import Future

        future = Future()
        future.set_result(score)
        return future

    def collect(self, future, *, trial_id, config, origin, fidelity=1.0, started_at=0.0,
                submitted=None):
        from automl_estimators.trial import Status

        return TrialResult(trial_id=trial_id, config=config, origin=origin, fidelity=fidelity,
                           status=Status.OK, score=future.result(), fold_scores=(0.9,),
                           started_at=started_at, model="fitted")


@pytest.mark.parametrize("default_seconds, short_runs", [(1000.0, True), (0.5, False)])
def test_after_the_short_default_the_strong_default_keeps_its_place_in_a_worker(
        default_seconds, short_runs):
    """The short form runs in the fit's process only when the strong default is not
    expected to end in a worker within the search time; then the strong default
    still goes first to the workers, as the first trial: no per-trial limit, its
    model sent back, the fit's own seed, and the selection rule's strong default."""
    from automl_estimators.metalearning.warm_start import SHORT_DEFAULT_ORIGIN
    from automl_estimators.selection import DEFAULT_ORIGIN

    default = Candidate({"model": "hgb", "max_iter": 100}, 1.0, "default")
    other = Candidate({"model": "forest"}, 1.0, "default")
    short = Candidate({"model": "hgb", "max_iter": 32}, 1.0, SHORT_DEFAULT_ORIGIN)
    evaluator, history, budget = _ReadyAfterFirstLook(), History(), Budget(SLACK_BUDGET)
    SearchLoop(Listed([]), evaluator, history, budget, Reporter(0, budget, "accuracy"),
               lambda config, fidelity=1.0: (config, 1.0), str, lambda ranked, results: 0.0,
               max_trials=3, per_trial_time_limit=0.5, seed=7,
               inline=((short, 0.01),), default_seconds=default_seconds,
               ).run([default, other])
    origins = [r.origin for r in sorted(history.results, key=lambda r: r.trial_id)]
    if short_runs:
        assert evaluator.here == [short.config]
        assert origins == [SHORT_DEFAULT_ORIGIN, "default", "default"]
    else:
        assert evaluator.here == [] and origins == ["default", "default"]
    first, second = evaluator.submitted[:2]
    assert first["config"] == default.config and second["config"] == other.config
    assert first["return_model"] and first["seed"] == 7
    assert first["timeout"] > 0.5 >= second["timeout"]  # no per-trial limit for the first
    # the selection rule's strong default: the first trial of origin "default"
    # (selection.strong_default, which also needs its predictions)
    assert min((r for r in history.results if r.origin == DEFAULT_ORIGIN),
               key=lambda r: r.trial_id).config == default.config


class _UpAfterLooks(_ReadyAfterFirstLook):
    """As its parent, but the worker is up only after ``looks`` looks (never with
    ``has_workers`` False: a fit of a second), and the trials carry predictions, as a
    strong default's must to count as one (:func:`~.selection.strong_default`)."""

    def __init__(self, looks, has_workers=True):
        super().__init__()
        self.up_after, self.has_workers = looks, has_workers

    def ready(self, timeout=0.0):
        self.looks += 1
        return self.has_workers and self.looks > self.up_after

    def collect(self, future, **kwargs):
        import dataclasses

        from automl_estimators.scoring import Predictions

        return dataclasses.replace(super().collect(future, **kwargs),
                                   predictions=Predictions(np.zeros((3, 2))))


def _inline_stand_ins(default_seconds=0.01):
    """The strong default and its stand-ins, as ``inline_trials`` gives them."""
    from automl_estimators.metalearning.warm_start import (
        QUICK_FOREST_ORIGIN,
        QUICK_ORIGIN,
        SHORT_DEFAULT_ORIGIN,
    )

    default = Candidate({"model": "hgb", "max_iter": 100}, 1.0, "default")
    return default, ((default, default_seconds),
                     (Candidate({"model": "hgb", "max_iter": 32}, 1.0, SHORT_DEFAULT_ORIGIN),
                      0.01),
                     (Candidate({"model": "extra_trees"}, 1.0, QUICK_FOREST_ORIGIN), 0.02),
                     (Candidate({"model": "naive_bayes"}, 1.0, QUICK_ORIGIN), 0.03))


def _run_inline(evaluator, default, inline, later=(), default_seconds=0.01, max_trials=None,
                host_slowdown=1.0):
    history, budget = History(), Budget(SLACK_BUDGET)
    SearchLoop(Listed([]), evaluator, history, budget, Reporter(0, budget, "accuracy"),
               lambda config, fidelity=1.0: (config, 1.0), str, lambda ranked, results: 0.0,
               seed=7, inline=inline, default_seconds=default_seconds, max_trials=max_trials,
               host_slowdown=host_slowdown).run([default, *later])
    return history


def test_without_workers_the_stand_ins_run_here_in_turn_after_the_strong_default():
    """A fit without workers (a second) runs, after the strong default, the quick forest
    and the quick model in its own process while each is expected in time (the
    short form apart: the default it shortens succeeded), each its own trial and seed."""
    default, inline = _inline_stand_ins()
    evaluator = _UpAfterLooks(0, has_workers=False)
    history = _run_inline(evaluator, default, inline)
    assert [p["model"] for p in evaluator.here] == ["hgb", "extra_trees", "naive_bayes"]
    assert evaluator.here[0]["max_iter"] == 100 and evaluator.submitted == []
    assert [r.trial_id for r in history.results] == [1, 2, 3]


def test_on_a_slower_host_a_trial_here_must_end_within_the_budget_s_allowance():
    """A trial in the fit's own process has no time limit but its estimate: on a host
    ``host_slowdown`` times slower it runs only where that many times its estimate
    ends within the search time left and the budget's allowance (plan.inline_limit);
    up to 1 / INLINE_SHARE times slower, the share of the search time decides as
    before. Here the strong default is expected at a sixth of the search time."""
    from automl_estimators.budget import allowance

    seconds = SLACK_BUDGET / 6
    ends_in_time = (SLACK_BUDGET + allowance(SLACK_BUDGET)) / seconds  # ~7.6x slower
    for slowdown, runs_here in ((1.0, True), (1.3, True), (0.95 * ends_in_time, True),
                                (1.05 * ends_in_time, False)):
        default, inline = _inline_stand_ins(default_seconds=seconds)
        evaluator = _UpAfterLooks(2)
        _run_inline(evaluator, default, inline, default_seconds=seconds,
                    host_slowdown=slowdown)
        here = [p for p in evaluator.here if p == default.config]
        assert bool(here) == runs_here, slowdown
        if not runs_here:  # it waits for the workers instead
            assert evaluator.submitted[0]["config"] == default.config


def test_the_stand_ins_run_here_only_until_the_workers_are_up():
    """While the workers start, the stand-ins run here after the strong default; once
    they are up, the rest of the search goes to them."""
    default, inline = _inline_stand_ins()
    other = Candidate({"model": "forest"}, 1.0, "default")
    evaluator = _UpAfterLooks(2)
    _run_inline(evaluator, default, inline, later=[other])
    assert [p["model"] for p in evaluator.here] == ["hgb", "extra_trees"]
    assert [s["config"]["model"] for s in evaluator.submitted][0] == "forest"


def test_under_max_trials_which_trials_run_does_not_depend_on_the_workers_start():
    """A fit bounded by ``max_trials`` runs the same trials whenever its workers come
    up (same ``random_state``, same leaderboard): after the strong default here, the
    rest go to the workers, however long they take to start."""
    default, inline = _inline_stand_ins()
    other = Candidate({"model": "forest"}, 1.0, "default")
    runs = []
    for looks in (1, 3):
        evaluator = _UpAfterLooks(looks)
        history = _run_inline(evaluator, default, inline, later=[other], max_trials=2)
        assert [p["model"] for p in evaluator.here] == ["hgb"]
        runs.append([r.config for r in sorted(history.results, key=lambda r: r.trial_id)])
    assert runs[0] == runs[1] == [default.config, other.config]


class _NeverUp(_UpAfterLooks):
    """As its parent, but the worker never comes up, and each look waits its timeout,
    as a pool whose forkserver still imports the libraries does; ``started_at``: the
    ``budget``'s elapsed seconds as each trial here started."""

    def __init__(self, budget):
        super().__init__(looks=0)
        self.budget, self.started_at = budget, []

    def ready(self, timeout=0.0):
        time.sleep(timeout)
        return False

    def run_here(self, pipeline, **kwargs):
        self.started_at.append(self.budget.elapsed())
        return super().run_here(pipeline, **kwargs)


def test_a_stand_in_runs_here_once_slow_workers_make_the_strong_default_late():
    """A 5 s fit on a host 8x slower: at the start the strong default (1 s) is
    expected neither here (its 8 s would pass the search time) nor late in a worker,
    so nothing runs here. The workers do not come up (beside six busy processes on
    2 cores, vehicle at 8 s ended on the dummy, session 46): once they are later
    than expected (plan.workers_late) and the search time left no longer holds the
    default in a worker (plan.default_late), the short form runs here, as it would
    have at the start, and the fit ends on it, not the dummy."""
    from automl_estimators.budget import allowance
    from automl_estimators.metalearning.warm_start import SHORT_DEFAULT_ORIGIN
    from automl_estimators.plan import default_late, inline_limit, workers_late

    default, inline = _inline_stand_ins(default_seconds=1.0)
    budget = Budget(5.0)
    assert not default_late(1.0, budget.remaining())
    assert inline_limit(budget.remaining(), 5.0, 8.0) < 1.0
    evaluator, history = _NeverUp(budget), History()
    SearchLoop(Listed([]), evaluator, history, budget, Reporter(0, budget, "accuracy"),
               lambda config, fidelity=1.0: (config, 1.0), str, lambda ranked, results: 0.0,
               seed=7, inline=inline, default_seconds=1.0, host_slowdown=8.0).run([default])
    assert [p["max_iter"] for p in evaluator.here] == [32] and evaluator.submitted == []
    assert [r.origin for r in history.results] == [SHORT_DEFAULT_ORIGIN]
    # it ran once the workers were late, with no more search time than made the
    # default late: the search time it was told to end within, less the allowance
    assert workers_late(evaluator.started_at[0])
    assert default_late(1.0, evaluator.stop_after[0] - allowance(5.0))


def test_a_stand_in_run_first_holds_back_no_strong_default_waiting_for_a_worker():
    """Where the strong default is not expected in time here it waits for the workers;
    the stand-in run in its place is the only trial here, so that none holds back
    the default's start in a worker."""
    default, inline = _inline_stand_ins(default_seconds=1000.0)
    evaluator = _UpAfterLooks(3)
    _run_inline(evaluator, default, inline, default_seconds=1000.0)
    assert [p["model"] for p in evaluator.here] == ["hgb"]
    assert evaluator.here[0]["max_iter"] == 32
    assert evaluator.submitted[0]["config"] == default.config


class _DefaultCrashes(_ReadyAfterFirstLook):
    """As its parent, but the trial of a configuration marked ``crash`` crashes."""

    def collect(self, future, *, trial_id, config, origin, **kwargs):
        from automl_estimators.trial import Status

        if config.get("crash"):
            return TrialResult(trial_id=trial_id, config=config, origin=origin,
                               fidelity=1.0, status=Status.CRASH, error="deliberate")
        return super().collect(future, trial_id=trial_id, config=config, origin=origin,
                               **kwargs)


def _after_the_quick_model(later, reserve=lambda ranked, results: 0.0):
    """Run the loop where the strong default is expected in time neither here nor
    in a worker: the quick model runs here (and is checked to), the default crashes
    in the worker, then ``later`` run there. Returns (evaluator, history)."""
    from automl_estimators.metalearning.warm_start import QUICK_ORIGIN

    default = Candidate({"model": "hgb", "crash": True}, 1.0, "default")
    quick = Candidate({"model": "naive_bayes"}, 1.0, QUICK_ORIGIN)
    evaluator, history, budget = _DefaultCrashes(), History(), Budget(SLACK_BUDGET)
    SearchLoop(Listed([]), evaluator, history, budget, Reporter(0, budget, "accuracy"),
               lambda config, fidelity=1.0: (config, 1.0), str, reserve,
               max_trials=2 + len(later),  # the quick model, the default, later
               inline=((default, 1000.0), (quick, 0.01)),
               default_seconds=1000.0).run([default, *later])
    assert evaluator.here == [quick.config]
    return evaluator, history


def test_a_stand_in_s_model_held_does_not_stop_the_workers_sending_theirs():
    """The quick model run here in place of the strong default holds a model that
    beats the dummy, but a weak one: the workers' trials still send theirs back
    until one of theirs is held, so that the fit need not end on the quick model
    when a better trial's refit does not fit (letter at 10 s, d86cbbd)."""
    forest = Candidate({"model": "forest"}, 1.0, "default")
    trees = Candidate({"model": "trees"}, 1.0, "default")
    evaluator, history = _after_the_quick_model([forest, trees])
    sent = {s["config"]["model"]: s["return_model"] for s in evaluator.submitted}
    # the default (first) always; the forest with only the quick model held; then
    # the forest's model is held and the trees keep theirs
    assert sent == {"hgb": True, "forest": True, "trees": False}
    assert history.held_model().config == forest.config


class _NativeScoresHigher(_UpAfterLooks):
    """As its parent, but the native default run here scores above the strong
    default run here (0.93 against 0.9)."""

    def run_here(self, pipeline, **kwargs):
        future = super().run_here(pipeline, **kwargs)
        if pipeline["model"] == "native_hgb":
            future = self._done(0.93)
        return future


def test_the_strong_default_s_model_held_stops_the_workers_sending_theirs():
    """The strong default and its native form both ran here, the native form
    scoring higher: the strong default's model, held beside it, is a fallback, so
    the workers' trials keep theirs (before, 20 trials of a 300 s fit on diamonds
    sent theirs back, forests of ~600 MB among them, each dropped at once)."""
    from automl_estimators.metalearning.warm_start import NATIVE_DEFAULT_ORIGIN

    default = Candidate({"model": "hgb", "max_iter": 100}, 1.0, "default")
    native = Candidate({"model": "native_hgb"}, 1.0, NATIVE_DEFAULT_ORIGIN)
    later = [Candidate({"model": "forest"}, 1.0, "default"),
             Candidate({"model": "trees"}, 1.0, "default")]
    evaluator = _NativeScoresHigher(2)
    history = _run_inline(evaluator, default, ((default, 0.01), (native, 0.01)), later)
    assert [p["model"] for p in evaluator.here] == ["hgb", "native_hgb"]
    assert [s["config"]["model"] for s in evaluator.submitted] == ["forest", "trees"]
    assert [s["return_model"] for s in evaluator.submitted] == [False, False]
    assert [r.score for r in history.results[:2]] == [0.9, 0.93]


def test_once_the_workers_are_up_no_time_is_held_back_for_a_stand_in_s_refit():
    """The quick model's model, held, serves as fitted during search: once the
    workers are up, the search is not cut short for its refit (at 5 s, 07758fc,
    that reserve stopped the search before a better trial ended)."""
    from automl_estimators.metalearning.warm_start import QUICK_ORIGIN

    seen = []

    def reserve(ranked, results):
        seen.append([r.origin for r in ranked])
        return 0.0

    _after_the_quick_model([Candidate({"model": "forest"}, 1.0, "default")], reserve)
    assert [QUICK_ORIGIN] not in seen  # the quick model alone was never held back for
    assert ["default", QUICK_ORIGIN] in seen  # a worker's better trial is, beside it


class _Flaky:
    """Workers that run three trials, then can no longer start."""

    def __init__(self, evaluator):
        self._evaluator, self.calls = evaluator, 0

    def submit(self, *args, **kwargs):
        from automl_estimators.runners import WorkersUnavailable

        self.calls += 1
        if self.calls > 3:
            raise WorkersUnavailable("trial worker processes could not run (gone)")
        return self._evaluator.submit(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._evaluator, name)


def test_workers_lost_after_trials_ran_stop_the_search_and_keep_its_trials():
    X, y, splits = _data(120)
    history, budget = History(), Budget(SLACK_BUDGET)
    history.add(TrialResult(trial_id=0, config={}, origin="dummy", fidelity=1.0,
                            status="ok", score=0.5))
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                   metric=get_metric(None, "classification")) as evaluator, \
            pytest.warns(RuntimeWarning, match="gone.*search stopped"):
        search(strategy=Listed([{"C": c} for c in (1.0, 2.0, 3.0, 4.0, 5.0)]),
               warm_start=[], evaluator=_Flaky(evaluator), history=history, budget=budget,
               build=_build, n_rows_total=120, n_rows_train=80)
    assert [r.status for r in history.results[1:]] == ["ok"] * 3
    # at once, not at the end of the budget (a bound that holds on a loaded machine)
    assert budget.elapsed() < SLACK_BUDGET / 2


class _Instant(_ReadyAfterFirstLook):
    """Workers up at once whose trials end at once, each saying it took 10 s; a
    ``net`` trains within a time bound (a network), a ``forest`` does not."""

    def ready(self, timeout=0.0):
        return True

    def collect(self, future, *, trial_id, config, origin, fidelity=1.0, started_at=0.0,
                submitted=None):
        from automl_estimators.trial import TIME_BOUNDED, Status

        return TrialResult(trial_id=trial_id, config=config, origin=origin, fidelity=fidelity,
                           status=Status.OK, score=future.result(), fold_scores=(0.9,),
                           duration=10.0, started_at=started_at,
                           info={TIME_BOUNDED: True} if config["model"] == "net" else {})


@pytest.mark.parametrize("search_seconds, only_networks, limit, started", [
    (3.5, True, None, ["net 0", "forest 1"]),
    (3.5, False, None, ["net 0", "forest 1", "forest 2"]),
    (6.0, True, None, ["net 0", "net 1", "forest 1", "net 2", "net 3", "net 4", "forest 2"]),
    (3.5, True, 5.0, ["net 0", "net 1", "forest 1", "net 2", "net 3", "net 4", "forest 2"])])
def test_a_network_is_not_started_with_too_little_time_to_train_as_its_peers_did(
        search_seconds, only_networks, limit, started):
    """With less search time left than half the time the finished networks took (each
    counted at most the per-trial limit, all a new one may get), a proposed network
    is not started (it would score near chance and teach the strategy so): other
    models still are. When only networks are on offer, three late proposals in a
    row stop the search (every later one is late too); otherwise the late ones are
    dropped and the search goes on. The strong default, first, always runs."""
    from automl_estimators.search_loop import LATE_START_SHARE, MAX_LATE_PROPOSALS

    assert LATE_START_SHARE * 10.0 == 5.0 and MAX_LATE_PROPOSALS == 3

    def candidate(name):
        model, number = name.split()
        return {"model": model, "number": int(number)}

    evaluator, history, budget = _Instant(), History(), Budget(SLACK_BUDGET)
    strategy = Listed([candidate(c) for c in
                       ("net 1", "forest 1", "net 2", "net 3", "net 4", "forest 2")])
    # the finishing step's reserve leaves search_seconds (and the loop's poll) to search
    SearchLoop(strategy, evaluator, history, budget, Reporter(0, budget, "accuracy"),
               lambda config, fidelity=1.0: (config, 1.0), str,
               lambda ranked, results: budget.remaining() - search_seconds,
               per_trial_time_limit=limit, only_time_bounded=only_networks,
               ).run([Candidate(candidate("net 0"), 1.0, "default")])
    assert [f"{c['model']} {c['number']}" for c in
            (r.config for r in sorted(history.results, key=lambda r: r.trial_id))] == started
    assert len(strategy.configs) == (1 if started == ["net 0", "forest 1"] else 0)


class _Network:
    """A stand-in network: its ``max_time`` is unset until a trial bounds it."""

    def get_params(self, deep=True):
        return {"max_time": None}


def test_a_default_network_takes_the_per_trial_limit_as_every_network_does():
    """The strong default runs without a per-trial limit so that it is not lost to
    one; a network stops at its training bound with what it learned instead, so
    the default network takes the per-trial limit (untimed, it trained 103 s
    against the others' 63 s, and its refit's reserve ended the search)."""
    evaluator, budget = _ReadyAfterFirstLook(), Budget(SLACK_BUDGET)
    networks = {"net": _Network(), "forest": "forest"}
    for first in ("net", "forest"):
        evaluator.submitted.clear()
        SearchLoop(Listed([{"model": "forest", "i": 1}]), evaluator, History(), budget,
                   Reporter(0, budget, "accuracy"),
                   lambda config, fidelity=1.0: (networks[config["model"]], 1.0), str,
                   lambda ranked, results: 0.0, max_trials=2, per_trial_time_limit=0.5,
                   ).run([Candidate({"model": first, "i": 0}, 1.0, "default")])
        first_limit, second_limit = (s["timeout"] for s in evaluator.submitted)
        assert second_limit == 0.5
        assert (first_limit == 0.5) if first == "net" else (first_limit > 0.5)


def test_a_trial_here_is_told_the_search_time_and_allowance_except_under_max_trials():
    """Each trial in the fit's own process is told the search time left when it
    starts and the budget's allowance (``stop_after``, ``plan.inline_deadline``: it
    starts no fold expected to end past them); under ``max_trials`` none is, whose
    trials must not depend on the machine's speed."""
    from automl_estimators.budget import allowance

    default, inline = _inline_stand_ins()
    evaluator = _UpAfterLooks(3)
    _run_inline(evaluator, default, inline)
    assert len(evaluator.stop_after) == 3  # the default, the forest, the quick model
    assert all(allowance(SLACK_BUDGET) < s <= SLACK_BUDGET + allowance(SLACK_BUDGET)
               for s in evaluator.stop_after)
    assert evaluator.stop_after == sorted(evaluator.stop_after, reverse=True)
    evaluator = _UpAfterLooks(3)
    _run_inline(evaluator, default, inline, max_trials=3)
    assert evaluator.stop_after == [None]


def test_a_strong_default_slower_here_than_expected_ends_on_its_folds_within_the_budget(
        monkeypatch):
    """A loaded host can make the strong default's folds in the fit's own process take
    several times their estimate (car at 3 s beside two busy processes: five folds in
    4.7 s). It stops before a fold expected to end past the search time and the
    budget's allowance, and the fit ends on it, scored on the folds it fitted, within
    that allowance. Here each of its five folds sleeps 1.5 s more in this process
    (not in the workers): 7.5 s in all against a budget of 3 s; a third fold would
    end at 4.5 s or later, past the 4 s of any deadline a 3 s fit can give."""
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    from automl_estimators import AutoClassifier

    fit = HistGradientBoostingClassifier.fit

    def slow_fit(self, *args, **kwargs):
        time.sleep(1.5)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", slow_fit)
    X, y = make_classification(400, 6, n_informative=4, random_state=0)
    model = AutoClassifier(time_budget=3, n_jobs=2, random_state=0).fit(X, y)
    default = model.leaderboard_.set_index("trial").loc[1]
    assert default["status"] == "ok" and default["model"] == "hist_gradient_boosting"
    assert 1 <= len(default["fold_scores"]) <= 2  # what a fit that ignored it fails
    assert model.best_config_["model"] == "hist_gradient_boosting"
    # 3 + allowance(3) when idle; 4.0 s beside four busy processes (session 50)
    assert model.fit_time_ <= loaded_bound(3)
    assert model.score(X, y) > 0.8
