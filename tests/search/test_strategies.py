"""The contract every search strategy keeps (one suite for all of them)."""

import math
import time

import pytest

from automl_estimators import AutoClassifier, AutoRegressor
from automl_estimators.search import SMAC, STRATEGIES, Candidate, make_strategy
from automl_estimators.spaces import Space
from automl_estimators.spaces.declarations import MODEL, hp_key
from automl_estimators.spaces.program import TRANSFORMS, is_program
from automl_estimators.trial import Status, TrialResult

# Every registered strategy by name, and the settings that change how SMAC proposes.
STRATEGY_NAMES = sorted(STRATEGIES) + [SMAC(surrogate="gp", acquisition="pi"),
                                       SMAC(multi_fidelity="hyperband")]


def space():
    # neural=True: regularized evolution proposes neural networks only (declaring
    # them needs no torch; these tests never fit)
    return Space("classification", n_features=8, has_categorical=True, seed=0, neural=True)


def strategy_keys(s):
    """Configuration keys of the strategy parameters of the space's components."""
    return {hp_key(component, name) for components in s.steps.values()
            for component in components for name in component.strategy_parameters}


def result_for(candidate, trial_id, status=Status.OK, score=0.5):
    return TrialResult(trial_id=trial_id, config=candidate.config, origin=candidate.origin,
                       fidelity=candidate.fidelity, status=status,
                       score=score if status == Status.OK else math.nan,
                       error="" if status == Status.OK else "boom")


def run_ask_tell(name, seed, n_rounds=12):
    strategy = make_strategy(name, space(), seed)
    proposed = []
    try:
        _ask_tell_rounds(strategy, proposed, n_rounds)
    finally:
        strategy.close()
    return proposed


def _ask_tell_rounds(strategy, proposed, n_rounds):
    for i in range(n_rounds):
        asked = strategy.ask(1)
        assert len(asked) <= 1
        for candidate in asked:
            proposed.append(candidate)
            status = (Status.OK, Status.CRASH, Status.TIMEOUT)[i % 3]
            strategy.tell(candidate, result_for(candidate, i + 1, status, score=i / n_rounds))


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_ask_returns_valid_candidates(name):
    s = space()
    strategy = make_strategy(name, s, seed=0)
    asked = strategy.ask(4)
    strategy.close()
    assert 1 <= len(asked) <= 4
    for candidate in asked:
        assert isinstance(candidate, Candidate)
        assert 0 < candidate.fidelity <= 1
        assert candidate.origin
        # a proposal is a configuration of the space it came from
        if is_program(candidate.config):  # genetic programs: the flat part is the space's
            flat = {k: v for k, v in candidate.config.items() if k != TRANSFORMS}
            assert flat[MODEL] in s.models
            for key, value in flat.items():
                assert key in s.configspace or key in s.steps, key
        else:  # strategy parameters (evolution's architecture, one-shot's
            # architecture_search) are not ConfigSpace's
            searched = {k: v for k, v in candidate.config.items()
                        if k not in strategy_keys(s)}
            assert s.decode(s.encode(candidate.config)) == searched


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_tell_accepts_successes_and_failures(name):
    proposed = run_ask_tell(name, seed=0)
    assert len(proposed) == 12


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_same_seed_same_proposals(name):
    a = [c.config for c in run_ask_tell(name, seed=5)]
    b = [c.config for c in run_ask_tell(name, seed=5)]
    c = [c.config for c in run_ask_tell(name, seed=6)]
    assert a == b
    assert a != c


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_strategy_inside_a_fit_keeps_the_budget(name, credit):
    X, y = credit
    start = time.monotonic()
    clf = AutoClassifier(time_budget=6, search=name, n_jobs=2, random_state=0).fit(X, y)
    wall = time.monotonic() - start
    # on failure, say what the fit did (this test has failed under heavy load)
    trials = clf.leaderboard_[["origin", "status", "duration"]].to_dict("records")
    assert wall <= 6 + 1, f"fit took {wall:.2f} s; trials: {trials}"
    assert set(clf.leaderboard_["origin"]) <= {"dummy", "default", getattr(name, "name", name)}
    # How many trials fit in 6 s depends on how busy the machine is (this asserted 3
    # and failed under load): the dummy and the strong default are always there;
    # that each strategy proposes is the contract tests' job (max_trials, no clock).
    assert clf.n_trials_ >= 2, f"{clf.n_trials_} trials in {wall:.2f} s: {trials}"


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_strategy_reproducible_at_n_jobs_1(name, mpg):
    X, y = mpg
    # two models in the warm start, then six proposals of the strategy
    fits = [AutoRegressor(time_budget=30, max_trials=8, search=name, n_jobs=1, random_state=3,
                          include=["ridge", "lasso", "standard", "robust"]).fit(X, y)
            for _ in range(2)]
    assert fits[0].best_config_ == fits[1].best_config_
    assert list(fits[0].leaderboard_["config"]) == list(fits[1].leaderboard_["config"])
    assert list(fits[0].leaderboard_["pipeline"]) == list(fits[1].leaderboard_["pipeline"])
