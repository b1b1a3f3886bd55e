"""The REINFORCE controller's policy: an LSTM that writes a network down token by token.

Zoph & Le (2017, NAS-RL) and Zoph et al. (2018, NASNet): a recurrent network
emits one decision per step (in NASNet's cell space, per block: input 1, input
2, operation 1, operation 2), each step reading an embedding of the token it
emitted before, and is trained by REINFORCE on the validation score of the
networks it proposed. Pham et al. (2018, ENAS) made it small (one LSTM layer of
64-100 units) and bounded its logits (``tanh_constant * tanh(logits)``), so no
decision becomes certain and the policy keeps exploring.

A decision is declared by how many choices it has and how many of them are
valid (an input of block ``j`` may read states ``0 .. j + 1`` only): logits of
the invalid choices are masked. What the tokens mean is the strategy's business
(:mod:`automl_estimators.search.controller`); this module only samples and learns.

Importing this module imports torch (through
:func:`~automl_estimators.nas.torch_dependency.import_torch`). Randomness never
touches torch's global generators for good: the weights are initialised under
``torch.random.fork_rng`` and tokens are drawn from the policy's own
``torch.Generator``; all work runs on one CPU thread, so a seed gives the same
tokens for the same rewards.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .torch_dependency import import_torch
from .trainer import torch_threads

torch = import_torch()
nn = torch.nn

# A normalised advantage is clipped to this many reward standard deviations: a
# crash far below every score moves the policy no more than a very bad network.
ADVANTAGE_CLIP = 3.0
# Rewards that set the scale of the advantage (the latest ones; the scores of a
# search drift as the policy improves).
SCALE_WINDOW = 50


@dataclass(frozen=True)
class Decision:
    """One step of the controller: pick one of ``n_choices`` tokens, of which the
    first ``n_valid`` are allowed.

    Parameters
    ----------
    n_choices : int
    n_valid : int
        Defaults to every choice.
    """

    n_choices: int
    n_valid: int | None = None

    def __post_init__(self):
        n_valid = self.n_choices if self.n_valid is None else self.n_valid
        if self.n_choices < 1 or not 1 <= n_valid <= self.n_choices:
            raise ValueError(f"A decision needs n_choices >= 1 and 1 <= n_valid <= n_choices, "
                             f"got n_choices={self.n_choices}, n_valid={self.n_valid}.")
        object.__setattr__(self, "n_valid", n_valid)


class PolicyLSTM(nn.Module):
    """An LSTM cell unrolled over the decisions, a softmax head per decision.

    Step ``t`` reads the embedding of token ``t - 1`` (a learned start vector at
    ``t = 0``); its hidden state gives the logits of decision ``t``, bounded by
    ``tanh_constant * tanh`` and masked to the valid choices.

    Parameters
    ----------
    decisions : sequence of Decision
    hidden_size : int
    tanh_constant : float or None
        Bound of the logits; None: unbounded.
    """

    def __init__(self, decisions: Sequence[Decision], hidden_size: int,
                 tanh_constant: float | None):
        super().__init__()
        self.decisions = tuple(decisions)
        self.tanh_constant = tanh_constant
        self.cell = nn.LSTMCell(hidden_size, hidden_size)
        self.start = nn.Parameter(torch.zeros(1, hidden_size))
        self.embeddings = nn.ModuleList(nn.Embedding(d.n_choices, hidden_size)
                                        for d in self.decisions)
        self.heads = nn.ModuleList(nn.Linear(hidden_size, d.n_choices) for d in self.decisions)
        for index, decision in enumerate(self.decisions):
            mask = torch.arange(decision.n_choices) >= decision.n_valid
            self.register_buffer(f"invalid_{index}", mask, persistent=False)

    def _log_probs(self, t: int, hidden) -> torch.Tensor:
        logits = self.heads[t](hidden)
        if self.tanh_constant is not None:
            logits = self.tanh_constant * torch.tanh(logits)
        logits = logits.masked_fill(getattr(self, f"invalid_{t}"), -math.inf)
        return torch.log_softmax(logits, dim=-1)

    def sample(self, generator) -> list[int]:
        """One token per decision, drawn with ``generator``."""
        tokens = []
        with torch.no_grad():
            inputs, state = self.start, None
            for t in range(len(self.decisions)):
                state = self.cell(inputs, state)
                probs = self._log_probs(t, state[0]).exp()
                token = torch.multinomial(probs, 1, generator=generator)[0]
                tokens.append(int(token))
                inputs = self.embeddings[t](token)
        return tokens

    def forward(self, tokens: Sequence[int], used: Sequence[bool]):
        """(log-probability, entropy) of the used decisions of ``tokens``, summed."""
        log_prob = entropy = torch.zeros(())
        inputs, state = self.start, None
        for t, token in enumerate(tokens):
            state = self.cell(inputs, state)
            log_probs = self._log_probs(t, state[0])[0]
            if used[t]:
                valid = torch.isfinite(log_probs)
                log_prob = log_prob + log_probs[token]
                entropy = entropy - (log_probs.exp() * log_probs.where(valid, 0.0)).sum()
            inputs = self.embeddings[t](torch.tensor([token]))
        return log_prob, entropy


class Reinforce:
    """A :class:`PolicyLSTM` trained by REINFORCE with a moving-average baseline.

    Each reward makes one Adam step on ``-advantage * log p(tokens) -
    entropy_weight * entropy``, the log-probability recomputed under the current
    policy (the tokens may have been drawn a few steps earlier, while other
    networks trained). The advantage is the reward minus an exponential moving
    average of the rewards before it (Zoph & Le 2017), divided by the standard
    deviation of the last :data:`SCALE_WINDOW` rewards and clipped to
    :data:`ADVANTAGE_CLIP`: scores may be accuracies in [0, 1] or negative
    squared errors in the thousands, and the step size should not depend on it.

    Parameters
    ----------
    decisions : sequence of Decision
    seed : int
        Seeds the initial weights and the policy's own token generator.
    hidden_size : int
    learning_rate : float
        Adam's.
    entropy_weight : float
    baseline_decay : float
    max_grad_norm : float
        Gradients are clipped to this global norm.
    tanh_constant : float or None
    """

    def __init__(self, decisions: Sequence[Decision], seed: int, *, hidden_size: int,
                 learning_rate: float, entropy_weight: float, baseline_decay: float,
                 max_grad_norm: float, tanh_constant: float | None):
        self.entropy_weight = entropy_weight
        self.baseline_decay = baseline_decay
        self.max_grad_norm = max_grad_norm
        with torch.random.fork_rng(devices=[]), torch_threads(1):
            torch.manual_seed(seed)
            self.policy = PolicyLSTM(decisions, hidden_size, tanh_constant)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=learning_rate)
        self.generator = torch.Generator().manual_seed(seed)
        self.baseline: float | None = None
        self.rewards: list[float] = []
        self.entropy = math.nan  # mean entropy per decision at the last update

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.policy.decisions

    def sample(self) -> list[int]:
        """One token per decision from the current policy."""
        with torch_threads(1):
            return self.policy.sample(self.generator)

    def update(self, tokens: Sequence[int], reward: float,
               used: Sequence[bool] | None = None) -> float:
        """One policy-gradient step for ``tokens`` having earned ``reward``.

        ``used`` marks the decisions that took effect (default: all); the others
        are neither rewarded nor counted in the entropy. Returns the advantage.
        """
        if len(tokens) != len(self.decisions):
            raise ValueError(f"Expected {len(self.decisions)} tokens, got {len(tokens)}.")
        used = [True] * len(tokens) if used is None else list(used)
        advantage = self._advantage(float(reward))
        with torch_threads(1):
            log_prob, entropy = self.policy(tokens, used)
            loss = -advantage * log_prob - self.entropy_weight * entropy
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.optimizer.step()
        self.entropy = float(entropy.detach()) / max(sum(used), 1)
        return advantage

    def _advantage(self, reward: float) -> float:
        self.rewards.append(reward)
        if self.baseline is None:
            self.baseline = reward
            return 0.0
        recent = self.rewards[-SCALE_WINDOW:]
        mean = sum(recent) / len(recent)
        scale = math.sqrt(sum((r - mean) ** 2 for r in recent) / len(recent))
        advantage = reward - self.baseline
        self.baseline = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * reward
        if scale <= 0.0:
            return 0.0
        return max(-ADVANTAGE_CLIP, min(ADVANTAGE_CLIP, advantage / scale))
