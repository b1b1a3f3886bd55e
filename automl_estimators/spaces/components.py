"""The catalogue: every component the search may use, with its hyperparameters.

Ranges follow auto-sklearn's and FLAML's published spaces; defaults are the
library defaults (so the default configuration of ``hist_gradient_boosting`` is
scikit-learn's default ``HistGradientBoosting*``, the strong baseline every fit
starts from). Edit here, and only here, to change what the search may propose.
"""

from __future__ import annotations

from sklearn.feature_selection import f_regression

from .declarations import (
    CLASSIFICATION,
    ENCODING,
    FEATURES,
    IMPUTATION,
    MODEL,
    REGRESSION,
    SCALING,
    Categorical,
    Component,
    Float,
    Int,
)

C_ = (CLASSIFICATION,)
R_ = (REGRESSION,)
CLASS_WEIGHT = Categorical("class_weight", (None, "balanced"), None)
# "auto" (the library default) stops early on a 10 % validation split above
# 10,000 rows only; True always does, so many slow iterations cost little.
HGB_EARLY_STOPPING = Categorical("early_stopping", ("auto", True), "auto")
# Rows above which "auto" stops early (scikit-learn's threshold, on each fit's rows).
HGB_EARLY_STOPPING_ROWS = 10_000
# max_iter's high end where every fit of a trial stops early (Space stops_early):
# many iterations then cost only where they still improve the validation score.
# Measured (benchmarks/results/hgb_iterations.md, session 45): at a cap of 512, seven
# of the 300 s league's eight binary and regression datasets stopped below it and
# a higher cap changed nothing there; electricity ran all 512 in both tuned
# configurations, and at 4096 stopped at 1374 and 1015, test accuracy 0.9155 ->
# 0.9341 and 0.9345 -> 0.9430. AutoGluon's LightGBM runs up to 10,000 rounds with
# early stopping. Below the threshold the range stays at 512: without early
# stopping every iteration is paid for.
HGB_STOPPED_ITERATIONS = 4096
# Leaves x columns in one HistGradientBoosting fit (Component.width_bounded): the
# grower keeps a histogram of every column for each node it may still split
# (benchmarks/results/memory_hgb_grower.md, on diamonds' 377 polynomial columns): one
# fit rose by 1960 MB at 2047 leaves, and two trial workers held 3430 MB; by 768 MB
# at 530 leaves (this bound on those columns) and 573 MB at 357. Wider than 97
# columns, max_leaf_nodes is bounded below its 2047; never below its default (31).
HGB_LEAF_COLUMNS = 200_000
OWN = "automl_estimators.pipelines.components"
XGB_HYPERPARAMETERS = (
    Int("n_estimators", 32, 1024, 100, log=True),
    Float("learning_rate", 0.01, 1.0, 0.3, log=True),
    Int("max_depth", 1, 12, 6),
    Float("subsample", 0.5, 1.0, 1.0),
    Float("colsample_bytree", 0.3, 1.0, 1.0),
    Float("min_child_weight", 0.1, 100.0, 1.0, log=True),
    Float("reg_lambda", 1e-3, 100.0, 1.0, log=True),
    Float("reg_alpha", 1e-8, 10.0, 1e-8, log=True),
)
KNN_HYPERPARAMETERS = (
    Int("n_neighbors", 1, 100, 5, log=True),
    Categorical("weights", ("uniform", "distance"), "uniform"),
    Categorical("p", (2, 1), 2),
)

# Models linear in their input columns (both tasks' names).
LINEAR_MODELS = ("logistic_regression", "linear_svm", "sgd", "ridge", "lasso", "elastic_net")
# The encoding whose width grows with the categories: a feature step's
# max_features holds for it too (Space.forbidden).
ONE_HOT = "one_hot"
# The encoding whose codes HistGradientBoosting splits as categories
# (pipelines.builder.ordinal_positions): the strong default's cheaper form on many levels.
NATIVE_ENCODING = "ordinal"

