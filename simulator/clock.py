"""A clock the tests and the control API can move forward.

Token lifetimes, code expiry and refresh grace all read this clock, so tests of
"expired" behaviour never sleep.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

__all__ = ["CST", "Clock"]

#: MCE server time: Central Standard Time, UTC-6, no daylight saving (REFERENCE §5.1).
CST = timedelta(hours=-6)


class Clock:
    """Wall-clock time plus an adjustable offset (seconds)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Seconds since the epoch, shifted by the offset."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (tests: expire codes and tokens without sleeping)."""
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def server_now(self) -> datetime:
        """Naive MCE server time (CST), the form MCE puts in CreatedDate/ModifiedDate."""
        return (self.utcnow() + CST).replace(tzinfo=None)
