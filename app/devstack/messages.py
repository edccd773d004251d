"""What devstack tells the person running it: one line on stderr per decision or server event.

Every message starts with `devstack:` and goes to stderr, so the child command's stdout stays its
own (tests read it). URLs in messages pass through `urls.redact` first.
"""

from __future__ import annotations

import sys

__all__ = ["say"]


def say(message: str) -> None:
    sys.stderr.write(f"devstack: {message}\n")
    sys.stderr.flush()
