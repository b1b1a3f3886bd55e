"""The neural components' declarations: consistent with the estimators and buildable
(no torch needed; tests/nas/test_estimators.py fits one behind the preprocessing),
and their cells searched as categorical hyperparameters (no torch, no training)."""

import inspect
import random
import re
from collections import Counter

import ConfigSpace as CS
import pytest

from automl_estimators.pipelines.instantiation import make_component
from automl_estimators.search.base import own_configspace
from automl_estimators.spaces import Space
from automl_estimators.spaces.architecture import (
    IMAGE,
    KINDS,
    OPERATIONS,
    SIGNAL,
    TABULAR,
    Architecture,
    Block,
    default_architecture,
    mutate_architecture,
    sample_architecture,
)
from automl_estimators.spaces.declarations import MODEL, Categorical, hp_key
from automl_estimators.spaces.neural import (
    ARCHITECTURE_KEY,
    NAME,
    NEURAL_COMPONENTS,
    SIZE_HYPERPARAMETERS,
    CellSpace,
    recipe_hyperparameters,
)

RECIPE = ("activation", "optimizer", "lr_schedule")  # declared with the nas-model parameters
# One shape per kind: rows as tabular features, 8x8 images, 1-D signals of 40 steps.
SHAPES = {TABULAR: None, IMAGE: (8, 8), SIGNAL: (40,)}
N_FEATURES = {TABULAR: 6, IMAGE: 64, SIGNAL: 40}


def network_space(kind, task="classification", **kwargs):
    return Space(task, n_features=N_FEATURES[kind], neural=True, image_shape=SHAPES[kind],
                 seed=0, **kwargs)


def key(name):
    return f"{MODEL}:{NAME}:{name}"


@pytest.mark.parametrize("component", NEURAL_COMPONENTS, ids=lambda c: c.tasks[0])
def test_declarations_match_the_estimator(component):
    parameters = inspect.signature(component.estimator_class()).parameters
    assert component.step == MODEL and component.seeded and not component.accepts_sparse
    assert component.iterations == "max_epochs"
    for hp in component.hyperparameters:
        assert hp.name in parameters
        if hp.name != "batch_size":  # the estimator's "auto" is not a searchable size
            assert parameters[hp.name].default == hp.default, hp.name


@pytest.mark.parametrize("component", NEURAL_COMPONENTS, ids=lambda c: c.tasks[0])
def test_low_fidelity_gets_a_share_of_the_epochs(component):
    config = {hp_key(component, "learning_rate"): 0.01, hp_key(component, "width"): 32}
    model = make_component(component, config, random_state=3, iteration_share=0.25)
    assert (model.max_epochs, model.learning_rate, model.width, model.random_state) == \
        (12, 0.01, 32, 3)


@pytest.mark.parametrize("component", NEURAL_COMPONENTS, ids=lambda c: c.tasks[0])
def test_the_recipe_is_declared_and_the_seed_is_not(component):
    declared = {hp.name: hp for hp in component.hyperparameters}
    assert declared["activation"] == Categorical("activation", ("relu", "gelu", "silu", "tanh"),
                                                 "relu")
    assert declared["optimizer"] == Categorical("optimizer", ("adamw", "sgd", "nadam", "rmsprop"),
                                                "adamw")
    assert declared["lr_schedule"] == Categorical("lr_schedule",
                                                  ("cosine", "one_cycle", "constant"), "cosine")
    # a seed is an identity, not a scale: the cells are searched as categoricals
    assert "architecture_seed" not in declared
    recipe = {hp.name for hp in recipe_hyperparameters(component)}
    assert set(RECIPE) | {"learning_rate", "weight_decay", "batch_size"} <= recipe
    assert not recipe & set(SIZE_HYPERPARAMETERS)
    # the cells are no estimator parameters: the builder hands over one architecture
    assert not declared.keys() & {hp.name for hp in component.cells.hyperparameters}


