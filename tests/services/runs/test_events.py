"""Run events on real Redis: replay from a cursor, then live, with no gap and no duplicate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from services.redis_keys import run_events_key
from services.runs import events
from services.runs.events import (
    InvalidCursorError,
    UnsafeEventError,
    publish,
    publish_blocking,
    replay_and_follow,
)
from services.streams import MAX_CONNECTIONS
from tests.conftest import REDIS_URL


async def _collect(
    stream: AsyncIterator[tuple[str, dict[str, Any]]], count: int, *, within: float = 5.0
) -> list[tuple[str, dict[str, Any]]]:
    got: list[tuple[str, dict[str, Any]]] = []

    async def take() -> None:
        async for item in stream:
            got.append(item)
            if len(got) == count:
                return

    await asyncio.wait_for(take(), within)
    return got


async def test_publish_returns_increasing_cursors_and_sets_a_ttl(redis: Redis) -> None:
    run_id = uuid4()
    first = await publish(redis, run_id, {"status": "QUEUED"})
    second = await publish(redis, run_id, {"status": "STARTING"})
    assert events.parse_cursor(first) < events.parse_cursor(second)
    ttl = await redis.ttl(run_events_key(run_id))
    assert 0 < ttl <= events.STREAM_TTL_SECONDS


async def test_replay_from_start_then_terminal_ends(redis: Redis) -> None:
    run_id = uuid4()
    await publish(redis, run_id, {"status": "QUEUED"})
    await publish(redis, run_id, {"status": "RUNNING", "task_id": "t-1"})
    await publish(redis, run_id, {"status": "COMPLETE", "row_count": 3})
    got = [item async for item in replay_and_follow(redis, run_id, after=None)]
    assert [event["status"] for _, event in got] == ["QUEUED", "RUNNING", "COMPLETE"]
    assert got[2][1]["row_count"] == 3


async def test_resume_after_disconnect_has_no_gap_and_no_duplicate(redis: Redis) -> None:
    """A client reads two events, disconnects; more are published while it is away, and one
    while it reconnects; resuming from its last cursor yields each later event exactly once."""
    run_id = uuid4()
    await publish(redis, run_id, {"status": "QUEUED", "n": 0})
    await publish(redis, run_id, {"status": "STARTING", "n": 1})
    first_session: AsyncGenerator[tuple[str, dict[str, Any]], None]
    first_session = replay_and_follow(redis, run_id, after=None)  # type: ignore[assignment]
    seen = await _collect(first_session, 2)
    await first_session.aclose()  # the websocket dropped
    last_cursor = seen[-1][0]
    for n in range(2, 6):
        await publish(redis, run_id, {"status": "RUNNING", "n": n})

    resumed = replay_and_follow(redis, run_id, after=last_cursor)

    async def publish_while_following() -> None:
        await asyncio.sleep(0.2)
        await publish(redis, run_id, {"status": "RUNNING", "n": 6})
        await publish(redis, run_id, {"status": "COMPLETE", "n": 7})

    publisher = asyncio.create_task(publish_while_following())
    rest = await _collect(resumed, 6)
    await publisher
    numbers = [event["n"] for _, event in seen + rest]
    assert numbers == list(range(8))
    cursors = [cursor for cursor, _ in seen + rest]
    assert len(set(cursors)) == len(cursors)
    assert [events.parse_cursor(c) for c in cursors] == sorted(
        events.parse_cursor(c) for c in cursors
    )


async def test_follow_waits_for_live_events(redis: Redis) -> None:
    run_id = uuid4()
    follower = replay_and_follow(redis, run_id, after=None)
    pending = asyncio.create_task(_collect(follower, 2))
    await asyncio.sleep(0.2)
    assert not pending.done()
    await publish(redis, run_id, {"status": "QUEUED"})
    await publish(redis, run_id, {"status": "FAILED", "error": {"message": "boom"}})
    got = await pending
    assert [event["status"] for _, event in got] == ["QUEUED", "FAILED"]


async def test_a_cursor_at_the_terminal_event_ends_at_once(redis: Redis) -> None:
    run_id = uuid4()
    await publish(redis, run_id, {"status": "QUEUED"})
    done = await publish(redis, run_id, {"status": "CANCELED"})
    got = await asyncio.wait_for(_list(replay_and_follow(redis, run_id, after=done)), timeout=2.0)
    assert got == []


async def _list(stream: AsyncIterator[tuple[str, dict[str, Any]]]) -> list[Any]:
    return [item async for item in stream]


async def test_blocking_publish_is_read_by_the_async_follower(redis: Redis) -> None:
    run_id = uuid4()
    connection = SyncRedis.from_url(REDIS_URL)
    try:
        cursor = await asyncio.to_thread(publish_blocking, connection, run_id, {"status": "QUEUED"})
        await asyncio.to_thread(publish_blocking, connection, run_id, {"status": "EXPIRED"})
    finally:
        connection.close()
    got = await _list(replay_and_follow(redis, run_id, after=cursor))
    assert [event["status"] for _, event in got] == ["EXPIRED"]


@pytest.mark.parametrize(
    "event",
    [
        {"status": "RUNNING", "access_token": "x"},
        {"status": "RUNNING", "error": {"Authorization": "Bearer x"}},
        {"status": "COMPLETE", "rows": [[1, 2]]},
        {"status": "COMPLETE", "page": [{"refreshToken": "x"}]},
        {"status": "COMPLETE", "padding": "x" * (events.MAX_EVENT_BYTES + 1)},
    ],
)
async def test_unsafe_events_are_refused_before_redis(redis: Redis, event: dict[str, Any]) -> None:
    run_id = uuid4()
    with pytest.raises(UnsafeEventError):
        await publish(redis, run_id, event)
    assert await redis.exists(run_events_key(run_id)) == 0


@pytest.mark.parametrize("cursor", ["", "abc", "1-", "$", "+", "1-2-3", "0-0 OR 1"])
async def test_malformed_cursors_are_refused(redis: Redis, cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        await _list(replay_and_follow(redis, uuid4(), after=cursor))


async def test_latest_is_none_for_an_unknown_run(redis: Redis) -> None:
    assert await events.latest(redis, uuid4()) is None


async def test_following_outlasts_the_clients_socket_timeout() -> None:
    """The API's Redis client times reads out after 2 s; a follower waiting longer than its
    client's socket timeout for the next event must neither fail nor miss it."""
    client = Redis.from_url(REDIS_URL, socket_timeout=0.5, socket_connect_timeout=2)
    try:
        run_id = uuid4()
        follower = replay_and_follow(client, run_id, after=None)
        pending = asyncio.create_task(_collect(follower, 1, within=5.0))
        await asyncio.sleep(1.5)  # three socket timeouts without an event
        assert not pending.done()
        await publish(client, run_id, {"status": "COMPLETE"})
        got = await pending
    finally:
        await client.aclose()
    assert [event["status"] for _, event in got] == ["COMPLETE"]


