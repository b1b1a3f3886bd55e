"""``NeuralClassifier`` and ``NeuralRegressor``: cell-based networks as sklearn estimators.

As in skorch, the architecture and the training settings are estimator
parameters, so ``clone``, ``set_params`` and every search treat them like any
other model's hyperparameters. They take a numeric matrix (the package's column
preprocessing runs before them in a pipeline) and standardise it themselves:
per column for tabular input, per channel for images and 1-D signals, so
unscaled input trains as well. Columns named in ``categorical_features`` hold
integer category codes instead (an ``OrdinalEncoder``'s output): they are not
standardised but embedded, as fastai's and pytorch-tabular's tabular models do,
each code seen at fit time with its own vector and every other code (negative,
missing, new) with one shared "unknown" vector. The training recipe
(``activation``, ``optimizer``, ``lr_schedule``) is a parameter too, so a search
can tune it. torch is imported when a model is fitted, never at import time.
"""

from __future__ import annotations

import random
from dataclasses import replace
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.utils import assert_all_finite, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..cores import resolve_n_jobs
from ..spaces.architecture import (
    DEFAULT_BLOCKS,
    Architecture,
    default_architecture,
    kind_of,
    sample_architecture,
)
from ..spaces.recipe import ACTIVATIONS, ARCHITECTURE_SEARCHES, LR_SCHEDULES, OPTIMIZERS
from ..trial import Limits, OverLimitError
from .torch_dependency import import_torch

_SEED_BOUND = np.iinfo(np.int32).max
# With architecture_search and max_time, the training after the search gets at
# least this share of max_time, whatever the search took.
MIN_TRAINING_TIME_SHARE = 0.25


