"""Datasets of the NAS strategies benchmark, each with the input shape its networks see.

- ``mnist1d``: MNIST-1D (Greydanus 2020), generated on the spot by the ``mnist1d``
  package (the ``dev`` extra) with its default arguments: 4000 training and 1000
  test signals of 40 samples, 10 classes, always the package's own split (the
  seed varies only the search). A signal: ``image_shape=(40,)``. Never written to
  disk here.
- ``digits``: ``sklearn.datasets.load_digits``, 8x8 images.
- ``mfeat-pixel``: 16 rows x 15 columns of pixel averages (the 240 columns are the
  rows of the image one after the other; ``image_shape=(16, 15)``, read from the
  data: neighbouring columns and columns 15 apart differ least).
- ``letter``, ``segment``: tabular.

The shared ones are read from ``../shared/datasets`` and split 75/25 (stratified,
fixed by the seed) as every benchmark splits them (``benchmarks/common.py``).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import dataset_entry, load_split, split_frame

# Input shape of one row as the networks read it; absent: tabular.
IMAGE_SHAPES = {"mnist1d": (40,), "digits": (8, 8), "mfeat-pixel": (16, 15)}
SHARED = ("mfeat-pixel", "letter", "segment")
DATASETS = ("mnist1d", "digits") + SHARED


@dataclass(frozen=True)
class Problem:
    """One dataset, split: what a run fits on and scores on."""

    name: str
    X_train: object
    X_test: object
    y_train: object
    y_test: object
    image_shape: tuple | None

    def facts(self) -> dict:
        """Sizes recorded with every run."""
        import numpy as np

        return {"train_rows": len(self.X_train), "test_rows": len(self.X_test),
                "features": int(np.shape(self.X_train)[1]),
                "classes": len(np.unique(self.y_train)),
                "image_shape": list(self.image_shape) if self.image_shape else None}


def load(name: str, seed: int) -> Problem:
    """The dataset ``name`` split for ``seed``.

    Raises
    ------
    ValueError
        When ``name`` is not one of :data:`DATASETS`.
    """
    if name == "mnist1d":
        parts = _mnist1d()
    elif name == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True, as_frame=True)
        parts = split_frame(X, y, "multiclass", seed)
    elif name in SHARED:
        parts = load_split(dataset_entry(name), seed)
    else:
        raise ValueError(f"unknown dataset {name!r}; the benchmark's datasets are "
                         f"{', '.join(DATASETS)}.")
    return Problem(name, *parts, image_shape=IMAGE_SHAPES.get(name))


def _mnist1d():
    """MNIST-1D's own train/test split as (X_train, X_test, y_train, y_test)."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise ImportError("the mnist1d dataset needs the mnist1d package: "
                          "pip install -e '.[dev]' (or pip install mnist1d).") from exc
    data = make_dataset(get_dataset_args())
    return data["x"], data["x_test"], data["y"], data["y_test"]
