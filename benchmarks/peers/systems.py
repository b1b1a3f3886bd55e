"""One adapter per benchmarked system: fit within the budget on the given cores, predict.

Imported only inside the system's own venv (``run.py --one``); each adapter imports
its library in ``fit``. Every system gets its library's defaults except the time
budget, the cores, the seed and the task, which all of them are told alike.
"""
from __future__ import annotations

import os

import numpy as np
from protocol import CLASSIFICATION

# The environment variable naming this package's search strategy for a run (unset: the
# package's default), set by compare_checkouts.py --search.
SEARCH_VARIABLE = "AUTOML_BENCH_SEARCH"


class Adapter:
    """Fit one system on a training split and predict a test split.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
    budget : int
        Seconds the system may search for (baselines ignore it).
    seed : int
        Passed to the system's random seed.
    cores : int
        Cores the system may use (its own ``n_jobs``-like setting).
    workdir : pathlib.Path
        Scratch folder the system may write to; removed after the run.
    """

    distributions: tuple[str, ...] = ()  # packages whose versions the run records

    def __init__(self, task, budget, seed, cores, workdir):
        self.task = task
        self.budget = budget
        self.seed = seed
        self.cores = cores
        self.workdir = workdir
        self.model = None

    def own_fit_seconds(self):
        """Seconds of the fit by the system's own clock, without its import (None
        where the system keeps none): beside ``fit_s``, which counts the import."""

    @property
    def is_classification(self):
        return self.task in CLASSIFICATION

    def fit(self, X, y):
        raise NotImplementedError

    def predict(self, X):
        return np.asarray(self.model.predict(X))

    def predict_proba(self, X):
        """(probabilities, their classes), or None when the system has none."""
        if not self.is_classification or not hasattr(self.model, "predict_proba"):
            return None
        return np.asarray(self.model.predict_proba(X)), list(self.model.classes_)

    def describe(self):
        """A short text on what the system chose (its final model)."""
        return type(self.model).__name__


class AutoMLEstimators(Adapter):
    """This package: ``AutoClassifier`` / ``AutoRegressor``."""

    distributions = ("automl-estimators", "scikit-learn", "xgboost", "smac")

    def fit(self, X, y):
        from automl_estimators import AutoClassifier, AutoRegressor

        cls = AutoClassifier if self.is_classification else AutoRegressor
        # A/B of one search strategy (compare_checkouts.py --search); unset, the
        # package's own default applies.
        search = os.environ.get(SEARCH_VARIABLE)
        self.model = cls(time_budget=self.budget, n_jobs=self.cores, random_state=self.seed,
                         **({"search": search} if search else {}))
        self.model.fit(X, y)

    def own_fit_seconds(self):
        return getattr(self.model, "fit_time_", None)

    def describe(self):
        ensemble = getattr(self.model, "ensemble_", None)
        best = str(self.model.leaderboard_.iloc[0]["pipeline"])
        if ensemble is not None:
            return f"ensemble of {len(ensemble.members_)}; best: {best}"
        return best


class FLAML(Adapter):
    """FLAML ``AutoML`` with its default estimators and metric."""

    distributions = ("flaml", "lightgbm", "xgboost", "scikit-learn")

    def fit(self, X, y):
        from flaml import AutoML

        self.model = AutoML()
        self.model.fit(X, y, task="classification" if self.is_classification else "regression",
                       time_budget=self.budget, n_jobs=self.cores, seed=self.seed, verbose=0)

    def describe(self):
        config = {k: round(float(v), 4) if isinstance(v, float) else v
                  for k, v in (self.model.best_config or {}).items()}
        return f"{self.model.best_estimator}: {config}"


class TPOT(Adapter):
    """TPOT 1.x ``TPOTClassifier`` / ``TPOTRegressor`` (default "linear" search space).

    ``preprocessing=True`` is TPOT's own imputation and one-hot encoding of object
    columns, without which it cannot take missing values or strings.
    """

    distributions = ("tpot", "scikit-learn", "xgboost", "lightgbm", "dask")

    def fit(self, X, y):
        from tpot import TPOTClassifier, TPOTRegressor

        cls = TPOTClassifier if self.is_classification else TPOTRegressor
        self.model = cls(max_time_mins=self.budget / 60, n_jobs=self.cores,
                         random_state=self.seed, preprocessing=True, verbose=0)
        self.model.fit(X, y)

    def predict(self, X):
        pred = np.asarray(self.model.predict(X))
        # TPOTClassifier.predict (1.1.0) returns the encoded labels when TPOT had to
        # encode them; its classes_ are the original ones.
        encoder = getattr(self.model, "label_encoder_", None)
        if self.is_classification and encoder is not None:
            pred = encoder.inverse_transform(pred.astype(int))
        return pred

    def describe(self):
        return str(self.model.fitted_pipeline_).replace("\n", " ")[:300]


