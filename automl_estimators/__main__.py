"""The command line's entry point: ``automl-estimators`` and ``python -m automl_estimators``.

It loads the command line (:mod:`.cli`, which imports scikit-learn, pandas and the
estimators: 1-2 s) and runs it. A Ctrl-C while it loads ends the command as one
later does: "automl-estimators: interrupted" and the shell's status for it, not
Python's traceback of an import.
"""

import sys

from .interrupts import EXIT_STATUS
from .version import COMMAND


def main(argv=None) -> int:
    """Load the command line and run one command; the exit status."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write(f"{COMMAND}: interrupted\n")
        return EXIT_STATUS
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
