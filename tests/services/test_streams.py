"""services/streams.py on real Redis: append with a TTL, replay from a cursor then follow live,
resume with no gap and no duplicate, cursor checks, and one reader for every kind of stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from services.redis_reads import read_block_ms
from services.streams import EventStream, InvalidCursorError, UnsafeEventError, hub_for
from tests.conftest import REDIS_URL
from tests.e2e.web.proxy import CuttableProxy

Item = tuple[str, dict[str, Any]]


def _key(stream_id: UUID | str) -> str:
    return f"quarry:test:streams:{stream_id}"


def _refuse_secret(event: Mapping[str, Any]) -> None:
    if "secret" in event:
        raise UnsafeEventError("event key secret")


def _stream(*, final_can_be_followed: bool = False, max_length: int = 1_000) -> EventStream:
    return EventStream(
        key=_key,
        ttl_seconds=600,
        max_length=max_length,
        max_event_bytes=1_024,
        check_event=_refuse_secret,
        is_final=lambda event: event.get("end") is True,
        cursor_of="this test's events",
        final_can_be_followed=final_can_be_followed,
    )


STREAM = _stream()


async def _next(stream: AsyncIterator[Item], *, within: float = 5.0) -> Item:
    return await asyncio.wait_for(anext(stream), within)


async def _all(stream: AsyncIterator[Item], *, within: float = 5.0) -> list[Item]:
    async def read() -> list[Item]:
        return [item async for item in stream]

    return await asyncio.wait_for(read(), within)


async def test_publish_returns_increasing_cursors_sets_a_ttl_and_caps_the_length(
    redis: Redis,
) -> None:
    stream_id = uuid4()
    capped = _stream(max_length=10)
    try:
        first = await capped.publish(redis, stream_id, {"n": 0})
        second = await capped.publish(redis, stream_id, {"n": 1})
        assert capped.parse_cursor(first) < capped.parse_cursor(second)
        assert 590 <= await redis.ttl(_key(stream_id)) <= 600
        await redis.expire(_key(stream_id), 5)
        await capped.publish(redis, stream_id, {"n": 2})
        assert await redis.ttl(_key(stream_id)) > 5  # every append renews it
        for n in range(3, 1_000):
            await capped.publish(redis, stream_id, {"n": n})
        # MAXLEN ~ trims whole nodes (100 entries each): about max_length are kept, not all.
        assert await redis.xlen(_key(stream_id)) <= 10 + 100
        assert await capped.latest(redis, stream_id) is not None
    finally:
        await redis.delete(_key(stream_id))


async def test_replay_from_the_start_ends_after_the_final_event(redis: Redis) -> None:
    stream_id = uuid4()
    cursors = [await STREAM.publish(redis, stream_id, {"n": n}) for n in range(3)]
    cursors.append(await STREAM.publish(redis, stream_id, {"n": 3, "end": True}))
    got = await _all(STREAM.replay_and_follow(redis, stream_id, after=None))
    assert [cursor for cursor, _ in got] == cursors
    assert [event["n"] for _, event in got] == [0, 1, 2, 3]
    middle = await _all(STREAM.replay_and_follow(redis, stream_id, after=cursors[1]))
    assert [cursor for cursor, _ in middle] == cursors[2:]


async def test_a_cursor_at_the_final_event_ends_at_once(redis: Redis) -> None:
    stream_id = uuid4()
    await STREAM.publish(redis, stream_id, {"n": 0})
    done = await STREAM.publish(redis, stream_id, {"n": 1, "end": True})
    assert await _all(STREAM.replay_and_follow(redis, stream_id, after=done), within=2.0) == []


async def test_follow_waits_for_live_events(redis: Redis) -> None:
    stream_id = uuid4()
    pending = asyncio.create_task(_all(STREAM.replay_and_follow(redis, stream_id, after=None)))
    await asyncio.sleep(0.3)
    assert not pending.done()  # nothing yet: it waits rather than ending
    live = [
        await STREAM.publish(redis, stream_id, {"n": 0}),
        await STREAM.publish(redis, stream_id, {"n": 1, "end": True}),
    ]
    got = await pending
    assert [cursor for cursor, _ in got] == live


async def test_resume_after_a_disconnect_has_no_gap_and_no_duplicate(redis: Redis) -> None:
    """A client reads two events and goes away; events are published while it is away and
    while it comes back; resuming from its last cursor gives each later one exactly once."""
    stream_id = uuid4()
    for n in range(2):
        await STREAM.publish(redis, stream_id, {"n": n})
    first: AsyncGenerator[Item, None]
    first = STREAM.replay_and_follow(redis, stream_id, after=None)  # type: ignore[assignment]
    seen = [await _next(first), await _next(first)]
    await first.aclose()  # the client's websocket dropped
    assert hub_for(redis).followed == 0
    for n in range(2, 5):
        await STREAM.publish(redis, stream_id, {"n": n})

    async def publish_while_resuming() -> None:
        for n in range(5, 9):
            await STREAM.publish(redis, stream_id, {"n": n})
            await asyncio.sleep(0)
        await asyncio.sleep(0.2)
        await STREAM.publish(redis, stream_id, {"n": 9, "end": True})

    publishing = asyncio.create_task(publish_while_resuming())
    rest = await _all(STREAM.replay_and_follow(redis, stream_id, after=seen[-1][0]))
    await publishing
    assert [event["n"] for _, event in seen + rest] == list(range(10))
    whole = [entry_id.decode() for entry_id, _ in await redis.xrange(_key(stream_id))]
    assert [cursor for cursor, _ in seen + rest] == whole


async def test_a_final_event_that_can_be_followed_ends_only_while_newest(redis: Redis) -> None:
    """A deployment retried after its end: a replay from the start reads through the first
    end into the retry's events; a stream whose final event cannot be followed stops there."""
    retried = _stream(final_can_be_followed=True)
    stream_id = uuid4()
    cursors = [
        await retried.publish(redis, stream_id, {"n": 0}),
        await retried.publish(redis, stream_id, {"n": 1, "end": True}),
        await retried.publish(redis, stream_id, {"n": 2}),
    ]

    async def second_end() -> None:
        await asyncio.sleep(0.2)
        cursors.append(await retried.publish(redis, stream_id, {"n": 3, "end": True}))

    ending = asyncio.create_task(second_end())
    got = await _all(retried.replay_and_follow(redis, stream_id, after=None))
    await ending
    assert [cursor for cursor, _ in got] == cursors
    assert await _all(retried.replay_and_follow(redis, stream_id, after=cursors[-1])) == []
    stops_at_first = await _all(STREAM.replay_and_follow(redis, stream_id, after=None))
    assert [cursor for cursor, _ in stops_at_first] == cursors[:2]


