"""Training a network: an optimizer, a per-step schedule, early stopping on a validation split.

The recipe is part of :class:`TrainingSettings`: the optimizer (AdamW by
default; SGD with Nesterov momentum, NAdam, RMSprop) and the learning-rate
schedule (:func:`schedule_factor`: cosine by default, one-cycle, constant).
``max_epochs`` is the fidelity: successive halving gives a network fewer epochs,
and the schedule anneals over the epochs it is given (a short run is a
complete, annealed run, not the start of a long one). ``max_time`` bounds the
training in seconds: after the first epoch the schedule is shortened to the
epochs that fit in it (budgeted training, Li et al., ICLR 2020: a schedule
annealed within the budget beats a longer one cut short), and training stops,
mid-epoch if need be, when the time is up; the best validation epoch is kept. On
CUDA the forward pass runs in mixed precision (bfloat16 where supported, else
float16 with a gradient scaler) and the default batch is larger; on CPU everything
is float32 and, for a fixed seed and thread count, bit-for-bit repeatable.

Randomness (initialisation, dropout, shuffling) never touches torch's global
generator for good: :func:`seeded_torch` forks it for the duration of a fit, and
the batch order comes from a local ``torch.Generator``.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from ..spaces.recipe import LR_SCHEDULES, OPTIMIZERS
from .torch_dependency import import_torch

torch = import_torch()

logger = logging.getLogger(__name__)

# Default batch sizes: small batches generalise well and are fast enough on a
# CPU; a GPU needs larger ones to be kept busy.
CPU_BATCH_SIZE = 128
CUDA_BATCH_SIZE = 512
# Rows per forward pass at prediction time (no gradients kept).
PREDICT_BATCH_SIZE = 4096
# A validation loss must improve by this relative amount to reset the patience.
MIN_RELATIVE_IMPROVEMENT = 1e-4
# SGD's momentum, Nesterov's form: the usual value for convolutional networks
# (DARTS and NASNet train with 0.9).
SGD_MOMENTUM = 0.9
# One-cycle warm-up: the share of the steps spent rising linearly from
# 1 / ONE_CYCLE_START_DIVISOR of the learning rate to all of it. fastai's
# fit_one_cycle uses 0.25 (torch's OneCycleLR 0.3): long enough to spare
# adaptive optimizers and batch norm their unstable first steps, short enough
# that a low-fidelity run of a few epochs still spends most of its steps at a
# high, then annealing, learning rate.
ONE_CYCLE_WARMUP = 0.25
# torch's OneCycleLR starts at max_lr / 25 (its ``div_factor``): a step at
# learning rate 0 would be wasted.
ONE_CYCLE_START_DIVISOR = 25.0


@dataclass(frozen=True)
class TrainingSettings:
    """How to train one network.

    Parameters
    ----------
    max_epochs : int
        Passes over the training rows (the fidelity).
    batch_size : int or None
        Rows per step; ``None``: :data:`CPU_BATCH_SIZE` or :data:`CUDA_BATCH_SIZE`.
    learning_rate : float
        The peak learning rate; :func:`schedule_factor` scales it at each step.
    weight_decay : float
        Applied by the optimizer: AdamW's decoupled decay, the others' L2
        penalty (torch's ``weight_decay``).
    validation_fraction : float
        Share of the rows held out for early stopping; 0 trains all epochs on all rows.
    patience : int
        Epochs without a better validation loss before stopping.
    seed : int
        Seed of the split, the batch order and (through :func:`seeded_torch`) the rest.
    max_time : float or None
        Seconds of training at most (see the module doc); None: no bound, and the
        result depends on the seed only.
    optimizer : {"adamw", "sgd", "nadam", "rmsprop"}
        ``"sgd"`` has Nesterov momentum :data:`SGD_MOMENTUM`.
    lr_schedule : {"cosine", "one_cycle", "constant"}
        See :func:`schedule_factor`.
    """

    max_epochs: int = 50
    batch_size: int | None = None
    learning_rate: float = 1e-3
    weight_decay: float = 1e-2
    validation_fraction: float = 0.1
    patience: int = 10
    seed: int = 0
    max_time: float | None = None
    optimizer: str = "adamw"
    lr_schedule: str = "cosine"

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}.")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got "
                             f"{self.lr_schedule!r}.")


def make_optimizer(parameters, settings: TrainingSettings):
    """The torch optimizer ``settings.optimizer`` names, at the peak learning rate."""
    lr, weight_decay = settings.learning_rate, settings.weight_decay
    if settings.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=SGD_MOMENTUM, nesterov=True,
                               weight_decay=weight_decay)
    optimizers = {"adamw": torch.optim.AdamW, "nadam": torch.optim.NAdam,
                  "rmsprop": torch.optim.RMSprop}
    return optimizers[settings.optimizer](parameters, lr=lr, weight_decay=weight_decay)


def schedule_factor(lr_schedule: str, step: int, horizon: int) -> float:
    """The share of the peak learning rate used at ``step`` (0-based) of ``horizon`` steps.

    ``"cosine"``: from 1 down to 0 along half a cosine (SGDR without restarts,
    Loshchilov & Hutter 2017). ``"one_cycle"``: a linear warm-up over the first
    :data:`ONE_CYCLE_WARMUP` of the steps from ``1 / ONE_CYCLE_START_DIVISOR``
    to 1, then the cosine down to 0 over the rest (Smith's 1cycle, as fastai's
    ``fit_one_cycle``). ``"constant"``: 1. Steps past the horizon stay at the
    schedule's end (0 for the annealing ones).
    """
    if lr_schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step / horizon, 1.0)))
    if lr_schedule == "one_cycle":
        warmup = ONE_CYCLE_WARMUP * horizon
        if step < warmup:
            start = 1.0 / ONE_CYCLE_START_DIVISOR
            return start + (1.0 - start) * step / warmup
        return 0.5 * (1.0 + math.cos(math.pi * min((step - warmup) / (horizon - warmup), 1.0)))
    if lr_schedule == "constant":
        return 1.0
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}.")


@dataclass(frozen=True)
class TrainingResult:
    """What a training run did.

    Attributes
    ----------
    n_epochs : int
        Epochs run.
    best_epoch : int
        Epoch (1-based) whose weights were kept: the best validation loss, or the
        last epoch without validation.
    train_losses, validation_losses : tuple of float
        Mean loss per epoch (validation losses empty without a validation split).
    stopped_early : bool
    stopped_by_time : bool
        Whether ``max_time`` ended the training.
    """

    n_epochs: int
    best_epoch: int
    train_losses: tuple
    validation_losses: tuple
    stopped_early: bool
    stopped_by_time: bool = False


def resolve_device(device: str):
    """``"auto"``: CUDA when available, else CPU; any other name as torch reads it."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was asked for, but CUDA is not available; "
                         "use device='auto' or 'cpu'.")
    return device