# ---------------------------------------------------------------- preprocessing
PREPROCESSORS = (
    Component(
        "simple_imputer", IMPUTATION, estimator="sklearn.impute:SimpleImputer",
        hyperparameters=(
            Categorical("strategy", ("mean", "median"), "mean"),
            Categorical("add_indicator", (False, True), False),
        ),
    ),
    Component("no_scaling", SCALING),
    Component("standard", SCALING, estimator="sklearn.preprocessing:StandardScaler",
              sparse_fixed={"with_mean": False}),
    Component("robust", SCALING, estimator="sklearn.preprocessing:RobustScaler",
              sparse_fixed={"with_centering": False}),
    Component("minmax", SCALING, estimator="sklearn.preprocessing:MinMaxScaler",
              sparse_estimator="sklearn.preprocessing:MaxAbsScaler"),
    Component(
        "quantile", SCALING, estimator="sklearn.preprocessing:QuantileTransformer",
        hyperparameters=(
            Int("n_quantiles", 10, 1000, 1000, log=True),
            Categorical("output_distribution", ("uniform", "normal"), "uniform"),
        ),
        seeded=True, row_bounded=("n_quantiles",),
    ),
    # One-hot with rare categories grouped into one column, so width stays bounded.
    Component(
        ONE_HOT, ENCODING, estimator="sklearn.preprocessing:OneHotEncoder",
        hyperparameters=(Float("min_frequency", 0.0001, 0.1, 0.01, log=True),),
        fixed={"handle_unknown": "infrequent_if_exist", "max_categories": 64,
               "sparse_output": False},
    ),
    Component(
        NATIVE_ENCODING, ENCODING, estimator="sklearn.preprocessing:OrdinalEncoder",
        fixed={"handle_unknown": "use_encoded_value", "unknown_value": -1},
    ),
    # Cross-fitted mean target per category (one column per column, per class
    # when multiclass): narrower than one-hot where there are many categories,
    # as in CatBoost's target statistics.
    Component("target", ENCODING, tasks=C_, estimator=f"{OWN}:SeededTargetEncoder",
              seeded=True),
    Component("target", ENCODING, tasks=R_, estimator=f"{OWN}:SeededTargetEncoder",
              fixed={"target_type": "continuous"}, seeded=True),
    Component("no_features", FEATURES),
    Component(
        "select_percentile", FEATURES, tasks=C_,
        estimator="sklearn.feature_selection:SelectPercentile",
        hyperparameters=(Float("percentile", 10.0, 90.0, 50.0),),
    ),
    Component(
        "select_percentile", FEATURES, tasks=R_,
        estimator="sklearn.feature_selection:SelectPercentile",
        hyperparameters=(Float("percentile", 10.0, 90.0, 50.0),),
        fixed={"score_func": f_regression},
    ),
    Component(
        "pca", FEATURES, estimator="sklearn.decomposition:PCA", accepts_sparse=False,
        min_features=3,
        # A float n_components keeps that share of the variance.
        hyperparameters=(
            Float("n_components", 0.5, 0.999, 0.95),
            Categorical("whiten", (False, True), False),
        ),
        seeded=True,
    ),
    Component(
        "truncated_svd", FEATURES, estimator="sklearn.decomposition:TruncatedSVD",
        min_features=300,
        hyperparameters=(Int("n_components", 10, 256, 128, log=True),),
        seeded=True,
    ),
    Component(
        "polynomial", FEATURES, estimator="sklearn.preprocessing:PolynomialFeatures",
        accepts_sparse=False, max_features=30,
        hyperparameters=(Categorical("interaction_only", (False, True), False),),
        fixed={"degree": 2, "include_bias": False},
    ),
    # Kernel features feed the linear models only, as auto-sklearn has them: before
    # a tree, a boosting, neighbours or another kernel they are slow for what they
    # add. Measured (300 s, electricity and adult): HistGradientBoosting and a
    # random forest on 1000 Nystroem columns ran 47-75 s trials (timeouts among
    # them) at a third of the fidelity or less, the workers at 3-4 GB.
    Component(
        "nystroem", FEATURES, estimator="sklearn.kernel_approximation:Nystroem",
        precedes=LINEAR_MODELS,
        hyperparameters=(
            Float("gamma", 1e-4, 8.0, 0.1, log=True),
            Int("n_components", 50, 1000, 100, log=True),
        ),
        seeded=True, row_bounded=("n_components",),
    ),
)

