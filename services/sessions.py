"""Server-side sessions in Redis behind an opaque id.

Why this shape (DESIGN.md, "Tenancy and security invariants"):
- The browser holds only a random 256-bit id; Redis holds the session under the id's SHA-256,
  so a Redis dump gives nothing that can be replayed as a cookie.
- A session holds who the user is and where they work, and the CSRF token bound to it; never
  an MCE token (those live in the token wallet).
- Idle timeout: the key's TTL, pushed forward on use, and ``last_seen_at`` checked on every
  read. Absolute timeout: ``created_at`` plus the absolute lifetime, checked on every read and
  capping the TTL, so activity never keeps a session alive past it. Both checks use the
  store's clock, so the rules hold (and are testable) whatever Redis's TTL says.
- The session is a Redis hash and every change after creation is a field update that applies
  only while the key exists (one Lua script): a request touching the session cannot undo a
  concurrent BU switch, and neither can bring back a session that has just been ended.
- Per-user and per-tenant index sets let sign-out-everywhere, user removal and uninstall end
  every session; each ending is published so open websockets close at once.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from services.identity import Principal, PrincipalKind
from services.redis_keys import (
    SESSION_ENDED_CHANNEL,
    digest,
    session_key,
    tenant_sessions_key,
    user_sessions_key,
)

__all__ = ["MAX_SESSION_ID_LENGTH", "Session", "SessionExpiry", "SessionStore"]

_ID_BYTES = 32
#: Longer cookie values are refused before hashing (ids are 43 characters).
MAX_SESSION_ID_LENGTH = 128

# Update fields of a session only while it exists, and push its TTL forward.
# KEYS[1] the session key; ARGV[1] the TTL in seconds; ARGV[2..] field/value pairs.
_UPDATE_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""


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


@dataclass(frozen=True)
class SessionExpiry:
    """When a session ends if nothing else happens (epoch seconds)."""

    idle_expires_at: float
    absolute_expires_at: float

    @property
    def expires_at(self) -> float:
        return min(self.idle_expires_at, self.absolute_expires_at)


def _fields(session: Session) -> dict[str, str]:
    return {
        "tenant_id": str(session.tenant_id),
        "mid": str(session.mid),
        "parent_mid": "" if session.parent_mid is None else str(session.parent_mid),
        "user_id": str(session.user_id),
        "mce_user_id": str(session.mce_user_id),
        "kind": session.kind,
        "csrf_token": session.csrf_token,
        "created_at": repr(session.created_at),
        "last_seen_at": repr(session.last_seen_at),
    }


def _from_fields(id_hash: str, raw: Mapping[bytes, bytes]) -> Session | None:
    """The session stored in a hash, or None when a field is missing or malformed."""
    try:
        data = {key.decode(): value.decode() for key, value in raw.items()}
        parent = data["parent_mid"]
        return Session(
            id_hash=id_hash,
            tenant_id=int(data["tenant_id"]),
            mid=int(data["mid"]),
            parent_mid=int(parent) if parent else None,
            user_id=UUID(data["user_id"]),
            mce_user_id=int(data["mce_user_id"]),
            kind=data["kind"],
            csrf_token=data["csrf_token"],
            created_at=float(data["created_at"]),
            last_seen_at=float(data["last_seen_at"]),
        )
    except (KeyError, ValueError, UnicodeDecodeError):
        return None


def _acceptable_id(session_id: str | None) -> bool:
    return bool(session_id) and len(session_id or "") <= MAX_SESSION_ID_LENGTH


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
        if idle_seconds < 1 or absolute_seconds < idle_seconds:
            raise ValueError("need 1 <= idle_seconds <= absolute_seconds")
        self.redis = redis
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self.clock = clock
        self._update_if_exists = redis.register_script(_UPDATE_IF_EXISTS)

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
        key = session_key(session.id_hash)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=_fields(session))  # type: ignore[arg-type]  # dict invariance
            pipe.expire(key, self._ttl(session, now))
            # The newest session lives longest, so its lifetime is also the sets' lifetime.
            pipe.sadd(user_sessions_key(tenant_id, user_id), session.id_hash)
            pipe.expire(user_sessions_key(tenant_id, user_id), self.absolute_seconds)
            pipe.sadd(tenant_sessions_key(tenant_id), session.id_hash)
            pipe.expire(tenant_sessions_key(tenant_id), self.absolute_seconds)
            await pipe.execute()
        return session_id, session

    async def get(self, session_id: str | None, *, touch: bool = True) -> Session | None:
        """The live session for a cookie value, or None (unknown, idle, too old, malformed)."""
        if not _acceptable_id(session_id):
            return None
        return await self.get_by_hash(digest(session_id or ""), touch=touch)

    async def get_by_hash(self, id_hash: str, *, touch: bool = False) -> Session | None:
        """The live session stored under ``id_hash``; ``touch`` records activity."""
        key = session_key(id_hash)
        try:
            raw = await self.redis.hgetall(key)
        except ResponseError:  # not a hash: nothing this store wrote
            await self.redis.delete(key)
            return None
        if not raw:
            return None
        session = _from_fields(id_hash, raw)
        if session is None:
            await self.redis.delete(key)
            return None
        now = self.clock()
        expiry = self.expiry(session)
        if now >= expiry.expires_at:
            await self.end_by_hash(id_hash)
            return None
        if touch:
            touched = replace(session, last_seen_at=now)
            if not await self._update(touched, now, last_seen_at=repr(now)):
                return None
            session = touched
        return session

    async def switch_business_unit(
        self, session_id: str, *, mid: int, parent_mid: int | None
    ) -> Session | None:
        """Point the session at another BU of the same tenant (the caller checked access)."""
        if not _acceptable_id(session_id):
            return None
        return await self.switch_business_unit_by_hash(
            digest(session_id), mid=mid, parent_mid=parent_mid
        )

    async def switch_business_unit_by_hash(
        self, id_hash: str, *, mid: int, parent_mid: int | None
    ) -> Session | None:
        """:meth:`switch_business_unit` for a session known by its hash (the GraphQL context
        carries the session, not its id); None if it has ended."""
        session = await self.get_by_hash(id_hash, touch=True)
        if session is None:
            return None
        moved = replace(session, mid=mid, parent_mid=parent_mid)
        parent = "" if parent_mid is None else str(parent_mid)
        if not await self._update(moved, self.clock(), mid=str(mid), parent_mid=parent):
            return None
        return moved

    def expiry(self, session: Session) -> SessionExpiry:
        return SessionExpiry(
            idle_expires_at=session.last_seen_at + self.idle_seconds,
            absolute_expires_at=session.created_at + self.absolute_seconds,
        )

    async def end(self, session_id: str | None) -> bool:
        """End the session of a cookie value; True if there was one."""
        if not _acceptable_id(session_id):
            return False
        return await self.end_by_hash(digest(session_id or ""))

    async def end_by_hash(self, id_hash: str) -> bool:
        """End one session and announce it (open websockets close); True if it existed."""
        key = session_key(id_hash)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hgetall(key)
                pipe.delete(key)
                raw, deleted = await pipe.execute()
        except ResponseError:
            raw, deleted = {}, await self.redis.delete(key)
        session = _from_fields(id_hash, raw) if raw else None
        if session is not None:
            await self.redis.srem(user_sessions_key(session.tenant_id, session.user_id), id_hash)
            await self.redis.srem(tenant_sessions_key(session.tenant_id), id_hash)
        # Published even when the key had already lapsed: a listener may still hold it.
        await self.redis.publish(SESSION_ENDED_CHANNEL, id_hash)
        return bool(deleted)

    async def end_for_user(self, tenant_id: int, user_id: UUID) -> int:
        """End every session of one user (user removal, sign-out everywhere)."""
        return await self._end_set(user_sessions_key(tenant_id, user_id))

    async def end_for_tenant(self, tenant_id: int) -> int:
        """End every session in one tenant (uninstall)."""
        return await self._end_set(tenant_sessions_key(tenant_id))

    async def is_active(self, id_hash: str) -> bool:
        return await self.get_by_hash(id_hash) is not None

    async def _end_set(self, key: str) -> int:
        # Read and drop the set at once: a session created meanwhile lands in a new set
        # instead of being dropped from the index without being ended.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.smembers(key)
            pipe.delete(key)
            members, _ = await pipe.execute()
        ended = 0
        for raw in members:
            id_hash = raw.decode() if isinstance(raw, bytes) else str(raw)
            ended += int(await self.end_by_hash(id_hash))
        return ended

    async def _update(self, session: Session, now: float, **fields: str) -> bool:
        """Write ``fields`` if the session still exists; False if it has ended meanwhile."""
        pairs = [item for pair in fields.items() for item in pair]
        updated = await self._update_if_exists(
            keys=[session_key(session.id_hash)], args=[self._ttl(session, now), *pairs]
        )
        return bool(updated)

    def _ttl(self, session: Session, now: float) -> int:
        remaining = session.created_at + self.absolute_seconds - now
        return max(1, math.ceil(min(self.idle_seconds, remaining)))
