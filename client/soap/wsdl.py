"""The partner WSDL, parsed once per process, and zeep's envelope builder over it.

Requests are built by zeep from ``partner.wsdl`` (Quarry's minimal description of the
operations it uses) so that element order, namespaces and ``xsi:type`` follow the schema
rather than hand-written strings. Parsing a WSDL costs tens of milliseconds (the real one
about 0.1 s), so the document is loaded lazily on first use and kept for the life of the
process; RQ workers load it before forking (:func:`partner_schema` in the worker start-up).
Responses are never read through zeep here: see :mod:`client.soap.parsing`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree
from zeep import Client
from zeep.proxy import ServiceProxy
from zeep.transports import Transport

from client.soap.names import FUELOAUTH, FUELOAUTH_NS, partner

__all__ = ["PartnerSchema", "load_schema", "partner_schema"]

_SERVICE = "PartnerAPI"
_PORT = "Soap"


@dataclass(slots=True)
class PartnerSchema:
    """A parsed partner WSDL: typed values for the request builders and envelope serialising.

    The request builders take a schema rather than importing a global one, so the contract
    test can run them over MCE's real WSDL and compare the envelopes.
    """

    client: Client
    service: ServiceProxy
    _types: dict[str, Any] = field(default_factory=dict)

    def new(self, type_name: str, /, **values: Any) -> Any:
        """A value of the partner type ``type_name`` (zeep writes its ``xsi:type`` where the
        schema expects a base type, e.g. ``DataExtension`` as an ``APIObject``)."""
        factory = self._types.get(type_name)
        if factory is None:
            factory = self.client.get_type(partner(type_name))
            self._types[type_name] = factory
        return factory(**values)

    def envelope(self, operation: str, *, token: str, body: dict[str, Any]) -> bytes:
        """The serialised SOAP envelope of ``operation`` with ``body`` as its request element's
        content and the OAuth token in a ``fueloauth`` header (REFERENCE §2.1)."""
        root = self.client.create_message(
            self.service, operation, _soapheaders=[oauth_header(token)], **body
        )
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def oauth_header(token: str) -> etree._Element:
    """``<fueloauth xmlns="http://exacttarget.com">token</fueloauth>``, as a raw element:
    the WSDL declares no header, so zeep takes it as given."""
    header = etree.Element(FUELOAUTH, nsmap={None: FUELOAUTH_NS})
    header.text = token
    return header


def load_schema(wsdl: str | Path, *, transport: Transport | None = None) -> PartnerSchema:
    """Parse a partner WSDL (ours, or MCE's own for the contract test)."""
    client = Client(str(wsdl), transport=transport) if transport else Client(str(wsdl))
    return PartnerSchema(client=client, service=client.bind(_SERVICE, _PORT))


@functools.cache
def partner_schema() -> PartnerSchema:
    """The process-wide schema of ``client/soap/partner.wsdl``, parsed on first use."""
    with resources.as_file(resources.files("client.soap") / "partner.wsdl") as path:
        return load_schema(path)