# ------------------------------------------------------------------ classifiers
CLASSIFIERS = (
    Component(
        "hist_gradient_boosting", MODEL, tasks=C_,
        estimator="sklearn.ensemble:HistGradientBoostingClassifier", accepts_sparse=False,
        hyperparameters=(
            Float("learning_rate", 0.01, 1.0, 0.1, log=True),
            Int("max_iter", 32, 512, 100, log=True),
            Int("max_leaf_nodes", 3, 2047, 31, log=True),
            Int("min_samples_leaf", 1, 200, 20, log=True),
            # 0 is the library default; a log range cannot hold it, 1e-10 is as good.
            Float("l2_regularization", 1e-10, 1.0, 1e-10, log=True),
            Float("max_features", 0.1, 1.0, 1.0),
            HGB_EARLY_STOPPING,
            CLASS_WEIGHT,
        ),
        seeded=True,
        iterations="max_iter",
        stopped_iterations=HGB_STOPPED_ITERATIONS,
        categorical_parameter="categorical_features",
        width_bounded=(("max_leaf_nodes", HGB_LEAF_COLUMNS),),
    ),
    Component(
        "random_forest", MODEL, tasks=C_, estimator="sklearn.ensemble:RandomForestClassifier",
        hyperparameters=(
            Int("n_estimators", 32, 512, 100, log=True),
            Categorical("criterion", ("gini", "entropy"), "gini"),
            Float("max_features", 0.05, 1.0, 0.3),
            Int("min_samples_leaf", 1, 20, 1, log=True),
            Categorical("bootstrap", (True, False), True),
            CLASS_WEIGHT,
        ),
        seeded=True,
        iterations="n_estimators",
    ),
    Component(
        "extra_trees", MODEL, tasks=C_, estimator="sklearn.ensemble:ExtraTreesClassifier",
        hyperparameters=(
            Int("n_estimators", 32, 512, 100, log=True),
            Categorical("criterion", ("gini", "entropy"), "gini"),
            Float("max_features", 0.05, 1.0, 0.5),
            Int("min_samples_leaf", 1, 20, 1, log=True),
            Categorical("bootstrap", (False, True), False),
            CLASS_WEIGHT,
        ),
        seeded=True,
        iterations="n_estimators",
    ),
    Component(
        "xgboost", MODEL, tasks=C_, estimator="xgboost:XGBClassifier",
        hyperparameters=XGB_HYPERPARAMETERS,
        fixed={"tree_method": "hist", "verbosity": 0},
        seeded=True,
        iterations="n_estimators",
    ),
    Component(
        "logistic_regression", MODEL, tasks=C_,
        estimator="sklearn.linear_model:LogisticRegression",
        hyperparameters=(Float("C", 1e-4, 1e4, 1.0, log=True), CLASS_WEIGHT),
        fixed={"max_iter": 1000},
        scale_inputs=True,
        extrapolates=True,
    ),
    Component(
        "linear_svm", MODEL, tasks=C_, estimator=f"{OWN}:LinearSVMClassifier",
        hyperparameters=(Float("C", 1e-3, 1e3, 1.0, log=True), CLASS_WEIGHT),
        seeded=True,
        extrapolates=True,
    ),
    Component(
        "rbf_svm", MODEL, tasks=C_, estimator=f"{OWN}:RBFSVMClassifier",
        hyperparameters=(
            Float("C", 1e-2, 1e4, 1.0, log=True),
            Float("gamma", 1e-4, 8.0, 0.1, log=True),
            CLASS_WEIGHT,
        ),
        seeded=True,
    ),
    Component(
        "knn", MODEL, tasks=C_, estimator="sklearn.neighbors:KNeighborsClassifier",
        hyperparameters=KNN_HYPERPARAMETERS,
    ),
    Component(
        "sgd", MODEL, tasks=C_, estimator="sklearn.linear_model:SGDClassifier",
        hyperparameters=(
            # Losses with probabilities only, so every classifier has predict_proba.
            Categorical("loss", ("log_loss", "modified_huber"), "log_loss"),
            Float("alpha", 1e-7, 1e-1, 1e-4, log=True),
            Categorical("average", (False, True), False),
            CLASS_WEIGHT,
        ),
        fixed={"max_iter": 1000, "tol": 1e-3},
        seeded=True,
        scale_inputs=True,
        extrapolates=True,
    ),
    Component(
        "naive_bayes", MODEL, tasks=C_, estimator="sklearn.naive_bayes:GaussianNB",
        accepts_sparse=False,
        hyperparameters=(Float("var_smoothing", 1e-12, 1e-2, 1e-9, log=True),),
        extrapolates=True,
    ),
)

