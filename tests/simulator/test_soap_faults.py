"""Bad input and auth over HTTP: each gets MCE's fault shape and the server keeps serving."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lxml import etree

from simulator.faults import FaultRule
from simulator.soap.envelope import MAX_ENVELOPE_BYTES
from simulator.state import Simulator
from tests.simulator.soap_helpers import (
    NS,
    PARTNER,
    SoapClient,
    SoapReply,
    envelope,
    issue_token,
    new_sim,
    retrieve_body,
)

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
FOLDER_RETRIEVE = retrieve_body("DataFolder", ["Name"])


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The conftest simulator without DE rows: these tests need metadata only (10x faster)."""
    simulator = new_sim()
    yield simulator
    simulator.close()


@pytest.fixture
def client(sim: Simulator, sim_url: str) -> Iterator[SoapClient]:
    soap = SoapClient(sim_url.rstrip("/"), issue_token(sim).token)
    yield soap
    soap.close()


def parse(response: httpx.Response) -> SoapReply:
    return SoapReply(response.status_code, etree.fromstring(response.content), response.text)


def assert_client_fault(response: httpx.Response, fragment: str) -> None:
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/xml")
    reply = parse(response)
    assert reply.fault_code == "soap:Client"
    assert fragment in (reply.fault_string or "")
    assert reply.value("//s:Fault/faultactor").endswith("/Service.asmx")  # type: ignore[union-attr]


def assert_still_serving(client: SoapClient) -> None:
    reply = client.call("Retrieve", FOLDER_RETRIEVE)
    assert reply.status == 200
    assert reply.overall_status == "OK"


# --- malformed input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"<soap:Envelope", "not well-formed"),
        (b"", "empty"),
        (b"not xml at all", "not well-formed"),
        (b"<Envelope/>", "not a SOAP 1.1 Envelope"),
        (
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>',
            "has no Body",
        ),
        (
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            b"<soap:Body/></soap:Envelope>",
            "Body is empty",
        ),
    ],
)
def test_malformed_envelopes_are_client_faults(
    client: SoapClient, content: bytes, fragment: str
) -> None:
    assert_client_fault(client.post_raw(content, action="Retrieve"), fragment)
    assert_still_serving(client)


def test_entity_expansion_is_refused(client: SoapClient) -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        + envelope(FOLDER_RETRIEVE, client.token)
        .split("?>", 1)[1]
        .replace("<Properties>Name</Properties>", "<Properties>&lol2;</Properties>")
    )
    assert_client_fault(client.post_raw(bomb, action="Retrieve"), "DOCTYPE")
    assert_still_serving(client)


def test_external_entities_are_never_fetched(client: SoapClient, tmp_path: object) -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + envelope(FOLDER_RETRIEVE.replace("Name", "&xxe;"), client.token).split("?>", 1)[1]
    )
    response = client.post_raw(xxe, action="Retrieve")
    assert_client_fault(response, "DOCTYPE")
    assert "root:" not in response.text


def test_oversized_envelope_is_refused(client: SoapClient) -> None:
    padding = "x" * (MAX_ENVELOPE_BYTES + 10)
    big = envelope(retrieve_body("DataFolder", ["Name"]).replace("Name", padding), client.token)
    assert_client_fault(client.post_raw(big, action="Retrieve"), "limit")
    assert_still_serving(client)


def test_oversized_chunked_envelope_is_refused(client: SoapClient) -> None:
    chunk = b"<!-- " + b"x" * (1024 * 1024) + b" -->"

    def body() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?>'
        for _ in range(5):
            yield chunk

    response = client.http.post("/Service.asmx", content=body(), headers={"SOAPAction": "Retrieve"})
    assert_client_fault(response, "limit")
    assert_still_serving(client)


def test_unknown_soap_action_is_a_client_fault(client: SoapClient) -> None:
    response = client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Frobnicate")
    assert_client_fault(response, "did not recognize the value of HTTP Header SOAPAction")
    assert_still_serving(client)


def test_soap_action_must_match_the_body(client: SoapClient) -> None:
    response = client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Create")
    assert_client_fault(response, "does not match")


def test_unknown_body_element_is_a_client_fault(client: SoapClient) -> None:
    body = f'<FrobnicateRequest xmlns="{PARTNER}"/>'
    assert_client_fault(
        client.post_raw(envelope(body, client.token), action=None), "Unknown request"
    )


