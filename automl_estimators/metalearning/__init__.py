"""Meta-learning for warm starts.

:mod:`.features` computes a dataset's meta-features; :mod:`.suggestions` turns the
shipped meta-data into configurations (k-nearest datasets, greedy portfolio);
:mod:`.warm_start` assembles what a fit evaluates first; :mod:`.build` is the
offline build of the meta-data (``python -m automl_estimators.metalearning.build``).
"""

from .features import FEATURE_NAMES, meta_features
from .suggestions import load_metadata, suggest

__all__ = ["FEATURE_NAMES", "load_metadata", "meta_features", "suggest"]
