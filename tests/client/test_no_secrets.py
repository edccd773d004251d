"""No token or secret in any error message, repr or log line."""

from __future__ import annotations

import logging
import pickle

import pytest

from client.auth import AuthClient, TokenGrant
from client.errors import MceError
from client.pipeline import MceCaller, RequestParts
from client.rest import rest_classify
from client.secret import Secret
from simulator.state import Simulator
from tests.client.conftest import Bridge


def test_secret_never_prints_itself() -> None:
    secret = Secret("s3cr3t-value")
    assert "s3cr3t" not in repr(secret)
    assert "s3cr3t" not in str(secret)
    assert "s3cr3t" not in f"{secret} {secret!r} {[secret]}"
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    assert secret == Secret("s3cr3t-value") and secret.reveal() == "s3cr3t-value"


def test_grants_do_not_print_their_tokens(grant: TokenGrant) -> None:
    assert grant.refresh_token is not None
    text = repr(grant)
    assert grant.access_token.reveal() not in text
    assert grant.refresh_token.reveal() not in text


async def call(caller: MceCaller, bridge: Bridge, *, idempotent: bool) -> None:
    await caller.call(
        operation="rest.rowset.get",
        method="GET",
        url=bridge.endpoints.rest_url("data/v1/customobjectdata/key/all_types/rowset"),
        target=bridge.target,
        build=lambda token: RequestParts(headers={"Authorization": f"Bearer {token}"}),
        classify=rest_classify,
        idempotent=idempotent,
    )


async def test_errors_and_logs_hold_no_tokens(
    bridge: Bridge,
    sim: Simulator,
    auth: AuthClient,
    grant: TokenGrant,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = {
        grant.access_token.reveal(),
        sim.enhanced_package.client_secret,
    }
    errors: list[MceError] = []
    scenarios = [
        ({"operation": "rest.rowset.get", "kind": "error", "status": 401}, True),
        ({"operation": "rest.rowset.get", "kind": "reset", "times": 1}, False),
        ({"operation": "rest.rowset.get", "kind": "rate_limit", "retry_after": 99}, True),
        ({"operation": "rest.rowset.get", "kind": "error", "status": 403}, True),
    ]
    for fault, idempotent in scenarios:
        bridge.control("faults", fault)
        with pytest.raises(MceError) as caught:
            await call(bridge.caller, bridge, idempotent=idempotent)
        errors.append(caught.value)
        secrets.add(bridge.provider.refresh_token.reveal())
        current = await bridge.provider.access_token(bridge.target)
        secrets.add(current.value.reveal())
        bridge.http_delete("__sim/faults")
    bridge.control("tokens/revoke", {"refresh_token": bridge.provider.refresh_token.reveal()})
    bridge.control("tokens/expire", {})
    with pytest.raises(MceError) as caught:
        await call(bridge.caller, bridge, idempotent=True)
    errors.append(caught.value)
    assert [type(e).__name__ for e in errors] == [
        "ReauthRequired",
        "OutcomeUnknown",
        "Throttled",
        "PermissionDenied",
        "ReauthRequired",
    ]
    shown = "\n".join(f"{e}\n{e!r}\n{e.args}\n{vars(e)}" for e in errors) + caplog.text
    assert "mce call rest.rowset.get" in caplog.text
    for secret in secrets:
        assert secret not in shown