@pytest.mark.parametrize(
    "cursor", ["", "abc", "1-", "-1", "$", "+", ">", "1-2-3", "0-0 OR 1", "1 -2", "9" * 21 + "-0"]
)
async def test_bad_cursors_are_a_typed_error_before_redis_is_asked(cursor: str) -> None:
    """Nothing listens on port 1: a cursor that reached Redis would fail to connect instead."""
    nowhere = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        with pytest.raises(InvalidCursorError) as refused:
            await _all(STREAM.replay_and_follow(nowhere, uuid4(), after=cursor))
        with pytest.raises(InvalidCursorError):
            STREAM.parse_cursor(cursor)
    finally:
        await nowhere.aclose()
    assert str(refused.value) == "The cursor is not one this test's events gave."


@pytest.mark.parametrize(
    "event", [{"n": 1, "secret": "x"}, {"n": 1, "padding": "x" * 1_024}], ids=["check", "size"]
)
async def test_unsafe_events_are_refused_before_redis(redis: Redis, event: dict[str, Any]) -> None:
    stream_id = uuid4()
    with pytest.raises(UnsafeEventError):
        await STREAM.publish(redis, stream_id, event)
    with pytest.raises(UnsafeEventError):
        STREAM.encode(event)
    assert await redis.exists(_key(stream_id)) == 0


