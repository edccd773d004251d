"""Parse an incoming SOAP 1.1 envelope safely and find what it asks for.

Why this module is careful: the simulator is reachable by any test, benchmark or demo client, and
an XML parser is the classic place to be attacked (entity expansion, external entities, gigantic
trees). The envelope is therefore:

* refused above ``MAX_ENVELOPE_BYTES`` (4 MiB) before parsing;
* parsed by lxml with entity resolution, network access, DTD loading and ``huge_tree`` all off;
* refused if it carries a DOCTYPE at all (SOAP 1.1 forbids DTDs in envelopes).

Every problem is raised as :class:`SoapClientError`, which the endpoint turns into MCE's
client-fault shape (HTTP 500, ``soap:Client``) so the server never crashes on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from simulator.soap.namespaces import FUELOAUTH_NS, PARTNER_NS, SOAP_ENV_NS, WSA_NS

__all__ = [
    "BODY_ELEMENT_BY_OPERATION",
    "MAX_ENVELOPE_BYTES",
    "SoapClientError",
    "SoapRequest",
    "parse_envelope",
]

#: Largest request body accepted. MCE documents no limit; real requests from metadata tools are a
#: few KB (a DE create with hundreds of fields stays well under 1 MB), so 4 MiB is generous and
#: still stops a client from making the simulator parse arbitrarily large input.
MAX_ENVELOPE_BYTES = 4 * 1024 * 1024

#: Request element of each operation of the WSDL's ``SoapBinding`` (all in the partner namespace).
BODY_ELEMENT_BY_OPERATION: dict[str, str] = {
    "Create": "CreateRequest",
    "Retrieve": "RetrieveRequestMsg",
    "Update": "UpdateRequest",
    "Delete": "DeleteRequest",
    "Query": "QueryRequestMsg",
    "Describe": "DefinitionRequestMsg",
    "Execute": "ExecuteRequestMsg",
    "Perform": "PerformRequestMsg",
    "Configure": "ConfigureRequestMsg",
    "Schedule": "ScheduleRequestMsg",
    "VersionInfo": "VersionInfoRequestMsg",
    "Extract": "ExtractRequestMsg",
    "GetSystemStatus": "SystemStatusRequestMsg",
}
_OPERATION_BY_BODY_ELEMENT = {v: k for k, v in BODY_ELEMENT_BY_OPERATION.items()}

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class SoapClientError(Exception):
    """The request cannot be understood; answered as a ``soap:Client`` fault."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """What a parsed envelope asks for.

    ``token`` is the text of the ``fueloauth`` header (``None`` when absent); ``message_id`` is the
    client's ``wsa:MessageID`` if it sent one (echoed as ``wsa:RelatesTo``).
    """

    operation: str
    body: etree._Element
    token: str | None
    message_id: str | None


def _soap_action(header_value: str | None) -> str | None:
    """The operation named by the ``SOAPAction`` HTTP header, or ``None`` if it is absent/empty.

    Clients send it quoted (``"Retrieve"``) or bare; some send a URI ending in the name.
    """
    if header_value is None:
        return None
    value = header_value.strip().strip('"').strip()
    if not value:
        return None
    return value.rsplit("/", 1)[-1]


def parse_envelope(raw: bytes, *, soap_action: str | None) -> SoapRequest:
    """Parse ``raw`` into a :class:`SoapRequest`.

    Raises :class:`SoapClientError` for an oversized, malformed or non-SOAP document, an unknown
    operation, or a ``SOAPAction`` header that disagrees with the body.
    """
    if len(raw) > MAX_ENVELOPE_BYTES:
        raise SoapClientError(
            f"Request envelope is {len(raw)} bytes; the limit is {MAX_ENVELOPE_BYTES} bytes."
        )
    if not raw.strip():
        raise SoapClientError("Request body is empty; a SOAP envelope is required.")
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapClientError(f"Request is not well-formed XML: {exc.msg}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapClientError("A DOCTYPE is not allowed in a SOAP envelope.")
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise SoapClientError("Root element is not a SOAP 1.1 Envelope.")

    header = root.find(f"{{{SOAP_ENV_NS}}}Header")
    body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if body is None:
        raise SoapClientError("SOAP envelope has no Body.")
    payload = next((child for child in body if isinstance(child.tag, str)), None)
    if payload is None:
        raise SoapClientError("SOAP Body is empty.")

    qname = etree.QName(payload)
    body_operation = (
        _OPERATION_BY_BODY_ELEMENT.get(qname.localname) if qname.namespace == PARTNER_NS else None
    )
    action = _soap_action(soap_action)
    if action is not None and action not in BODY_ELEMENT_BY_OPERATION:
        raise SoapClientError(
            f"Server did not recognize the value of HTTP Header SOAPAction: {action}."
        )
    if body_operation is None:
        raise SoapClientError(
            f"Unknown request element {{{qname.namespace}}}{qname.localname}; "
            f"expected one of the partner API request messages."
        )
    if action is not None and action != body_operation:
        raise SoapClientError(
            f"SOAPAction {action} does not match the request element {qname.localname}."
        )

    token: str | None = None
    message_id: str | None = None
    if header is not None:
        oauth = header.find(f"{{{FUELOAUTH_NS}}}fueloauth")
        # Legacy packages send <oAuth><oAuthToken>legacyToken</oAuthToken></oAuth> (plus a
        # dummy WS-Security UsernameToken, which MCE ignores): REFERENCE §2.1.
        legacy = header.find(f"{{{FUELOAUTH_NS}}}oAuth/{{{FUELOAUTH_NS}}}oAuthToken")
        if oauth is not None:
            token = (oauth.text or "").strip()
        elif legacy is not None:
            token = (legacy.text or "").strip()
        mid = header.find(f"{{{WSA_NS}}}MessageID")
        if mid is not None and mid.text:
            message_id = mid.text.strip()
    return SoapRequest(operation=body_operation, body=payload, token=token, message_id=message_id)
