"""Size and latency limits (``max_parameters``, ``max_predict_latency``): a trial over
one is kept as infeasible, told to the strategy as failed, and never the final model."""

import math
import pickle
import time

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from automl_estimators import AutoClassifier, AutoRegressor
from automl_estimators.budget import Budget
from automl_estimators.evaluation import Evaluator
from automl_estimators.finish import Finisher
from automl_estimators.history import History
from automl_estimators.nas.torch_dependency import torch_available
from automl_estimators.progress import Reporter
from automl_estimators.scoring import get_metric
from automl_estimators.search import STRATEGIES, Candidate, SearchStrategy, make_strategy
from automl_estimators.search_loop import SearchLoop
from automl_estimators.spaces import Space
from automl_estimators.spaces.neural import NAME
from automl_estimators.trial import Limits, Status, TrialResult
from tests.conftest import SLACK_BUDGET, strategy_params

needs_torch = pytest.mark.skipif(not torch_available(), reason="torch not installed")


def result(status=Status.OK, score=0.9, **info):
    return TrialResult(trial_id=1, config={"model": "m"}, origin="test", fidelity=1.0,
                       status=status, score=score, info=info, model=object(),
                       predictions=object())


# ----------------------------------------------------------------- the value
def test_limits_mark_a_trial_over_them_infeasible_and_say_by_how_much():
    limits = Limits(max_parameters=1000, max_predict_latency=1e-4)
    assert limits and not Limits()
    within = result(n_parameters=1000, predict_seconds_per_row=1e-4)
    assert limits.apply(within) is within
    over = limits.apply(result(n_parameters=2500, predict_seconds_per_row=5e-4))
    assert over.status == Status.INFEASIBLE == "infeasible" and not over.ok
    assert "2500 parameters > max_parameters=1000 (2.5x)" in over.error
    assert "0.0005s per row > max_predict_latency=0.0001s (5x)" in over.error
    # the score and the facts stay (the leaderboard shows them); nothing to ensemble or refit
    assert over.score == 0.9 and over.info["n_parameters"] == 2500
    assert over.model is None and over.predictions is None


def test_a_model_without_parameters_is_within_max_parameters():
    # trees, linear models... report no n_parameters: only networks are counted
    limits = Limits(max_parameters=1)
    assert limits.violations({"predict_seconds_per_row": 1.0}) == {}
    assert limits.apply(result(predict_seconds_per_row=1.0)).ok


def test_failed_trials_stay_as_they_failed():
    crashed = result(status=Status.CRASH, score=math.nan, n_parameters=10**9)
    assert Limits(max_parameters=1).apply(crashed) is crashed


def test_an_ensemble_holds_and_runs_every_member():
    combined = Limits.combined([{"n_parameters": 600, "predict_seconds_per_row": 2e-5},
                                {"predict_seconds_per_row": 3e-5},  # a tree: no parameters
                                {"n_parameters": 500, "predict_seconds_per_row": 1e-5}])
    assert combined == {"n_parameters": 1100, "predict_seconds_per_row": pytest.approx(6e-5)}
    assert set(Limits(1000, 5e-5).violations(combined)) == {"max_parameters",
                                                            "max_predict_latency"}
    assert Limits.combined([{}, {}]) == {}


def test_limits_pickle_and_compare():
    limits = Limits(max_parameters=10, max_predict_latency=0.5)
    assert pickle.loads(pickle.dumps(limits)) == limits


# --------------------------------------------------------- loop and finish
class Listed(SearchStrategy):
    """Proposes the given configurations in order, and remembers what it was told."""

    name = "listed"

    def __init__(self, configs):
        super().__init__(space=None, seed=0)
        self.configs = list(configs)
        self.told = []

    def ask(self, n):
        return [Candidate(self.configs.pop(0), 1.0, self.name)] if self.configs else []

    def tell(self, candidate, result):
        self.told.append(result)


def _build(config, fidelity=1.0):
    from tests.misbehaving import Sized, SlowPredictor

    if "sleep" in config:
        return SlowPredictor(config["sleep"]), 1.0
    if "size" in config:
        return Sized(config["size"], C=config["C"]), 1.0
    return LogisticRegression(C=config["C"]), 1.0


