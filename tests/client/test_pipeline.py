"""MceCaller against the simulator over HTTP: signing, token refresh-once, retries,
idempotency rules, timeouts and observation. Faults come from the simulator's control API."""

from __future__ import annotations

import time

import httpx
import pytest

from client.errors import (
    MceUnavailable,
    OutcomeUnknown,
    ReauthRequired,
    Throttled,
)
from client.pipeline import MceCaller, RequestParts, RetryPolicy
from client.rest import rest_classify
from tests.client.conftest import FAST_RETRY, Bridge


def bearer(token: str) -> RequestParts:
    return RequestParts(headers={"Authorization": f"Bearer {token}"}, params={"$pageSize": "5"})


def bearer_json(token: str) -> RequestParts:
    return RequestParts(
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        content=b'[{"keys": {"Id": 1}, "values": {"Note": "x"}}]',
    )


async def get_rowset(bridge: Bridge, caller: MceCaller | None = None) -> httpx.Response:
    return await (caller or bridge.caller).call(
        operation="rest.rowset.get",
        method="GET",
        url=bridge.endpoints.rest_url("data/v1/customobjectdata/key/all_types/rowset"),
        target=bridge.target,
        build=bearer,
        classify=rest_classify,
        idempotent=True,
    )


async def insert_row(bridge: Bridge, caller: MceCaller | None = None) -> httpx.Response:
    return await (caller or bridge.caller).call(
        operation="rest.rowset.insert",
        method="POST",
        url=bridge.endpoints.rest_url("hub/v1/dataevents/key:empty_staging/rowset"),
        target=bridge.target,
        build=bearer_json,
        classify=rest_classify,
        idempotent=False,
    )


async def test_signed_call_succeeds_and_is_observed(bridge: Bridge) -> None:
    response = await get_rowset(bridge)
    assert response.status_code == 200
    assert response.json()["count"] == 25
    assert bridge.observer.calls[("rest.rowset.get", "ok")] == 1


async def test_expired_token_is_refreshed_once_and_the_call_retried(bridge: Bridge) -> None:
    bridge.control("tokens/expire", {})
    response = await get_rowset(bridge)
    assert response.status_code == 200
    assert bridge.provider.fetches == 1
    assert bridge.op_count("rest.rowset.get") == 2


async def test_a_second_rejection_is_reauth_not_a_loop(bridge: Bridge) -> None:
    bridge.control("faults", {"operation": "rest.rowset.get", "kind": "error", "status": 401})
    with pytest.raises(ReauthRequired):
        await get_rowset(bridge)
    assert bridge.provider.fetches == 1
    assert bridge.op_count("rest.rowset.get") == 2


async def test_revoked_refresh_token_is_reauth(bridge: Bridge) -> None:
    bridge.control("tokens/revoke", {"refresh_token": bridge.provider.refresh_token.reveal()})
    bridge.control("tokens/expire", {})
    with pytest.raises(ReauthRequired):
        await get_rowset(bridge)
    assert bridge.observer.calls[("rest.rowset.get", "ReauthRequired")] == 1


async def test_a_real_5xx_is_retried(bridge: Bridge) -> None:
    bridge.control("faults", {"operation": "rest.rowset.get", "kind": "error", "times": 2})
    response = await get_rowset(bridge)
    assert response.status_code == 200
    assert bridge.op_count("rest.rowset.get") == 3


async def test_5xx_gives_up_after_the_retry_budget(bridge: Bridge) -> None:
    bridge.control("faults", {"operation": "rest.rowset.get", "kind": "error"})
    with pytest.raises(MceUnavailable) as caught:
        await get_rowset(bridge)
    assert caught.value.status == 500
    assert bridge.op_count("rest.rowset.get") == FAST_RETRY.max_retries + 1


async def test_429_retry_after_is_honoured(bridge: Bridge) -> None:
    bridge.control(
        "faults",
        {"operation": "rest.rowset.get", "kind": "rate_limit", "times": 1, "retry_after": 1},
    )
    started = time.monotonic()
    response = await get_rowset(bridge)
    assert response.status_code == 200
    assert time.monotonic() - started >= 1.0
    assert bridge.op_count("rest.rowset.get") == 2


async def test_429_retry_after_beyond_the_cap_goes_to_the_caller(bridge: Bridge) -> None:
    bridge.control(
        "faults",
        {"operation": "rest.rowset.get", "kind": "rate_limit", "times": 1, "retry_after": 60},
    )
    started = time.monotonic()
    with pytest.raises(Throttled) as caught:
        await get_rowset(bridge)
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 60
    assert caught.value.mce_code == 50100
    assert bridge.op_count("rest.rowset.get") == 1


async def test_reset_on_a_non_idempotent_call_is_not_resent(bridge: Bridge) -> None:
    bridge.control("faults", {"operation": "rest.rowset.insert", "kind": "reset", "times": 1})
    with pytest.raises(OutcomeUnknown):
        await insert_row(bridge)
    assert bridge.op_count("rest.rowset.insert") == 1


async def test_500_on_a_non_idempotent_call_is_not_resent(bridge: Bridge) -> None:
    bridge.control("faults", {"operation": "rest.rowset.insert", "kind": "error", "times": 1})
    with pytest.raises(MceUnavailable) as caught:
        await insert_row(bridge)
    assert not isinstance(caught.value, OutcomeUnknown)
    assert bridge.op_count("rest.rowset.insert") == 1


async def test_503_on_a_non_idempotent_call_is_resent(bridge: Bridge) -> None:
    bridge.control(
        "faults",
        {"operation": "rest.rowset.insert", "kind": "error", "status": 503, "times": 1,
         "retry_after": 1},
    )  # fmt: skip
    response = await insert_row(bridge)
    assert response.status_code == 200
    assert bridge.op_count("rest.rowset.insert") == 2


async def test_reset_on_an_idempotent_get_is_retried(bridge: Bridge) -> None:
    bridge.control("faults", {"operation": "rest.rowset.get", "kind": "reset", "times": 1})
    response = await get_rowset(bridge)
    assert response.status_code == 200
    assert bridge.op_count("rest.rowset.get") == 2


async def test_slow_answers_time_out(bridge: Bridge, ahttp: httpx.AsyncClient) -> None:
    caller = MceCaller(
        http=ahttp,
        tokens=bridge.provider,
        retry=RetryPolicy(max_retries=1, base_delay=0.001, max_delay=0.002),
        timeout=0.2,
    )
    bridge.control("faults", {"operation": "rest.*", "kind": "slow", "delay_ms": 600})
    started = time.monotonic()
    with pytest.raises(MceUnavailable) as idempotent:
        await get_rowset(bridge, caller)
    assert not isinstance(idempotent.value, OutcomeUnknown)
    assert bridge.op_count("rest.rowset.get") == 2
    with pytest.raises(OutcomeUnknown):
        await insert_row(bridge, caller)
    assert bridge.op_count("rest.rowset.insert") == 1
    assert time.monotonic() - started < 1.5
