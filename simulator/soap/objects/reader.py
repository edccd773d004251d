"""Read an incoming ``Objects`` element (an APIObject in the partner namespace) by property name.

Values that the schema types (int, boolean) but that do not parse are a client error, as they are
for MCE's .NET deserializer, which rejects the whole request before doing anything.
"""

from __future__ import annotations

from lxml import etree

from simulator.soap.envelope import SoapClientError
from simulator.soap.filters import xsi_type_name
from simulator.soap.namespaces import PARTNER_NS, XSI_NS
from simulator.soap.objects.echo import echo_object

__all__ = ["INT_RANGE", "LONG_RANGE", "ObjectReader", "parse_xsd_integer"]

_P = f"{{{PARTNER_NS}}}"
_NIL = f"{{{XSI_NS}}}nil"
#: Ranges of ``xsd:int`` and ``xsd:long``: MCE's deserializer refuses a request with a value
#: outside them, so the simulator never stores a number no MCE object could hold.
INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)


def parse_xsd_integer(raw: str, what: str, *, long: bool = False) -> int:
    """``raw`` as an ``xsd:int`` (or ``xsd:long``); :class:`SoapClientError` otherwise."""
    low, high = LONG_RANGE if long else INT_RANGE
    try:
        value = int(raw.strip())
    except ValueError:
        raise SoapClientError(f"Value '{raw}' of {what} is not a valid integer.") from None
    if not low <= value <= high:
        kind = "xsd:long" if long else "xsd:int"
        raise SoapClientError(f"Value '{raw}' of {what} is out of range for {kind}.")
    return value


class ObjectReader:
    """Typed access to the children of one request object."""

    __slots__ = ("element",)

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    @property
    def xsi_type(self) -> str | None:
        return xsi_type_name(self.element)

    def _find(self, name: str) -> etree._Element | None:
        return self.element.find(f"{_P}{name}")

    def has(self, name: str) -> bool:
        """Whether the property was sent at all (even empty)."""
        return self._find(name) is not None

    def text(self, name: str) -> str | None:
        """Text of a child; ``None`` when absent or ``xsi:nil``; ``""`` when empty."""
        node = self._find(name)
        if node is None or node.get(_NIL) in ("true", "1"):
            return None
        return node.text or ""

    def integer(self, name: str, *, long: bool = False) -> int | None:
        """An ``xsd:int`` child (``xsd:long`` with ``long``); ``None`` when absent or empty."""
        raw = self.text(name)
        if raw is None or not raw.strip():
            return None
        return parse_xsd_integer(raw, name, long=long)

    def boolean(self, name: str) -> bool | None:
        raw = self.text(name)
        if raw is None or not raw.strip():
            return None
        lowered = raw.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise SoapClientError(f"Value '{raw}' of {name} is not a valid boolean.")

    def child(self, name: str) -> ObjectReader | None:
        node = self._find(name)
        return None if node is None else ObjectReader(node)

    def children(self, name: str) -> list[ObjectReader]:
        return [ObjectReader(node) for node in self.element.findall(f"{_P}{name}")]

    def client_id(self) -> int | None:
        """MID addressed by ``Client/ID`` (or the deprecated ``Client/ClientID``), if any."""
        client = self.child("Client")
        if client is None:
            return None
        value = client.integer("ID")
        return value if value is not None else client.integer("ClientID")

    def echo(self, *, element: str = "Object", xsi_type: str | None = None) -> str:
        """The request object written back as ``<Object xsi:type=...>`` (used for error results),
        in its type's WSDL order (see :mod:`simulator.soap.objects.echo`)."""
        return echo_object(self.element, tag=element, xsi_type=xsi_type)
