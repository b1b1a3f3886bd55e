"""Turn configurations into unfitted scikit-learn pipelines; the project's own components."""

from .builder import build_pipeline, make_component

__all__ = ["build_pipeline", "make_component"]
