"""`python -m app.devstack run|status|stop`: the command-line entry point (see `cli`)."""

from __future__ import annotations

import sys

from app.devstack.cli import main

if __name__ == "__main__":
    sys.exit(main())
