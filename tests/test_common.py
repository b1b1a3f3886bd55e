"""scikit-learn's whole estimator contract, run on both estimators with a tiny budget."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_estimators import AutoClassifier, AutoRegressor
from tests.conftest import SLACK_BUDGET

# max_trials makes every fit deterministic (check_fit_idempotent); the budget never
# binds, so the one trial (the strong default every fit starts with) always finishes,
# and never times out (a trial may take a quarter of the budget) in one fit but not
# another. One trial, random search and a holdout: the contract is about the
# estimator's interface, and these checks fit it about 170 times (a second trial
# more than doubled their CPU, 58 s against 130; SMAC's set-up, ~0.4 s, and five folds per
# trial would take most of each fit). Searches, ensembles and resampling have their
# own tests.
SMALL = dict(time_budget=SLACK_BUDGET, max_trials=1, random_state=0, n_jobs=1,
             search="random", resampling="holdout")


@parametrize_with_checks([AutoClassifier(**SMALL), AutoRegressor(**SMALL)])
def test_sklearn_contract(estimator, check):
    check(estimator)
