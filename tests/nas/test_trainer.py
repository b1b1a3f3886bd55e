"""The trainer: early stopping, determinism on CPU, untouched global state, the
optimizers and learning-rate schedules of the recipe."""

import math

import numpy as np
import pytest

from automl_estimators.nas import NeuralClassifier, NeuralRegressor

torch = pytest.importorskip("torch")
from automl_estimators.nas.network import NetworkSpec, build_network
from automl_estimators.nas.trainer import (
    ONE_CYCLE_START_DIVISOR,
    ONE_CYCLE_WARMUP,
    TrainingSettings,
    _batches,
    make_optimizer,
    resolve_device,
    schedule_factor,
    split_validation,
    train,
)
from automl_estimators.spaces.architecture import default_architecture

CPU = torch.device("cpu")


def noisy_problem(n_rows=200, seed=0):
    """Random labels: a large network overfits, so the validation loss turns up."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_rows, 10)).astype(np.float32), rng.integers(0, 2, n_rows)


def network(n_inputs=10, n_outputs=2, width=64):
    torch.manual_seed(0)
    return build_network(NetworkSpec(default_architecture("tabular", 2), n_inputs, n_outputs,
                                     n_cells=1, width=width))


def test_early_stopping_keeps_the_best_epoch():
    X, y = noisy_problem()
    module = network()
    settings = TrainingSettings(max_epochs=200, batch_size=32, learning_rate=1e-2,
                                validation_fraction=0.25, patience=3, seed=0)
    result = train(module, X, y, torch.nn.CrossEntropyLoss(), settings, CPU, stratify=True)
    assert result.stopped_early and result.n_epochs < 200
    assert result.n_epochs == result.best_epoch + settings.patience
    losses = result.validation_losses
    assert result.best_epoch == int(np.argmin(losses)) + 1
    # the weights kept are those of the best epoch: its validation loss again
    _, validation = split_validation(y, 0.25, seed=0, stratify=True)
    with torch.no_grad():
        again = torch.nn.CrossEntropyLoss()(module(torch.tensor(X[validation])),
                                            torch.tensor(y[validation])).item()
    assert again == pytest.approx(min(losses), rel=1e-5)


def test_without_validation_all_epochs_run():
    X, y = noisy_problem(50)
    settings = TrainingSettings(max_epochs=4, batch_size=16, validation_fraction=0.0)
    result = train(network(), X, y, torch.nn.CrossEntropyLoss(), settings, CPU)
    assert (result.n_epochs, result.best_epoch, result.validation_losses) == (4, 4, ())
    assert not result.stopped_early


def test_same_seed_same_predictions_on_cpu():
    X, y = noisy_problem()
    params = {"n_cells": 1, "n_blocks": 2, "width": 16, "max_epochs": 5, "random_state": 3}
    first = NeuralClassifier(**params).fit(X, y).predict_proba(X)
    second = NeuralClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    other = NeuralClassifier(**{**params, "random_state": 4}).fit(X, y).predict_proba(X)
    assert not np.array_equal(first, other)


def test_fitting_leaves_global_generators_and_threads_alone():
    X, y = noisy_problem(60)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    threads = torch.get_num_threads()
    NeuralRegressor(n_cells=1, width=8, max_epochs=2, random_state=0, n_jobs=1).fit(X, y)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])
    assert torch.get_num_threads() == threads


def test_split_validation():
    y = np.repeat([0, 1, 2], 10)
    train_rows, validation = split_validation(y, 0.2, seed=0, stratify=True)
    assert len(validation) == 6 and np.bincount(y[validation]).tolist() == [2, 2, 2]
    assert sorted(np.concatenate([train_rows, validation])) == list(range(30))
    # too few rows for a validation share, or none asked for: train on all
    assert split_validation(np.arange(2), 0.5, 0, False)[1] is None
    assert split_validation(y, 0.0, 0, True)[1] is None
    # a class with one row cannot be stratified: split at random
    assert len(split_validation(np.array([0] * 9 + [1]), 0.2, 0, True)[1]) == 2


def test_a_last_batch_of_one_row_joins_the_previous_one():
    assert [len(b) for b in _batches(np.arange(9), 4)] == [4, 5]
    assert [len(b) for b in _batches(np.arange(10), 4)] == [4, 4, 2]


def test_a_missing_cuda_device_is_refused():
    assert resolve_device("cpu") == CPU
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_divergence_is_reported():
    X, y = noisy_problem(40)
    X[0, 0] = np.inf
    with pytest.raises(FloatingPointError, match="learning_rate"):
        train(network(), X, y, torch.nn.CrossEntropyLoss(),
              TrainingSettings(max_epochs=2, validation_fraction=0.0), CPU)


class _Clock:
    """A stand-in for ``time.monotonic`` that advances a fixed step per call."""

    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def test_max_time_anneals_the_schedule_within_the_time_and_stops(monkeypatch):
    from automl_estimators.nas import trainer

    optimizers = []

    class Recorded(torch.optim.AdamW):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            optimizers.append(self)

    monkeypatch.setattr(trainer.torch.optim, "AdamW", Recorded)
    monkeypatch.setattr(trainer.time, "monotonic", _Clock(0.01))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 10)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    settings = TrainingSettings(max_epochs=10_000, batch_size=32, learning_rate=1e-2,
                                patience=10_000, seed=0, max_time=1.0)
    result = train(network(), X, y, torch.nn.CrossEntropyLoss(), settings, CPU, stratify=True)
    assert result.stopped_by_time and result.stopped_early
    # ~7 clock reads per epoch of 6 batches at 0.01 s: the time holds about 15 epochs
    assert 5 <= result.n_epochs <= 30
    assert result.best_epoch == int(np.argmin(result.validation_losses)) + 1
    # budgeted training: the cosine reached (nearly) 0 by the end of the time,
    # instead of stopping at 10 / 10,000 of a schedule still near its peak
    (optimizer,) = optimizers
    assert optimizer.param_groups[0]["lr"] < 0.1 * settings.learning_rate


def test_max_time_stops_within_an_epoch(monkeypatch):
    from automl_estimators.nas import trainer

    monkeypatch.setattr(trainer.time, "monotonic", _Clock(1.0))
    X, y = noisy_problem(400)
    settings = TrainingSettings(max_epochs=50, batch_size=16, seed=0, max_time=2.5)
    result = train(network(), X, y, torch.nn.CrossEntropyLoss(), settings, CPU, stratify=True)
    # the time is up after 2 of the first epoch's 23 batches: one partial epoch, kept
    assert (result.n_epochs, result.best_epoch, result.stopped_by_time) == (1, 1, True)
    assert np.isfinite(result.train_losses[0]) and len(result.validation_losses) == 1


def test_no_max_time_no_time_stop():
    X, y = noisy_problem(50)
    settings = TrainingSettings(max_epochs=3, batch_size=16, validation_fraction=0.0)
    result = train(network(), X, y, torch.nn.CrossEntropyLoss(), settings, CPU)
    assert result.n_epochs == 3 and not result.stopped_by_time


# ------------------------------------------------------------------ the recipe
def test_cosine_anneals_from_the_peak_to_zero():
    factors = [schedule_factor("cosine", step, 100) for step in range(101)]
    assert factors[0] == 1.0 and factors[50] == pytest.approx(0.5) and factors[100] == 0.0
    assert (np.diff(factors) < 0).all()
    assert schedule_factor("cosine", 150, 100) == 0.0  # past the horizon: the end


def test_one_cycle_warms_up_linearly_then_anneals_to_zero():
    horizon = 200
    warmup = int(ONE_CYCLE_WARMUP * horizon)
    assert 0.1 <= ONE_CYCLE_WARMUP <= 0.3
    factors = [schedule_factor("one_cycle", step, horizon) for step in range(horizon + 1)]
    assert factors[0] == pytest.approx(1 / ONE_CYCLE_START_DIVISOR)
    rises, falls = np.diff(factors[:warmup + 1]), np.diff(factors[warmup:])
    np.testing.assert_allclose(rises, rises[0])  # linear
    assert rises[0] > 0 and (falls < 0).all()
    assert factors[warmup] == 1.0 and max(factors) == 1.0
    middle = warmup + (horizon - warmup) // 2
    assert factors[middle] == pytest.approx(0.5) and factors[horizon] == 0.0
    assert schedule_factor("one_cycle", 10 * horizon, horizon) == 0.0
    # a horizon of one step still starts low and ends at 0
    assert schedule_factor("one_cycle", 0, 1) == pytest.approx(1 / ONE_CYCLE_START_DIVISOR)
    assert schedule_factor("one_cycle", 1, 1) == 0.0


def test_constant_keeps_the_learning_rate():
    assert {schedule_factor("constant", step, 10) for step in range(20)} == {1.0}


def test_the_default_schedule_is_the_cosine_of_before():
    """Bit-for-bit: the expression the trainer used before the schedule became a setting."""
    assert TrainingSettings().lr_schedule == "cosine"
    for step, horizon in [(0, 7), (3, 7), (7, 7), (9, 7), (123, 1000), (999, 1000)]:
        before = 0.5 * (1.0 + math.cos(math.pi * min(step / horizon, 1.0)))
        assert schedule_factor("cosine", step, horizon) == before


@pytest.mark.parametrize("name, optimizer_class, options", [
    ("adamw", torch.optim.AdamW, {}),
    ("sgd", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    ("nadam", torch.optim.NAdam, {"decoupled_weight_decay": False}),
    ("rmsprop", torch.optim.RMSprop, {}),
])
def test_each_optimizer_applies_the_learning_rate_and_weight_decay(name, optimizer_class,
                                                                   options):
    settings = TrainingSettings(learning_rate=0.05, weight_decay=3e-3, optimizer=name)
    optimizer = make_optimizer(network(width=4).parameters(), settings)
    assert type(optimizer) is optimizer_class
    group = optimizer.param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (0.05, 3e-3)
    assert {key: group[key] for key in options} == options


def test_training_settings_refuse_unknown_recipes():
    with pytest.raises(ValueError, match=r"optimizer must be one of \('adamw', 'sgd'"):
        TrainingSettings(optimizer="adam")
    with pytest.raises(ValueError, match=r"lr_schedule must be one of \('cosine'"):
        TrainingSettings(lr_schedule="step")
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        schedule_factor("linear", 0, 10)


@pytest.mark.parametrize("lr_schedule, last_factor", [
    ("cosine", (0.0, 0.1)), ("one_cycle", (0.0, 0.1)), ("constant", (1.0, 1.0))])
def test_schedules_run_within_the_time_max_time_leaves(monkeypatch, lr_schedule, last_factor):
    """The annealing schedules end near 0 when max_time cuts 10,000 epochs to ~15."""
    from automl_estimators.nas import trainer

    optimizers = []

    def recorded(parameters, settings):
        optimizers.append(make_optimizer(parameters, settings))
        return optimizers[-1]

    monkeypatch.setattr(trainer, "make_optimizer", recorded)
    monkeypatch.setattr(trainer.time, "monotonic", _Clock(0.01))
    X, y = noisy_problem(200)
    settings = TrainingSettings(max_epochs=10_000, batch_size=32, learning_rate=1e-2,
                                patience=10_000, seed=0, max_time=1.0, optimizer="sgd",
                                lr_schedule=lr_schedule)
    result = train(network(), X, y, torch.nn.CrossEntropyLoss(), settings, CPU, stratify=True)
    assert result.stopped_by_time and 5 <= result.n_epochs <= 30
    (optimizer,) = optimizers
    low, high = last_factor
    assert low * 1e-2 <= optimizer.param_groups[0]["lr"] <= high * 1e-2