def _search_and_finish(configs, limits, ensemble_size=1):
    """Search ``configs`` in order (one worker, a trial each), then finish: (history,
    strategy, final)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=150) > 0).astype(int)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    history, budget = History(), Budget(60)
    history.add(TrialResult(trial_id=0, config={}, origin="dummy", fidelity=1.0,
                            status=Status.OK, score=0.5))
    reporter = Reporter(0, budget, "accuracy")
    strategy = Listed(configs)
    with Evaluator(X, y, splits, task="classification", n_classes=2, n_workers=1,
                   metric=get_metric(None, "classification")) as evaluator:
        finisher = Finisher("classification", evaluator.metric, y, splits, 2, ensemble_size,
                            n_threads=1, train_rows=100, all_rows=150, budget=budget,
                            reporter=reporter, limits=limits)
        SearchLoop(strategy, evaluator, history, budget, reporter, _build, str,
                   finisher.reserve, max_trials=len(configs), limits=limits).run([])
        final = finisher.finish(history, evaluator, lambda c: _build(c)[0], "the dummy")
    return history, strategy, final


def test_a_slow_predictor_is_infeasible_and_the_fit_ends_on_a_fast_model():
    # 0.2 s per predict call on 50 validation rows: >= 4e-3 s per row (a sleep: at
    # least that on any machine), 4x the limit; a logistic regression predicts 50
    # rows in ~1e-5 s per row idle, and took 1.23e-4 with the CPU held by a
    # benchmark and this suite niced: the limit leaves it 8x that
    limits = Limits(max_predict_latency=1e-3)
    history, strategy, final = _search_and_finish(
        [{"sleep": 0.2}, {"C": 0.01}, {"sleep": 0.2, "C": 1.0}], limits)
    slow, fast, slow_again = history.results[1:]
    assert slow.status == slow_again.status == Status.INFEASIBLE
    assert "> max_predict_latency=0.001s" in slow.error and slow.score > 0.5
    assert fast.ok and fast.info["predict_seconds_per_row"] <= 1e-3
    # the strategy learns them as failed; the final model is the fast one
    assert [r.status for r in strategy.told] == [Status.INFEASIBLE, Status.OK,
                                                 Status.INFEASIBLE]
    assert final.chosen is fast and isinstance(final.model, LogisticRegression)
    assert history.ranked()[-1].origin == "dummy" and len(history.ranked()) == 2


def test_only_networks_within_max_parameters_are_chosen_and_ensembled():
    limits = Limits(max_parameters=100)
    history, _, final = _search_and_finish(
        [{"size": 5000, "C": 1.0}, {"size": 50, "C": 0.01}, {"size": 60, "C": 10.0},
         {"C": 0.1}], limits, ensemble_size=20)
    big, *rest = history.results[1:]
    assert big.status == Status.INFEASIBLE and "5000 parameters" in big.error
    assert all(r.ok for r in rest)
    members = {m for m, _ in final.members} or {final.chosen.trial_id}
    assert big.trial_id not in members
    # the members' parameters together keep to the limit (50 + 60 > 100: not both)
    sizes = [history.results[t].info.get("n_parameters", 0) for t in members]
    assert sum(sizes) <= 100


def test_when_every_trial_is_over_a_limit_the_dummy_serves_with_a_warning():
    with pytest.warns(UserWarning, match=r"dummy fallback: 2 trial\(s\) beat it but were over "
                                         r"a limit: max_parameters=10 excluded 2 \(the "
                                         r"smallest has 50 parameters\)"):
        _, _, final = _search_and_finish(
            [{"size": 5000, "C": 1.0}, {"size": 50, "C": 0.01}], Limits(max_parameters=10))
    assert final.model == "the dummy" and final.chosen.origin == "dummy"


# ------------------------------------------------------------ the estimators
def test_the_leaderboard_shows_infeasible_trials_and_the_fit_ends_on_the_dummy():
    X, y = load_iris(return_X_y=True)
    clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=2, search="random", neural=False,
                         include=["logistic_regression", "knn"], max_predict_latency=1e-12,
                         n_jobs=1, random_state=0)
    with pytest.warns(UserWarning, match="max_predict_latency=1e-12 excluded 2"):
        clf.fit(X, y)
    board = clf.leaderboard_
    searched = board[board["origin"] != "dummy"]
    assert list(searched["status"]) == ["infeasible", "infeasible"]
    assert searched["error"].str.contains("max_predict_latency=1e-12s").all()
    assert searched["score"].notna().all() and searched["rank"].isna().all()
    assert clf.refit_ == "dummy" and clf.best_config_ == {}
    assert clf.predict(X[:3]).shape == (3,)


def test_a_generous_limit_changes_nothing():
    X, y = load_iris(return_X_y=True)
    # max_trials ends both fits; a budget that never binds keeps a trial from timing
    # out (a trial may take a quarter of it) in one of them only
    common = {"time_budget": SLACK_BUDGET, "max_trials": 2, "search": "random", "neural": False,
              "include": ["logistic_regression", "knn"], "ensemble_size": 0, "n_jobs": 1,
              "random_state": 0}
    free = AutoClassifier(**common).fit(X, y)
    limited = AutoClassifier(**common, max_predict_latency=10.0, max_parameters=10**9).fit(X, y)
    assert list(limited.leaderboard_["status"]) == list(free.leaderboard_["status"])
    assert limited.best_config_ == free.best_config_


@pytest.mark.parametrize("params, match", [
    ({"max_parameters": 0}, "max_parameters"),
    ({"max_parameters": 1.5}, "max_parameters"),
    ({"max_predict_latency": 0.0}, "max_predict_latency"),
    ({"max_predict_latency": "fast"}, "max_predict_latency"),
])
def test_limits_are_validated(params, match):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=match):
        AutoClassifier(time_budget=5, **params).fit(X, y)
    with pytest.raises(ValueError, match=match):
        AutoRegressor(time_budget=5, **params).fit(X, y.astype(float))


def _reports_parameters() -> bool:
    """Whether the networks report ``n_parameters_`` (what a trial's info carries)."""
    from automl_estimators.nas import NeuralClassifier

    X, y = load_iris(return_X_y=True)
    network = NeuralClassifier(width=8, n_cells=1, n_blocks=1, max_epochs=1, random_state=0)
    return hasattr(network.fit(X[::10], y[::10]), "n_parameters_")


def _trainable(network) -> int:
    return sum(p.numel() for p in network.module_.parameters() if p.requires_grad)


@needs_torch
def test_a_neural_search_under_max_parameters_keeps_only_small_networks():
    if not _reports_parameters():
        pytest.skip("the networks do not report n_parameters_ yet")
    X, y = load_iris(return_X_y=True)
    small = {"model": NAME, f"model:{NAME}:width": 16, f"model:{NAME}:n_cells": 1,
             f"model:{NAME}:n_blocks": 1, f"model:{NAME}:max_epochs": 20}
    limit = 5000  # the small network has ~1.8k parameters, the default ~117k
    clf = AutoClassifier(time_budget=120, max_trials=4, neural=True, search="evolution",
                         include=[NAME], warm_start=[small], max_parameters=limit,
                         resampling="holdout", per_trial_time_limit=30, n_jobs=1,
                         random_state=0).fit(X, y)
    history = clf.history_[1:]
    networks = [r for r in history if r.config.get("model") == NAME]
    assert len(networks) == len(history) >= 3
    assert any(r.status == Status.INFEASIBLE for r in networks), clf.leaderboard_
    for r in networks:
        if r.ok:
            assert r.info["n_parameters"] <= limit
        elif r.status == Status.INFEASIBLE:
            assert r.info["n_parameters"] > limit and "max_parameters=5000" in r.error
    members = clf.ensemble_.members_ if clf.ensemble_ is not None else [("", clf.model_)]
    total = 0
    for _, member in members:
        network = member[-1]
        assert network.n_parameters_ == _trainable(network)
        total += network.n_parameters_
    assert 0 < total <= limit


# ------------------------------------------- networks over max_parameters, untrained
def test_limits_pass_max_parameters_to_a_network_only():
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from automl_estimators.nas import NeuralClassifier

    pipeline = Pipeline([("scale", StandardScaler()), ("model", NeuralClassifier())])
    assert Limits(max_parameters=500).pass_to(pipeline) is pipeline
    assert pipeline[-1].max_parameters == 500
    assert Limits(max_predict_latency=1.0).pass_to(NeuralClassifier()).max_parameters is None
    linear = LogisticRegression()
    assert Limits(max_parameters=500).pass_to(linear).get_params() == \
        LogisticRegression().get_params()


@needs_torch
def test_a_network_over_max_parameters_stops_before_it_trains():
    from automl_estimators.nas import NeuralClassifier, NeuralRegressor
    from automl_estimators.trial import OverLimitError

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 40)), rng.integers(0, 3, 40)
    small = NeuralClassifier(width=8, n_cells=1, n_blocks=1, max_epochs=1, random_state=0)
    n = small.fit(X, y).n_parameters_
    # at the limit it trains; one parameter under, it stops with the count and the fix
    assert small.set_params(max_parameters=n).fit(X, y).n_parameters_ == n
    with pytest.raises(OverLimitError, match=rf"{n} parameters > max_parameters={n - 1} "
                                              r"\(1x\) before training; lower width") as caught:
        small.set_params(max_parameters=n - 1).fit(X, y)
    assert isinstance(caught.value, ValueError) and caught.value.info == {"n_parameters": n}
    assert not hasattr(small, "module_") or small.n_parameters_ == n  # no new network kept
    assert pickle.loads(pickle.dumps(caught.value)).info == {"n_parameters": n}
    # the space's largest signal network (75-109 M parameters, 5-7 GB and minutes an
    # epoch to train here) is counted on the meta device: no memory, no training; a
    # few seconds bound it on a loaded machine (0.05 s idle)
    big = NeuralRegressor(image_shape=(40,), width=256, n_cells=4, n_blocks=5,
                          architecture_seed=1, max_parameters=10**6)
    started = time.monotonic()
    with pytest.raises(OverLimitError, match=r"\d{8,} parameters > max_parameters=1000000"):
        big.fit(X, rng.normal(size=40))
    assert time.monotonic() - started < 10
    with pytest.raises(ValueError, match="max_parameters"):
        NeuralClassifier(max_parameters=0).fit(X, y)