class _NeuralBase(BaseEstimator):
    """Parameters, fitting and pickling shared by the classifier and the regressor."""

    _parameter_constraints: ClassVar[dict] = {
        "architecture": [Architecture, None],
        "architecture_seed": [Interval(Integral, 0, None, closed="left")],
        "architecture_search": [StrOptions(set(ARCHITECTURE_SEARCHES)), None],
        "image_shape": [tuple, None],
        "categorical_features": ["array-like", None],
        "embedding_dim": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_cells": [Interval(Integral, 1, None, closed="left")],
        "n_blocks": [Interval(Integral, 1, None, closed="left")],
        "width": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "max_time": [Interval(Real, 0, None, closed="neither"), None],
        "max_parameters": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(self, *, architecture=None, architecture_seed=0, image_shape=None,
                 categorical_features=None, embedding_dim="auto", n_cells=2,
                 n_blocks=DEFAULT_BLOCKS, width=64, activation="relu", max_epochs=50,
                 batch_size="auto", learning_rate=1e-3, weight_decay=1e-2, optimizer="adamw",
                 lr_schedule="cosine", validation_fraction=0.1, patience=10, max_time=None,
                 device="auto", random_state=None, n_jobs=None,
                 architecture_search=None, max_parameters=None):
        self.architecture = architecture
        self.architecture_seed = architecture_seed
        self.image_shape = image_shape
        self.categorical_features = categorical_features
        self.embedding_dim = embedding_dim
        self.n_cells = n_cells
        self.n_blocks = n_blocks
        self.width = width
        self.activation = activation
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.max_time = max_time
        self.device = device
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.architecture_search = architecture_search
        self.max_parameters = max_parameters

    # ------------------------------------------------------------- fitting
    def _validate_training_data(self, X, y, **kwargs):
        """``validate_data`` for fit, NaN allowed in categorical columns only;
        sets ``is_categorical_``."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32],
                             ensure_all_finite=self._finiteness(self.categorical_features),
                             **kwargs)
        self.is_categorical_ = self._categorical_mask(X.shape[1])
        self._check_category_codes(X)
        return X, y

    @staticmethod
    def _finiteness(categorical):
        """``validate_data``'s ``ensure_all_finite``: categorical columns may hold NaN."""
        return True if categorical is None else "allow-nan"

    def _categorical_mask(self, n_features: int):
        """``categorical_features`` as a boolean mask over the columns, or None."""
        if self.categorical_features is None:
            return None
        features = np.asarray(self.categorical_features)
        if features.size == 0:
            return None
        if features.ndim != 1:
            raise ValueError(f"categorical_features must be a 1-dimensional array-like, got "
                             f"shape {features.shape}.")
        if features.dtype.kind == "b":
            if features.shape[0] != n_features:
                raise ValueError(
                    f"categorical_features set as a boolean mask must have shape "
                    f"(n_features,) = ({n_features},), got: {features.shape}.")
            mask = features.copy()
        elif features.dtype.kind in "iu":
            out_of_range = features[(features < -n_features) | (features >= n_features)]
            if out_of_range.size:
                raise ValueError(
                    f"categorical_features set as integer indices must be in [-n_features, "
                    f"n_features - 1] = [{-n_features}, {n_features - 1}], got "
                    f"{out_of_range.tolist()}.")
            mask = np.zeros(n_features, dtype=bool)
            mask[features] = True
        elif features.dtype.kind in "UO" and all(isinstance(f, str) for f in features):
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError(
                    "categorical_features should be passed as an array of integers or as a "
                    "boolean mask when the model is fitted on data without feature names.")
            unknown = sorted(set(features) - set(names))
            if unknown:
                raise ValueError(f"categorical_features names {unknown}, which are not "
                                 f"columns of the training data: {list(names)}.")
            mask = np.isin(names, features)
        else:
            raise ValueError(f"categorical_features must be an array-like of bool, int or str, "
                             f"got: {features.dtype.name}.")
        if self.image_shape is not None:
            raise ValueError("categorical_features cannot be used with image_shape: the "
                             "columns of an image or a signal are its values. Leave "
                             "categorical_features=None for images and signals, or "
                             "image_shape=None for tabular data.")
        return mask

    def _check_category_codes(self, X):
        """Numeric columns must be finite; categorical ones integer codes or NaN."""
        if self.is_categorical_ is None:
            return
        assert_all_finite(X[:, ~self.is_categorical_], input_name="X",
                          estimator_name=type(self).__name__)
        codes = X[:, self.is_categorical_]
        rows, columns = np.nonzero(~np.isnan(codes) & (codes != np.round(codes)))
        if len(rows):
            column = np.flatnonzero(self.is_categorical_)[columns[0]]
            value = float(codes[rows[0], columns[0]])
            raise ValueError(
                f"Categorical column {column} holds {value!r}, which is "
                "not an integer category code. Columns in categorical_features must hold "
                "integer codes (negative or NaN for unknown), e.g. an OrdinalEncoder's "
                "output; leave continuous columns out of categorical_features.")

    def _fit_network(self, X, y_train, n_outputs: int, class_weights=None):
        """Build and train the network on validated ``X``; set the fitted attributes."""
        torch = import_torch()
        from .network import NetworkSpec, build_network, count_parameters, embedding_size
        from .trainer import TrainingSettings, resolve_device, seeded_torch, train

        architecture = self._architecture()
        image_shape = None if self.image_shape is None else tuple(int(d) for d in self.image_shape)
        categorical = self.is_categorical_
        # Codes are categories as seen at fit; negative and missing ones are unknown.
        self.categories_ = [] if categorical is None else [
            np.unique(codes[codes >= 0]) for codes in X[:, categorical].T]
        cardinalities = tuple(len(categories) + 1 for categories in self.categories_)
        embedding_dims = tuple(
            embedding_size(n, self.width) if self.embedding_dim == "auto"
            else int(self.embedding_dim) for n in cardinalities)
        spec = NetworkSpec(architecture, X.shape[1], n_outputs, self.n_cells, self.width,
                           image_shape, cardinalities, embedding_dims, self.activation)
        self.x_mean_, self.x_scale_ = _standardisation(X, spec.image_shape, categorical)
        X = self._network_input(X)
        seed = int(check_random_state(self.random_state).randint(_SEED_BOUND))
        settings = TrainingSettings(
            max_epochs=self.max_epochs,
            batch_size=None if self.batch_size == "auto" else self.batch_size,
            learning_rate=self.learning_rate, weight_decay=self.weight_decay,
            validation_fraction=self.validation_fraction, patience=self.patience, seed=seed,
            max_time=self.max_time, optimizer=self.optimizer, lr_schedule=self.lr_schedule)
        device = resolve_device(self.device)
        if not is_classifier(self):
            loss_fn = torch.nn.MSELoss()
        elif class_weights is None:
            loss_fn = torch.nn.CrossEntropyLoss()
        else:
            loss_fn = torch.nn.CrossEntropyLoss(
                weight=torch.tensor(class_weights, dtype=torch.float32, device=device))
        if self.architecture_search is not None:
            spec, settings = self._search_architecture(spec, X, y_train, loss_fn, settings, device)
        self._check_size(spec, torch)
        with seeded_torch(seed, device, resolve_n_jobs(self.n_jobs)):
            module = build_network(spec).to(device)
            result = train(module, X, y_train, loss_fn, settings, device,
                           stratify=is_classifier(self))
        self.module_ = module
        self.network_spec_ = spec
        self.architecture_ = spec.architecture
        self.n_parameters_ = count_parameters(module)
        self.device_ = str(device)
        self.n_iter_ = result.n_epochs
        self.best_epoch_ = result.best_epoch
        self.stopped_by_time_ = result.stopped_by_time
        self.loss_curve_ = list(result.train_losses)
        self.validation_loss_curve_ = list(result.validation_losses)
        return self

    def _check_size(self, spec, torch):
        """Raise :class:`~automl_estimators.trial.OverLimitError` when the network of
        ``spec`` has more trainable parameters than ``max_parameters``, counted on
        torch's ``meta`` device (shapes only: a network of 100 M parameters is
        counted in a fraction of a second and no memory)."""
        if self.max_parameters is None:
            return
        from .network import build_network, count_parameters

        with torch.device("meta"):
            n_parameters = count_parameters(build_network(spec))
        info = {"n_parameters": n_parameters}
        over = Limits(max_parameters=self.max_parameters).violations(info)
        if over:
            raise OverLimitError(
                f"{type(self).__name__}: {over['max_parameters']} before training; lower "
                "width, n_cells or n_blocks, or raise max_parameters.", info)

    def _search_architecture(self, spec, X, y_train, loss_fn, settings, device):
        """Run the one-shot search; the spec with the cells it found, and the
        training settings with the time it left.

        The search is seeded from the training seed (a different stream of
        it) in its own forked torch generator, so the training that follows
        is the one ``architecture=architecture_`` would run.
        """
        from .supernet import SEARCH_TIME_SHARE, OneShotSettings, search_architecture
        from .trainer import seeded_torch

        if self.architecture is not None:
            raise ValueError("architecture and architecture_search were both given; set "
                             "architecture=None to search the cells, or "
                             "architecture_search=None to train the given ones.")
        seed = (settings.seed + 1) % _SEED_BOUND
        one_shot = OneShotSettings(
            method=self.architecture_search, epochs=self.max_epochs,
            batch_size=settings.batch_size, learning_rate=self.learning_rate,
            weight_decay=self.weight_decay, seed=seed,
            max_time=None if settings.max_time is None
            else SEARCH_TIME_SHARE * settings.max_time)
        with seeded_torch(seed, device, resolve_n_jobs(self.n_jobs)):
            found = search_architecture(spec, X, y_train, loss_fn, one_shot, device,
                                        classification=is_classifier(self))
        self.search_seconds_ = found.seconds
        self.search_stopped_by_ = found.stopped_by
        if settings.max_time is not None:
            settings = replace(settings, max_time=max(settings.max_time - found.seconds,
                                                      MIN_TRAINING_TIME_SHARE * settings.max_time))
        return replace(spec, architecture=found.architecture), settings

    def _architecture(self) -> Architecture:
        """The architecture to build, of the kind ``image_shape`` asks for."""
        if self.image_shape is not None:
            shape = tuple(self.image_shape)
            if len(shape) not in (1, 2, 3) or not all(
                    isinstance(d, Integral) and not isinstance(d, bool) and d > 0 for d in shape):
                raise ValueError(
                    f"image_shape must be (height, width) or (height, width, channels) of "
                    f"positive integers for images, or (length,) or (1, length, channels) "
                    f"for signals; got {self.image_shape!r}.")
        kind = kind_of(self.image_shape)
        if self.architecture is None and self.architecture_seed:
            return sample_architecture(random.Random(self.architecture_seed), kind, self.n_blocks)
        if self.architecture is None:
            return default_architecture(kind, self.n_blocks)
        if self.architecture.kind != kind:
            raise ValueError(
                f"architecture is of kind {self.architecture.kind!r} but image_shape="
                f"{self.image_shape!r} asks for {kind!r} input; give an architecture of kind "
                f"{kind!r} (image_shape=None: tabular; (length,) or (1, length, channels): "
                "signal; (height, width[, channels]): image).")
        return self.architecture

    @staticmethod
    def _check_sample_count(X):
        if X.shape[0] < 2:
            raise ValueError(f"A neural network needs at least 2 samples to train, got "
                             f"n_samples = {X.shape[0]}.")

    # ---------------------------------------------------------- prediction
    def _outputs(self, X) -> np.ndarray:
        """The network's raw outputs (logits or standardised targets) as float64."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32],
                          ensure_all_finite=self._finiteness(self.is_categorical_))
        self._check_category_codes(X)
        import_torch()
        from .trainer import predict_outputs, torch_threads

        X = self._network_input(X)
        device = next(self.module_.parameters()).device
        with torch_threads(resolve_n_jobs(self.n_jobs)):
            outputs = predict_outputs(self.module_, X, device)
        return outputs.cpu().numpy().astype(np.float64)

    def _network_input(self, X) -> np.ndarray:
        """What the network reads: the standardised numeric columns, then the
        category index of each categorical column (0: unknown), as float32."""
        X = (X - self.x_mean_) / self.x_scale_  # categorical columns: mean 0, scale 1
        if self.is_categorical_ is None:
            return X.astype(np.float32)
        indices = [_category_indices(codes, categories) for codes, categories
                   in zip(X[:, self.is_categorical_].T, self.categories_)]
        return np.column_stack([X[:, ~self.is_categorical_], *indices]).astype(np.float32)

    # ------------------------------------------------------------ pickling
    def __getstate__(self):
        """The fitted network travels as a CPU state dict (loadable without a GPU)."""
        state = dict(super().__getstate__())
        module = state.pop("module_", None)
        if module is not None:
            state["module_state_"] = {name: value.detach().cpu()
                                      for name, value in module.state_dict().items()}
        return state

    def __setstate__(self, state):
        state = dict(state)
        module_state = state.pop("module_state_", None)
        super().__setstate__(state)
        if module_state is not None:
            torch = import_torch()
            from .network import build_network

            with torch.random.fork_rng(devices=[]):  # initial weights are overwritten
                module = build_network(self.network_spec_)
            module.load_state_dict(module_state)
            self.module_ = module.eval()


def _category_indices(codes: np.ndarray, categories: np.ndarray) -> np.ndarray:
    """1 + the position of each code among the fitted ``categories``; 0 for any other code."""
    if len(categories) == 0:
        return np.zeros(len(codes))
    position = np.searchsorted(categories, codes).clip(max=len(categories) - 1)
    return np.where(categories[position] == codes, position + 1, 0)


def _standardisation(X: np.ndarray, image_shape,
                     categorical=None) -> tuple[np.ndarray, np.ndarray]:
    """(mean, scale) per column, or per channel of an image or signal, broadcast to X's columns.

    Categorical columns (a boolean mask) get mean 0 and scale 1: their codes pass unchanged.
    """
    X = np.asarray(X, dtype=np.float64)
    if image_shape is None:
        numeric = slice(None) if categorical is None else ~categorical
        mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
        mean[numeric], scale[numeric] = X[:, numeric].mean(axis=0), X[:, numeric].std(axis=0)
    else:
        channels = image_shape[2] if len(image_shape) == 3 else 1
        pixels = X.reshape(X.shape[0], -1, channels)
        mean = np.tile(pixels.mean(axis=(0, 1)), X.shape[1] // channels)
        scale = np.tile(pixels.std(axis=(0, 1)), X.shape[1] // channels)
    scale = np.where(scale > 0, scale, 1.0)
    return mean, scale


class NeuralClassifier(ClassifierMixin, _NeuralBase):
    """A cell-based neural network classifier (NASNet-style cells), trained with AdamW by default.

    Parameters
    ----------
    architecture : Architecture, default=None
        The cells (:mod:`automl_estimators.spaces.architecture`), of the kind
        ``image_shape`` asks for; ``None``:
        :func:`~automl_estimators.spaces.architecture.default_architecture` with
        ``n_blocks`` blocks (residual MLP blocks, or DARTS's cells for images
        and their 1-D twins for signals).
    architecture_seed : int, default=0
        Used when ``architecture`` is None: a positive seed stands for the
        architecture :func:`~automl_estimators.spaces.architecture.sample_architecture`
        draws with ``random.Random(architecture_seed)`` (``n_blocks`` blocks); 0:
        the default architecture. A user option: the search sets ``architecture``
        (its cells are categorical hyperparameters, see
        :mod:`automl_estimators.spaces.neural`).
    image_shape : tuple of int, default=None
        ``(height, width)`` or channels-last ``(height, width, channels)``: rows of
        X are flattened images and the network is convolutional. ``(length,)``
        or ``(1, length, channels)`` (a one-row image): rows are 1-D signals of
        ``length`` steps, flattened channels last (``length * channels``
        columns), and the network is a 1-D convolutional one
        (:func:`~automl_estimators.spaces.architecture.kind_of`). ``None``: tabular.
    categorical_features : array-like of {bool, int, str} or None, default=None
        The columns that hold integer category codes, as a boolean mask of shape
        (n_features,), column indices (negative ones count from the last column,
        as in numpy) or column names (when X has string column names). Each is
        embedded (``torch.nn.Embedding``) instead of standardised; the codes seen
        at fit time are the categories, and any other code (negative, NaN, or
        new) is read as one "unknown" category. NaN is allowed in these columns
        only. Tabular input only. ``None``: every column is numeric.
    embedding_dim : int or "auto", default="auto"
        Size of each categorical column's embedding; ``"auto"``: fastai's
        ``min(600, round(1.6 * n ** 0.56))`` for ``n`` categories (unknown
        included), at most ``n - 1`` and ``width``
        (:func:`~automl_estimators.nas.network.embedding_size`).
    n_cells : int, default=2
        Normal cells (tabular), or normal cells per stage (images, signals).
    n_blocks : int, default=3
        Blocks per cell of the default or seeded architecture; ignored when
        ``architecture`` is given.
    width : int, default=64
        Units per operation (tabular), or channels of the first stage (images
        and signals; doubled by each reduction cell).
    activation : {"relu", "gelu", "silu", "tanh"}, default="relu"
        Nonlinearity inside the convolutional operations (before each
        convolution, as DARTS's ReLU-conv-BN) and of the tabular projections,
        head and ``dense_relu_narrow`` / ``dense_relu_wide`` hidden layers; the
        tabular ``dense_<activation>`` operations keep the one they name.
    max_epochs : int, default=50
        Training epochs at most (the fidelity of successive halving).
    batch_size : int or "auto", default="auto"
        Rows per step; ``"auto"``: 128 on CPU, 512 on CUDA.
    learning_rate : float, default=1e-3
        The peak learning rate, scaled at each step by ``lr_schedule``. SGD
        usually wants a larger one than the adaptive optimizers (e.g. 0.05).
    weight_decay : float, default=1e-2
        Applied by the optimizer: AdamW's decoupled weight decay, an L2
        penalty (torch's ``weight_decay``) for the others.
    optimizer : {"adamw", "sgd", "nadam", "rmsprop"}, default="adamw"
        The torch optimizer; ``"sgd"`` uses Nesterov momentum 0.9.
    lr_schedule : {"cosine", "one_cycle", "constant"}, default="cosine"
        ``"cosine"``: decay to 0 along a cosine over all steps;
        ``"one_cycle"``: linear warm-up over the first 25% of the steps (from
        1/25 of the learning rate), then the cosine to 0; ``"constant"``: the
        learning rate throughout. The annealing ones anneal within the epochs
        ``max_time`` leaves (see ``max_time``).
    validation_fraction : float, default=0.1
        Share of the rows held out (stratified) for early stopping; 0: none.
    patience : int, default=10
        Epochs without a better validation loss before training stops; the best
        epoch's weights are kept.
    max_time : float or None, default=None
        Seconds of training at most. After the first epoch the learning-rate
        schedule is shortened to the epochs that fit in this time, and training stops
        (mid-epoch if need be) when it is up, keeping the best validation epoch.
        The search sets it from a trial's time limit so that a slow network
        returns what it learned instead of timing out; results then depend on
        the machine's speed. None: no bound.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn.
    device : str, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
        On CUDA training uses mixed precision.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, dropout, the validation split and the batch order;
        with an int, CPU training is repeatable.
    n_jobs : int, default=None
        CPU threads for torch (``None``: 1, ``-1``: all cores).
    architecture_search : {"darts", "pc_darts", "enas"} or None, default=None
        Search the cells in one shot before training
        (:mod:`automl_estimators.nas.supernet`): a supernet holding every
        operation on every edge (``n_cells`` cells of ``n_blocks`` nodes,
        ``width`` wide, images at most 16 channels) is trained for up to
        ``max_epochs`` epochs on half of the training rows while DARTS's
        architecture weights (``"pc_darts"``: on a quarter of the channels)
        or ENAS's controller learn on the other half; the cells derived from
        it are then trained from scratch exactly as ``architecture=`` those
        cells would be. With ``max_time``, the search takes at most half of
        it and the training the rest (at least a quarter). Requires
        ``architecture=None``. None: no search.
    max_parameters : int or None, default=None
        Trainable parameters the network may have. The network is built on
        torch's ``meta`` device (no memory, no computation) and counted before
        it trains (after the one-shot search, with ``architecture_search``); a
        larger one raises :class:`~automl_estimators.trial.OverLimitError` (a
        ``ValueError``) instead of training. The search sets it from
        ``AutoClassifier(max_parameters=...)``, so that a network over the
        limit costs a trial its construction, not its training. None: no limit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.
    is_categorical_ : ndarray of shape (n_features_in_,), dtype=bool, or None
        The categorical columns; ``None`` when there are none.
    categories_ : list of ndarray
        For each categorical column, in column order, the sorted codes seen at
        fit time: code ``categories_[i][k]`` uses row ``k + 1`` of the column's
        embedding, row 0 being the unknown category.
    module_ : torch.nn.Module
        The trained network.
    architecture_ : Architecture
        The architecture used (the default one when ``architecture`` is None,
        the one found with ``architecture_search``).
    n_parameters_ : int
        Trainable parameters of ``module_`` (elements of the tensors that
        require gradients): the network's size, which trials report.
    search_seconds_ : float
        Seconds the one-shot search took (defined with ``architecture_search``).
    search_stopped_by_ : str
        What ended the search: ``"epochs"``, ``"time"``, ``"skip_connections"``
        (DARTS+'s collapse guard) or ``"stable"`` (defined with ``architecture_search``).
    network_spec_ : NetworkSpec
        What the network was built from (rebuilds it after unpickling).
    device_ : str
        The device it was trained on.
    n_iter_ : int
        Epochs run.
    best_epoch_ : int
        Epoch whose weights were kept.
    stopped_by_time_ : bool
        Whether ``max_time`` ended the training.
    loss_curve_, validation_loss_curve_ : list of float
        Training and validation loss per epoch.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from automl_estimators.nas import NeuralClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> model = NeuralClassifier(image_shape=(8, 8), n_cells=1, width=16,
    ...                          max_epochs=5, random_state=0).fit(X, y)
    >>> model.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints: ClassVar[dict] = {
        **_NeuralBase._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(self, *, architecture=None, architecture_seed=0, image_shape=None,
                 categorical_features=None, embedding_dim="auto", n_cells=2,
                 n_blocks=DEFAULT_BLOCKS, width=64, activation="relu", max_epochs=50,
                 batch_size="auto", learning_rate=1e-3, weight_decay=1e-2, optimizer="adamw",
                 lr_schedule="cosine", validation_fraction=0.1, patience=10, max_time=None,
                 class_weight=None, device="auto", random_state=None, n_jobs=None,
                 architecture_search=None, max_parameters=None):
        super().__init__(
            architecture=architecture, architecture_seed=architecture_seed,
            image_shape=image_shape, categorical_features=categorical_features,
            embedding_dim=embedding_dim, n_cells=n_cells,
            n_blocks=n_blocks, width=width, activation=activation, max_epochs=max_epochs,
            batch_size=batch_size, learning_rate=learning_rate, weight_decay=weight_decay,
            optimizer=optimizer, lr_schedule=lr_schedule,
            validation_fraction=validation_fraction, patience=patience, max_time=max_time,
            device=device, random_state=random_state, n_jobs=n_jobs,
            architecture_search=architecture_search, max_parameters=max_parameters)
        self.class_weight = class_weight

    def fit(self, X, y):
        """Train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features (flattened images or signals when ``image_shape`` is
            given) and
            the category codes of ``categorical_features``.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self
        """
        self._validate_params()
        import_torch()
        X, y = self._validate_training_data(X, y)
        check_classification_targets(y)
        self._check_sample_count(X)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"NeuralClassifier needs samples of at least 2 classes; got 1 "
                             f"class ({self.classes_[0]!r}).")
        class_weights = None
        if self.class_weight is not None:
            class_weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return self._fit_network(X, y_index.astype(np.int64), len(self.classes_), class_weights)

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's outputs).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return softmax(self._outputs(X), axis=1)

    def predict(self, X):
        """The most probable class of each row."""
        outputs = self._outputs(X)
        return self.classes_[np.argmax(outputs, axis=1)]


class NeuralRegressor(RegressorMixin, _NeuralBase):
    """A cell-based neural network regressor (NASNet-style cells), trained with AdamW by default.

    The target is standardised for training and mapped back at prediction.
    Parameters and attributes are those of :class:`NeuralClassifier` without
    ``class_weight`` and ``classes_``; the loss is the mean squared error.

    Examples
    --------
    >>> import numpy as np
    >>> from automl_estimators.nas import NeuralRegressor
    >>> X = np.random.default_rng(0).normal(size=(200, 4))
    >>> model = NeuralRegressor(max_epochs=5, random_state=0).fit(X, X[:, 0] - X[:, 1])
    >>> model.predict(X[:2]).shape
    (2,)
    """

    def fit(self, X, y):
        """Train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features (flattened images or signals when ``image_shape`` is
            given) and
            the category codes of ``categorical_features``.
        y : array-like of shape (n_samples,)
            Targets.

        Returns
        -------
        self
        """
        self._validate_params()
        import_torch()
        X, y = self._validate_training_data(X, y, y_numeric=True)
        self._check_sample_count(X)
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_ = float(y.mean())
        self.y_scale_ = float(y.std()) or 1.0
        y_train = ((y - self.y_mean_) / self.y_scale_).astype(np.float32).reshape(-1, 1)
        return self._fit_network(X, y_train, 1)

    def predict(self, X):
        """Predicted targets.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._outputs(X)[:, 0] * self.y_scale_ + self.y_mean_
