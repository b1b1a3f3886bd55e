"""The project's own model components, where scikit-learn has no exact fit.

Support vector classifiers get a ``predict_proba`` (one-vs-rest sigmoid of the
decision function, normalised, as scikit-learn's linear models did) so that every
classifier in the search gives probabilities for ensembling and probabilistic
metrics; the RBF kernel machines switch to a Nystroem approximation where
libsvm's quadratic cost would eat the budget: above :data:`EXACT_SVM_MAX_ROWS`
rows and, for the classifier, :data:`EXACT_SVM_MAX_WORK` (rows^2 x columns).
:class:`LayeredMLPRegressor` is scikit-learn's multi-layer perceptron with its
layers as two searchable numbers.
:class:`StackingTransformer` makes a model's out-of-fold predictions a feature
step, for the stacking nodes of genetic programs. :class:`SeededTargetEncoder` is
scikit-learn's ``TargetEncoder`` with seeded folds.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import scipy.sparse as sp
import sklearn
from scipy.special import expit
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    clone,
    is_classifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import Nystroem
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import TargetEncoder
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

# TargetEncoder takes a splitter as cv from scikit-learn 1.9 (and deprecates its
# shuffle/random_state); before, an int only.
SPLITTER_CV = tuple(int(p) for p in re.findall(r"\d+", sklearn.__version__)[:2]) >= (1, 9)
# Up to this many rows an RBF kernel machine is exact, whatever the columns ...
EXACT_SVM_MAX_ROWS = 5000
# ... and a classifier beyond them while its kernel work (rows^2 x columns) stays
# within this bound; above both, the kernel is approximated (Nystroem + a linear
# model). libsvm's time grows with the kernel entries it computes, each as costly
# as the columns (one-vs-one classes do not change that much: k balanced classes
# make k(k-1)/2 problems of 2n/k rows, about twice the entries of one problem of
# n rows). Measured here, one thread, standardized columns
# (benchmarks/results/svm_exact_cost.md): under 2 ns per unit of work (0.06-1.9),
# so at most ~10 s at this bound, and the approximation took longer than the
# exact fit on every measured case (letter, 10,050 rows x 16: 0.7 s exact, 22 s
# approximated, accuracy 0.941 against 0.933 at C=1). The regressor keeps the row
# bound: its approximation scored about the same beyond it (california housing,
# 10,371 rows: R^2 0.742 against 0.744), and a first version that let SVR go
# exact there raised the fits' peak memory (its kernel cache; at 60 s,
# benchmarks/results/svm_exact_ab_first.md).
EXACT_SVM_MAX_WORK = 5e9
# Parameters of this module's components that bound their work by the size of the
# training data, with the power of the rows that work grows by. A refit on all
# rows scales them (scale_size_bounds), so that it fits the model its trial was
# scored with: an exact kernel machine in the search stays exact in the refit.
SIZE_BOUNDS = {"max_exact_rows": 1, "max_exact_work": 2}
# Size of the Nystroem feature map used above that.
NYSTROEM_COMPONENTS = 1000


def _nystroem(gamma, n_rows, random_state):
    """The kernel map of an approximated RBF machine: :data:`NYSTROEM_COMPONENTS`
    components, or one per row where there are fewer rows (as scikit-learn would
    set it, without its warning, which a refit or an exported script on a small
    table showed the user)."""
    return Nystroem(gamma=gamma, n_components=min(NYSTROEM_COMPONENTS, n_rows),
                    random_state=random_state)


def proba_from_decision(decision: np.ndarray) -> np.ndarray:
    """Class probabilities from one-vs-rest decision values (sums to one per row)."""
    decision = np.asarray(decision, dtype=float)
    if decision.ndim == 1:
        positive = expit(decision)
        return np.column_stack([1.0 - positive, positive])
    proba = expit(decision)
    total = proba.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return proba / total


class LinearSVMClassifier(LinearSVC):
    """``LinearSVC`` with a ``predict_proba`` derived from its decision function."""

    def predict_proba(self, X):
        """Probability estimates (uncalibrated, monotone in the decision values)."""
        return proba_from_decision(self.decision_function(X))


def exact_kernel_affordable(rows: int, columns: int, max_rows: float,
                            max_work: float = 0.0) -> bool:
    """Whether an exact kernel machine on ``rows`` x ``columns`` is affordable: at most
    ``max_rows`` rows, or at most ``max_work`` kernel work (rows^2 x columns)."""
    return rows <= max_rows or float(rows) ** 2 * max(columns, 1) <= max_work


def scale_size_bounds(estimator, from_rows: float, to_rows: float):
    """Scale ``estimator``'s :data:`SIZE_BOUNDS` parameters (nested steps' too) for a
    fit on ``to_rows`` rows that makes the choices a fit on ``from_rows`` made;
    returns the estimator (anything without ``get_params`` as it is)."""
    ratio = to_rows / from_rows if from_rows > 0 else 1.0
    if ratio == 1.0 or not hasattr(estimator, "get_params"):
        return estimator
    updates = {}
    for key, value in estimator.get_params(deep=True).items():
        power = SIZE_BOUNDS.get(key.rsplit("__", 1)[-1])
        if power is not None:
            updates[key] = type(value)(value * ratio ** power)
    if updates:
        estimator.set_params(**updates)
    return estimator


class RBFSVMClassifier(ClassifierMixin, BaseEstimator):
    """RBF-kernel SVM: exact ``SVC`` on small data, Nystroem + ``LinearSVC`` on large.

    Parameters
    ----------
    C, gamma, class_weight
        As in :class:`sklearn.svm.SVC`.
    max_exact_rows : int
        Up to this many rows the kernel is exact (:data:`EXACT_SVM_MAX_ROWS`) ...
    max_exact_work : float
        ... and beyond them while rows^2 x columns is at most this
        (:data:`EXACT_SVM_MAX_WORK`).
    random_state : int or None
        Seed of the Nystroem sampling.
    """

    def __init__(self, C=1.0, gamma=0.1, class_weight=None, max_exact_rows=EXACT_SVM_MAX_ROWS,
                 max_exact_work=EXACT_SVM_MAX_WORK, random_state=None):
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.max_exact_rows = max_exact_rows
        self.max_exact_work = max_exact_work
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the exact or approximate kernel machine, depending on the size of X."""
        if exact_kernel_affordable(X.shape[0], X.shape[1], self.max_exact_rows,
                                   self.max_exact_work):
            self.model_ = SVC(C=self.C, gamma=self.gamma, class_weight=self.class_weight,
                              cache_size=500)
        else:
            self.model_ = make_pipeline(
                _nystroem(self.gamma, X.shape[0], self.random_state),
                LinearSVC(C=self.C, class_weight=self.class_weight,
                          random_state=self.random_state))
        self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X):
        """One-vs-rest decision values."""
        check_is_fitted(self)
        return self.model_.decision_function(X)

    def predict(self, X):
        """Predicted class labels."""
        check_is_fitted(self)
        return self.model_.predict(X)

    def predict_proba(self, X):
        """Probability estimates (uncalibrated, monotone in the decision values)."""
        return proba_from_decision(self.decision_function(X))


