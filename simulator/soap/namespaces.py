"""XML namespaces and fixed names of MCE's SOAP API (the ETFramework WSDL)."""

from __future__ import annotations

__all__ = [
    "FAULT_NS",
    "FUELOAUTH_NS",
    "PARTNER_NS",
    "SOAP_ENV_NS",
    "WSA_NS",
    "WSSE_NS",
    "WSU_NS",
    "XSD_NS",
    "XSI_NS",
    "XSI_TYPE",
]

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER_NS = "http://exacttarget.com/wsdl/partnerAPI"
FUELOAUTH_NS = "http://exacttarget.com"
FAULT_NS = "urn:fault.partner.exacttarget.com"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSA_NS = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

XSI_TYPE = f"{{{XSI_NS}}}type"
