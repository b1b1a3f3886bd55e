"""A REINFORCE controller proposes networks (Zoph & Le 2017, NAS-RL; Zoph et al. 2018, NASNet).

An LSTM policy (:mod:`automl_estimators.nas.controller`) writes each proposal
down token by token, in NASNet's order: per cell (the normal cell, then for
images and signals the reduction cell), per block: input 1, input 2, operation
1, operation 2. An input of block ``j`` may read only the states that exist
before it (``0 .. j + 1``); the other choices are masked. After the cells, one
token per categorical hyperparameter of the network (its training recipe:
whatever the component declares, except ``class_weight``, which answers the
data's imbalance rather than how to train), so the controller learns the recipe
with the cells. The other hyperparameters stay at the component's defaults.

The policy learns by REINFORCE on the trial's validation score (a failed
trial earns ``-crash_cost``, no more than the dummy) with a moving-average
baseline, an entropy bonus and clipped gradients. Search is asynchronous, as
NASNet's: ``ask`` draws from the current policy while earlier proposals still
train, and each ``tell`` takes one policy-gradient step on the told proposal's
tokens, their log-probability recomputed under the policy as it is by then.
A proposal already made is drawn again (at most :data:`MAX_RESAMPLES` times)
before it is accepted as a repeat; the search loop answers a repeat from its
history, and that answer is one more reward to learn from.

The strategy proposes ``neural_network`` configurations only, each with an
explicit :class:`~automl_estimators.spaces.architecture.Architecture` under
:data:`~automl_estimators.spaces.neural.ARCHITECTURE_KEY`, at full fidelity by
default. With ``Controller(min_fidelity=1/3)`` a child is first trained with a
third of its epochs and rewarded on that score, as NASNet rewarded children
trained with a short schedule; the best children are trained again with more
epochs by asynchronous successive halving (:class:`~.halving.AsyncHalving`),
and only full-fidelity networks compete for the final model.
Over a space without neural networks it proposes nothing (and never imports
torch); results of other models (the warm start) are ignored. torch is imported
at the first proposal over a space with networks, never when this module is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

from ..spaces.architecture import (
    CELL_INPUTS,
    OPERATIONS,
    SPATIAL_KINDS,
    Architecture,
    Block,
    kind_of,
)
from ..spaces.declarations import MODEL, Categorical
from ..spaces.neural import ARCHITECTURE_KEY, NAME
from .base import ETA, Candidate, SearchStrategy, StrategySettings, config_key
from .halving import AsyncHalving

# A proposal already made is drawn again at most this many times, then accepted.
MAX_RESAMPLES = 10
# Categorical hyperparameters the controller leaves at their defaults: class
# weights answer the data's imbalance, not how to train a network.
NOT_LEARNED = ("class_weight",)


@dataclass(frozen=True)
class Controller(StrategySettings):
    """Settings of the REINFORCE controller; ``search="controller"``.

    Defaults follow ENAS's controller (Pham et al. 2018: one LSTM layer of 64
    units, logits bounded by ``2.5 * tanh``), with a larger step than NASNet's
    3.5e-4 (PPO over 20,000 networks): a fit here trains tens of networks, not
    thousands, so the policy must move within tens of updates. ENAS's micro
    search used 3.5e-3 with bounded logits; 1e-3 on normalised advantages
    (:class:`~automl_estimators.nas.controller.Reinforce`) lifts the mean reward
    of a synthetic objective within 300 updates without collapsing the policy.

    Parameters
    ----------
    n_blocks : int or None
        Blocks per cell; None: the network component's default.
    hidden_size : int
        Units of the LSTM.
    learning_rate : float
        Adam's step size.
    entropy_weight : float
        Weight of the entropy bonus that keeps the policy exploring.
    baseline_decay : float
        Decay of the moving-average baseline of the rewards.
    max_grad_norm : float
        Gradients are clipped to this global norm.
    tanh_constant : float or None
        Logits are bounded to ``tanh_constant * tanh(logits)``; None: unbounded.
    round_size : int
        Rewards per round in :meth:`ControllerSearch.report`.
    eta : int
        Successive halving's factor (:class:`~.halving.AsyncHalving`): the top
        ``1/eta`` of a rung is trained again with ``eta`` times the epochs.
    min_fidelity : float
        Share of the epochs a child is first trained with, and rewarded on
        (below 1: NASNet's short child schedule, the best children promoted by
        successive halving). Default 1.0: every child in full. Measured
        (benchmarks/results/nas_controller_halving, 120 s, 2 cores, seeds 0-1):
        ``1/3`` trained 1.1-3x as many networks but reached the same best
        validation on MNIST-1D and a lower one on digits (-0.002, -0.005; test
        accuracy -0.016, -0.009), so it is not the default.
    """

    n_blocks: int | None = None
    hidden_size: int = 64
    learning_rate: float = 1e-3
    entropy_weight: float = 5e-3
    baseline_decay: float = 0.95
    max_grad_norm: float = 1.0
    tanh_constant: float | None = 2.5
    round_size: int = 5
    eta: int = ETA
    min_fidelity: float = 1.0

    name = "controller"
    networks_only = True

    def __post_init__(self):
        checks = (
            (self.n_blocks is None or (_is_count(self.n_blocks) and self.n_blocks >= 1),
             f"n_blocks must be None or a positive integer, got {self.n_blocks!r}"),
            (_is_count(self.hidden_size) and self.hidden_size >= 1,
             f"hidden_size must be a positive integer, got {self.hidden_size!r}"),
            (self.learning_rate > 0, f"learning_rate must be > 0, got {self.learning_rate!r}"),
            (self.entropy_weight >= 0,
             f"entropy_weight must be >= 0, got {self.entropy_weight!r}"),
            (0 <= self.baseline_decay < 1,
             f"baseline_decay must be in [0, 1), got {self.baseline_decay!r}"),
            (self.max_grad_norm > 0, f"max_grad_norm must be > 0, got {self.max_grad_norm!r}"),
            (self.tanh_constant is None or self.tanh_constant > 0,
             f"tanh_constant must be None or > 0, got {self.tanh_constant!r}"),
            (_is_count(self.round_size) and self.round_size >= 1,
             f"round_size must be a positive integer, got {self.round_size!r}"),
            (_is_count(self.eta) and self.eta >= 2, f"eta must be an integer >= 2, got "
             f"{self.eta!r}"),
            (0 < self.min_fidelity <= 1,
             f"min_fidelity must be in (0, 1], got {self.min_fidelity!r}"),
        )
        for holds, message in checks:
            if not holds:
                raise ValueError(f"Controller: {message}.")

    def make(self, space, seed, *, plan=None, crash_cost=1.0):
        """The strategy for one fit."""
        return ControllerSearch(space, seed, settings=self, crash_cost=crash_cost)


def _is_count(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


class ControllerSearch(SearchStrategy):
    """Networks proposed by an LSTM policy trained with REINFORCE.

    Parameters
    ----------
    space : Space
    seed : int
        Seeds the policy's weights and its token generator.
    settings : Controller
    crash_cost : float
        A failed trial's reward is ``-crash_cost``.
    """

    name = "controller"

    def __init__(self, space, seed: int, settings: Controller = Controller(),
                 crash_cost: float = 1.0):
        super().__init__(space, seed)
        self.settings = settings
        self.crash_cost = crash_cost
        self._proposed = set()
        self._pending = {}  # config key -> [(tokens, used), ...] asked, not told yet
        self._halving = AsyncHalving(settings.eta, settings.min_fidelity)
        self._component = space.component(MODEL, NAME) if NAME in space.models else None
        if self._component is None:
            return
        self._kind = kind_of(self._component.fixed.get("image_shape"))
        self._n_blocks = self._blocks_per_cell()
        self._recipe = tuple(hp for hp in self._component.hyperparameters
                             if isinstance(hp, Categorical) and hp.name not in NOT_LEARNED)
        self._reinforce = None  # made at the first proposal: it imports torch

    def ask(self, n: int) -> list[Candidate]:
        if self._component is None:
            return []
        return [self._halving.promotion(self.name) or self._propose() for _ in range(n)]

    def tell(self, candidate: Candidate, result) -> None:
        config = candidate.config
        if self._component is None or config.get(MODEL) != NAME \
                or ARCHITECTURE_KEY not in config:
            return  # the warm start's models: not the policy's proposals
        key = config_key(config)
        if key not in self._proposed:
            return  # not proposed by this policy
        ok = result.ok and math.isfinite(result.score)
        reward = result.score if ok else -self.crash_cost
        rung = self._halving.record(config, candidate.fidelity, reward, ok)
        drawn = self._pending.get(key)
        # The policy learns from a child's first training only (rung 0); a promoted
        # child's later result was already rewarded there.
        if rung == 0 and drawn:
            tokens, used = drawn.pop(0)
            self._policy().update(tokens, reward, used)

    def report(self) -> dict:
        """Mean reward per round of ``round_size`` rewards (the last round may be
        shorter), the baseline and the policy's mean entropy per decision (nats)
        at the last update: a rising mean reward and a falling entropy say the
        controller learned."""
        if self._component is None:
            return {}
        reinforce = self._reinforce
        rewards = [] if reinforce is None else reinforce.rewards
        size = self.settings.round_size
        rounds = [rewards[start:start + size] for start in range(0, len(rewards), size)]
        baseline = None if reinforce is None else reinforce.baseline
        return {
            "mean_reward_per_round": [sum(r) / len(r) for r in rounds],
            "round_size": size,
            "n_rewards": len(rewards),
            "baseline": math.nan if baseline is None else baseline,
            "entropy": math.nan if reinforce is None else reinforce.entropy,
            "fidelities": list(self._halving.fidelities),
            "networks_per_rung": self._halving.counts(),
        }

    # -------------------------------------------------------------- internals
    def _blocks_per_cell(self) -> int:
        declared = {hp.name: hp for hp in self._component.hyperparameters}.get("n_blocks")
        n_blocks = self.settings.n_blocks
        if n_blocks is None:
            return declared.default if declared is not None else 1
        if declared is not None and not declared.low <= n_blocks <= declared.high:
            raise ValueError(f"Controller(n_blocks={n_blocks}) is outside the network's "
                             f"declared range [{declared.low}, {declared.high}]; choose a "
                             "value in it or None for the default.")
        return n_blocks

    def _n_cells(self) -> int:
        return 2 if self._kind in SPATIAL_KINDS else 1

    def _policy(self):
        """The policy, made (and torch imported) at the first proposal: inside a fit
        that is the search loop's ask, which the loop bounds by the time left, and
        not before the workers start, which import torch too."""
        if self._reinforce is None:
            from ..nas.controller import Decision, Reinforce

            settings = self.settings
            self._reinforce = Reinforce(
                [Decision(n_choices, n_valid) for n_choices, n_valid in self._decisions()],
                self.seed, hidden_size=settings.hidden_size,
                learning_rate=settings.learning_rate, entropy_weight=settings.entropy_weight,
                baseline_decay=settings.baseline_decay, max_grad_norm=settings.max_grad_norm,
                tanh_constant=settings.tanh_constant)
        return self._reinforce

    def _decisions(self) -> list[tuple[int, int]]:
        """``(choices, valid choices)`` of each token, in the order they are drawn."""
        n_states = CELL_INPUTS + self._n_blocks - 1
        n_ops = len(OPERATIONS[self._kind])
        decisions = []
        for _ in range(self._n_cells()):
            for j in range(self._n_blocks):
                decisions += [(n_states, CELL_INPUTS + j)] * 2 + [(n_ops, n_ops)] * 2
        return decisions + [(len(hp.choices), len(hp.choices)) for hp in self._recipe]

    def _propose(self) -> Candidate:
        for _ in range(MAX_RESAMPLES + 1):
            tokens = self._policy().sample()
            config, used = self._config(tokens)
            key = config_key(config)
            if key not in self._proposed:
                break
        self._proposed.add(key)
        self._pending.setdefault(key, []).append((tokens, used))
        return Candidate(config, self._halving.lowest, self.name)

    def _config(self, tokens) -> tuple[dict, list[bool]]:
        """The configuration ``tokens`` stand for, and which tokens took effect."""
        operations = OPERATIONS[self._kind]
        cells, position = [], 0
        for _ in range(self._n_cells()):
            blocks = []
            for _ in range(self._n_blocks):
                first, second, op_first, op_second = tokens[position:position + 4]
                blocks.append(Block((first, second), (operations[op_first], operations[op_second])))
                position += 4
            cells.append(tuple(blocks))
        architecture = Architecture(self._kind, cells[0], cells[1] if len(cells) > 1 else ())
        recipe = {hp.name: hp.choices[token]
                  for hp, token in zip(self._recipe, tokens[position:])}
        defaults = self._component.defaults()
        if "n_blocks" in defaults:
            recipe["n_blocks"] = self._n_blocks
        active = self._component.active({**defaults, **recipe})
        overrides = {name: value for name, value in recipe.items() if name in active}
        config = {**self.space.default_config(NAME, overrides), ARCHITECTURE_KEY: architecture}
        used = [True] * position + [hp.name in active for hp in self._recipe]
        return config, used
