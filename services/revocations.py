"""Telling open connections that their credential has ended.

Sessions publish their id hash on ``SESSION_ENDED_CHANNEL`` when they end; revoked API tokens
publish their id on ``API_TOKEN_REVOKED_CHANNEL``. Each API process holds ONE Redis pub/sub
subscription (:class:`RevocationFeed`) and wakes the watchers of exactly the credentials
named, so a websocket whose session was signed out elsewhere closes within moments, without
every socket polling Redis.

Pub/sub delivers at most once and not while disconnected, so this is the fast path only:
watchers also re-check on a timer (the backstop), and after the feed reconnects it wakes
every watcher to re-check at once, in case it missed something meanwhile. Messages carry
hashes and ids only, never a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.redis_keys import API_TOKEN_REVOKED_CHANNEL, SESSION_ENDED_CHANNEL

__all__ = ["RevocationFeed", "publish_api_token_revoked", "session_subject", "token_subject"]

log = logging.getLogger("quarry.revocations")

_CHANNELS = {
    SESSION_ENDED_CHANNEL.encode(): "session",
    API_TOKEN_REVOKED_CHANNEL.encode(): "token",
}


def session_subject(id_hash: str) -> str:
    return f"session:{id_hash}"


def token_subject(token_id: UUID) -> str:
    return f"token:{token_id}"


async def publish_api_token_revoked(redis: Redis, token_id: UUID) -> None:
    await redis.publish(API_TOKEN_REVOKED_CHANNEL, str(token_id))


class RevocationFeed:
    """One pub/sub subscription per process, fanned out to per-credential watchers."""

    def __init__(self, redis: Redis, *, reconnect_seconds: float = 1.0) -> None:
        self.redis = redis
        self.reconnect_seconds = reconnect_seconds
        self._watchers: dict[str, set[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None

    async def start(self, *, wait_seconds: float = 2.0) -> bool:
        """Subscribe (once); True when the subscription is live within ``wait_seconds``."""
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="quarry-revocation-feed")
        assert self._ready is not None
        try:
            await asyncio.wait_for(self._ready.wait(), wait_seconds)
        except TimeoutError:
            return False
        return True

    @contextlib.contextmanager
    def watch(self, subject: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``subject`` may have ended (or the feed lost messages)."""
        event = asyncio.Event()
        self._watchers.setdefault(subject, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._watchers.get(subject)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._watchers[subject]

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _wake(self, subject: str | None) -> None:
        targets = (
            self._watchers.get(subject, set())
            if subject is not None
            else {e for events in self._watchers.values() for e in events}
        )
        for event in targets:
            event.set()

    async def _run(self) -> None:
        first = True
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*_CHANNELS)
                assert self._ready is not None
                self._ready.set()
                if not first:
                    self._wake(None)  # we may have missed messages while away
                first = False
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None or message.get("type") != "message":
                        continue
                    kind = _CHANNELS.get(message["channel"])
                    data = message["data"]
                    text = data.decode() if isinstance(data, bytes) else str(data)
                    if kind is not None:
                        self._wake(f"{kind}:{text}")
            except (RedisError, OSError):
                log.warning("revocation feed lost Redis; reconnecting")
                await asyncio.sleep(self.reconnect_seconds)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[attr-defined]  # stubs predate aclose
