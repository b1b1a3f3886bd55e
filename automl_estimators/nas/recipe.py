"""The names of the training recipe's choices, without importing torch.

The estimators validate their ``activation``, ``optimizer`` and ``lr_schedule``
parameters against these before torch is imported; :mod:`.network` maps each
activation name to its torch module and :mod:`.trainer` each optimizer and
schedule name to its torch optimizer and learning-rate factor.
"""

# Nonlinearities of the networks (the tabular ``dense_<name>`` operations use the same).
ACTIVATIONS = ("relu", "gelu", "silu", "tanh")
# torch optimizers: AdamW (decoupled weight decay), SGD with Nesterov momentum,
# NAdam and RMSprop (weight decay as an L2 penalty).
OPTIMIZERS = ("adamw", "sgd", "nadam", "rmsprop")
# Learning-rate schedules over the training steps (see trainer.schedule_factor).
LR_SCHEDULES = ("cosine", "one_cycle", "constant")