# ------------------------------------------------------------------- regressors
REGRESSORS = (
    Component(
        "hist_gradient_boosting", MODEL, tasks=R_,
        estimator="sklearn.ensemble:HistGradientBoostingRegressor", accepts_sparse=False,
        hyperparameters=(
            Float("learning_rate", 0.01, 1.0, 0.1, log=True),
            Int("max_iter", 32, 512, 100, log=True),
            Int("max_leaf_nodes", 3, 2047, 31, log=True),
            Int("min_samples_leaf", 1, 200, 20, log=True),
            Float("l2_regularization", 1e-10, 1.0, 1e-10, log=True),
            Float("max_features", 0.1, 1.0, 1.0),
            HGB_EARLY_STOPPING,
        ),
        seeded=True,
        iterations="max_iter",
        stopped_iterations=HGB_STOPPED_ITERATIONS,
        categorical_parameter="categorical_features",
        width_bounded=(("max_leaf_nodes", HGB_LEAF_COLUMNS),),
    ),
    Component(
        "random_forest", MODEL, tasks=R_, estimator="sklearn.ensemble:RandomForestRegressor",
        hyperparameters=(
            Int("n_estimators", 32, 512, 100, log=True),
            Float("max_features", 0.05, 1.0, 1.0),
            Int("min_samples_leaf", 1, 20, 1, log=True),
            Categorical("bootstrap", (True, False), True),
        ),
        seeded=True,
        iterations="n_estimators",
    ),
    Component(
        "extra_trees", MODEL, tasks=R_, estimator="sklearn.ensemble:ExtraTreesRegressor",
        hyperparameters=(
            Int("n_estimators", 32, 512, 100, log=True),
            Float("max_features", 0.05, 1.0, 1.0),
            Int("min_samples_leaf", 1, 20, 1, log=True),
            Categorical("bootstrap", (False, True), False),
        ),
        seeded=True,
        iterations="n_estimators",
    ),
    Component(
        "xgboost", MODEL, tasks=R_, estimator="xgboost:XGBRegressor",
        hyperparameters=XGB_HYPERPARAMETERS,
        fixed={"tree_method": "hist", "verbosity": 0},
        seeded=True,
        iterations="n_estimators",
    ),
    Component(
        "ridge", MODEL, tasks=R_, estimator="sklearn.linear_model:Ridge",
        hyperparameters=(Float("alpha", 1e-4, 1e4, 1.0, log=True),),
        extrapolates=True,
    ),
    # Lasso and elastic net learn a standardised target (scale_target), where the
    # library's alpha=1 zeroes every coefficient (the largest useful alpha is the
    # largest correlation with the target, at most 1): their default is 0.01.
    Component(
        "lasso", MODEL, tasks=R_, estimator="sklearn.linear_model:Lasso",
        hyperparameters=(Float("alpha", 1e-5, 10.0, 0.01, log=True),),
        fixed={"max_iter": 5000},
        scale_target=True,
        scale_inputs=True,
        extrapolates=True,
    ),
    Component(
        "elastic_net", MODEL, tasks=R_, estimator="sklearn.linear_model:ElasticNet",
        hyperparameters=(
            Float("alpha", 1e-5, 10.0, 0.01, log=True),
            Float("l1_ratio", 0.01, 1.0, 0.5),
        ),
        fixed={"max_iter": 5000},
        scale_target=True,
        scale_inputs=True,
        extrapolates=True,
    ),
    Component(
        "linear_svm", MODEL, tasks=R_, estimator="sklearn.svm:LinearSVR",
        hyperparameters=(
            Float("C", 1e-3, 1e3, 1.0, log=True),
            Float("epsilon", 1e-3, 1.0, 1e-3, log=True),
        ),
        fixed={"loss": "squared_epsilon_insensitive", "dual": "auto", "max_iter": 5000},
        seeded=True,
        scale_target=True,
        scale_inputs=True,
        extrapolates=True,
    ),
    Component(
        "rbf_svm", MODEL, tasks=R_, estimator=f"{OWN}:RBFSVMRegressor",
        hyperparameters=(
            Float("C", 1e-2, 1e4, 1.0, log=True),
            Float("gamma", 1e-4, 8.0, 0.1, log=True),
            Float("epsilon", 1e-3, 1.0, 0.1, log=True),
        ),
        seeded=True,
        scale_target=True,
    ),
    Component(
        "knn", MODEL, tasks=R_, estimator="sklearn.neighbors:KNeighborsRegressor",
        hyperparameters=KNN_HYPERPARAMETERS,
    ),
    Component(
        "sgd", MODEL, tasks=R_, estimator="sklearn.linear_model:SGDRegressor",
        hyperparameters=(
            Categorical("loss", ("squared_error", "huber"), "squared_error"),
            Float("alpha", 1e-7, 1e-1, 1e-4, log=True),
            Categorical("average", (False, True), False),
        ),
        fixed={"max_iter": 1000, "tol": 1e-3},
        seeded=True,
        scale_target=True,
        scale_inputs=True,
        extrapolates=True,
    ),
    # A multi-layer perceptron for smooth targets, where trees need many splits:
    # 5-fold CV at the defaults, abalone R² 0.583 against 0.562 for the best
    # other default (benchmarks/results/regression_models.md).
    Component(
        "mlp", MODEL, tasks=R_, estimator=f"{OWN}:LayeredMLPRegressor",
        hyperparameters=(
            Int("n_layers", 1, 3, 2),
            Int("width", 16, 512, 128, log=True),
            Categorical("activation", ("relu", "tanh"), "relu"),
            Float("alpha", 1e-7, 1e-1, 1e-4, log=True),
            Float("learning_rate_init", 1e-4, 1e-1, 1e-3, log=True),
            Int("max_iter", 16, 512, 200, log=True),
        ),
        seeded=True,
        iterations="max_iter",
        scale_target=True,
        extrapolates=True,
    ),
)

