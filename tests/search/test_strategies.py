"""The contract every search strategy keeps (one suite for all of them)."""

import math
import time
from collections import Counter

import pytest

from automl_estimators import AutoClassifier, AutoRegressor
from automl_estimators.metalearning.warm_start import (
    NATIVE_DEFAULT_ORIGIN,
    QUICK_FOREST_ORIGIN,
    QUICK_ORIGIN,
    SHORT_DEFAULT_ORIGIN,
)
from automl_estimators.search import SMAC, STRATEGIES, Candidate, Evolution, make_strategy
from automl_estimators.search.base import config_key
from automl_estimators.spaces import Space
from automl_estimators.spaces.architecture import IMAGE, SIGNAL, TABULAR
from automl_estimators.spaces.declarations import MODEL, hp_key
from automl_estimators.spaces.neural import (
    ARCHITECTURE_KEY,
    NAME,
    SIZE_HYPERPARAMETERS,
    recipe_hyperparameters,
)
from automl_estimators.spaces.program import TRANSFORMS, is_program
from automl_estimators.trial import Status, TrialResult
from tests.conftest import SLACK_BUDGET, loaded_bound, strategy_params

# What the fit's own process runs while its workers are late (search_loop._run_here)
STAND_IN_ORIGINS = {NATIVE_DEFAULT_ORIGIN, SHORT_DEFAULT_ORIGIN, QUICK_FOREST_ORIGIN,
                    QUICK_ORIGIN}

# Every registered strategy by name, and the settings that change how SMAC proposes.
STRATEGY_NAMES = strategy_params(sorted(STRATEGIES) + [
    SMAC(surrogate="gp", acquisition="pi"), SMAC(multi_fidelity="hyperband")])


def space():
    # neural=True: evolution, the controller and progressive NAS propose neural
    # networks only (declaring them needs no torch; these tests never fit)
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
        else:  # a network's cells are ConfigSpace's too; other strategy parameters
            # (one-shot's architecture_search) are not
            searched = {k: v for k, v in candidate.config.items()
                        if k == ARCHITECTURE_KEY or k not in strategy_keys(s)}
            decoded = s.decode(s.encode(candidate.config))
            if searched != candidate.config:  # a one-shot search: its cells are found later
                assert ARCHITECTURE_KEY not in candidate.config
                decoded.pop(ARCHITECTURE_KEY)
            elif candidate.config[MODEL] == NAME:
                assert ARCHITECTURE_KEY in candidate.config
            assert decoded == searched


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_tell_accepts_successes_and_failures(name):
    proposed = run_ask_tell(name, seed=0)
    assert len(proposed) == 12


@pytest.mark.parametrize("name", STRATEGY_NAMES)
def test_same_seed_same_proposals(name):
    # A Gaussian process is trained at every ask after SMAC's initial design (6 asks
    # here), 0.9 s each on this space: 8 rounds hold two such asks (12 took 22 s).
    rounds = 8 if getattr(name, "surrogate", None) == "gp" else 12
    a = [c.config for c in run_ask_tell(name, seed=5, n_rounds=rounds)]
    b = [c.config for c in run_ask_tell(name, seed=5, n_rounds=rounds)]
    c = [c.config for c in run_ask_tell(name, seed=6, n_rounds=rounds)]
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
    # The promise is 6 + 1 s; beside other work, workers that preload torch (the
    # network strategies) start and stop slower, so this asserts the loaded bound
    # (6 + 5 s). The tight promise is measured on an idle machine by
    # benchmarks/reliability_sweep.py. A fit that ignored its budget never ends
    # (no max_trials) and still fails here.
    assert wall <= loaded_bound(6), f"fit took {wall:.2f} s; trials: {trials}"
    # (the stand-ins run in the fit's own process while the workers are late: under load)
    assert set(clf.leaderboard_["origin"]) <= {"dummy", "default", getattr(name, "name", name),
                                               *STAND_IN_ORIGINS}, trials
    # How many trials fit in 6 s depends on how busy the machine is (this asserted 3,
    # then 2, and failed under load): workers start in the background, and when they
    # are up only after the search time (the network strategies' forkserver imports
    # torch: seconds on a busy machine) the fit ends on the dummy, within its budget.
    # That each strategy proposes is the contract tests' job (max_trials, no clock).
    assert "dummy" in set(clf.leaderboard_["origin"]), f"no dummy fallback: {trials}"
    assert clf.predict(X.iloc[:5]).shape == (5,)


# the strategies that search pipelines: the networks-only ones refuse these models
# (ParameterError); their reproducibility is tested in tests/nas and tests/search
PIPELINE_STRATEGY_NAMES = [name for name in sorted(STRATEGIES)
                           if not STRATEGIES[name].networks_only] + STRATEGY_NAMES[-2:]


