"""The OAuth ``state`` of the enhanced sign-in: signed, single-use, short-lived, bound to the
browser that started the sign-in.

Why each property (RFC 6749 §10.12, login CSRF):
- *bound to the browser*: ``/api/auth/login`` sets a random binding cookie and the state
  record stores its hash; a callback arriving in another browser (an attacker's code pasted
  into the victim's iframe) does not match and is refused;
- *single-use*: the record is taken with ``GETDEL``, so a replayed callback finds nothing;
- *short-lived*: the record expires in Redis and the signed payload carries its issue time;
- *signed*: an HMAC under the app's secret key, so a forged or truncated state is refused
  before Redis is consulted, and Redis never learns anything usable from a guess.
Redis holds only hashes: the nonce and the binding value never appear there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from services.redis_keys import digest, oauth_state_key

__all__ = ["STATE_TTL_SECONDS", "OAuthStateStore", "StateProblem", "StateRejected"]

STATE_TTL_SECONDS = 600
_MAX_STATE_LENGTH = 256


class StateProblem:
    MISSING = "state_missing"
    MALFORMED = "state_malformed"
    EXPIRED = "state_expired"
    UNKNOWN = "state_unknown_or_used"
    OTHER_BROWSER = "state_other_browser"


class StateRejected(Exception):
    """The callback's state is not one this browser was given; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuedState:
    state: str
    binding: str  # the value of the browser's binding cookie


class OAuthStateStore:
    def __init__(
        self,
        redis: Redis,
        *,
        secret_key: str,
        ttl_seconds: int = STATE_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self._key = hashlib.sha256(b"quarry-oauth-state:" + secret_key.encode()).digest()
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    async def issue(self, *, binding: str | None = None) -> IssuedState:
        """A new state; reuses the browser's binding cookie value when it has one."""
        binding = binding or secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(24)
        issued = int(self.clock())
        payload = f"{nonce}.{issued}"
        state = f"{payload}.{self._sign(payload)}"
        await self.redis.set(oauth_state_key(digest(nonce)), digest(binding), ex=self.ttl_seconds)
        return IssuedState(state=state, binding=binding)

    async def consume(self, state: str | None, *, binding: str | None) -> None:
        """Accept ``state`` once, for the browser holding ``binding``; else StateRejected."""
        if not state:
            raise StateRejected(StateProblem.MISSING)
        if len(state) > _MAX_STATE_LENGTH or not state.isascii() or state.count(".") != 2:
            raise StateRejected(StateProblem.MALFORMED)
        nonce, issued_text, signature = state.split(".")
        payload = f"{nonce}.{issued_text}"
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise StateRejected(StateProblem.MALFORMED)
        issued = int(issued_text)  # signed by us, so it is our integer
        if self.clock() - issued > self.ttl_seconds:
            raise StateRejected(StateProblem.EXPIRED)
        bound = await self.redis.getdel(oauth_state_key(digest(nonce)))
        if bound is None:
            raise StateRejected(StateProblem.UNKNOWN)
        expected = bound.decode() if isinstance(bound, bytes) else str(bound)
        if not binding or not hmac.compare_digest(expected, digest(binding)):
            raise StateRejected(StateProblem.OTHER_BROWSER)

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self._key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
