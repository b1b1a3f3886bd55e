"""The project's own components, checked as scikit-learn estimators."""

import warnings

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC, SVR
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_estimators.pipelines.components import (
    LayeredMLPRegressor,
    RBFSVMClassifier,
    RBFSVMRegressor,
    SeededTargetEncoder,
)


@parametrize_with_checks([SeededTargetEncoder(random_state=0), LayeredMLPRegressor(random_state=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _categories(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.choice(np.array(["a", "b", "c", "d"], dtype=object), size=(n, 2))
    y_class = (X[:, 0] == "a") | (rng.random(n) < 0.2)
    return X, y_class.astype(int), (X[:, 0] == "b") * 2.0 + rng.normal(size=n)


@pytest.mark.parametrize("target", ["classes", "values"])
def test_seed_fixes_the_cross_fitted_encoding_and_no_deprecated_parameter_is_passed(target):
    X, y_class, y_value = _categories()
    y = y_class if target == "classes" else y_value
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        a = SeededTargetEncoder(random_state=1).fit_transform(X, y)
        b = SeededTargetEncoder(random_state=1).fit_transform(X, y)
        c = SeededTargetEncoder(random_state=2).fit_transform(X, y)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)  # other folds, other out-of-fold means


def test_fit_transform_is_out_of_fold_and_transform_uses_all_rows():
    X, _, y = _categories()
    encoder = SeededTargetEncoder(random_state=0)
    cross_fitted = encoder.fit_transform(X, y)
    full = encoder.transform(X)
    # each category has one mean on all rows, but several out-of-fold means
    assert len(np.unique(full[:, 0])) == 4
    assert len(np.unique(cross_fitted[:, 0])) > 4
    assert encoder.get_feature_names_out(["x0", "x1"]).tolist() == ["x0", "x1"]


def test_fit_transform_without_y_says_what_is_missing():
    X, _, _ = _categories()
    with pytest.raises(ValueError, match="needs y"):
        SeededTargetEncoder().fit_transform(X)


def test_a_whole_number_regression_target_is_continuous_when_declared():
    X, _, _ = _categories()
    y = np.random.default_rng(1).integers(0, 300, size=len(X)).astype(float)  # e.g. prices
    # "auto" reads whole numbers as classes: one column per distinct value and column
    assert SeededTargetEncoder(random_state=0).fit_transform(X, y).shape[1] > 100
    out = SeededTargetEncoder(target_type="continuous", random_state=0).fit_transform(X, y)
    assert out.shape == (len(X), 2)


def test_before_scikit_learn_1_9_the_encoder_is_seeded_through_its_own_parameters(monkeypatch):
    from automl_estimators.pipelines import components

    monkeypatch.setattr(components, "SPLITTER_CV", False)
    X, y, _ = _categories()
    encoder = SeededTargetEncoder(random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # 1.9 deprecates what 1.6-1.8 need
        a = encoder.fit_transform(X, y)
        b = SeededTargetEncoder(random_state=3).fit_transform(X, y)
    assert encoder.encoder_.cv == 5 and encoder.encoder_.random_state == 3
    np.testing.assert_array_equal(a, b)


def test_the_mlp_halves_its_width_layer_by_layer_and_stops_early():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2
    model = LayeredMLPRegressor(n_layers=3, width=64, max_iter=500, random_state=0).fit(X, y)
    assert model.model_.hidden_layer_sizes == (64, 32, 16)
    assert model.model_.n_iter_ < 500  # early stopping ended it
    assert model.score(X, y) > 0.8
    again = LayeredMLPRegressor(n_layers=3, width=64, max_iter=500, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    tiny = LayeredMLPRegressor(n_layers=1, width=16, random_state=0).fit(X[:10], y[:10])
    assert tiny.model_.hidden_layer_sizes == (16,) and not tiny.model_.early_stopping


@pytest.mark.parametrize("classes", [2, 26])
def test_the_rbf_svm_is_exact_within_its_rows_or_kernel_work_and_approximated_beyond(classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(520, 3))
    y = np.repeat(np.arange(classes), len(X) // classes)
    work = len(X) ** 2 * 3

    def model(max_rows, max_work):
        fitted = RBFSVMClassifier(max_exact_rows=max_rows, max_exact_work=max_work,
                                  random_state=0).fit(X, y)
        assert fitted.predict_proba(X).shape == (len(X), classes)
        return fitted.model_

    assert isinstance(model(520, 0), SVC)  # within the rows, whatever the work
    assert isinstance(model(519, work), SVC)  # beyond the rows, within the work
    # beyond both: Nystroem, one component per row below its 1000 (no sklearn warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        approximated = model(519, work - 1)
    assert isinstance(approximated, Pipeline)
    assert approximated[0].n_components == len(X)


def test_the_rbf_svr_is_exact_within_its_rows_and_approximated_beyond():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 4)), rng.normal(size=200)
    assert isinstance(RBFSVMRegressor(max_exact_rows=200).fit(X, y).model_, SVR)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        approximated = RBFSVMRegressor(max_exact_rows=199).fit(X, y).model_
    assert isinstance(approximated, Pipeline) and approximated[0].n_components == len(X)
