"""The sliding-window limiter against real Redis, time moved by an injected clock."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from services.errors import RateLimited
from services.rate_limits import Limit, RateLimiter, RateLimitExceeded, retry_after_seconds
from tests.auth_helpers import Clock


@pytest.fixture
def clock() -> Clock:
    # The start of a window, so tests know how far into it they are.
    start = Clock()
    start.now = (int(start.now // 60) + 1) * 60.0
    return start


def _limiter(redis: Redis, clock: Clock, per_minute: int = 5) -> RateLimiter:
    return RateLimiter(
        redis,
        limits={"test": Limit(per_minute), "closed": Limit(per_minute, fail_closed=True)},
        clock=clock,
    )


def _subject() -> str:
    return f"ip:{uuid.uuid4()}"


async def _allowed(limiter: RateLimiter, subject: str, bucket: str = "test") -> bool:
    try:
        await limiter.hit(bucket, subject)
    except RateLimitExceeded:
        return False
    return True


async def test_allows_the_limit_then_refuses(redis: Redis, clock: Clock) -> None:
    limiter, subject = _limiter(redis, clock), _subject()
    for _ in range(5):
        await limiter.hit("test", subject)
    with pytest.raises(RateLimited) as caught:
        await limiter.hit("test", subject)
    assert caught.value.code == "RATE_LIMITED"
    assert isinstance(caught.value, RateLimitExceeded) and caught.value.retry_after >= 1
    assert str(caught.value.retry_after) in caught.value.message


async def test_subjects_are_independent(redis: Redis, clock: Clock) -> None:
    limiter, ip, user = _limiter(redis, clock, per_minute=2), _subject(), _subject()
    for _ in range(2):
        await limiter.hit("test", ip)
    assert not await _allowed(limiter, ip)
    assert await _allowed(limiter, user)
    assert await _allowed(limiter, user)
    assert not await _allowed(limiter, user)


async def test_buckets_are_independent(redis: Redis, clock: Clock) -> None:
    limiter, subject = _limiter(redis, clock, per_minute=1), _subject()
    await limiter.hit("test", subject)
    assert await _allowed(limiter, subject, bucket="closed")


async def test_the_previous_window_still_counts_across_the_boundary(
    redis: Redis, clock: Clock
) -> None:
    """A fixed window would allow 2x the limit around a boundary; this one does not."""
    limiter, subject = _limiter(redis, clock, per_minute=10), _subject()
    clock.advance(59)
    for _ in range(10):
        await limiter.hit("test", subject)
    clock.advance(2)  # one second into the next window
    assert not await _allowed(limiter, subject)
    clock.advance(30)  # half the previous window has slid away
    allowed = [await _allowed(limiter, subject) for _ in range(10)]
    assert 4 <= allowed.count(True) <= 6


async def test_retry_after_is_honest(redis: Redis, clock: Clock) -> None:
    """Waiting exactly ``retry_after`` seconds is enough, and a second less is not."""
    limiter, subject = _limiter(redis, clock, per_minute=3), _subject()
    clock.advance(20)
    for _ in range(3):
        await limiter.hit("test", subject)
    with pytest.raises(RateLimitExceeded) as caught:
        await limiter.hit("test", subject)
    wait = caught.value.retry_after
    start = clock.now
    clock.now = start + wait - 1
    assert not await _allowed(limiter, subject)
    clock.now = start + wait
    assert await _allowed(limiter, subject)


async def test_refused_requests_are_not_counted(redis: Redis, clock: Clock) -> None:
    limiter, subject = _limiter(redis, clock, per_minute=2), _subject()
    for _ in range(2):
        await limiter.hit("test", subject)
    for _ in range(20):
        assert not await _allowed(limiter, subject)
    clock.advance(120)  # two windows later, nothing of the refused flood remains
    assert await _allowed(limiter, subject)
    assert await _allowed(limiter, subject)


async def test_concurrent_hits_never_exceed_the_limit(redis: Redis, clock: Clock) -> None:
    limiter, subject = _limiter(redis, clock, per_minute=20), _subject()
    results = await asyncio.gather(*[_allowed(limiter, subject) for _ in range(60)])
    assert results.count(True) == 20


async def test_redis_down_fails_open_or_closed_per_bucket(clock: Clock) -> None:
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        limiter = _limiter(down, clock)
        await limiter.hit("test", _subject())  # open: allowed
        with pytest.raises(RateLimitExceeded) as caught:
            await limiter.hit("closed", _subject())
        assert caught.value.retry_after > 0
    finally:
        await down.aclose()


async def test_unknown_bucket_is_a_programming_error(redis: Redis, clock: Clock) -> None:
    with pytest.raises(KeyError):
        await _limiter(redis, clock).hit("nope", _subject())


@pytest.mark.parametrize(
    ("limit", "current", "previous", "elapsed", "expected"),
    [
        # all ten used at the window's start: the next window, once 1 of 10 has slid away
        (10, 10, 0, 0.0, 66),
        (10, 10, 0, 50.0, 16),  # ... the same, seen fifty seconds later
        (10, 5, 10, 30.0, 6),  # the previous window's weight drops below the room first
        (10, 0, 20, 0.0, 33),  # 11 of the previous 20 must slide away
        (1, 1, 0, 0.0, 120),  # one per minute: this whole window and the next
    ],
)
def test_retry_after_formula(
    limit: int, current: int, previous: int, elapsed: float, expected: int
) -> None:
    got = retry_after_seconds(limit=limit, current=current, previous=previous, elapsed=elapsed)
    assert abs(got - expected) <= 1