async def test_on_idle_runs_after_the_idle_period_only(redis: Redis) -> None:
    run_id = uuid4()
    calls: list[float] = []

    async def idle() -> None:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) == 2:
            await publish(redis, run_id, {"status": "FAILED"})

    follower = replay_and_follow(redis, run_id, after=None, on_idle=idle, block_ms=300)
    got = await _collect(follower, 1, within=5.0)
    assert [event["status"] for _, event in got] == ["FAILED"]
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.25


def _redis_sockets() -> int:
    """TCP connections this process holds open to Redis's port (from /proc: every socket
    the process has, matched against the kernel's table of established connections)."""
    import os
    from pathlib import Path

    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    port = f"{6379:04X}"
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote, state, inode = fields[2], fields[3], fields[9]
            if remote.endswith(":" + port) and state == "01" and inode in inodes:
                count += 1
    return count


async def test_many_followers_share_one_reader_with_no_gap_and_no_duplicate() -> None:
    """200 followers of 10 runs, as the API follows them (one client, its 2 s socket
    timeout), some from the start, some resuming from a cursor, some joining while events
    are published: each gets every event after its cursor exactly once, in order; the
    process holds a bounded number of Redis connections for all of them (a blocking read per
    follower held 200), and reads them with one blocking read at a time."""
    client = Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    runs = [uuid4() for _ in range(10)]
    try:
        first_cursor = {run: await publish(client, run, {"status": "QUEUED"}) for run in runs}
        for run in runs:
            await publish(client, run, {"status": "STARTING"})
        before = _redis_sockets()

        async def follow(run: Any, after: str | None) -> tuple[Any, str | None, list[str]]:
            got = [c async for c, _ in replay_and_follow(client, run, after=after)]
            return run, after, got

        early = [
            asyncio.create_task(follow(run, None if i % 2 else first_cursor[run]))
            for i in range(100)
            for run in [runs[i % len(runs)]]
        ]
        await asyncio.sleep(0.5)
        hub = events.hub_for(client)
        assert hub.followed == len(runs)

        async def publish_running() -> None:
            for run in runs:
                await publish(client, run, {"status": "RUNNING", "rowCount": None})
                await asyncio.sleep(0.005)

        late: list[asyncio.Task[tuple[Any, str | None, list[str]]]] = []
        publishing = asyncio.create_task(publish_running())
        for i in range(100):  # joining while RUNNING events are being published
            run = runs[i % len(runs)]
            late.append(asyncio.create_task(follow(run, None if i % 3 else first_cursor[run])))
            await asyncio.sleep(0)
        await publishing
        await asyncio.sleep(0.5)
        reads_before = hub.reads
        waiting = _redis_sockets() - before  # 200 followers waiting for their final event
        await asyncio.sleep(1.0)
        reads_while_waiting = hub.reads - reads_before
        for run in runs:
            await publish(client, run, {"status": "COMPLETE"})
        results = await asyncio.wait_for(asyncio.gather(*early, *late), 20)
        assert hub.followed == 0  # every follower ended after its run's final event
        streams = {
            run: [entry_id.decode() for entry_id, _ in await client.xrange(run_events_key(run))]
            for run in runs
        }
    finally:
        await client.aclose()
    assert waiting <= MAX_CONNECTIONS, waiting
    assert reads_while_waiting <= 3  # one blocking read for everybody, not one each
    assert len(results) == 200
    for run, after, got in results:
        whole = streams[run]
        expected = whole if after is None else whole[whole.index(after) + 1 :]
        assert got == expected, (after, got, whole)
    assert all(len(whole) == 4 for whole in streams.values())