async def test_a_blocking_publish_reaches_an_async_follower(redis: Redis) -> None:
    stream_id = uuid4()
    connection = SyncRedis.from_url(REDIS_URL)
    try:
        cursor = await asyncio.to_thread(STREAM.publish_blocking, connection, stream_id, {"n": 0})
        await asyncio.to_thread(STREAM.publish_blocking, connection, stream_id, {"end": True})
    finally:
        connection.close()
    assert 0 < await redis.ttl(_key(stream_id)) <= 600
    got = await _all(STREAM.replay_and_follow(redis, stream_id, after=cursor))
    assert [event for _, event in got] == [{"end": True}]


async def test_streams_of_every_kind_share_the_processs_one_reader(redis: Redis) -> None:
    """Followers of two kinds of stream on one client are served by one hub: a stream
    followed while the hub's read is waiting joins it at once (not after HUB_BLOCK_MS), one
    read then waits for both, and the hub ends when the last follower leaves."""
    retried = _stream(final_can_be_followed=True)
    one, two = uuid4(), uuid4()
    first = asyncio.create_task(_all(STREAM.replay_and_follow(redis, one, after=None)))
    await asyncio.sleep(0.3)  # the hub now waits on stream one only
    hub = hub_for(redis)
    second = asyncio.create_task(
        _all(retried.replay_and_follow(redis, two, after=None), within=3.0)
    )
    await asyncio.sleep(0.3)
    assert hub.followed == 2
    b = await retried.publish(redis, two, {"end": True})
    assert [cursor for cursor, _ in await second] == [b]  # well within the hub's 5 s read
    third = asyncio.create_task(_all(retried.replay_and_follow(redis, two, after=b)))
    assert await third == []
    reads = hub.reads
    await asyncio.sleep(1.0)
    assert hub.reads - reads <= 1  # one read waits (HUB_BLOCK_MS is 5 s), none per follower
    a = await STREAM.publish(redis, one, {"end": True})
    assert [cursor for cursor, _ in await first] == [a]
    assert hub.followed == 0


async def test_a_redis_cut_ends_the_follower_and_its_cursor_resumes_it(redis: Redis) -> None:
    """Redis goes away under the hub's blocking read: the follower fails (it never hangs),
    and following again from its last cursor gives what was published meanwhile, once."""
    stream_id = uuid4()
    kwargs = redis.connection_pool.connection_kwargs
    with CuttableProxy(upstream_port=int(kwargs["port"])) as proxy:
        client = Redis(host="127.0.0.1", port=proxy.port, db=kwargs["db"], socket_timeout=2)
        try:
            await STREAM.publish(redis, stream_id, {"n": 0})
            follower = STREAM.replay_and_follow(client, stream_id, after=None)
            seen = [await _next(follower)]
            reading = asyncio.create_task(_next(follower, within=30.0))
            await asyncio.sleep(0.3)
            proxy.refusing = True
            assert proxy.cut() >= 1
            with pytest.raises(RedisConnectionError):
                await reading
            for n in range(1, 4):
                await STREAM.publish(redis, stream_id, {"n": n, "end": n == 3})
            proxy.refusing = False
            rest = await _all(STREAM.replay_and_follow(client, stream_id, after=seen[-1][0]))
        finally:
            await client.aclose()
    assert [event["n"] for _, event in seen + rest] == [0, 1, 2, 3]


@pytest.mark.slow
async def test_following_a_quiet_stream_outlasts_a_default_clients_socket_timeout() -> None:
    """A client that names no socket timeout has redis-py's default one (5 s since 8.0): the
    hub's blocking read must stay under it, or a stream quiet that long fails its followers
    (it did: the read blocked 5 s on a 5 s socket timeout)."""
    client = Redis.from_url(REDIS_URL)
    stream_id = uuid4()
    try:
        timeout = client.connection_pool.make_connection().socket_timeout
        assert timeout is not None  # the default this test is about
        assert read_block_ms(client, 60_000) < timeout * 1000
        pending = asyncio.create_task(
            _all(STREAM.replay_and_follow(client, stream_id, after=None), within=timeout + 5)
        )
        await asyncio.sleep(timeout + 0.5)
        assert not pending.done()
        done = await STREAM.publish(client, stream_id, {"end": True})
        assert [cursor for cursor, _ in await pending] == [done]
    finally:
        await client.aclose()