ALL_COMPONENTS = PREPROCESSORS + CLASSIFIERS + REGRESSORS

# The strong default every search starts from, and the order in which the other
# models' default configurations follow it (cheap and robust first).
DEFAULT_MODEL = "hist_gradient_boosting"
DEFAULT_PORTFOLIO = {
    CLASSIFICATION: ("hist_gradient_boosting", "random_forest", "logistic_regression",
                     "extra_trees", "xgboost", "knn"),
    REGRESSION: ("hist_gradient_boosting", "random_forest", "ridge", "extra_trees",
                 "xgboost", "mlp", "knn", "rbf_svm"),
}
# The quick forest: extra trees at their defaults with the fewest trees their range
# allows (spaces.quick_forest), run in the fit's own process when neither form of the
# strong default is expected in time there (a fit of a second or a few on data too
# large, wide or many-classed for a boosted model; plan.FOREST_TREE_MODEL). One tree
# serves every class, and random splits cost little: on the shared datasets' 1 s
# splits (one thread, the package's preprocessing) 0.03-2.6 s; mean validation
# accuracy 0.893 against naive Bayes' 0.748 (higher on 16 of 20: letter 0.955 against
# 0.641, shuttle 0.999 against 0.734), R^2 0.747 against ridge's 0.656 (higher on 6
# of 8; ames_housing 0.899 against 0.904); benchmarks/quick_forest_seconds.py.
QUICK_FOREST = "extra_trees"
# The quick model of each task: run there instead when the quick forest is not expected
# in time either (data of many rows and columns at a second's budget). Chosen for being
# fast on any number of rows, columns and classes (plain scikit-learn, 12 shared
# datasets, one thread: 0.04-0.44 s); where it is below the dummy (adult,
# bank-marketing, shuttle), validation keeps the dummy.
QUICK_MODEL = {CLASSIFICATION: "naive_bayes", REGRESSION: "ridge"}
# Tuned configurations of the boosted models (hyperparameter name -> value, the
# rest at their defaults), evaluated after every model's defaults and before the
# strategy proposes. After AutoGluon's default portfolio, which fits LightGBM at
# learning rate 0.05 with many rounds and early stopping, and a "Large" variant
# (learning rate 0.03, 128 leaves, 3 rows per leaf, 90 % of the features); the
# XGBoost one halves the learning rate of the defaults and subsamples rows and
# columns. Regression stops early on a 10 % split; classification keeps the
# library's "auto" (above 10,000 rows only): its split is stratified, and fails
# where a class has a single row or the split is smaller than the classes.
# Genetic programming's grids hold these values (see Space.tuned_values).
# Measured with benchmarks/peers/compare.py (docs/benchmarks/compare_6e72892.md:
# electricity +0.022, no overall gain over 36 cells).
_HGB_SLOW = {"learning_rate": 0.05, "max_iter": 512}
_HGB_LARGE = {"learning_rate": 0.03, "max_iter": 512, "max_leaf_nodes": 127,
              "min_samples_leaf": 3, "max_features": 0.9}
_XGB_SLOW = {"learning_rate": 0.05, "n_estimators": 512, "subsample": 0.8,
             "colsample_bytree": 0.8}
TUNED_CONFIGS = {
    CLASSIFICATION: {"hist_gradient_boosting": (_HGB_SLOW, _HGB_LARGE),
                     "xgboost": (_XGB_SLOW,)},
    REGRESSION: {"hist_gradient_boosting": ({**_HGB_SLOW, "early_stopping": True},
                                            {**_HGB_LARGE, "early_stopping": True}),
                 "xgboost": (_XGB_SLOW,)},
}
