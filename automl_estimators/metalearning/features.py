"""Meta-features of a dataset: cheap numbers that say which datasets are alike.

The k-nearest-datasets warm start (auto-sklearn 1.0) compares datasets by these,
after scaling. All are computed on a row subsample (:data:`SAMPLE_ROWS`; the
landmarkers on fewer), so they take well under a second on every shared dataset.
Groups (Feurer et al. 2015; Rivolli et al. 2022): simple (sizes, column kinds,
missing values, classes), statistical (skewness, kurtosis), information
theoretic (class entropy), PCA, and landmarkers (quick models' cross-validated
scores: 1-NN, a decision stump, naive Bayes / linear regression, LDA).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from ..data import column_ids

# Rows used for statistics and PCA, and for the landmarkers' 3-fold CV.
SAMPLE_ROWS = 2000
LANDMARK_ROWS = 600
# Columns used (a random subset above this): PCA, LDA and 1-NN cost grows with them.
MAX_COLUMNS = 100

FEATURE_NAMES = (
    "log_rows", "log_features", "log_rows_per_feature", "share_categorical",
    "log_mean_cardinality", "log_max_cardinality", "share_missing", "share_rows_missing",
    "log_classes", "class_entropy", "minority_share", "majority_share",
    "skewness_mean", "skewness_max", "kurtosis_mean", "kurtosis_max",
    "pca_share_for_95", "pca_first_share",
    "landmark_1nn", "landmark_stump", "landmark_simple", "landmark_lda",
)


def _numeric_matrix(X, rows, columns) -> tuple[np.ndarray, list[int]]:
    """Sampled rows and columns as floats: categories as codes, missing cells as
    column medians. Also returns the positions of categorical columns (codes, not
    measurements)."""
    if sp.issparse(X):
        return np.asarray(X[rows][:, columns].toarray(), dtype=float), []
    frame = X.iloc[rows, columns] if isinstance(X, pd.DataFrame) \
        else pd.DataFrame(np.asarray(X)[np.ix_(rows, columns)])
    columns, categorical = [], []
    for j, (_, column) in enumerate(frame.items()):
        if pd.api.types.is_bool_dtype(column) or (
                pd.api.types.is_numeric_dtype(column)
                and not isinstance(column.dtype, pd.CategoricalDtype)):
            values = column.astype(float).to_numpy()
        else:
            categorical.append(j)
            values = pd.Categorical(column.astype(str)).codes.astype(float)
        if np.isnan(values).any():
            fill = np.nanmedian(values) if (~np.isnan(values)).any() else 0.0
            values = np.where(np.isnan(values), fill, values)
        columns.append(values)
    return np.column_stack(columns), categorical


def _cardinalities(X, profile) -> list[int]:
    if not isinstance(X, pd.DataFrame):
        return []
    names = set(profile.all_categorical)
    return [int(column.nunique(dropna=True))
            for ident, (_, column) in zip(column_ids(X), X.items()) if ident in names]


def _missing_rows(X) -> float:
    if sp.issparse(X):
        return 0.0
    if isinstance(X, pd.DataFrame):
        return float(X.isna().any(axis=1).mean())
    return float(np.isnan(np.asarray(X, dtype=float)).any(axis=1).mean())


def _landmarks(Z, y, task, seed) -> dict:
    if task == "classification":
        models = {"landmark_1nn": KNeighborsClassifier(1),
                  "landmark_stump": DecisionTreeClassifier(max_depth=1, random_state=seed),
                  "landmark_simple": GaussianNB(),
                  "landmark_lda": LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")}
        counts = np.bincount(y)
        n_splits = int(min(3, counts[counts > 0].min())) if len(counts) else 0
        splitter = StratifiedKFold(n_splits, shuffle=True, random_state=seed) \
            if n_splits >= 2 else KFold(3, shuffle=True, random_state=seed)
        scoring = "accuracy"
    else:
        models = {"landmark_1nn": KNeighborsRegressor(1),
                  "landmark_stump": DecisionTreeRegressor(max_depth=1, random_state=seed),
                  "landmark_simple": LinearRegression(),
                  "landmark_lda": None}
        splitter, scoring = KFold(3, shuffle=True, random_state=seed), "r2"
    out = {}
    for name, model in models.items():
        if model is None:
            out[name] = 0.0
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scores = cross_val_score(model, Z, y, cv=splitter, scoring=scoring,
                                         error_score="raise")
            # r2 of a bad landmarker is unbounded below: clip to [-1, 1]
            out[name] = float(np.clip(np.mean(scores), -1.0, 1.0))
        except (ValueError, np.linalg.LinAlgError):
            out[name] = 0.0
    return out


def meta_features(X, y, profile, seed: int = 0) -> dict:
    """The meta-features of validated training data (one BLAS thread: the matrices
    are small, and threads only add start-up and contention)."""
    with threadpool_limits(1):
        return _meta_features(X, y, profile, seed)


def _meta_features(X, y, profile, seed: int = 0) -> dict:
    """The meta-features (see :func:`meta_features`).

    Parameters
    ----------
    X : DataFrame, ndarray or sparse matrix
        As :func:`automl_estimators.data.check_X` returns it.
    y : ndarray
        Encoded class indices (classification) or float targets.
    profile : DataProfile
    seed : int
        Seed of the row and column subsamples and the landmarkers' folds.

    Returns
    -------
    dict
        One float per name of :data:`FEATURE_NAMES`, in that order; never NaN.
    """
    rng = np.random.default_rng(seed)
    n, d = profile.n_rows, profile.n_features
    rows = np.sort(rng.choice(n, size=min(n, SAMPLE_ROWS), replace=False))
    columns = np.sort(rng.choice(d, size=min(d, MAX_COLUMNS), replace=False))
    Z, categorical = _numeric_matrix(X, rows, columns)
    y_sample = np.asarray(y)[rows]
    cardinalities = _cardinalities(X, profile)
    features = {
        "log_rows": np.log10(n), "log_features": np.log10(d),
        "log_rows_per_feature": np.log10(n / d),
        "share_categorical": len(cardinalities) / d,
        "log_mean_cardinality": np.log10(np.mean(cardinalities)) if cardinalities else 0.0,
        "log_max_cardinality": np.log10(max(cardinalities)) if cardinalities else 0.0,
        "share_missing": profile.missing_fraction, "share_rows_missing": _missing_rows(X),
    }
    if profile.task == "classification":
        p = np.asarray(profile.class_counts, dtype=float)
        p = p[p > 0] / p.sum()
        features.update(log_classes=np.log2(len(p)),
                        class_entropy=float(stats.entropy(p, base=2) / max(np.log2(len(p)), 1)),
                        minority_share=float(p.min()), majority_share=float(p.max()))
    else:
        features.update(log_classes=0.0, class_entropy=0.0, minority_share=0.0,
                        majority_share=0.0)
    numeric = [j for j in range(Z.shape[1]) if j not in set(categorical)]
    measured = Z[:, numeric]
    varying = measured[:, measured.std(axis=0) > 0] if measured.size else measured
    if varying.shape[1]:
        skew = np.clip(np.abs(stats.skew(varying, axis=0)), 0, 50)
        kurt = np.clip(stats.kurtosis(varying, axis=0), -3, 100)
        features.update(skewness_mean=float(skew.mean()), skewness_max=float(skew.max()),
                        kurtosis_mean=float(kurt.mean()), kurtosis_max=float(kurt.max()))
        scaled = StandardScaler().fit_transform(varying)
        ratios = PCA(random_state=seed).fit(scaled).explained_variance_ratio_
        needed = int(np.searchsorted(np.cumsum(ratios), 0.95) + 1)
        features.update(pca_share_for_95=needed / varying.shape[1],
                        pca_first_share=float(ratios[0]))
    else:
        features.update(skewness_mean=0.0, skewness_max=0.0, kurtosis_mean=0.0,
                        kurtosis_max=0.0, pca_share_for_95=0.0, pca_first_share=0.0)
    few = rng.choice(len(rows), size=min(len(rows), LANDMARK_ROWS), replace=False)
    Zs = StandardScaler().fit_transform(Z[few])
    features.update(_landmarks(Zs, y_sample[few], profile.task, seed))
    return {name: float(np.nan_to_num(features[name])) for name in FEATURE_NAMES}
