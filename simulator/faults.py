"""Fault injection: latency, errors, rate limits, slow answers, connection resets.

Rules are keyed by an operation pattern (``fnmatch``: ``rest.*``, ``soap.Retrieve.*``,
``*``). Every HTTP handler calls ``await sim.faults.apply(operation)`` before doing
its work; ``apply`` sleeps for latency and raises :class:`InjectedFault` when a rule
fires. Rules fire either with a probability (``rate``, drawn from a seeded RNG so runs
repeat) or for the next ``times`` matching calls, which tests prefer because it is
deterministic. A rule with ``mid`` set fires only for calls signed with a token for that BU
[sim]: MCE failing for one BU while the others work (e.g. mid-sync).

``lose_answer`` [sim] lets the call do its work and drops the connection instead of its
answer (the ASGI middleware reads :data:`ANSWER_LOST`): a create MCE carried out whose
response never arrived, the case a client must confirm before it sends again.
"""

from __future__ import annotations

import asyncio
import contextvars
import fnmatch
import random
import threading
from dataclasses import asdict, dataclass

from simulator.errors import InjectedFault

__all__ = ["ANSWER_LOST", "FAULT_KINDS", "FaultRule", "Faults"]

#: ``error`` → HTTP 500; ``rate_limit`` → 429 (REST) / Rate Limited fault (SOAP);
#: ``reset`` → the TCP connection is dropped; ``slow`` → answer after ``delay_ms``
#: (use a delay longer than the client's timeout); ``lose_answer`` → the call is carried
#: out, then the connection is dropped instead of the answer.
FAULT_KINDS = ("error", "rate_limit", "reset", "slow", "lose_answer")

#: Set for the current request when a ``lose_answer`` rule fired: the middleware drops the
#: connection when the answer would start.
ANSWER_LOST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "simulator_answer_lost", default=False
)


@dataclass(slots=True)
class FaultRule:
    """One rule. ``times`` (when set) counts down and removes the rule at zero."""

    operation: str
    kind: str
    rate: float = 1.0
    times: int | None = None
    status: int = 500
    retry_after: int = 5
    delay_ms: int = 0
    mid: int | None = None
    """Only calls for this BU (the access token's MID) match; ``None``: every call."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Faults:
    """The configured latency and fault rules of one simulator."""

    def __init__(self, *, seed: int = 1, latency_ms: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(f"faults-{seed}")
        self._seed = seed
        self.default_latency_ms = latency_ms
        self._latency: dict[str, int] = {}
        self._rules: list[FaultRule] = []

    def set_latency(self, ms: int, operation: str | None = None) -> None:
        """Latency for every call (``operation=None``) or for matching operations."""
        with self._lock:
            if operation is None:
                self.default_latency_ms = max(ms, 0)
            else:
                self._latency[operation] = max(ms, 0)

    def add_rule(self, rule: FaultRule) -> FaultRule:
        if rule.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        if not 0.0 <= rule.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        with self._lock:
            self._rules.append(rule)
        return rule

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def latency(self) -> dict[str, int]:
        with self._lock:
            return {"*default*": self.default_latency_ms, **self._latency}

    def clear(self) -> None:
        """Remove every rule and per-operation latency (the CLI's ``--latency-ms`` stays)."""
        with self._lock:
            self._rules.clear()
            self._latency.clear()
            self._rng = random.Random(f"faults-{self._seed}")

    def _latency_for(self, operation: str) -> int:
        for pattern, ms in self._latency.items():
            if fnmatch.fnmatchcase(operation, pattern):
                return ms
        return self.default_latency_ms

    def decide(self, operation: str, *, mid: int | None = None) -> tuple[int, FaultRule | None]:
        """The latency to add and the rule that fires (if any), consuming ``times``."""
        with self._lock:
            delay = self._latency_for(operation)
            for rule in list(self._rules):
                if not fnmatch.fnmatchcase(operation, rule.operation):
                    continue
                if rule.mid is not None and rule.mid != mid:
                    continue
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self._rules.remove(rule)
                return delay, rule
        return delay, None

    async def apply(self, operation: str, *, mid: int | None = None) -> None:
        """Sleep for the configured latency, then raise :class:`InjectedFault` if a rule fires.

        ``mid`` is the BU the call is for (rules with a ``mid`` match only it). A ``slow``
        rule only sleeps ``delay_ms`` more and lets the call proceed; a ``lose_answer`` rule
        lets it proceed and marks its answer lost (:data:`ANSWER_LOST`).
        """
        delay, rule = self.decide(operation, mid=mid)
        if rule is not None and rule.kind == "slow":
            delay += rule.delay_ms
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        if rule is not None and rule.kind == "lose_answer":
            ANSWER_LOST.set(True)
            return
        if rule is None or rule.kind == "slow":
            return
        raise InjectedFault(rule.kind, operation, status=rule.status, retry_after=rule.retry_after)