class AutoGluon(Adapter):
    """AutoGluon ``TabularPredictor`` with its default preset."""

    distributions = ("autogluon.tabular", "lightgbm", "catboost", "xgboost-cpu", "fastai",
                     "torch")

    # TabularPredictor.fit's preset; None: its default ("medium_quality")
    presets = None

    def fit(self, X, y):
        from autogluon.tabular import TabularPredictor

        train = X.assign(target=y.to_numpy())
        self.model = TabularPredictor(label="target", problem_type=self.task,
                                      path=str(self.workdir / "autogluon"), verbosity=0)
        # No seed argument: AutoGluon seeds its models with 0, so across seeds only the
        # split varies.
        extra = {} if self.presets is None else {"presets": self.presets}
        self.model.fit(train, time_limit=self.budget, num_cpus=self.cores, num_gpus=0,
                       **extra)

    def predict(self, X):
        return self.model.predict(X).to_numpy()

    def predict_proba(self, X):
        if not self.is_classification:
            return None
        proba = self.model.predict_proba(X, as_multiclass=True)
        return proba.to_numpy(), list(proba.columns)

    def describe(self):
        return f"{self.model.model_best} (of {len(self.model.model_names())} models)"


class AutoGluonBest(AutoGluon):
    """AutoGluon with ``presets="best_quality"``: k-fold bagging and multi-layer
    stacking, AutoGluon's most accurate preset (the 300 s league)."""

    presets = "best_quality"


def _categorical_columns(X):
    return list(X.select_dtypes(include=["object", "category", "string"]).columns)


class HistGradientBoosting(Adapter):
    """Baseline: default HistGradientBoosting after one-hot encoding of text columns.

    The same baseline as ``benchmarks/budget.py``; HGB's OpenMP threads follow
    ``OMP_NUM_THREADS``, which the sweep sets to the cores.
    """

    distributions = ("scikit-learn",)

    def fit(self, X, y):
        from sklearn.compose import ColumnTransformer
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        encode = ColumnTransformer(
            [("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
              _categorical_columns(X))], remainder="passthrough")
        model = (HistGradientBoostingClassifier if self.is_classification
                 else HistGradientBoostingRegressor)(random_state=self.seed)
        self.model = make_pipeline(encode, model).fit(X, y)


class XGBoost(Adapter):
    """Baseline: default XGBoost, text columns as pandas categories (native support)."""

    distributions = ("xgboost",)

    def fit(self, X, y):
        from sklearn.preprocessing import LabelEncoder
        from xgboost import XGBClassifier, XGBRegressor

        self.categories = {c: X[c].astype("category").cat.categories
                           for c in _categorical_columns(X)}
        params = {"n_jobs": self.cores, "random_state": self.seed, "enable_categorical": True}
        if self.is_classification:
            self.encoder = LabelEncoder().fit(y)
            self.model = XGBClassifier(**params).fit(self._encode(X), self.encoder.transform(y))
        else:
            self.encoder = None
            self.model = XGBRegressor(**params).fit(self._encode(X), y)

    def _encode(self, X):
        import pandas as pd

        X = X.copy()
        for column, categories in self.categories.items():
            X[column] = pd.Categorical(X[column], categories=categories)
        return X

    def predict(self, X):
        pred = self.model.predict(self._encode(X))
        return self.encoder.inverse_transform(pred.astype(int)) if self.encoder else pred

    def predict_proba(self, X):
        if not self.is_classification:
            return None
        return self.model.predict_proba(self._encode(X)), list(self.encoder.classes_)


ADAPTERS = {
    "automl-estimators": AutoMLEstimators,
    "flaml": FLAML,
    "tpot": TPOT,
    "autogluon": AutoGluon,
    "autogluon-best": AutoGluonBest,
    "hgb": HistGradientBoosting,
    "xgboost": XGBoost,
}