class RBFSVMRegressor(RegressorMixin, BaseEstimator):
    """RBF-kernel SVR: exact ``SVR`` on small data, Nystroem + ``LinearSVR`` on large.

    Parameters
    ----------
    C, gamma, epsilon
        As in :class:`sklearn.svm.SVR`.
    max_exact_rows : int
        Largest training set fitted with the exact kernel (:data:`EXACT_SVM_MAX_ROWS`).
    random_state : int or None
        Seed of the Nystroem sampling.
    """

    def __init__(self, C=1.0, gamma=0.1, epsilon=0.1,
                 max_exact_rows=EXACT_SVM_MAX_ROWS, random_state=None):
        self.C = C
        self.gamma = gamma
        self.epsilon = epsilon
        self.max_exact_rows = max_exact_rows
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the exact or approximate kernel machine, depending on the size of X."""
        if exact_kernel_affordable(X.shape[0], X.shape[1], self.max_exact_rows):
            self.model_ = SVR(C=self.C, gamma=self.gamma, epsilon=self.epsilon, cache_size=500)
        else:
            self.model_ = make_pipeline(
                _nystroem(self.gamma, X.shape[0], self.random_state),
                LinearSVR(C=self.C, epsilon=self.epsilon, dual="auto",
                          random_state=self.random_state, max_iter=5000))
        self.model_.fit(X, y)
        return self

    def predict(self, X):
        """Predicted values."""
        check_is_fitted(self)
        return self.model_.predict(X)


class LayeredMLPRegressor(RegressorMixin, BaseEstimator):
    """scikit-learn's ``MLPRegressor`` with its layers given as a depth and a width.

    ``hidden_layer_sizes`` is a tuple, which a search space cannot hold; here the
    first hidden layer has ``width`` units and each further one half as many
    (at least 8), as in auto-sklearn's and AutoGluon's tabular networks. Early
    stopping on a 10 % validation split bounds the epochs; ``max_iter`` caps them
    (the fidelity). The target should reach it standardised (the component's
    ``scale_target``).

    Parameters
    ----------
    n_layers, width : int
        Number of hidden layers and units of the first.
    activation, alpha, learning_rate_init, max_iter, early_stopping
        As in :class:`sklearn.neural_network.MLPRegressor`.
    random_state : int or None
        Seed of the weights and of the early-stopping split.
    """

    def __init__(self, n_layers=2, width=128, activation="relu", alpha=1e-4,
                 learning_rate_init=1e-3, max_iter=200, early_stopping=True,
                 random_state=None):
        self.n_layers = n_layers
        self.width = width
        self.activation = activation
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.random_state = random_state

    def fit(self, X, y):
        """Fit the network (early stopping from 20 rows: its split needs a few)."""
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"), y_numeric=True)
        sizes = tuple(max(int(self.width) // 2 ** i, 8) for i in range(int(self.n_layers)))
        self.model_ = MLPRegressor(
            hidden_layer_sizes=sizes, activation=self.activation, alpha=self.alpha,
            learning_rate_init=self.learning_rate_init, max_iter=self.max_iter,
            early_stopping=self.early_stopping and X.shape[0] >= 20,
            random_state=self.random_state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the fidelity
            self.model_.fit(X, y)
        self.n_iter_ = self.model_.n_iter_
        return self

    def predict(self, X):
        """Predicted values."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        return self.model_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class StackingTransformer(TransformerMixin, BaseEstimator):
    """Append a model's predictions to the features: stacking as a pipeline step.

    Fitting (``fit_transform``, as a ``Pipeline`` does) returns the model's
    *out-of-fold* predictions, so the steps after it learn from predictions made
    on rows the model did not see (as scikit-learn's ``StackingClassifier``
    does); ``transform`` then uses the model refit on all rows. Classifiers add
    one column per class (probabilities), regressors one column.

    Parameters
    ----------
    estimator : estimator
        The model whose predictions become features.
    cv : int, default=3
        Folds of the out-of-fold predictions (stratified for classifiers).
    random_state : int or None
        Seed of the fold shuffling.
    """

    def __init__(self, estimator, cv=3, random_state=None):
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state

    def _method(self):
        return "predict_proba" if is_classifier(self.estimator) else "predict"

    def _stack(self, X, predictions):
        predictions = np.asarray(predictions, dtype=float).reshape(X.shape[0], -1)
        if sp.issparse(X):
            return sp.hstack([X, sp.csr_matrix(predictions)], format="csr")
        return np.hstack([np.asarray(X, dtype=float), predictions])

    def fit(self, X, y):
        """Fit the model on all rows."""
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.n_features_in_ = X.shape[1]
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Fit on all rows; return X with the model's out-of-fold predictions."""
        if y is None:
            raise ValueError("StackingTransformer needs y to fit: it learns a model of y.")
        splitter = (StratifiedKFold if is_classifier(self.estimator) else KFold)(
            n_splits=self.cv, shuffle=True, random_state=self.random_state)
        with warnings.catch_warnings():
            # rare classes below cv members: folds without them are handled by sklearn
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            out_of_fold = cross_val_predict(clone(self.estimator), X, y, cv=splitter,
                                            method=self._method())
        self.fit(X, y)
        return self._stack(X, out_of_fold)

    def transform(self, X):
        """X with the fitted model's predictions appended."""
        check_is_fitted(self)
        return self._stack(X, getattr(self.estimator_, self._method())(X))


