"""Hooks that see every MCE call: timing and counts by operation and outcome.

The app plugs its metrics in through :class:`CallObserver`; :class:`LoggingObserver`
writes one line per call to the ``quarry.client`` logger. A :class:`CallEvent` holds no
URL query, header or body, so no token can reach a log line through it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from client.tokens import CallTarget

__all__ = [
    "CallEvent",
    "CallObserver",
    "CountingObserver",
    "LoggingObserver",
    "ObserverChain",
    "logger",
    "report_call",
]

logger = logging.getLogger("quarry.client")


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One finished call. ``outcome`` is ``"ok"`` or the error class name."""

    operation: str
    outcome: str
    duration: float
    attempts: int
    status: int | None
    tenant_id: int | None
    mid: int | None


class CallObserver(Protocol):
    def call_finished(self, event: CallEvent) -> None: ...


def report_call(
    observer: CallObserver,
    *,
    operation: str,
    outcome: str,
    started: float,
    attempts: int,
    status: int | None,
    target: CallTarget | None,
) -> None:
    """Tell ``observer`` about one finished call (``started`` from ``time.monotonic()``).

    A failing observer is logged, never raised: the call's own result (say, a refresh grant
    that has already rotated the refresh token) must not be lost to a metrics problem.
    """
    event = CallEvent(
        operation=operation,
        outcome=outcome,
        duration=time.monotonic() - started,
        attempts=attempts,
        status=status,
        tenant_id=target.tenant_id if target is not None else None,
        mid=target.mid if target is not None else None,
    )
    try:
        observer.call_finished(event)
    except Exception:
        logger.exception("call observer failed")


class LoggingObserver:
    """Logs each call: INFO for success, WARNING for errors."""

    def call_finished(self, event: CallEvent) -> None:
        level = logging.INFO if event.outcome == "ok" else logging.WARNING
        logger.log(
            level,
            "mce call %s %s in %.1f ms (attempts=%d status=%s tenant=%s mid=%s)",
            event.operation,
            event.outcome,
            event.duration * 1000,
            event.attempts,
            event.status,
            event.tenant_id,
            event.mid,
            extra={"mce_operation": event.operation, "mce_outcome": event.outcome},
        )


class CountingObserver:
    """Counts calls and sums their time by ``(operation, outcome)``; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.seconds: defaultdict[tuple[str, str], float] = defaultdict(float)

    def call_finished(self, event: CallEvent) -> None:
        key = (event.operation, event.outcome)
        with self._lock:
            self.calls[key] += 1
            self.seconds[key] += event.duration


class ObserverChain:
    """Several observers; one failing never hides the call's own result."""

    def __init__(self, observers: Sequence[CallObserver]) -> None:
        self._observers = tuple(observers)

    def call_finished(self, event: CallEvent) -> None:
        for observer in self._observers:
            try:
                observer.call_finished(event)
            except Exception:
                logger.exception("call observer %r failed", observer)
