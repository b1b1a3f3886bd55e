"""
A Pipeline with AutoRegressor as its last step
==============================================

:class:`~automl_estimators.AutoRegressor` can be the final step of a
scikit-learn :class:`~sklearn.pipeline.Pipeline`: the steps before it transform
the data as in any pipeline, and the AutoML search runs on what they output.
Here a feature-engineering step of the user's own (a spline expansion of one
column) feeds the search.
"""

import os

# Seconds each fit may take; the documentation's test build sets a tiny budget.
BUDGET = float(os.environ.get("AUTOML_EXAMPLES_BUDGET", "30"))

# %%
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer

from automl_estimators import AutoRegressor

X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

features = ColumnTransformer([("bmi_splines", SplineTransformer(n_knots=4), ["bmi"])],
                             remainder="passthrough")
pipe = Pipeline([("features", features),
                 ("auto", AutoRegressor(time_budget=BUDGET, random_state=0))])
pipe.fit(X_train, y_train)
print(f"test R²: {pipe.score(X_test, y_test):.3f}")

# %%
# The fitted AutoRegressor is the pipeline's last step, with all its fitted
# attributes. Its metric is R² (``metric=None``); ``metric="neg_mean_absolute_error"``
# or any scikit-learn scorer name would change what the search maximises.
auto = pipe.named_steps["auto"]
print(auto.metric_, f"validation score {auto.best_score_:.3f}")
print(auto.search_plan_.reason)
auto.leaderboard_[["rank", "pipeline", "score", "status"]].head()

# %%
# Parameters of the step are set through the pipeline, as for any estimator.
pipe.set_params(auto__time_budget=BUDGET / 2, auto__ensemble_size=0)
print(pipe.get_params()["auto__time_budget"], pipe.get_params()["auto__ensemble_size"])
