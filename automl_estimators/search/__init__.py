"""Search strategies behind one ask/tell interface (see :mod:`.base`)."""

from .base import Candidate, SearchStrategy
from .random import RandomSearch

STRATEGIES = {"random": RandomSearch}
# What search="auto" means today; SMAC takes over when it lands.
AUTO = "random"


def make_strategy(name: str, space, seed: int) -> SearchStrategy:
    """The strategy called ``name`` (``"auto"`` included) over ``space``."""
    return STRATEGIES[AUTO if name == "auto" else name](space, seed)


__all__ = ["Candidate", "SearchStrategy", "RandomSearch", "STRATEGIES", "make_strategy"]
