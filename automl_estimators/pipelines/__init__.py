"""Turn configurations into unfitted scikit-learn pipelines; the project's own components."""

from .builder import build_pipeline, fidelity_shares
from .instantiation import make_component

__all__ = ["build_pipeline", "fidelity_shares", "make_component"]
