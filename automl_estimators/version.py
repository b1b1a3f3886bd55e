"""The package's version: the one place it is written (``setup.py`` reads it from here)."""

__version__ = "0.1.0"
# The name of the command line (setup.py's console script; the parser's prog).
COMMAND = "automl-estimators"
