"""Helpers for the SOAP contract tests: a real HTTP server, envelopes, and response parsing.

The simulator is served by uvicorn on a free loopback port in a background thread, so requests
go over real HTTP exactly as product clients send them. Responses are parsed with lxml and read
with small XPath helpers in the partner namespace.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
from lxml import etree

from simulator.app import create_app
from simulator.auth import TokenInfo
from simulator.model import User
from simulator.state import Simulator
from tests.simulator.conftest import ServerThread, make_sim

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "http://exacttarget.com/wsdl/partnerAPI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS = {"s": SOAP_NS, "p": PARTNER, "xsi": XSI}


@contextmanager
def serve(sim: Simulator) -> Iterator[str]:
    """Serve ``create_app(sim)`` with uvicorn on a free port; yields the base URL (no slash)."""
    with ServerThread(create_app(sim)) as server:
        yield server.url.rstrip("/")


def new_sim() -> Simulator:
    """A seeded simulator without DE rows (SOAP metadata tests do not need them; 10x faster)."""
    return make_sim(with_rows=False)


def user_named(sim: Simulator, username: str) -> User:
    return next(u for u in sim.store.users.values() if u.username == username)


def issue_token(
    sim: Simulator, username: str = "ada.admin", *, mid: int | None = None
) -> TokenInfo:
    """An access token for a seeded user (in their default BU unless ``mid`` is given)."""
    user = user_named(sim, username)
    package = sim.enhanced_package
    return sim.auth.issue_access_token(
        package=package,
        user=user,
        mid=mid if mid is not None else user.default_mid,
        scopes=package.scopes,
    )


def bu_mids(sim: Simulator) -> dict[str, int]:
    """Seeded BUs by role: ``parent`` and the children in seed order ``us``, ``eu``, ``qa``."""
    parent = next(bu for bu in sim.store.business_units.values() if bu.parent_mid is None)
    children = [bu.mid for bu in sim.store.business_units.values() if bu.parent_mid is not None]
    ada = user_named(sim, "ada.admin")
    mia = user_named(sim, "mia.marketer")
    eve = user_named(sim, "eve.europe")
    us, eu = mia.reachable_mids
    qa = next(m for m in ada.reachable_mids if m not in (parent.mid, us, eu))
    assert eve.reachable_mids == (eu,)
    assert set(children) == {us, eu, qa}
    return {"parent": parent.mid, "us": us, "eu": eu, "qa": qa}


def envelope(body: str, token: str | None) -> str:
    header = (
        f'<soap:Header><fueloauth xmlns="http://exacttarget.com">{escape(token)}</fueloauth>'
        "</soap:Header>"
        if token is not None
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}" '
        f'xmlns:xsi="{XSI}" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f"{header}<soap:Body>{body}</soap:Body></soap:Envelope>"
    )


def simple(prop: str, op: str, *values: str, element: str = "Filter") -> str:
    vals = "".join(f"<Value>{escape(v)}</Value>" for v in values)
    return (
        f'<{element} xsi:type="SimpleFilterPart"><Property>{prop}</Property>'
        f"<SimpleOperator>{op}</SimpleOperator>{vals}</{element}>"
    )


def complex_(left: str, op: str, right: str, *extra: str, element: str = "Filter") -> str:
    """A ComplexFilterPart; operands are built with ``simple``/``complex_`` using
    ``element="LeftOperand"`` / ``"RightOperand"`` / ``"Operand"``."""
    additional = f"<AdditionalOperands>{''.join(extra)}</AdditionalOperands>" if extra else ""
    return (
        f'<{element} xsi:type="ComplexFilterPart">{left}<LogicalOperator>{op}</LogicalOperator>'
        f"{right}{additional}</{element}>"
    )


def retrieve_body(
    object_type: str | None,
    properties: Sequence[str] = (),
    *,
    filter_xml: str = "",
    client_ids: Sequence[int] = (),
    query_all: bool | None = None,
    continue_id: str | None = None,
) -> str:
    parts = [f"<ClientIDs><ClientID>{m}</ClientID></ClientIDs>" for m in client_ids]
    if object_type is not None:
        parts.append(f"<ObjectType>{object_type}</ObjectType>")
    parts += [f"<Properties>{p}</Properties>" for p in properties]
    parts.append(filter_xml)
    if continue_id is not None:
        parts.append(f"<ContinueRequest>{continue_id}</ContinueRequest>")
    if query_all is not None:
        parts.append(f"<QueryAllAccounts>{str(query_all).lower()}</QueryAllAccounts>")
    return (
        f'<RetrieveRequestMsg xmlns="{PARTNER}"><RetrieveRequest>{"".join(parts)}'
        "</RetrieveRequest></RetrieveRequestMsg>"
    )


def crud_body(operation: str, *objects: str, options: str = "<Options/>") -> str:
    element = {"Create": "CreateRequest", "Update": "UpdateRequest", "Delete": "DeleteRequest"}
    return (
        f'<{element[operation]} xmlns="{PARTNER}">{options}{"".join(objects)}'
        f"</{element[operation]}>"
    )


def obj(xsi_type: str | None, inner: str) -> str:
    attr = f' xsi:type="{xsi_type}"' if xsi_type else ""
    return f"<Objects{attr}>{inner}</Objects>"


@dataclass
class SoapReply:
    status: int
    root: etree._Element
    text: str

    def find(self, path: str) -> etree._Element | None:
        found = self.root.xpath(path, namespaces=NS)
        assert isinstance(found, list)
        return found[0] if found else None

    def all(self, path: str) -> list[etree._Element]:
        found = self.root.xpath(path, namespaces=NS)
        assert isinstance(found, list)
        return found

    def value(self, path: str) -> str | None:
        node = self.find(path)
        return None if node is None else (node.text or "")

    @property
    def overall_status(self) -> str | None:
        return self.value("//p:OverallStatus")

    @property
    def request_id(self) -> str | None:
        return self.value("//p:RequestID")

    @property
    def results(self) -> list[etree._Element]:
        return self.all("//s:Body/*/p:Results")

    def result_values(self, prop: str) -> list[str | None]:
        """Text of ``prop`` (a dotted path) in each Results element."""
        path = "/".join(f"p:{part}" for part in prop.split("."))
        out: list[str | None] = []
        for result in self.results:
            found = result.xpath(path, namespaces=NS)
            out.append(found[0].text if found else None)
        return out

    @property
    def fault_string(self) -> str | None:
        return self.value("//s:Fault/faultstring")

    @property
    def fault_code(self) -> str | None:
        return self.value("//s:Fault/faultcode")


class SoapClient:
    """Posts envelopes to ``/Service.asmx`` over HTTP and parses replies."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url
        self.token = token
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def post_raw(
        self, content: bytes | str, *, action: str | None, path: str = "/Service.asmx"
    ) -> httpx.Response:
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if action is not None:
            headers["SOAPAction"] = action
        return self.http.post(path, content=content, headers=headers)

    def call(self, action: str, body: str, *, token: str | None = None) -> SoapReply:
        response = self.post_raw(envelope(body, token or self.token), action=action)
        root = etree.fromstring(response.content)
        return SoapReply(response.status_code, root, response.text)

    def retrieve(
        self, object_type: str | None, properties: Sequence[str] = (), **kw: object
    ) -> SoapReply:
        return self.call("Retrieve", retrieve_body(object_type, properties, **kw))  # type: ignore[arg-type]

    def crud(self, operation: str, *objects: str) -> SoapReply:
        return self.call(operation, crud_body(operation, *objects))

    def close(self) -> None:
        self.http.close()


@contextmanager
def client_for(sim: Simulator, url: str, username: str) -> Iterator[SoapClient]:
    """A SOAP client for ``url`` carrying a fresh token of the seeded user ``username``."""
    client = SoapClient(url, issue_token(sim, username).token)
    try:
        yield client
    finally:
        client.close()