@needs_torch
def test_a_trial_of_a_network_over_max_parameters_answers_infeasible():
    from automl_estimators.nas import NeuralClassifier
    from automl_estimators.runners.task import run_task
    from automl_estimators.trial import TrialTask

    X, y = load_iris(return_X_y=True)
    splits = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    data = {"X": X, "y": y, "n_classes": 3, "splits": splits}
    network = NeuralClassifier(width=8, n_cells=1, n_blocks=1, max_epochs=1,
                               max_parameters=10, random_state=0)
    answer = run_task(data, TrialTask(network, folds=(0, 1, 2)))
    assert answer.status == Status.INFEASIBLE and not answer.ok
    assert answer.info["n_parameters"] > 10
    assert answer.error.startswith("over a limit: NeuralClassifier: ")
    assert "> max_parameters=10" in answer.error and "before training" in answer.error


@needs_torch
def test_a_search_of_networks_all_over_max_parameters_ends_on_the_dummy_and_says_why():
    X, y = load_iris(return_X_y=True)
    clf = AutoClassifier(time_budget=SLACK_BUDGET, max_trials=3, neural=True, search="random",
                         include=[NAME], max_parameters=10, resampling="holdout", n_jobs=1,
                         random_state=0)
    with pytest.warns(UserWarning, match=r"dummy fallback: 3 network\(s\) were over a limit "
                                         r"before training: max_parameters=10 excluded 3 "
                                         r"\(the smallest has \d+ parameters\)"):
        clf.fit(X, y)
    board = clf.leaderboard_
    searched = board[board["origin"] != "dummy"]
    assert list(searched["status"]) == ["infeasible"] * 3
    assert searched["error"].str.contains("before training").all()
    assert searched["score"].isna().all()
    # told to the strategy as failed, never trained: each took its construction's time
    assert clf.refit_ == "dummy" and clf.predict(X[:2]).shape == (2,)


@pytest.mark.parametrize("name", strategy_params(sorted(STRATEGIES)))
def test_every_strategy_learns_an_infeasible_trial_as_a_failure(name):
    space = Space("classification", n_features=8, seed=0, neural=True)
    strategy = make_strategy(name, space, seed=0)
    try:
        for i in range(8):
            for candidate in strategy.ask(1):
                # infeasible: scored (over a limit once fitted), or not (a network
                # over max_parameters, stopped before training)
                status = Status.INFEASIBLE if i % 2 else Status.OK
                score = (0.9 if i % 4 == 1 else math.nan) if i % 2 else 0.5
                strategy.tell(candidate, TrialResult(
                    trial_id=i + 1, config=candidate.config, origin=candidate.origin,
                    fidelity=candidate.fidelity, status=status, score=score,
                    error="over a limit: ..." if i % 2 else ""))
        assert strategy.ask(1)  # still proposing
    finally:
        strategy.close()
