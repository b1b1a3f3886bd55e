"""Trial values: statuses compare, hash and print as their plain strings."""

import dataclasses
import pickle

import pytest

from automl_estimators.trial import Candidate, Status, TrialResult, config_key


def test_a_status_is_its_plain_string_everywhere_a_user_meets_it():
    assert Status.OK == "ok" and "timeout" == Status.TIMEOUT
    assert str(Status.MEMOUT) == "memout" and f"{Status.CRASH}" == "crash"
    assert Status.CANCELLED in {"cancelled"} and {Status.OK: 1}["ok"] == 1
    assert Status("crash") is Status.CRASH
    assert pickle.loads(pickle.dumps(Status.OK)) is Status.OK


def test_values_are_frozen_and_keyed_by_configuration_and_fidelity():
    result = TrialResult(trial_id=1, config={"model": "knn"}, origin="test", fidelity=1.0,
                         status=Status.OK, score=0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 1.0
    assert result.ok and not dataclasses.replace(result, status=Status.CRASH).ok
    candidate = Candidate({"b": 2, "a": 1}, 0.5)
    assert candidate.key == config_key({"a": 1, "b": 2}, 0.5) != config_key({"a": 1, "b": 2})
