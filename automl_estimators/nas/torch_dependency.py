"""torch is optional: one place that imports it and says what to install when it is missing."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys

INSTALL_HINT = "pip install 'automl-estimators[nas]'"


def import_torch():
    """Import and return ``torch``, or raise an ImportError that says what to install.

    Imports every time (a cached module costs a dictionary look-up), so that a
    torch made unavailable after start-up is still reported clearly.
    """
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(
            f"The neural estimators need PyTorch, which is not installed ({exc}). "
            f"Install it with: {INSTALL_HINT}") from exc


def torch_available() -> bool:
    """Whether torch can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        # find_spec raises ValueError when sys.modules["torch"] is None (import blocked)
        return False


# Paths that exist where the NVIDIA driver is loaded and its GPUs are usable here.
NVIDIA_DRIVER_PATHS = ("/proc/driver/nvidia/version", "/dev/nvidiactl")


def cuda_available() -> bool:
    """Whether a CUDA GPU can be used, without importing torch when it is not loaded yet.

    Importing torch takes seconds and ~480 MB of address space; before that, the
    NVIDIA driver's presence stands for a usable GPU: its ``/proc`` entry, or its
    control device where a container or sandbox passes the GPU through without the
    ``/proc`` entry.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        return bool(torch.cuda.is_available())
    return torch_available() and any(os.path.exists(path) for path in NVIDIA_DRIVER_PATHS)


def neural_dependencies(neural) -> tuple[bool, bool]:
    """Whether torch and a CUDA GPU are available, for the ``neural`` parameter.

    ``neural=True`` needs torch: its absence raises the ImportError of
    :func:`import_torch`. Under ``"auto"`` the branch is skipped with a log line.
    """
    if not isinstance(neural, str) and neural:
        import_torch()  # the ImportError says what to install
    available = torch_available()
    if isinstance(neural, str) and not available:
        logging.getLogger(__name__).info("neural branch skipped: torch is not installed (%s)",
                                         INSTALL_HINT)
    return available, cuda_available()
