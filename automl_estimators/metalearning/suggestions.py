"""Warm-start suggestions from meta-data of earlier datasets.

Two methods behind :func:`suggest`:

- ``"knn"`` (auto-sklearn 1.0): the datasets nearest to the new one on scaled
  meta-features (L1 distance, each feature standardised over the meta-datasets of
  the same task); their best configurations, nearest dataset first, taken in turn.
- ``"portfolio"`` (auto-sklearn 2.0): a greedy portfolio over the performance
  matrix (configurations x datasets): each step adds the configuration that most
  raises the mean over datasets of the best normalised score in the portfolio.
  It ignores the new dataset's meta-features.

Meta-data (:data:`METADATA_FILE`, built offline by ``benchmarks/metalearning_build.py``)
is a JSON document::

    {"provenance": {...},
     "tasks": {"classification": {
         "datasets": {"credit-g": {"features": {...}, "best": [0, 12, ...]}, ...},
         "configurations": [{...}, ...],
         "scores": {"credit-g": [0.75, null, ...], ...}}, ...}}

``best`` lists indices into ``configurations``; ``scores`` holds one validation
score (or null: failed) per configuration. :func:`leave_out` (``suggest``'s
``exclude``) removes datasets from the meta-data, with the configurations that only
their own searches found: the leave-one-dataset-out of the warm-start benchmark.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..trial import config_key
from .features import FEATURE_NAMES

METADATA_FILE = Path(__file__).with_name("metadata.json")
METHODS = ("knn", "portfolio")
# Nearest datasets whose best configurations the k-NN method draws from.
NEIGHBOURS = 5


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    return json.loads(Path(path).read_text())


def load_metadata(path=None) -> dict | None:
    """The meta-data at ``path`` (default: the file shipped with the package), or None."""
    path = Path(path) if path is not None else METADATA_FILE
    if not path.exists():
        return None
    return _load(str(path))


def leave_out(metadata: dict, names) -> dict:
    """``metadata`` without the datasets ``names``: their meta-features, their score
    rows, and the configurations found only by their searches (no leakage)."""
    names = set(names)
    out = {"provenance": dict(metadata.get("provenance", {}), left_out=sorted(names)),
           "tasks": {}}
    for task, part in metadata.get("tasks", {}).items():
        kept = {n: d for n, d in part["datasets"].items() if n not in names}
        found = sorted({i for d in kept.values() for i in d["best"]})
        new_index = {old: new for new, old in enumerate(found)}
        out["tasks"][task] = {
            "configurations": [part["configurations"][i] for i in found],
            "datasets": {n: dict(d, best=[new_index[i] for i in d["best"]])
                         for n, d in kept.items()},
            "scores": {n: [part["scores"][n][i] for i in found]
                       for n in kept if n in part["scores"]}}
    return out


def knn_order(features: dict, part: dict, names: list[str]) -> list[int]:
    """Configuration indices: best configurations of the nearest datasets, in turn."""
    if not names:
        return []
    matrix = np.array([[part["datasets"][n]["features"][f] for f in FEATURE_NAMES]
                       for n in names], dtype=float)
    scale = matrix.std(axis=0)
    scale[scale == 0] = 1.0
    centre = matrix.mean(axis=0)
    query = (np.array([features[f] for f in FEATURE_NAMES], dtype=float) - centre) / scale
    distances = np.abs((matrix - centre) / scale - query).sum(axis=1)
    nearest = [names[i] for i in np.argsort(distances, kind="stable")[:NEIGHBOURS]]
    lists = [list(part["datasets"][n]["best"]) for n in nearest]
    order, seen = [], set()
    for rank in range(max(len(best) for best in lists)):
        for best in lists:
            if rank < len(best) and best[rank] not in seen:
                seen.add(best[rank])
                order.append(best[rank])
    return order


def portfolio_order(part: dict, names: list[str], n: int) -> list[int]:
    """Configuration indices chosen greedily to cover the datasets best."""
    if not names:
        return []
    scores = np.array([[np.nan if s is None else s for s in part["scores"][name]]
                       for name in names], dtype=float)
    # Per dataset: 1 for the best configuration, 0 for the worst; failures count 0.
    low = np.nanmin(scores, axis=1, keepdims=True)
    high = np.nanmax(scores, axis=1, keepdims=True)
    span = np.where(high > low, high - low, 1.0)
    normalised = np.nan_to_num((scores - low) / span, nan=0.0)
    chosen, covered = [], np.zeros(len(names))
    for _ in range(min(n, normalised.shape[1])):
        gains = np.maximum(normalised, covered[:, None]).mean(axis=0)
        gains[chosen] = -np.inf
        best = int(np.argmax(gains))
        chosen.append(best)
        covered = np.maximum(covered, normalised[:, best])
    return chosen


def suggest(features: dict, space, n: int, method: str = "knn", *, exclude=(),
            metadata=None) -> list[dict]:
    """Up to ``n`` configurations valid for ``space`` to evaluate first.

    Parameters
    ----------
    features : dict
        Meta-features of the new dataset (:func:`.features.meta_features`).
    space : Space
        The new dataset's space; suggestions are adapted to it (:meth:`Space.adapt`),
        those it cannot hold are skipped.
    n : int
    method : {"knn", "portfolio"}
    exclude : collection of str
        Meta-dataset names left out (leave-one-dataset-out).
    metadata : dict or None
        Meta-data (default: the shipped file); no meta-data gives no suggestions.
    """
    if method not in METHODS:
        raise ValueError(f"warm-start method must be one of {METHODS}, got {method!r}.")
    metadata = load_metadata() if metadata is None else metadata
    if exclude:
        metadata = leave_out(metadata or {}, exclude)
    part = (metadata or {}).get("tasks", {}).get(space.task)
    if not part or not part["datasets"]:
        return []
    names = list(part["datasets"])
    configurations = part["configurations"]
    order = knn_order(features, part, names) if method == "knn" \
        else portfolio_order(part, names, len(configurations))
    out, keys = [], set()
    for index in order:
        config = space.adapt(_typed(configurations[index]))
        if config is None:
            continue
        key = config_key(config)
        if key not in keys:
            keys.add(key)
            out.append(config)
        if len(out) >= n:
            break
    return out


def _typed(config: dict) -> dict:
    """A configuration read from JSON: lists (program trees) back to tuples."""
    def tuples(value):
        return tuple(tuples(v) for v in value) if isinstance(value, list) else value
    return {k: tuples(v) for k, v in config.items()}
