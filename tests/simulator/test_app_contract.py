"""The contract the SOAP layer builds on: app wiring, token validation, faults, resets."""

from __future__ import annotations

import httpx
import pytest

from simulator.app import SimulatedConnectionReset
from simulator.faults import FaultRule
from simulator.state import Simulator, TokenExpired, TokenInvalid

from .conftest import TokenFor


def test_token_from_code_flow_validates_to_user_and_bu(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    eu = next(bu.mid for bu in sim.store.business_units.values() if bu.name.endswith("EU"))
    body = token_for(http, user="mia.marketer", mid=eu)
    info = sim.auth.validate_access_token(body["access_token"])
    assert info.user is not None and info.user.username == "mia.marketer"
    assert info.mid == eu
    assert set(info.reachable_mids) == set(info.user.reachable_mids)
    assert info.client_id == sim.enhanced_package.client_id


def test_validate_access_token_raises_typed_errors(
    http: httpx.Client, sim: Simulator, token_for: TokenFor
) -> None:
    with pytest.raises(TokenInvalid):
        sim.auth.validate_access_token("not-a-token")
    token = token_for(http)["access_token"]
    sim.clock.advance(1201)
    with pytest.raises(TokenExpired):
        sim.auth.validate_access_token(token)


# The SOAP path's case-insensitivity and the WSDL route are asserted by their real answers in
# test_soap_faults.py (test_path_is_case_insensitive: a Retrieve at each spelling is a 200
# SOAP reply) and test_soap_wsdl.py (the WSDL served at a differently cased path, then loaded
# by zeep over HTTP).


def test_connection_reset_is_a_transport_error_over_http(
    http: httpx.Client, sim: Simulator
) -> None:
    sim.faults.add_rule(FaultRule(operation="auth.userinfo", kind="reset", times=1))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        http.get("v2/userinfo", headers={"Authorization": "Bearer x"})
    # The rule was used up: the next call gets a normal answer.
    assert http.get("v2/userinfo").status_code == 401


async def test_connection_reset_in_process_raises_transport_error(
    asgi_client: httpx.AsyncClient, sim: Simulator
) -> None:
    sim.faults.add_rule(FaultRule(operation="auth.userinfo", kind="reset", times=1))
    with pytest.raises(SimulatedConnectionReset) as caught:
        await asgi_client.get("v2/userinfo")
    assert isinstance(caught.value, httpx.TransportError)
