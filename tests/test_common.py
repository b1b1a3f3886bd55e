"""scikit-learn's whole estimator contract, run on both estimators with a tiny budget."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_estimators import AutoClassifier, AutoRegressor

# max_trials makes every fit deterministic (check_fit_idempotent); the budget is
# large enough that both trials (strong default, then one more) always finish.
SMALL = dict(time_budget=20, max_trials=2, random_state=0, n_jobs=1)


@parametrize_with_checks([AutoClassifier(**SMALL), AutoRegressor(**SMALL)])
def test_sklearn_contract(estimator, check):
    check(estimator)
