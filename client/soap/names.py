"""XML namespaces and qualified names of MCE's SOAP API (REFERENCE §2.1, §2.5)."""

from __future__ import annotations

__all__ = [
    "FUELOAUTH",
    "FUELOAUTH_NS",
    "PARTNER_NS",
    "SOAP_ENV_NS",
    "WSSE_NS",
    "XSI_NIL",
    "XSI_NS",
    "XSI_TYPE",
    "partner",
]

PARTNER_NS = "http://exacttarget.com/wsdl/partnerAPI"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
FUELOAUTH_NS = "http://exacttarget.com"
FUELOAUTH = f"{{{FUELOAUTH_NS}}}fueloauth"
XSI_TYPE = f"{{{XSI_NS}}}type"
XSI_NIL = f"{{{XSI_NS}}}nil"


def partner(local: str) -> str:
    """The Clark name (``{ns}local``) of an element or type in the partner namespace."""
    return f"{{{PARTNER_NS}}}{local}"
