"""Meta-learning for warm starts.

:mod:`.features` computes a dataset's meta-features; :mod:`.suggestions` turns the
shipped meta-data into configurations (k-nearest datasets, greedy portfolio);
:mod:`.warm_start` assembles what a fit evaluates first. The meta-data is built
offline, outside the package (``python benchmarks/metalearning_build.py``): the
build runs whole fits, so it sits above the estimators rather than below them.
"""

from .features import FEATURE_NAMES, meta_features
from .suggestions import load_metadata, suggest

__all__ = ["FEATURE_NAMES", "load_metadata", "meta_features", "suggest"]
