"""Which virtual environment each benchmarked system runs in, and what it installs.

Every system lives in its own venv under ``benchmarks/peers/.venvs/`` (git-ignored)
so that no peer ever becomes a dependency of the package, and no peer's pins
constrain another's. Only the standard library is imported here: ``install.py``
runs before any venv exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENVS = HERE / ".venvs"
PINS = HERE / "pins"

# The CPU wheel ships with the machines (pip's find-links); an open torch range with
# no torch installed would pull several GB of CUDA packages instead.
TORCH = "torch==2.13.0"


@dataclass(frozen=True)
class Env:
    """One virtual environment.

    Parameters
    ----------
    name : str
        Folder under ``.venvs/``.
    requirements : tuple of str
        Arguments of one ``pip install`` (resolved together).
    torch : bool
        Install :data:`TORCH` first, because the requirements pull torch.
    check : str
        Python statement that must run in the venv for the install to count.
    """

    name: str
    requirements: tuple[str, ...]
    torch: bool = False
    check: str = ""

    @property
    def python(self) -> Path:
        return VENVS / self.name / "bin" / "python"


ENVS = {env.name: env for env in (
    Env("automl-estimators", ("-e", str(REPO)), torch=True,
        check="import automl_estimators"),
    Env("flaml", ("flaml[automl]==2.7.0",), check="from flaml import AutoML"),
    # TPOT 1.x imports pkg_resources (through stopit), removed in setuptools 81.
    Env("tpot", ("tpot==1.1.0", "setuptools<81"),
        check="from tpot import TPOTClassifier, TPOTRegressor"),
    # The extras are the model families of AutoGluon's default preset
    # (LightGBM, CatBoost, XGBoost, the torch and fastai networks); fastai pulls torch.
    Env("autogluon", ("autogluon.tabular[lightgbm,catboost,xgboost,fastai]==1.6.3",),
        torch=True, check="from autogluon.tabular import TabularPredictor"),
    Env("baselines", ("scikit-learn==1.9.1", "xgboost==3.2.0", "pandas==3.1.1"),
        check="import sklearn, xgboost, pandas"),
)}

# system name -> the venv it runs in; the order is the order of tables and plots
SYSTEMS = {
    "automl-estimators": "automl-estimators",
    "flaml": "flaml",
    "tpot": "tpot",
    "autogluon": "autogluon",
    # AutoGluon's best_quality preset (bagged, stacked): the 300 s league's only
    "autogluon-best": "autogluon",
    "hgb": "baselines",
    "xgboost": "baselines",
}
OURS = "automl-estimators"
# What the main sweep runs when --systems is not given
SWEEP_SYSTEMS = tuple(s for s in SYSTEMS if s != "autogluon-best")


def env_of(system: str) -> Env:
    """The environment that runs ``system``."""
    try:
        return ENVS[SYSTEMS[system]]
    except KeyError:
        raise SystemExit(f"unknown system {system!r}; known: {', '.join(SYSTEMS)}") from None