def test_soap_action_is_optional_and_may_be_quoted(client: SoapClient) -> None:
    for action in (None, '"Retrieve"', ""):
        response = client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action=action)
        assert response.status_code == 200
        assert parse(response).overall_status == "OK"


def test_wsdl_operation_not_implemented_is_a_client_fault(client: SoapClient) -> None:
    body = (
        f'<VersionInfoRequestMsg xmlns="{PARTNER}">'
        "<IncludeVersionHistory>false</IncludeVersionHistory></VersionInfoRequestMsg>"
    )
    response = client.post_raw(envelope(body, client.token), action="VersionInfo")
    assert_client_fault(response, "not supported")
    assert_still_serving(client)


def test_path_is_case_insensitive(client: SoapClient) -> None:
    for path in ("/service.asmx", "/SERVICE.ASMX", "/Service.asmx"):
        response = client.post_raw(
            envelope(FOLDER_RETRIEVE, client.token), action="Retrieve", path=path
        )
        assert response.status_code == 200


def test_invalid_integer_in_an_object_is_a_client_fault(client: SoapClient) -> None:
    body = (
        f'<CreateRequest xmlns="{PARTNER}"><Options/><Objects xsi:type="DataFolder">'
        "<ParentFolder><ID>abc</ID></ParentFolder><Name>x</Name>"
        "<ContentType>dataextension</ContentType></Objects></CreateRequest>"
    )
    assert_client_fault(client.post_raw(envelope(body, client.token), action="Create"), "abc")


@pytest.mark.parametrize(
    ("inner", "fragment"),
    [
        (
            "<Name>big</Name><DataRetentionPeriodLength>2147483648</DataRetentionPeriodLength>"
            "<Fields><Field><Name>A</Name></Field></Fields>",
            "out of range for xsd:int",
        ),
        (
            "<Name>big</Name><Fields><Field><Name>A</Name><MaxLength>99999999999</MaxLength>"
            "</Field></Fields>",
            "out of range for xsd:int",
        ),
        (
            "<Name>big</Name><CategoryID>99999999999999999999</CategoryID>"
            "<Fields><Field><Name>A</Name></Field></Fields>",
            "out of range for xsd:long",
        ),
    ],
)
def test_integer_out_of_schema_range_is_a_client_fault(
    client: SoapClient, inner: str, fragment: str
) -> None:
    """MCE's deserializer refuses numbers its ``xsd:int``/``xsd:long`` fields cannot hold."""
    body = (
        f'<CreateRequest xmlns="{PARTNER}"><Options/><Objects xsi:type="DataExtension">'
        f"{inner}</Objects></CreateRequest>"
    )
    assert_client_fault(client.post_raw(envelope(body, client.token), action="Create"), fragment)


def test_client_ids_out_of_int_range_is_a_client_fault(client: SoapClient) -> None:
    body = retrieve_body("DataFolder", ["Name"]).replace(
        "<ObjectType>", "<ClientIDs><ClientID>4294967296</ClientID></ClientIDs><ObjectType>"
    )
    response = client.post_raw(envelope(body, client.token), action="Retrieve")
    assert_client_fault(response, "out of range for xsd:int")


# --- authentication ---------------------------------------------------------------------------


def assert_security_fault(response: httpx.Response, message: str) -> None:
    assert response.status_code == 500
    reply = parse(response)
    code = reply.find("//s:Fault/faultcode")
    assert code is not None
    assert code.text == "q0:Security"
    assert code.nsmap.get("q0") == WSSE
    assert reply.fault_string == message
    assert reply.value("//s:Fault/faultactor").endswith("/Service.asmx")  # type: ignore[union-attr]
    assert reply.find("//s:Fault/detail") is None


def test_missing_token_is_login_failed(client: SoapClient) -> None:
    assert_security_fault(
        client.post_raw(envelope(FOLDER_RETRIEVE, None), action="Retrieve"), "Login Failed"
    )


def test_wrong_token_is_login_failed(client: SoapClient) -> None:
    response = client.post_raw(envelope(FOLDER_RETRIEVE, "not-a-token"), action="Retrieve")
    assert_security_fault(response, "Login Failed")
    assert_still_serving(client)


def test_token_in_another_namespace_is_not_accepted(client: SoapClient) -> None:
    text = envelope(FOLDER_RETRIEVE, client.token).replace(
        'xmlns="http://exacttarget.com"', 'xmlns="http://tempuri.org"'
    )
    assert_security_fault(client.post_raw(text, action="Retrieve"), "Login Failed")


