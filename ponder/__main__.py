"""``python -m ponder`` runs the ``ponder`` command."""

import sys

from ponder.cli import main

if __name__ == "__main__":
    sys.exit(main())
