"""Program trees: typed nodes, their text, old positional tuples, hashing and pickling."""

import json
import pickle

import pytest

from automl_estimators.search.base import config_key
from automl_estimators.spaces import Space
from automl_estimators.spaces.declarations import MODEL
from automl_estimators.spaces.program import (
    INPUT,
    TRANSFORMS,
    Input,
    Node,
    Stack,
    Transform,
    Union,
    as_node,
    complexity,
    is_program,
    program_from_config,
)

TREE = Union(
    Stack("logistic_regression", (("C", 1.0), ("class_weight", None)),
          Transform("scaling", "standard", (), INPUT)),
    Transform("features", "pca", (("n_components", 0.5), ("whiten", True)),
              Transform("scaling", "robust", (), INPUT)))
# The same tree as fits made before the nodes stored it.
OLD_TREE = ("union",
            ("stack", "logistic_regression", (("C", 1.0), ("class_weight", None)),
             ("step", "scaling", "standard", (), ("X",))),
            ("step", "features", "pca", (("n_components", 0.5), ("whiten", True)),
             ("step", "scaling", "robust", (), ("X",))))


def space():
    return Space("classification", n_features=6, seed=0)


def program(tree=TREE):
    return {**space().default_config("logistic_regression"), TRANSFORMS: tree}


def test_old_positional_tuples_and_json_lists_read_as_nodes():
    assert as_node(OLD_TREE) == TREE
    assert TREE.to_tuple() == OLD_TREE
    assert as_node(json.loads(json.dumps(OLD_TREE))) == TREE  # JSON: lists, not tuples
    assert as_node(("X",)) is INPUT and as_node(TREE) is TREE
    for bad in [("X", 1), ("step", "scaling"), ("graft", INPUT), "X", None, ()]:
        with pytest.raises(ValueError, match="not a program tree"):
            as_node(bad)


def test_nodes_are_frozen_hashable_values():
    assert as_node(OLD_TREE) == TREE and hash(as_node(OLD_TREE)) == hash(TREE)
    assert len({TREE, as_node(OLD_TREE), INPUT, Input()}) == 2
    with pytest.raises(AttributeError):
        TREE.left = INPUT
    assert all(isinstance(node, Node) for node in TREE.walk())


def test_nodes_give_a_stable_configuration_key_and_pickle():
    config = program()
    # config_key hashes repr: equal trees, equal keys, whoever built them
    assert config_key(config) == config_key(program(as_node(OLD_TREE)))
    assert config_key(config) != config_key(program(TREE.left))
    again = pickle.loads(pickle.dumps(config))
    assert again == config and config_key(again) == config_key(config)
    assert pickle.loads(pickle.dumps(INPUT)) == INPUT


def test_walk_count_and_components():
    kinds = [type(node).__name__ for node in TREE.walk()]
    assert kinds == ["Union", "Stack", "Transform", "Input", "Transform", "Transform", "Input"]
    assert TREE.count() == 5 and INPUT.count() == 0
    assert list(TREE.components()) == [(MODEL, "logistic_regression"), ("scaling", "standard"),
                                       ("features", "pca"), ("scaling", "robust")]


def test_render_and_describe_text():
    assert TREE.render() == "union(stack[logistic_regression](standard(X)), pca(robust(X)))"
    assert INPUT.render() == "X"
    s = space()
    expected = "logistic_regression(union(stack[logistic_regression](standard(X)), pca(robust(X))))"
    assert s.describe(program()) == expected
    assert s.describe(program(OLD_TREE)) == expected  # an old fit's best_config_


def test_flat_configurations_have_an_equivalent_program():
    s = space()
    config = s.default_config("logistic_regression")
    assert not is_program(config)
    converted = program_from_config(config, s)
    assert is_program(converted)
    assert converted[TRANSFORMS] == Transform("scaling", "standard", (), INPUT)
    assert complexity(config, s) == complexity(converted, s) == 2
    assert program_from_config(program(OLD_TREE), s)[TRANSFORMS] == TREE
    assert complexity(program(OLD_TREE), s) == 1 + 5


def test_adapt_keeps_offered_trees_as_nodes():
    s = space()
    assert s.adapt(program(OLD_TREE))[TRANSFORMS] == TREE
    assert s.adapt(program())[TRANSFORMS] == TREE
    narrow = Space("classification", n_features=6, exclude=["pca"])
    assert narrow.adapt(program()) is None  # pca is not offered there