# ------------------------------------------------------------- the cells
@pytest.mark.parametrize("kind", KINDS)
def test_compiled_space_holds_the_cells_conditional_on_n_blocks(kind):
    s = network_space(kind)
    configspace = own_configspace(s)  # what SMAC and random search get: a serialized copy
    cells = ("normal", "reduction") if kind != TABULAR else ("normal",)
    n_blocks = configspace[key("n_blocks")]
    assert (n_blocks.lower, n_blocks.upper) == (1, 5)
    for cell in cells:
        for j in range(5):
            for k in (0, 1):
                state, op = configspace[key(f"{cell}_block{j}_input{k}")], \
                    configspace[key(f"{cell}_block{j}_op{k}")]
                assert isinstance(state, CS.CategoricalHyperparameter)
                assert isinstance(op, CS.CategoricalHyperparameter)
                assert set(state.choices) == {str(i) for i in range(j + 2)}
                assert set(op.choices) == set(OPERATIONS[kind])
                parents = {p.name for p in configspace.parents_of[op.name]}
                assert parents == ({MODEL, key("n_blocks")} if j else {MODEL})
    assert key("reduction_block0_op0") in configspace if kind != TABULAR \
        else not any("reduction" in name for name in configspace)
    # a configuration sets exactly the slots its block count uses
    for configuration in configspace.sample_configuration(40):
        values = dict(configuration)
        slots = [re.search(r"_block(\d)_", name) for name in values]
        used = {int(slot.group(1)) for slot in slots if slot}
        assert used == (set(range(values[key("n_blocks")])) if values[MODEL] == NAME else set())


@pytest.mark.parametrize("kind", KINDS)
def test_the_default_configuration_is_the_default_network(kind):
    s = network_space(kind, include=[NAME])
    default = s.decode(s.configspace.get_default_configuration())
    assert default[key("n_blocks")] == 3
    assert default[ARCHITECTURE_KEY] == default_architecture(kind, 3)
    assert {k: v for k, v in default.items() if k != ARCHITECTURE_KEY} == s.default_config(NAME)
    # the defaults are the five-block cells, whose first n blocks are the n-block cells
    # (whatever n_blocks SMAC picks, the default cell values are the default network's),
    # and a network without an architecture (the estimator's default) encodes to its cells
    defaults = dict(s.configspace.get_default_configuration())
    for n in range(1, 6):
        assert s.decode({**defaults, key("n_blocks"): n})[ARCHITECTURE_KEY] == \
            default_architecture(kind, n)
        config = s.default_config(NAME, {"n_blocks": n})
        assert ARCHITECTURE_KEY not in config
        assert s.decode(s.encode(config))[ARCHITECTURE_KEY] == default_architecture(kind, n)


@pytest.mark.parametrize("kind", KINDS)
def test_sampled_configurations_round_trip(kind):
    every_model, networks = network_space(kind), network_space(kind, include=[NAME])
    for s in (every_model, networks):
        for config in map(s.decode, s.configspace.sample_configuration(60)):
            configuration = s.encode(config)
            configuration.check_valid_configuration()
            assert s.decode(configuration) == config


@pytest.mark.parametrize("kind", KINDS)
def test_any_architecture_of_up_to_five_blocks_round_trips(kind):
    s = network_space(kind, include=[NAME])
    rng = random.Random(0)
    architectures = [default_architecture(kind, n) for n in range(1, 6)]
    architectures += [sample_architecture(rng, kind, n) for n in range(1, 6) for _ in range(4)]
    architectures += [mutate_architecture(a, rng) for a in architectures]
    for arch in architectures:
        config = {**s.default_config(NAME, {"n_blocks": arch.n_blocks}), ARCHITECTURE_KEY: arch}
        configuration = s.encode(config)
        configuration.check_valid_configuration()
        assert s.decode(configuration) == config
    # the architecture, not a stale n_blocks, says how many blocks were trained
    arch = architectures[-1]
    stale = {**s.default_config(NAME, {"n_blocks": 1}), ARCHITECTURE_KEY: arch}
    assert s.decode(s.encode(stale))[key("n_blocks")] == arch.n_blocks


