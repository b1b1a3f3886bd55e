"""Installation script for automl-estimators (build settings are in pyproject.toml)."""

import re
from pathlib import Path

from setuptools import find_packages, setup

DOCS = ["sphinx>=8,<10", "numpydoc>=1.8", "sphinx-gallery>=0.19", "myst-parser>=4",
        "pydata-sphinx-theme>=0.16", "matplotlib>=3.7", "mnist1d>=0.0.2",
        "dask[distributed]>=2024.1", "torch>=2.2,<2.14"]
# automl_estimators/version.py holds the version and the command's name; read, not
# imported (no dependencies yet).
_VERSION_PY = (Path(__file__).with_name("automl_estimators").joinpath("version.py")
               .read_text(encoding="utf-8"))
VERSION = re.search(r'__version__ = "([^"]+)"', _VERSION_PY).group(1)
COMMAND = re.search(r'COMMAND = "([^"]+)"', _VERSION_PY).group(1)

setup(
    name="automl-estimators",
    version=VERSION,
    description="AutoML that behaves like any scikit-learn estimator: search, limits, export.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["automl_estimators", "automl_estimators.*"]),
    # the warm-start meta-data (built offline by python benchmarks/metalearning_build.py)
    package_data={"automl_estimators.metalearning": ["metadata.json"]},
    install_requires=[
        "numpy>=1.26",
        "scipy>=1.11",
        "pandas>=2.1",
        "scikit-learn>=1.6,<1.11",
        "xgboost>=2.0,<4",
        "smac>=2.4,<2.5",
        "ConfigSpace>=1.2,<1.3",
        "deap>=1.4,<1.5",
        "joblib>=1.3",
        "threadpoolctl>=3.1",
        # per-trial wall-time limits: a timed-out worker is killed and replaced
        "pebble>=5.0,<6",
        # trial tasks and answers travel by value: workers never import the user's main module
        "cloudpickle>=2.2",
        "tqdm>=4.60",
    ],
    extras_require={
        # torch 2.13.0 (CPU wheel on the build machines) must satisfy this range
        "nas": ["torch>=2.2,<2.14"],
        "dask": ["dask[distributed]>=2024.1"],
        # the plot_* methods of a fitted estimator (automl_estimators/plotting.py)
        "plots": ["matplotlib>=3.7"],
        # the documentation site (docs/, examples/): Sphinx with numpydoc, autosummary,
        # sphinx-gallery and MyST markdown; the examples use Dask, matplotlib and mnist1d
        "docs": DOCS,
        # mnist1d: generates the NAS benchmark's MNIST-1D (benchmarks/nas/loaders.py);
        # the docs' requirements: tests/test_docs.py builds the site; hypothesis:
        # property-based tests (tests/reliability); pyarrow, polars: pyarrow-backed pandas
        # columns, pyarrow Tables and polars frames in those tests (skipped without them)
        "dev": ["pytest>=8", "pytest-xdist>=3", "pytest-timeout>=2.2", "psutil>=5.9",
                "matplotlib>=3.7", "mnist1d>=0.0.2", "hypothesis>=6.0", "pyarrow>=14", "polars>=1.0", *DOCS],
    },
    entry_points={"console_scripts": [f"{COMMAND}=automl_estimators.__main__:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