@pytest.mark.parametrize("name", PIPELINE_STRATEGY_NAMES)
def test_strategy_reproducible_at_n_jobs_1(name, mpg):
    X, y = mpg
    # two models in the warm start, then six proposals of the strategy; max_trials ends
    # the fits, and a budget that never binds keeps a slow trial in one of them from
    # timing out (a trial may take a quarter of it)
    fits = [AutoRegressor(time_budget=SLACK_BUDGET, max_trials=8, search=name, n_jobs=1,
                          random_state=3,
                          include=["ridge", "lasso", "standard", "robust"]).fit(X, y)
            for _ in range(2)]
    assert fits[0].best_config_ == fits[1].best_config_
    assert list(fits[0].leaderboard_["config"]) == list(fits[1].leaderboard_["config"])
    assert list(fits[0].leaderboard_["pipeline"]) == list(fits[1].leaderboard_["pipeline"])


# ------------------------------------------------------ regularized evolution
def evolve(seed, n_rounds, settings=None, image_shape=None):
    """Ask/tell rounds of evolution with a deterministic score of cells and recipe."""
    settings = settings or Evolution(population_size=6, sample_size=3)
    n_features = 8 if image_shape is None else math.prod(image_shape)
    s = Space("classification", n_features=n_features, neural=True, image_shape=image_shape,
              seed=0)
    strategy = settings.make(s, seed)
    proposed = []
    for i in range(n_rounds):
        for candidate in strategy.ask(1):
            proposed.append(candidate)
            score = (hash(repr(sorted(candidate.config.items(), key=str))) % 89) / 89
            strategy.tell(candidate, result_for(candidate, i, score=score))
    return s, strategy, proposed


def recipe_of(space, config):
    component = space.component(MODEL, NAME)
    return {hp.name: config[hp_key(component, hp.name)]
            for hp in recipe_hyperparameters(component)}


def test_evolution_starts_from_random_recipes_at_the_default_size():
    settings = Evolution(population_size=8, min_fidelity=1.0)  # no promotions among them
    s, _, initial = evolve(seed=0, n_rounds=8, settings=settings)
    recipes = [recipe_of(s, c.config) for c in initial]
    assert len({r["learning_rate"] for r in recipes}) == 8
    assert len({r["weight_decay"] for r in recipes}) == 8
    for name in ("activation", "optimizer", "lr_schedule", "batch_size"):
        assert len({r[name] for r in recipes}) >= 2, name
    defaults = s.default_config(NAME)
    for name in SIZE_HYPERPARAMETERS:  # a tournament among networks of one size
        assert {c.config[f"{MODEL}:{NAME}:{name}"] for c in initial} == \
            {defaults[f"{MODEL}:{NAME}:{name}"]}
    assert len({c.config[ARCHITECTURE_KEY] for c in initial}) == 8
    # a proposal is a valid configuration of the space (ConfigSpace accepts it)
    for candidate in initial:
        s.encode(candidate.config).check_valid_configuration()


@pytest.mark.parametrize("recipe_mutation", [0.0, 1.0])
def test_evolution_child_changes_its_recipe_or_its_cells(recipe_mutation):
    settings = Evolution(population_size=4, sample_size=4, min_fidelity=1.0,
                         recipe_mutation=recipe_mutation)
    s, _, proposed = evolve(seed=1, n_rounds=12, settings=settings)
    recipe = {hp.name for hp in recipe_hyperparameters(s.component(MODEL, NAME))}
    for child in proposed[4:]:  # after the four random members, children

        # the parent: the member (or earlier child) the child is one change away from
        changes = [_changes(child.config, other.config) for other in proposed
                   if other is not child]
        assert min(len(c) for c in changes) == 1
        changed = min(changes, key=len)[0]
        if recipe_mutation == 1.0:
            assert changed.rsplit(":", 1)[1] in recipe
        else:
            assert changed == ARCHITECTURE_KEY


def _changes(a, b):
    return [k for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]


def test_evolution_mutates_recipes_and_cells_by_default():
    settings = Evolution(population_size=4, sample_size=2, min_fidelity=1.0)
    assert math.isclose(settings.recipe_mutation, 1 / 3)
    _, _, proposed = evolve(seed=2, n_rounds=40, settings=settings)
    kinds = Counter()
    for i, child in enumerate(proposed[4:], start=4):
        changes = min((_changes(child.config, p.config) for p in proposed[:i]), key=len)
        if len(changes) == 1:
            kinds["cells" if changes[0] == ARCHITECTURE_KEY else "recipe"] += 1
    assert kinds["cells"] >= 10 and kinds["recipe"] >= 4, kinds


def test_evolution_is_reproducible_with_a_seed():
    runs = [[(c.config, c.fidelity) for c in evolve(seed, n_rounds=30)[2]] for seed in (7, 7, 8)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert len({config_key(config, fidelity) for config, fidelity in runs[0]}) == 30


def test_evolution_evolves_cells_of_the_data_kind():
    for shape, kind in ((None, TABULAR), ((8, 8), IMAGE), ((40,), SIGNAL)):
        _, _, proposed = evolve(seed=0, n_rounds=10, image_shape=shape,
                                settings=Evolution(population_size=4, sample_size=2))
        assert {c.config[ARCHITECTURE_KEY].kind for c in proposed} == {kind}


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_evolution_recipe_mutation_is_a_probability(value):
    with pytest.raises(ValueError, match="0 <= recipe_mutation <= 1"):
        Evolution(recipe_mutation=value)
