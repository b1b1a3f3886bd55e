"""The space compiled to DEAP's typed primitive set, and trees <-> program configurations."""

import pytest

from automl_estimators.spaces import Space
from automl_estimators.spaces.declarations import MODEL, hp_key
from automl_estimators.spaces.grid import grid_values
from automl_estimators.spaces.primitives import PrimitiveSet
from automl_estimators.spaces.program import (
    INPUT,
    TRANSFORMS,
    Stack,
    Transform,
    Union,
    complexity,
    program_from_config,
)

SPACES = {
    "classification": lambda: Space("classification", n_features=8, has_categorical=True),
    "regression": lambda: Space("regression", n_features=5),
    "sparse": lambda: Space("classification", sparse=True, n_features=400),
    "restricted": lambda: Space("regression", n_features=5, include=["ridge", "standard"]),
}


@pytest.mark.parametrize("name", SPACES)
def test_every_type_has_a_terminal(name):
    # DEAP's pitfall: a type without a terminal lets generation run forever
    pset = PrimitiveSet(SPACES[name]()).pset
    types = set(pset.primitives) | set(pset.terminals)
    assert all(pset.terminals[t] for t in types)


@pytest.mark.parametrize("name", SPACES)
def test_primitive_set_comes_from_the_space_declarations(name):
    space = SPACES[name]()
    pset = PrimitiveSet(space).pset
    names = {p.name for prims in pset.primitives.values() for p in prims}
    for component in space.steps[MODEL]:
        assert component.name in names and f"stack_{component.name}" in names
        for hp in component.hyperparameters:
            terminals = {t.name for t in pset.terminals[_type(pset, hp_key(component, hp.name))]}
            values = grid_values(hp, extra=space.tuned_values(component, hp.name))
            assert terminals == {f"{hp_key(component, hp.name)}={v!r}" for v in values}
            assert hp.default in values
            # the grid holds the tuned configurations' values, so the warm start's
            # tuned configurations are not snapped to other values
            assert set(space.tuned_values(component, hp.name)) <= set(values)
    offered = {c.name for s in ("scaling", "features") for c in space.steps.get(s, ())
               if c.estimator is not None}
    assert offered <= names


def _type(pset, key):
    return next(t for t in pset.terminals if getattr(t, "__name__", "") == key)


@pytest.mark.parametrize("name", SPACES)
def test_flat_configurations_round_trip_through_trees(name):
    space = SPACES[name]()
    primitives = PrimitiveSet(space)
    for config in space.portfolio():
        tree = primitives.from_config(config)
        assert primitives.to_config(tree) == program_from_config(config, space)
        assert complexity(config, space) == 1 + sum(
            space.component(s, config[s]).estimator is not None
            for s in ("scaling", "features") if s in space.steps)


def test_off_grid_values_snap_to_the_nearest_grid_value():
    space = SPACES["classification"]()
    primitives = PrimitiveSet(space)
    config = space.default_config("logistic_regression")
    config["model:logistic_regression:C"] = 0.95
    program = primitives.to_config(primitives.from_config(config))
    assert program["model:logistic_regression:C"] == 1.0




def test_trees_become_typed_nodes_and_back():
    space = SPACES["classification"]()
    primitives = PrimitiveSet(space)
    config = space.default_config("logistic_regression")
    tree = Union(Stack("knn", (("n_neighbors", 5),), INPUT),
                 Transform("features", "pca", (("n_components", 0.5), ("whiten", False)),
                           Transform("scaling", "robust", (), INPUT)))
    program = {**program_from_config(config, space), TRANSFORMS: tree}
    back = primitives.to_config(primitives.from_config(program))
    # the same operators; missing hyperparameters take defaults, values snap to the grid
    assert back[TRANSFORMS].render() == tree.render() == "union(stack[knn](X), pca(robust(X)))"
    assert dict(back[TRANSFORMS].left.params)["n_neighbors"] == 5
    assert primitives.to_config(primitives.from_config(back)) == back
    # an old fit's positional tuple gives the same tree
    old = {**program, TRANSFORMS: tree.to_tuple()}
    assert primitives.to_config(primitives.from_config(old)) == back


def test_the_primitives_are_partials_not_lambdas():
    # what holds the set (the strategy, its trees' context) pickles only without lambdas
    pset = PrimitiveSet(SPACES["classification"]()).pset
    assert not [name for name, value in pset.context.items()
                if getattr(value, "__name__", "") == "<lambda>"]
