"""SOAP faults in MCE's shape (always HTTP 500).

MCE answers authentication problems with a ``q0:Security`` fault whose ``faultstring`` is
``Token Expired`` or ``Login Failed`` (REFERENCE.md §2.5), throttling with a ``soap:Server`` fault
``Rate Limited``, and requests it cannot read with a ``soap:Client`` fault. Business errors are
*not* faults: they are HTTP 200 responses with per-result status codes (see ``operations``).
"""

from __future__ import annotations

from starlette.responses import Response

from simulator.soap.namespaces import FAULT_NS, WSSE_NS
from simulator.soap.serialize import CONTENT_TYPE, envelope, escape

__all__ = [
    "FAULT_ACTION",
    "LOGIN_FAILED",
    "TOKEN_EXPIRED",
    "UNEXPECTED_ERROR_CODE",
    "client_fault",
    "fault_response",
    "security_fault",
    "server_fault",
]

FAULT_ACTION = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
TOKEN_EXPIRED = "Token Expired"  # noqa: S105 - a fault string, not a secret
LOGIN_FAILED = "Login Failed"


#: ``APIFault/Code`` MCE documents for unexpected server-side errors.
UNEXPECTED_ERROR_CODE = 2


def fault_response(
    *,
    faultcode_xml: str,
    message: str,
    actor: str,
    relates_to: str | None = None,
    detail_xml: str = "",
) -> Response:
    """A ``soap:Fault`` response; ``faultcode_xml`` is the complete ``faultcode`` element."""
    body = (
        "<soap:Fault>"
        f"{faultcode_xml}"
        f"<faultstring>{escape(message)}</faultstring>"
        f"<faultactor>{escape(actor)}</faultactor>"
        f"{detail_xml}"
        "</soap:Fault>"
    )
    return Response(
        envelope(action=FAULT_ACTION, body=body, relates_to=relates_to),
        status_code=500,
        media_type=CONTENT_TYPE,
    )


def security_fault(message: str, *, actor: str, relates_to: str | None = None) -> Response:
    """``Token Expired`` / ``Login Failed``: the client should refresh its token and retry."""
    return fault_response(
        faultcode_xml=f'<faultcode xmlns:q0="{WSSE_NS}">q0:Security</faultcode>',
        message=message,
        actor=actor,
        relates_to=relates_to,
    )


def client_fault(message: str, *, actor: str, relates_to: str | None = None) -> Response:
    """The request itself is at fault (unreadable, unknown operation, too large)."""
    return fault_response(
        faultcode_xml="<faultcode>soap:Client</faultcode>",
        message=message,
        actor=actor,
        relates_to=relates_to,
    )


def server_fault(
    message: str,
    *,
    actor: str,
    relates_to: str | None = None,
    code: int = UNEXPECTED_ERROR_CODE,
) -> Response:
    """A server-side failure, e.g. ``Rate Limited`` or an injected internal error.

    MCE documents that only server faults carry a ``detail`` with an ``apifault`` (the
    ETFrameworkFault.xsd structure); security and client faults have none.
    """
    detail = (
        f'<detail><apifault xmlns="{FAULT_NS}">'
        f"<Code>{code}</Code><Message>{escape(message)}</Message>"
        "</apifault></detail>"
    )
    return fault_response(
        faultcode_xml="<faultcode>soap:Server</faultcode>",
        message=message,
        actor=actor,
        relates_to=relates_to,
        detail_xml=detail,
    )