@pytest.mark.parametrize("kind", KINDS)
def test_sampling_yields_varied_valid_architectures(kind):
    s = network_space(kind, include=[NAME])
    configs = [s.decode(c) for c in s.configspace.sample_configuration(60)]
    architectures = [c[ARCHITECTURE_KEY] for c in configs]
    assert all(isinstance(a, Architecture) and a.kind == kind for a in architectures)
    assert all(a.n_blocks == c[key("n_blocks")] for a, c in zip(architectures, configs))
    assert len(set(architectures)) == 60
    assert {a.n_blocks for a in architectures} == {1, 2, 3, 4, 5}
    ops = Counter(op for a in architectures for _, blocks in a.cells for b in blocks
                  for op in b.ops)
    assert set(ops) == set(OPERATIONS[kind])
    reads = Counter(state for a in architectures for _, blocks in a.cells for b in blocks
                    for state in b.inputs)
    assert set(reads) == set(range(6))  # both cell inputs and every block's output


def test_an_architecture_of_another_space_is_refused_with_advice():
    s = network_space(TABULAR, include=[NAME])
    image = {**s.default_config(NAME), ARCHITECTURE_KEY: default_architecture(IMAGE, 2)}
    with pytest.raises(ValueError, match="kind 'tabular'.*Space.adapt"):
        s.encode(image)
    big = sample_architecture(random.Random(0), TABULAR, 6)
    with pytest.raises(ValueError, match="1 to 5 blocks"):
        s.encode({**s.default_config(NAME), ARCHITECTURE_KEY: big})


def test_adapt_keeps_fitting_architectures_and_drops_the_old_seed():
    s = network_space(TABULAR)
    arch = sample_architecture(random.Random(1), TABULAR, 4)
    old = {**s.default_config(NAME), key("architecture_seed"): 123, ARCHITECTURE_KEY: arch}
    adapted = s.adapt(old)
    assert key("architecture_seed") not in adapted
    assert adapted[ARCHITECTURE_KEY] == arch and adapted[key("n_blocks")] == 4
    assert s.decode(s.encode(adapted)) == adapted
    # from an image dataset: the cells do not fit, the network takes its default cells
    image = {**old, ARCHITECTURE_KEY: default_architecture(IMAGE, 2)}
    assert s.adapt(image) == s.default_config(NAME)
    # a configuration of an earlier version, without the recipe: the recipe's defaults
    earlier = {k: v for k, v in s.default_config(NAME).items()
               if not k.endswith(RECIPE)}
    assert s.adapt(earlier) == s.default_config(NAME)


@pytest.mark.parametrize("arguments, message", [
    ({"kind": "graph"}, "kind must be one of"),
    ({"max_blocks": 0}, "positive integer"),
])
def test_cell_space_settings_are_checked(arguments, message):
    with pytest.raises(ValueError, match=message):
        CellSpace(**arguments)


def test_cells_decode_into_blocks_in_canonical_order():
    cells = CellSpace(TABULAR, 2)
    values = {"normal_block0_input0": 1, "normal_block0_op0": "zero",
              "normal_block0_input1": 0, "normal_block0_op1": "identity"}
    arch = cells.decode(values, 1)
    assert arch.normal == (Block((0, 1), ("identity", "zero")),)
    assert cells.encode(arch) == {"normal_block0_input0": 0, "normal_block0_op0": "identity",
                                  "normal_block0_input1": 1, "normal_block0_op1": "zero",
                                  "n_blocks": 1}
    with pytest.raises(ValueError, match=r"n_blocks must be an integer in \[1, 2\]"):
        cells.decode(values, 3)
