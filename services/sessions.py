"""Server-side sessions in Redis behind an opaque id.

Why this shape (DESIGN.md, "Tenancy and security invariants"):
- The browser holds only a random 256-bit id; Redis holds the session under the id's SHA-256,
  so a Redis dump gives nothing that can be replayed as a cookie.
- A session holds who the user is and where they work, and the CSRF token bound to it; never
  an MCE token (those live in the token wallet).
- Idle timeout: the key's TTL, pushed forward on use. Absolute timeout: ``created_at`` plus
  the absolute lifetime, checked on every read and capping the TTL, so activity never keeps a
  session alive past it.
- Per-user and per-tenant index sets let sign-out-everywhere, user removal and uninstall end
  every session; each ending is published so open websockets close at once.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from uuid import UUID

from redis.asyncio import Redis

from services.identity import Principal, PrincipalKind
from services.redis_keys import (
    SESSION_ENDED_CHANNEL,
    digest,
    session_key,
    tenant_sessions_key,
    user_sessions_key,
)

__all__ = ["Session", "SessionStore"]

_ID_BYTES = 32
_MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class Session:
    """One signed-in browser. ``kind`` is the sign-in flow: ``enhanced`` or ``legacy``."""

    id_hash: str
    tenant_id: int
    mid: int
    parent_mid: int | None
    user_id: UUID
    mce_user_id: int
    kind: str
    csrf_token: str
    created_at: float
    last_seen_at: float

    def principal(self) -> Principal:
        return Principal(
            tenant_id=self.tenant_id,
            mid=self.mid,
            user_id=self.user_id,
            kind=PrincipalKind.SESSION,
            parent_mid=self.parent_mid,
            mce_user_id=self.mce_user_id,
            session_id_hash=self.id_hash,
        )

    def to_json(self) -> str:
        data = asdict(self)
        data["user_id"] = str(self.user_id)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Session:
        data = json.loads(raw)
        data["user_id"] = UUID(data["user_id"])
        return cls(**data)


class SessionStore:
    """Create, read, move and end sessions."""

    def __init__(
        self,
        redis: Redis,
        *,
        idle_seconds: int,
        absolute_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self.clock = clock

    async def create(
        self,
        *,
        tenant_id: int,
        mid: int,
        parent_mid: int | None,
        user_id: UUID,
        mce_user_id: int,
        kind: str,
    ) -> tuple[str, Session]:
        """A new session; returns ``(opaque id for the cookie, session)``."""
        session_id = secrets.token_urlsafe(_ID_BYTES)
        now = self.clock()
        session = Session(
            id_hash=digest(session_id),
            tenant_id=tenant_id,
            mid=mid,
            parent_mid=parent_mid,
            user_id=user_id,
            mce_user_id=mce_user_id,
            kind=kind,
            csrf_token=secrets.token_urlsafe(_ID_BYTES),
            created_at=now,
            last_seen_at=now,
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(session_key(session.id_hash), session.to_json(), ex=self._ttl(session, now))
            pipe.sadd(user_sessions_key(tenant_id, user_id), session.id_hash)
            pipe.expire(user_sessions_key(tenant_id, user_id), self.absolute_seconds)
            pipe.sadd(tenant_sessions_key(tenant_id), session.id_hash)
            pipe.expire(tenant_sessions_key(tenant_id), self.absolute_seconds)
            await pipe.execute()
        return session_id, session

    async def get(self, session_id: str | None, *, touch: bool = True) -> Session | None:
        """The live session for a cookie value, or None (unknown, idle or too old)."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            return None
        return await self.get_by_hash(digest(session_id), touch=touch)

    async def get_by_hash(self, id_hash: str, *, touch: bool = False) -> Session | None:
        raw = await self.redis.get(session_key(id_hash))
        if raw is None:
            return None
        try:
            session = Session.from_json(raw)
        except (ValueError, TypeError, KeyError):
            await self._forget(id_hash)
            return None
        now = self.clock()
        if now >= session.created_at + self.absolute_seconds:
            await self.end_by_hash(id_hash)
            return None
        if touch:
            session = replace(session, last_seen_at=now)
            await self.redis.set(
                session_key(id_hash), session.to_json(), ex=self._ttl(session, now), xx=True
            )
        return session

    async def switch_business_unit(
        self, session_id: str, *, mid: int, parent_mid: int | None
    ) -> Session | None:
        """Point the session at another BU of the same tenant (the caller checked access)."""
        session = await self.get(session_id)
        if session is None:
            return None
        moved = replace(session, mid=mid, parent_mid=parent_mid)
        await self.redis.set(
            session_key(session.id_hash),
            moved.to_json(),
            ex=self._ttl(moved, self.clock()),
            xx=True,
        )
        return moved

    async def end(self, session_id: str | None) -> bool:
        """End the session of a cookie value; True if there was one."""
        if not session_id or len(session_id) > _MAX_ID_LENGTH:
            return False
        return await self.end_by_hash(digest(session_id))

    async def end_by_hash(self, id_hash: str) -> bool:
        raw = await self.redis.getdel(session_key(id_hash))
        if raw is not None:
            try:
                session = Session.from_json(raw)
            except (ValueError, TypeError, KeyError):
                session = None
            if session is not None:
                await self.redis.srem(
                    user_sessions_key(session.tenant_id, session.user_id), id_hash
                )
                await self.redis.srem(tenant_sessions_key(session.tenant_id), id_hash)
        await self.redis.publish(SESSION_ENDED_CHANNEL, id_hash)
        return raw is not None

    async def end_for_user(self, tenant_id: int, user_id: UUID) -> int:
        """End every session of one user (user removal, sign-out everywhere)."""
        return await self._end_set(user_sessions_key(tenant_id, user_id))

    async def end_for_tenant(self, tenant_id: int) -> int:
        """End every session in one tenant (uninstall)."""
        return await self._end_set(tenant_sessions_key(tenant_id))

    async def is_active(self, id_hash: str) -> bool:
        return bool(await self.redis.exists(session_key(id_hash)))

    async def _end_set(self, key: str) -> int:
        ended = 0
        for raw in await self.redis.smembers(key):
            id_hash = raw.decode() if isinstance(raw, bytes) else str(raw)
            ended += int(await self.end_by_hash(id_hash))
        await self.redis.delete(key)
        return ended

    async def _forget(self, id_hash: str) -> None:
        await self.redis.delete(session_key(id_hash))

    def _ttl(self, session: Session, now: float) -> int:
        remaining = session.created_at + self.absolute_seconds - now
        return max(1, math.ceil(min(self.idle_seconds, remaining)))
