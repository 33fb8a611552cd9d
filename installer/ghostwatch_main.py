"""Entry point of the bundled GhostWatch (PyInstaller): the same command line as `ghostwatch`."""

import sys

from ghostwatch.cli import main

if __name__ == "__main__":
    sys.exit(main())
