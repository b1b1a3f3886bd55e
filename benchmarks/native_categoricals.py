"""The default HistGradientBoosting pipeline with one-hot categoricals against
ordinal codes that HGB splits natively (``categorical_features``), 5-fold CV.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/native_categoricals.py \\
        ames_housing abalone credit-g car ... > benchmarks/results/native_categoricals.txt

Datasets above 20,000 rows are subsampled (seed 0). Prints, per dataset: the
numbers of low- and high-cardinality categorical and numeric columns, then the
score (accuracy or R²) and seconds of each encoding.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from automl_estimators.data import check_X, profile
from automl_estimators.pipelines import build_pipeline
from automl_estimators.spaces import Space

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
MANIFEST = {d["name"]: d for d in json.loads((DATASETS / "manifest.json").read_text())}

for name in sys.argv[1:]:
    entry = MANIFEST[name]
    frame = pd.read_csv(DATASETS / entry["file"])
    if len(frame) > 20000:
        frame = frame.sample(20000, random_state=0)
    y = frame.pop("target")
    X = check_X(frame)
    task = "regression" if entry["task"] == "regression" else "classification"
    if task == "classification":
        y = pd.factorize(y)[0]
    data_profile = profile(X, np.asarray(y), task)
    space = Space(task, n_features=X.shape[1], has_categorical=data_profile.has_categorical)
    folds = (KFold if task == "regression" else StratifiedKFold)(5, shuffle=True, random_state=0)
    out = [name, len(data_profile.categorical), len(data_profile.high_cardinality),
           len(data_profile.numeric)]
    for encoding in ("one_hot", "ordinal"):
        config = {k: v for k, v in space.default_config().items()
                  if not k.startswith("encoding:")}
        config["encoding"] = encoding
        if encoding == "one_hot":
            config["encoding:one_hot:min_frequency"] = 0.01
        pipeline = build_pipeline(config, space, data_profile, random_state=0)
        start = time.time()
        score = cross_val_score(pipeline, X, y, cv=folds, n_jobs=1).mean()
        out += [encoding, round(score, 4), round(time.time() - start, 1)]
    print(*out, flush=True)