@contextmanager
def torch_threads(n_threads: int):
    """Let torch use ``n_threads`` CPU threads for a block; restore the count afterwards."""
    saved = torch.get_num_threads()
    torch.set_num_threads(max(1, n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(saved)


@contextmanager
def seeded_torch(seed: int, device, n_threads: int):
    """Seed torch and set its CPU threads for a block; restore both afterwards.

    ``fork_rng`` saves the global generators (CPU, and the CUDA device in use)
    and restores them on exit, so seeding here leaves the caller's state alone.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch_threads(n_threads):
        torch.manual_seed(seed)
        yield


def _precision(device):
    """(autocast context factory, gradient scaler) for the device."""
    if device.type != "cuda":
        return nullcontext, None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return (lambda: torch.autocast("cuda", dtype=dtype)), scaler


def split_validation(y: np.ndarray, fraction: float, seed: int, stratify: bool):
    """(train rows, validation rows), or (all rows, None) when too few rows to split.

    Classification is split stratified where every class has two rows and the
    validation share holds one of each; otherwise at random.
    """
    n_rows = len(y)
    rows = np.arange(n_rows)
    n_validation = math.ceil(n_rows * fraction)
    if fraction <= 0 or n_validation < 1 or n_rows - n_validation < 2:
        return rows, None
    labels = None
    if stratify:
        _, counts = np.unique(y, return_counts=True)
        if (counts.min() >= 2 and n_validation >= len(counts)
                and n_rows - n_validation >= len(counts)):
            labels = y
    train, validation = train_test_split(rows, test_size=n_validation, random_state=seed,
                                         stratify=labels)
    return train, validation


def _batches(order, batch_size: int):
    """Slices of ``order``; a last batch of one row joins the one before (batch norm
    cannot train on a single row)."""
    n_rows = len(order)
    starts = list(range(0, n_rows, batch_size))
    if len(starts) > 1 and n_rows - starts[-1] == 1:
        starts.pop()
    ends = starts[1:] + [n_rows]
    return [order[start:end] for start, end in zip(starts, ends)]


def train(module, X: np.ndarray, y: np.ndarray, loss_fn, settings: TrainingSettings, device,
          stratify: bool = False) -> TrainingResult:
    """Train ``module`` in place on (X, y); keep the weights of the best validation epoch.

    Parameters
    ----------
    module : torch.nn.Module
        Already on ``device``.
    X : ndarray of shape (n_rows, n_features), float32
    y : ndarray
        Class indices (int64) or targets (float32), as ``loss_fn`` expects.
    loss_fn : torch.nn.Module
        Mean loss of a batch (class weights, if any, are inside it).
    settings : TrainingSettings
    device : torch.device
    stratify : bool
        Split the validation rows stratified by ``y`` (classification).

    Raises
    ------
    FloatingPointError
        When the loss becomes non-finite before any finite validation result.
    """
    train_rows, validation_rows = split_validation(y, settings.validation_fraction,
                                                   settings.seed, stratify)
    X_all = torch.tensor(X, device=device)
    y_all = torch.tensor(y, device=device)
    X_train, y_train = X_all[train_rows], y_all[train_rows]
    batch_size = settings.batch_size or (CUDA_BATCH_SIZE if device.type == "cuda"
                                         else CPU_BATCH_SIZE)
    batch_size = min(batch_size, len(train_rows))
    steps_per_epoch = len(_batches(np.arange(len(train_rows)), batch_size))
    optimizer = make_optimizer(module.parameters(), settings)
    # The schedule runs over `horizon` steps; the horizon shrinks when max_time
    # will not hold all epochs.
    horizon = [settings.max_epochs * steps_per_epoch]
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: schedule_factor(settings.lr_schedule, step, horizon[0]))
    autocast, scaler = _precision(device)
    shuffle = torch.Generator().manual_seed(settings.seed)
    started = time.monotonic()

    def out_of_time():
        return settings.max_time is not None and time.monotonic() - started > settings.max_time

    train_losses, validation_losses = [], []
    best_loss, best_epoch, best_state, waited = math.inf, 0, None, 0
    stopped_early = stopped_by_time = False
    for epoch in range(1, settings.max_epochs + 1):
        module.train()
        order = torch.randperm(len(train_rows), generator=shuffle).to(device)
        total, seen = 0.0, 0
        for batch in _batches(order, batch_size):
            if seen and out_of_time():
                stopped_by_time = True
                break
            with autocast():
                loss = loss_fn(module(X_train[batch]).float(), y_train[batch])
            optimizer.zero_grad(set_to_none=True)
            if scaler is None:
                loss.backward()
                optimizer.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            scheduler.step()
            total += loss.item() * len(batch)
            seen += len(batch)
        train_losses.append(total / seen)
        if epoch == 1 and settings.max_time is not None:
            fit = max(int(settings.max_time / max(time.monotonic() - started, 1e-9)), 1)
            horizon[0] = min(horizon[0], fit * steps_per_epoch)
        if not math.isfinite(train_losses[-1]):
            if best_state is None:
                raise FloatingPointError(
                    f"Training diverged: the loss is not finite at epoch {epoch}. Lower "
                    "learning_rate or scale the input.")
            logger.info("loss not finite at epoch %d; keeping epoch %d", epoch, best_epoch)
            stopped_early = True
            break
        if validation_rows is None:
            best_epoch = epoch
        else:
            outputs = predict_outputs(module, X_all[validation_rows], device)
            validation_loss = loss_fn(outputs, y_all[validation_rows]).item()
            validation_losses.append(validation_loss)
            improved = math.isfinite(validation_loss) and (
                best_state is None
                or validation_loss < best_loss - MIN_RELATIVE_IMPROVEMENT * abs(best_loss))
            if improved:
                best_loss, best_epoch, waited = validation_loss, epoch, 0
                best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            else:
                waited += 1
                if waited >= settings.patience:
                    stopped_early = True
                    break
        if stopped_by_time or (epoch < settings.max_epochs and out_of_time()):
            stopped_by_time = stopped_early = True
            logger.info("max_time reached after %d epochs; keeping epoch %d", epoch, best_epoch)
            break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return TrainingResult(n_epochs=len(train_losses), best_epoch=best_epoch,
                          train_losses=tuple(train_losses),
                          validation_losses=tuple(validation_losses),
                          stopped_early=stopped_early, stopped_by_time=stopped_by_time)


def predict_outputs(module, X, device):
    """The module's float32 outputs for X (a tensor on ``device`` or an array), in batches."""
    if not torch.is_tensor(X):
        X = torch.tensor(np.asarray(X, dtype=np.float32), device=device)
    autocast, _ = _precision(device)
    module.eval()
    outputs = []
    with torch.inference_mode(), autocast():
        for start in range(0, X.shape[0], PREDICT_BATCH_SIZE):
            outputs.append(module(X[start:start + PREDICT_BATCH_SIZE]).float())
    return torch.cat(outputs)