class SeededTargetEncoder(TransformerMixin, BaseEstimator):
    """scikit-learn's cross-fitted ``TargetEncoder``, its folds shuffled by a seed.

    ``fit_transform`` (as a ``Pipeline`` calls it) encodes each row with category
    means learned on the other folds, so the model after it never sees its own
    row's target; ``transform`` uses the means of all training rows. The folds
    are shuffled with ``random_state``: from scikit-learn 1.9 through a ``cv``
    splitter (stratified for class labels), which replaced the encoder's
    ``shuffle``/``random_state``; before 1.9, through those.

    Parameters
    ----------
    target_type : {"auto", "continuous", "binary", "multiclass"}, default="auto"
        As ``TargetEncoder``'s. The search's regression component fixes
        "continuous": "auto" reads a target of whole numbers (counts, prices) as
        classes and would encode one column per distinct value.
    smooth : "auto" or float, default="auto"
        Shrinkage of category means toward the global mean (as ``TargetEncoder``).
    cv : int, default=5
        Folds of the cross fitting.
    random_state : int or None
        Seed of the fold shuffling.
    """

    def __init__(self, target_type="auto", smooth="auto", cv=5, random_state=None):
        self.target_type = target_type
        self.smooth = smooth
        self.cv = cv
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True  # a missing value is a category of its own
        return tags

    def _encoder(self, y):
        common = {"target_type": self.target_type, "smooth": self.smooth}
        if not SPLITTER_CV:
            return TargetEncoder(**common, cv=self.cv, shuffle=True,
                                 random_state=self.random_state)
        target = self.target_type if self.target_type != "auto" else type_of_target(y)
        splitter = (StratifiedKFold if target in ("binary", "multiclass") else KFold)(
            n_splits=self.cv, shuffle=True, random_state=self.random_state)
        return TargetEncoder(**common, cv=splitter)

    def fit(self, X, y):
        """Learn every category's target mean on all rows."""
        self.encoder_ = self._encoder(y).fit(X, y)
        self.n_features_in_ = self.encoder_.n_features_in_
        return self

    def fit_transform(self, X, y=None, **fit_params):
        """Learn the means on all rows; return the cross-fitted encoding of X."""
        if y is None:
            raise ValueError("SeededTargetEncoder needs y to fit: it encodes categories "
                             "by their mean target.")
        self.encoder_ = self._encoder(y)
        with warnings.catch_warnings():
            # classes with fewer rows than folds: sklearn's stratified split copes
            warnings.simplefilter("ignore", UserWarning)
            out = self.encoder_.fit_transform(X, y)
        self.n_features_in_ = self.encoder_.n_features_in_
        return out

    def transform(self, X):
        """Categories replaced by their training means (unseen: the global mean)."""
        check_is_fitted(self)
        return self.encoder_.transform(X)

    def get_feature_names_out(self, input_features=None):
        """The encoder's output names (one per column, per class when multiclass)."""
        check_is_fitted(self)
        return self.encoder_.get_feature_names_out(input_features)