def test_expired_token_is_token_expired(sim: Simulator, client: SoapClient) -> None:
    assert sim.auth.expire_access_tokens(token=client.token) == 1
    assert_security_fault(
        client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Retrieve"), "Token Expired"
    )
    fresh = issue_token(sim).token
    assert client.call("Retrieve", FOLDER_RETRIEVE, token=fresh).overall_status == "OK"


def test_token_expires_with_the_clock(sim: Simulator, client: SoapClient) -> None:
    sim.clock.advance(sim.config.token_ttl_seconds + 1)
    response = client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Retrieve")
    assert_security_fault(response, "Token Expired")


def test_control_api_expires_tokens(sim: Simulator, sim_url: str, client: SoapClient) -> None:
    response = httpx.post(f"{sim_url}__sim/tokens/expire", json={"access_token": client.token})
    assert response.status_code == 200, response.text
    assert response.json() == {"expired": 1}
    assert_security_fault(
        client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Retrieve"), "Token Expired"
    )


# --- injected faults ----------------------------------------------------------------------------


def test_injected_rate_limit_is_mce_rate_limited_fault(sim: Simulator, client: SoapClient) -> None:
    sim.faults.add_rule(FaultRule(operation="soap.Retrieve.DataFolder", kind="rate_limit", times=1))
    response = client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Retrieve")
    assert response.status_code == 500
    reply = parse(response)
    assert reply.fault_code == "soap:Server"
    assert reply.fault_string == "Rate Limited"
    assert_still_serving(client)


def test_injected_error_is_a_server_fault_with_api_fault_detail(
    sim: Simulator, client: SoapClient
) -> None:
    sim.faults.add_rule(FaultRule(operation="soap.Retrieve.*", kind="error", times=1))
    response = client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Retrieve")
    assert response.status_code == 500
    reply = parse(response)
    assert reply.fault_code == "soap:Server"
    code = reply.root.xpath(
        "//s:Fault/detail/f:apifault/f:Code",
        namespaces={**NS, "f": "urn:fault.partner.exacttarget.com"},
    )
    assert [c.text for c in code] == ["2"]
    assert_still_serving(client)


def test_injected_reset_drops_the_connection(sim: Simulator, client: SoapClient) -> None:
    sim.faults.add_rule(FaultRule(operation="soap.Retrieve.DataFolder", kind="reset", times=1))
    with pytest.raises(httpx.TransportError):
        client.post_raw(envelope(FOLDER_RETRIEVE, client.token), action="Retrieve")
    assert_still_serving(client)


def test_calls_are_counted_by_operation_and_object_type(sim: Simulator, client: SoapClient) -> None:
    client.call("Retrieve", FOLDER_RETRIEVE)
    client.call("Retrieve", retrieve_body("DataExtension", ["Name"]))
    assert sim.stats.get("soap.Retrieve.DataFolder") == 1
    assert sim.stats.get("soap.Retrieve.DataExtension") == 1


def _legacy_envelope(body: str, legacy_token: str) -> str:
    """A legacy package's envelope: ``oAuth/oAuthToken`` plus a dummy UsernameToken."""
    header = (
        f'<soap:Header><oAuth xmlns="http://exacttarget.com"><oAuthToken>{legacy_token}'
        f'</oAuthToken></oAuth><wsse:Security xmlns:wsse="{WSSE}"><wsse:UsernameToken>'
        "<wsse:Username>*</wsse:Username><wsse:Password>*</wsse:Password>"
        "</wsse:UsernameToken></wsse:Security></soap:Header>"
    )
    return envelope(body, None).replace("<soap:Body>", header + "<soap:Body>", 1)


def test_legacy_oauth_header_is_accepted(sim: Simulator, client: SoapClient) -> None:
    user = next(u for u in sim.store.users.values())
    refresh = sim.auth.issue_legacy_refresh(
        package=sim.legacy_package, user=user, mid=user.default_mid
    )
    exchanged = sim.auth.legacy_exchange(package=sim.legacy_package, refresh_token=refresh)
    legacy_token = str(exchanged["legacyToken"])
    response = client.post_raw(_legacy_envelope(FOLDER_RETRIEVE, legacy_token), action="Retrieve")
    assert response.status_code == 200
    assert parse(response).overall_status == "OK"
    bogus = client.post_raw(_legacy_envelope(FOLDER_RETRIEVE, "nope"), action="Retrieve")
    assert_security_fault(bogus, "Login Failed")
