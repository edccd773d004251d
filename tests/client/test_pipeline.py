"""MceCaller against the simulator over HTTP: signing, token refresh-once, retries,
idempotency rules, timeouts and observation. Faults come from the simulator's control API."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from client.endpoints import MceEndpoints
from client.errors import (
    MceUnavailable,
    OutcomeUnknown,
    ReauthRequired,
    Throttled,
)
from client.observe import CountingObserver
from client.pipeline import MceCaller, RequestParts, RetryPolicy
from client.rest import rest_classify
from client.simple_tokens import RefreshingTokenProvider
from client.tokens import CallTarget
from tests.client.conftest import FAST_RETRY, Control


def bearer(token: str) -> RequestParts:
    return RequestParts(headers={"Authorization": f"Bearer {token}"}, params={"$pageSize": "5"})


def bearer_json(token: str) -> RequestParts:
    return RequestParts(
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        content=b'[{"keys": {"Id": 1}, "values": {"Note": "x"}}]',
    )


async def get_rowset(
    caller: MceCaller, endpoints: MceEndpoints, target: CallTarget
) -> httpx.Response:
    return await caller.call(
        operation="rest.rowset.get",
        method="GET",
        url=endpoints.rest_url("data/v1/customobjectdata/key/all_types/rowset"),
        target=target,
        build=bearer,
        classify=rest_classify,
        idempotent=True,
    )


async def insert_row(
    caller: MceCaller, endpoints: MceEndpoints, target: CallTarget
) -> httpx.Response:
    return await caller.call(
        operation="rest.rowset.insert",
        method="POST",
        url=endpoints.rest_url("hub/v1/dataevents/key:empty_staging/rowset"),
        target=target,
        build=bearer_json,
        classify=rest_classify,
        idempotent=False,
    )


async def test_signed_call_succeeds_and_is_observed(
    caller: MceCaller, endpoints: MceEndpoints, target: CallTarget, observer: CountingObserver
) -> None:
    response = await get_rowset(caller, endpoints, target)
    assert response.status_code == 200
    assert response.json()["count"] == 25
    assert observer.calls[("rest.rowset.get", "ok")] == 1


async def test_expired_token_is_refreshed_once_and_the_call_retried(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    provider: RefreshingTokenProvider,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control("tokens/expire", {})
    response = await get_rowset(caller, endpoints, target)
    assert response.status_code == 200
    assert provider.refreshes == 1
    assert op_count("rest.rowset.get") == 2


async def test_a_second_rejection_is_reauth_not_a_loop(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    provider: RefreshingTokenProvider,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control("faults", {"operation": "rest.rowset.get", "kind": "error", "status": 401})
    with pytest.raises(ReauthRequired):
        await get_rowset(caller, endpoints, target)
    assert provider.refreshes == 1
    assert op_count("rest.rowset.get") == 2


async def test_revoked_refresh_token_is_reauth(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    provider: RefreshingTokenProvider,
    control: Control,
    observer: CountingObserver,
) -> None:
    control("tokens/revoke", {"refresh_token": provider.refresh_token.reveal()})
    control("tokens/expire", {})
    with pytest.raises(ReauthRequired):
        await get_rowset(caller, endpoints, target)
    assert observer.calls[("rest.rowset.get", "ReauthRequired")] == 1


async def test_a_real_5xx_is_retried(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control("faults", {"operation": "rest.rowset.get", "kind": "error", "times": 2})
    response = await get_rowset(caller, endpoints, target)
    assert response.status_code == 200
    assert op_count("rest.rowset.get") == 3


async def test_5xx_gives_up_after_the_retry_budget(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control("faults", {"operation": "rest.rowset.get", "kind": "error"})
    with pytest.raises(MceUnavailable) as caught:
        await get_rowset(caller, endpoints, target)
    assert caught.value.status == 500
    assert op_count("rest.rowset.get") == FAST_RETRY.max_retries + 1


async def test_429_retry_after_is_honoured(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control(
        "faults",
        {"operation": "rest.rowset.get", "kind": "rate_limit", "times": 1, "retry_after": 1},
    )
    started = time.monotonic()
    response = await get_rowset(caller, endpoints, target)
    assert response.status_code == 200
    assert time.monotonic() - started >= 1.0
    assert op_count("rest.rowset.get") == 2


async def test_429_retry_after_beyond_the_cap_goes_to_the_caller(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control(
        "faults",
        {"operation": "rest.rowset.get", "kind": "rate_limit", "times": 1, "retry_after": 60},
    )
    started = time.monotonic()
    with pytest.raises(Throttled) as caught:
        await get_rowset(caller, endpoints, target)
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 60
    assert caught.value.mce_code == 50100
    assert op_count("rest.rowset.get") == 1


async def test_reset_on_a_non_idempotent_call_is_not_resent(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control("faults", {"operation": "rest.rowset.insert", "kind": "reset", "times": 1})
    with pytest.raises(OutcomeUnknown):
        await insert_row(caller, endpoints, target)
    assert op_count("rest.rowset.insert") == 1


async def test_500_on_a_non_idempotent_call_is_not_resent(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control("faults", {"operation": "rest.rowset.insert", "kind": "error", "times": 1})
    with pytest.raises(MceUnavailable) as caught:
        await insert_row(caller, endpoints, target)
    assert not isinstance(caught.value, OutcomeUnknown)
    assert op_count("rest.rowset.insert") == 1


async def test_503_on_a_non_idempotent_call_is_resent(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control(
        "faults",
        {"operation": "rest.rowset.insert", "kind": "error", "status": 503, "times": 1,
         "retry_after": 1},
    )  # fmt: skip
    response = await insert_row(caller, endpoints, target)
    assert response.status_code == 200
    assert op_count("rest.rowset.insert") == 2


async def test_reset_on_an_idempotent_get_is_retried(
    caller: MceCaller,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    control("faults", {"operation": "rest.rowset.get", "kind": "reset", "times": 1})
    response = await get_rowset(caller, endpoints, target)
    assert response.status_code == 200
    assert op_count("rest.rowset.get") == 2


async def test_slow_answers_time_out(
    ahttp: httpx.AsyncClient,
    provider: RefreshingTokenProvider,
    endpoints: MceEndpoints,
    target: CallTarget,
    control: Control,
    op_count: Callable[[str], int],
) -> None:
    caller = MceCaller(
        http=ahttp,
        tokens=provider,
        retry=RetryPolicy(max_retries=1, base_delay=0.001, max_delay=0.002),
        timeout=0.2,
    )
    control("faults", {"operation": "rest.*", "kind": "slow", "delay_ms": 600})
    started = time.monotonic()
    with pytest.raises(MceUnavailable) as idempotent:
        await get_rowset(caller, endpoints, target)
    assert not isinstance(idempotent.value, OutcomeUnknown)
    assert op_count("rest.rowset.get") == 2
    with pytest.raises(OutcomeUnknown):
        await insert_row(caller, endpoints, target)
    assert op_count("rest.rowset.insert") == 1
    assert time.monotonic() - started < 1.5
