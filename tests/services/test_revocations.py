"""The revocation feed against real Redis: exact wake-ups, and a reconnect wakes everyone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from redis.asyncio import Redis

from services.redis_keys import SESSION_ENDED_CHANNEL
from services.revocations import (
    RevocationFeed,
    publish_api_token_revoked,
    session_subject,
    token_subject,
)
from tests.auth_helpers import eventually
from tests.conftest import REDIS_URL


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[Redis]:
    # A client name of its own, so this test can find (and cut) only its own connection.
    client = Redis.from_url(REDIS_URL, client_name=f"revocation-test-{uuid.uuid4().hex}")
    try:
        yield client
    finally:
        await client.aclose()


@pytest_asyncio.fixture
async def feed(redis: Redis) -> AsyncIterator[RevocationFeed]:
    subject = RevocationFeed(redis, reconnect_seconds=0.05)
    assert await subject.start()
    try:
        yield subject
    finally:
        await subject.aclose()


async def _set_within(event: asyncio.Event, seconds: float = 5.0) -> bool:
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def test_an_ended_session_wakes_its_watchers_only(feed: RevocationFeed, redis: Redis) -> None:
    mine, other = uuid.uuid4().hex, uuid.uuid4().hex
    with feed.watch(session_subject(mine)) as woken, feed.watch(session_subject(other)) as calm:
        await redis.publish(SESSION_ENDED_CHANNEL, mine)
        assert await _set_within(woken)
        assert not calm.is_set()


async def test_a_revoked_token_wakes_its_watchers(feed: RevocationFeed, redis: Redis) -> None:
    token_id = uuid.uuid4()
    with (
        feed.watch(token_subject(token_id)) as first,
        feed.watch(token_subject(token_id)) as second,
        feed.watch(session_subject(str(token_id))) as not_a_session,
    ):
        await publish_api_token_revoked(redis, token_id)
        assert await _set_within(first) and await _set_within(second)
        assert not not_a_session.is_set()


async def test_watchers_are_forgotten_on_exit(feed: RevocationFeed) -> None:
    subject = session_subject(uuid.uuid4().hex)
    with feed.watch(subject):
        assert subject in feed._watchers
    assert subject not in feed._watchers


async def test_a_lost_connection_wakes_every_watcher(feed: RevocationFeed, redis: Redis) -> None:
    """Messages published while the feed was away are lost: everyone re-checks instead."""
    with feed.watch(session_subject(uuid.uuid4().hex)) as woken:
        clients = await redis.client_list(_type="pubsub")
        name = redis.connection_pool.connection_kwargs["client_name"]
        ours = [c for c in clients if c.get("name") == name]
        assert len(ours) == 1
        await redis.client_kill_filter(_id=ours[0]["id"])
        assert await _set_within(woken)

    async def resubscribed() -> bool:
        clients = await redis.client_list(_type="pubsub")
        return any(c.get("name") == name for c in clients)

    assert await eventually(resubscribed)


async def test_start_without_redis_reports_false_quickly() -> None:
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    feed = RevocationFeed(down, reconnect_seconds=0.05)
    try:
        assert await feed.start(wait_seconds=0.5) is False
        with feed.watch(session_subject("x")) as event:
            assert not event.is_set()  # watchers still work; their timers are the backstop
    finally:
        await feed.aclose()
        await down.aclose()
