"""The per-tenant concurrency limit holds across OS processes (real Redis, DB 15)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
import uuid

import httpx
import pytest
from redis.asyncio import Redis

from client.errors import MceUnavailable, Throttled
from client.limits import RedisConcurrencyLimiter, slots_key
from client.pipeline import MceCaller, RequestParts
from client.rest import rest_classify
from client.tokens import CallTarget
from tests.client.conftest import FAST_RETRY, Bridge
from tests.conftest import REDIS_URL

LIMIT = 3


async def _hammer(tenant_id: int, probe: str) -> None:
    """Six concurrent tasks, three slots each; record how many are inside at once."""
    redis = Redis.from_url(REDIS_URL)
    limiter = RedisConcurrencyLimiter(redis, limit=LIMIT, acquire_timeout=20)

    async def task() -> None:
        for _ in range(3):
            async with limiter.slot(tenant_id):
                inside = await redis.incr(f"{probe}:active")
                await redis.rpush(f"{probe}:samples", f"{os.getpid()}:{inside}")
                await asyncio.sleep(0.02)
                await redis.decr(f"{probe}:active")

    try:
        await asyncio.gather(*(task() for _ in range(6)))
    finally:
        await redis.aclose()


def _worker(tenant_id: int, probe: str) -> None:
    asyncio.run(_hammer(tenant_id, probe))


async def _take_and_die(tenant_id: int) -> None:
    redis = Redis.from_url(REDIS_URL)
    limiter = RedisConcurrencyLimiter(redis, limit=1, lease_seconds=0.3)
    async with limiter.slot(tenant_id):
        os._exit(0)  # a crashed work-horse: the slot is never released


def _crasher(tenant_id: int) -> None:
    asyncio.run(_take_and_die(tenant_id))


@pytest.fixture
def tenant_id() -> int:
    return uuid.uuid4().int % 10**12


async def test_limit_is_shared_by_two_processes(redis: Redis, tenant_id: int) -> None:
    probe = f"quarry:test:limits:{uuid.uuid4().hex}"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(tenant_id, probe)) for _ in range(2)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0
        samples = [s.decode() for s in await redis.lrange(f"{probe}:samples", 0, -1)]
    finally:
        await redis.delete(f"{probe}:samples", f"{probe}:active", slots_key(tenant_id))
    assert len(samples) == 2 * 6 * 3
    assert len({sample.split(":")[0] for sample in samples}) == 2
    assert max(int(sample.split(":")[1]) for sample in samples) == LIMIT


async def test_a_crashed_holder_frees_its_slot_when_the_lease_ends(
    redis: Redis, tenant_id: int
) -> None:
    context = multiprocessing.get_context("spawn")
    crasher = context.Process(target=_crasher, args=(tenant_id,))
    crasher.start()
    crasher.join(timeout=30)
    try:
        assert await redis.zcard(slots_key(tenant_id)) == 1
        impatient = RedisConcurrencyLimiter(redis, limit=1, acquire_timeout=0.05)
        with pytest.raises(Throttled):
            async with impatient.slot(tenant_id):
                pass
        patient = RedisConcurrencyLimiter(redis, limit=1, acquire_timeout=5)
        started = time.monotonic()
        async with patient.slot(tenant_id):
            assert time.monotonic() - started < 1.0
        assert await redis.zcard(slots_key(tenant_id)) == 0
    finally:
        await redis.delete(slots_key(tenant_id))


async def test_caller_calls_wait_for_a_slot(
    redis: Redis, tenant_id: int, bridge: Bridge, ahttp: httpx.AsyncClient
) -> None:
    limiter = RedisConcurrencyLimiter(redis, limit=1)
    caller = MceCaller(http=ahttp, tokens=bridge.provider, limiter=limiter)
    target = CallTarget(tenant_id=tenant_id, mid=bridge.target.mid)
    bridge.control("latency", {"ms": 150, "operation": "rest.rowset.get"})

    async def get() -> int:
        response = await caller.call(
            operation="rest.rowset.get",
            method="GET",
            url=bridge.endpoints.rest_url("data/v1/customobjectdata/key/all_types/rowset"),
            target=target,
            build=lambda token: RequestParts(headers={"Authorization": f"Bearer {token}"}),
            classify=rest_classify,
            idempotent=True,
        )
        return response.status_code

    started = time.monotonic()
    assert await asyncio.gather(get(), get()) == [200, 200]
    assert time.monotonic() - started >= 0.3
    assert await redis.zcard(slots_key(tenant_id)) == 0


async def _get_rows(caller: MceCaller, bridge: Bridge, tenant_id: int) -> httpx.Response:
    return await caller.call(
        operation="rest.rowset.get",
        method="GET",
        url=bridge.endpoints.rest_url("data/v1/customobjectdata/key/all_types/rowset"),
        target=CallTarget(tenant_id=tenant_id, mid=bridge.target.mid),
        build=lambda token: RequestParts(headers={"Authorization": f"Bearer {token}"}),
        classify=rest_classify,
        idempotent=True,
    )


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def test_redis_down_fails_closed_and_nothing_is_sent(
    tenant_id: int, bridge: Bridge, ahttp: httpx.AsyncClient
) -> None:
    """Chosen: no slot, no call. The pipeline treats it as an outage (retry_safe)."""
    down = Redis.from_url("redis://127.0.0.1:1/15", socket_connect_timeout=0.2)
    caller = MceCaller(
        http=ahttp,
        tokens=bridge.provider,
        limiter=RedisConcurrencyLimiter(down, limit=1),
        retry=FAST_RETRY,
    )
    before = bridge.op_count("rest.rowset.get")
    with pytest.raises(MceUnavailable) as raised:
        await _get_rows(caller, bridge, tenant_id)
    assert raised.value.retry_safe
    assert bridge.op_count("rest.rowset.get") == before
    await down.aclose()


async def test_redis_lost_during_a_call_never_hides_its_result(
    redis: Redis,
    tenant_id: int,
    bridge: Bridge,
    ahttp: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A create that MCE made must not look failed because the slot release failed.

    Redis sits behind a proxy that the test tears down while MCE is still answering (300 ms of
    latency); the proof that Redis was really gone for the release: the slot is still held in
    Redis after the call, and the limiter logged that it could not release it.
    """
    host, port = REDIS_URL.split("//", 1)[1].split("/", 1)[0].split(":")
    to_client: list[asyncio.StreamWriter] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        to_client.append(writer)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(_forward(reader, up_writer), _forward(up_reader, writer))

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    proxied = Redis(
        host="127.0.0.1", port=server.sockets[0].getsockname()[1], db=15, socket_timeout=1
    )
    caller = MceCaller(
        http=ahttp,
        tokens=bridge.provider,
        limiter=RedisConcurrencyLimiter(proxied, limit=1, lease_seconds=30, redis_timeout=0.5),
    )
    bridge.control("latency", {"ms": 300, "operation": "rest.rowset.get"})
    events: list[str] = []

    async def call() -> httpx.Response:
        response = await _get_rows(caller, bridge, tenant_id)
        events.append("MCE answered")
        return response

    async def redis_dies() -> None:
        await asyncio.sleep(0.1)
        server.close()  # no new connections ...
        for writer in to_client:  # ... and the open ones are cut
            writer.close()
        events.append("Redis dropped")

    try:
        with caplog.at_level(logging.WARNING, logger="quarry.client"):
            response, _ = await asyncio.gather(call(), redis_dies())
        assert response.status_code == 200
        assert events == ["Redis dropped", "MCE answered"]
        assert len(to_client) == 1  # the slot was taken through the proxy
        assert await redis.zcard(slots_key(tenant_id)) == 1  # the release never arrived
        assert "could not release an MCE call slot" in caplog.text
    finally:
        await redis.delete(slots_key(tenant_id))
        await proxied.aclose()


async def test_a_hung_redis_fails_the_call_closed(
    tenant_id: int, bridge: Bridge, ahttp: httpx.AsyncClient
) -> None:
    """A Redis that accepts the connection and never answers must not hold the call."""
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # keep it open, answer nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    hung = Redis(host="127.0.0.1", port=server.sockets[0].getsockname()[1], db=15)
    caller = MceCaller(
        http=ahttp,
        tokens=bridge.provider,
        limiter=RedisConcurrencyLimiter(hung, limit=1, redis_timeout=0.2),
        retry=FAST_RETRY,
    )
    before = bridge.op_count("rest.rowset.get")
    try:
        with pytest.raises(MceUnavailable) as raised:
            await _get_rows(caller, bridge, tenant_id)
        assert raised.value.retry_safe
        assert bridge.op_count("rest.rowset.get") == before
        assert accepted
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await hung.aclose()
