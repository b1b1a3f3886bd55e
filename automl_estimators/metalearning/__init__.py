"""Meta-learning for warm starts: dataset meta-features (:mod:`.features`).

The suggestion methods (k-nearest datasets, greedy portfolio) and the offline
build of the shipped meta-data are the open part of the meta-learning issue.
"""

from .features import FEATURE_NAMES, meta_features

__all__ = ["FEATURE_NAMES", "meta_features"]
