"""The names of a network's training choices, once, without importing torch.

The search space declares them (:mod:`.neural`'s categorical hyperparameters),
the estimators validate their ``activation``, ``optimizer``, ``lr_schedule``
and ``architecture_search`` parameters against them before torch is imported,
:mod:`automl_estimators.nas.network` maps each activation name to its torch
module, :mod:`automl_estimators.nas.trainer` each optimizer and schedule name
to its torch optimizer and learning-rate factor, and the one-shot strategy and
:mod:`automl_estimators.nas.supernet` read the search methods.
"""

# Nonlinearities of the networks (the tabular ``dense_<name>`` operations use the same).
ACTIVATIONS = ("relu", "gelu", "silu", "tanh")
# torch optimizers: AdamW (decoupled weight decay), SGD with Nesterov momentum,
# NAdam and RMSprop (weight decay as an L2 penalty).
OPTIMIZERS = ("adamw", "sgd", "nadam", "rmsprop")
# Learning-rate schedules over the training steps (see trainer.schedule_factor).
LR_SCHEDULES = ("cosine", "one_cycle", "constant")
# One-shot architecture searches a network can run inside its fit
# (``architecture_search``): DARTS (first order), PC-DARTS, ENAS.
ARCHITECTURE_SEARCHES = ("darts", "pc_darts", "enas")
