"""Sessions in real Redis: lifetimes by an injected clock, touch, BU switch, ending, indexes."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from services.identity import PrincipalKind
from services.redis_keys import (
    SESSION_ENDED_CHANNEL,
    digest,
    session_key,
    tenant_sessions_key,
    user_sessions_key,
)
from services.sessions import MAX_SESSION_ID_LENGTH, SessionStore
from tests.auth_helpers import Clock
from tests.factories import next_id

IDLE, ABSOLUTE = 600, 3600


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(redis: Redis, clock: Clock) -> SessionStore:
    return SessionStore(redis, idle_seconds=IDLE, absolute_seconds=ABSOLUTE, clock=clock)


async def _create(
    store: SessionStore, *, tenant_id: int | None = None, user: uuid.UUID | None = None
):
    return await store.create(
        tenant_id=tenant_id or next_id(),
        mid=next_id(),
        parent_mid=None,
        user_id=user or uuid.uuid4(),
        mce_user_id=next_id(),
        kind="enhanced",
    )


async def test_created_session_reads_back_with_its_principal(store: SessionStore) -> None:
    session_id, created = await _create(store)
    assert len(session_id) >= 43 and session_id != created.csrf_token
    read = await store.get(session_id)
    assert read is not None
    assert (read.tenant_id, read.mid, read.user_id, read.kind) == (
        created.tenant_id, created.mid, created.user_id, "enhanced",
    )  # fmt: skip
    principal = read.principal()
    assert principal.kind is PrincipalKind.SESSION
    assert principal.session_id_hash == digest(session_id)
    assert not principal.read_only


async def test_redis_holds_the_id_hash_never_the_id(store: SessionStore, redis: Redis) -> None:
    session_id, _ = await _create(store)
    assert await redis.exists(session_key(digest(session_id)))
    assert not await redis.exists(session_key(session_id))
    stored = await redis.hgetall(session_key(digest(session_id)))
    assert session_id.encode() not in b"".join(stored.values())


async def test_idle_timeout(store: SessionStore, clock: Clock) -> None:
    session_id, _ = await _create(store)
    clock.advance(IDLE - 1)
    assert await store.get(session_id, touch=False) is not None
    clock.advance(1)
    assert await store.get(session_id) is None
    assert await store.get(session_id, touch=False) is None  # and it stays ended


async def test_touch_pushes_the_idle_timeout(store: SessionStore, clock: Clock) -> None:
    session_id, _ = await _create(store)
    for _ in range(3):
        clock.advance(IDLE - 10)
        assert await store.get(session_id) is not None  # touch
    clock.advance(IDLE - 10)
    assert await store.get(session_id, touch=False) is not None


async def test_read_without_touch_does_not_extend(store: SessionStore, clock: Clock) -> None:
    session_id, _ = await _create(store)
    clock.advance(IDLE - 10)
    assert await store.get(session_id, touch=False) is not None
    clock.advance(10)
    assert await store.get(session_id, touch=False) is None


async def test_absolute_timeout_despite_activity(store: SessionStore, clock: Clock) -> None:
    session_id, _ = await _create(store)
    for _ in range(ABSOLUTE // (IDLE // 2) - 1):
        clock.advance(IDLE // 2)
        assert await store.get(session_id) is not None
    clock.advance(IDLE // 2)
    assert await store.get(session_id) is None


async def test_ttl_is_capped_by_the_absolute_lifetime(
    store: SessionStore, clock: Clock, redis: Redis
) -> None:
    session_id, created = await _create(store)
    while clock.now < created.created_at + ABSOLUTE - 100:
        clock.now = min(clock.now + IDLE // 2, created.created_at + ABSOLUTE - 100)
        assert await store.get(session_id) is not None
    assert 0 < await redis.ttl(session_key(digest(session_id))) <= 100


async def test_expiry_reports_idle_and_absolute(store: SessionStore, clock: Clock) -> None:
    session_id, created = await _create(store)
    clock.advance(30)
    session = await store.get(session_id)
    assert session is not None
    expiry = store.expiry(session)
    assert expiry.idle_expires_at == clock.now + IDLE
    assert expiry.absolute_expires_at == created.created_at + ABSOLUTE
    assert expiry.expires_at == min(expiry.idle_expires_at, expiry.absolute_expires_at)


async def test_switch_business_unit_moves_and_keeps_the_rest(store: SessionStore) -> None:
    session_id, created = await _create(store)
    new_mid, parent = next_id(), next_id()
    moved = await store.switch_business_unit(session_id, mid=new_mid, parent_mid=parent)
    assert moved is not None and (moved.mid, moved.parent_mid) == (new_mid, parent)
    read = await store.get(session_id)
    assert read is not None
    assert (read.mid, read.parent_mid, read.csrf_token) == (new_mid, parent, created.csrf_token)


async def test_a_touch_racing_a_switch_does_not_undo_it(store: SessionStore) -> None:
    """Touches update one field; a stale copy of the session is never written back."""
    session_id, _ = await _create(store)
    new_mid = next_id()
    stale = await store.get(session_id)  # a request that read the session before the switch
    assert stale is not None
    await store.switch_business_unit(session_id, mid=new_mid, parent_mid=None)
    await store.get_by_hash(stale.id_hash, touch=True)  # that request now touches it
    read = await store.get(session_id)
    assert read is not None and read.mid == new_mid


async def test_switch_by_hash(store: SessionStore) -> None:
    session_id, session = await _create(store)
    new_mid = next_id()
    moved = await store.switch_business_unit_by_hash(session.id_hash, mid=new_mid, parent_mid=None)
    assert moved is not None and moved.mid == new_mid
    read = await store.get(session_id)
    assert read is not None and read.mid == new_mid
    unknown = await store.switch_business_unit_by_hash("0" * 64, mid=new_mid, parent_mid=None)
    assert unknown is None


async def test_switch_of_an_ended_session_is_none(store: SessionStore) -> None:
    session_id, _ = await _create(store)
    await store.end(session_id)
    assert await store.switch_business_unit(session_id, mid=next_id(), parent_mid=None) is None


async def test_touch_never_resurrects_an_ended_session(store: SessionStore, redis: Redis) -> None:
    session_id, session = await _create(store)
    await store.end(session_id)
    assert await store.get_by_hash(session.id_hash, touch=True) is None
    assert not await redis.exists(session_key(session.id_hash))


async def test_end_removes_and_publishes(store: SessionStore, redis: Redis) -> None:
    session_id, session = await _create(store)
    pubsub = redis.pubsub()
    await pubsub.subscribe(SESSION_ENDED_CHANNEL)
    try:
        assert await store.end(session_id) is True
        assert await store.get(session_id) is None
        assert await store.end(session_id) is False  # twice is harmless
        published: set[bytes] = set()
        async with asyncio.timeout(5):
            while session.id_hash.encode() not in published:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if message:
                    published.add(message["data"])
    finally:
        await pubsub.aclose()
    assert not await redis.sismember(
        user_sessions_key(session.tenant_id, session.user_id), session.id_hash
    )


async def test_end_for_user_ends_only_that_users_sessions(store: SessionStore) -> None:
    tenant_id, user = next_id(), uuid.uuid4()
    mine = [await _create(store, tenant_id=tenant_id, user=user) for _ in range(3)]
    other_id, _ = await _create(store, tenant_id=tenant_id)
    assert await store.end_for_user(tenant_id, user) == 3
    for session_id, _ in mine:
        assert await store.get(session_id) is None
    assert await store.get(other_id) is not None


async def test_end_for_tenant(store: SessionStore, redis: Redis) -> None:
    tenant_id, other_tenant = next_id(), next_id()
    ours = [await _create(store, tenant_id=tenant_id) for _ in range(2)]
    theirs_id, _ = await _create(store, tenant_id=other_tenant)
    assert await store.end_for_tenant(tenant_id) == 2
    assert all([await store.get(sid) is None for sid, _ in ours])
    assert await store.get(theirs_id) is not None
    assert not await redis.exists(tenant_sessions_key(tenant_id))


async def test_is_active(store: SessionStore, clock: Clock) -> None:
    _, session = await _create(store)
    assert await store.is_active(session.id_hash)
    clock.advance(IDLE)
    assert not await store.is_active(session.id_hash)


@pytest.mark.parametrize(
    "bad",
    ["", None, "x" * (MAX_SESSION_ID_LENGTH + 1), "a" * 10_000, "💥", "../../etc", "\x00"],
)
async def test_malformed_or_oversized_ids_are_no_session(
    store: SessionStore, bad: str | None
) -> None:
    assert await store.get(bad) is None
    assert await store.end(bad) is False


async def test_corrupt_stored_session_is_dropped(store: SessionStore, redis: Redis) -> None:
    session_id, session = await _create(store)
    await redis.hset(session_key(session.id_hash), "tenant_id", "not-a-number")
    assert await store.get(session_id) is None
    assert not await redis.exists(session_key(session.id_hash))


async def test_a_foreign_value_under_a_session_key_is_no_session(
    store: SessionStore, redis: Redis
) -> None:
    session_id = f"legacy-{uuid.uuid4().hex}"
    await redis.set(session_key(digest(session_id)), '{"old": "json"}', ex=60)
    assert await store.get(session_id) is None
    assert not await redis.exists(session_key(digest(session_id)))


def test_lifetimes_must_be_consistent(redis: Redis) -> None:
    with pytest.raises(ValueError, match="idle"):
        SessionStore(redis, idle_seconds=100, absolute_seconds=50)
    with pytest.raises(ValueError, match="idle"):
        SessionStore(redis, idle_seconds=0, absolute_seconds=50)
