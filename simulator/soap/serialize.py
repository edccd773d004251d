"""Build SOAP responses as text, the way MCE lays them out.

Responses are built by string concatenation with explicit escaping rather than through an object
mapper: a 2,500-result Retrieve page must be produced in well under 100 ms, and an XML tree or a
SOAP framework costs several times that. Layout follows real MCE captures: the ``wsa`` /
``wsse`` headers, the body element in the partner namespace as default namespace, unprefixed
result elements and ``xsi:type`` on polymorphic nodes.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

from simulator.soap.namespaces import (
    PARTNER_NS,
    SOAP_ENV_NS,
    WSA_NS,
    WSSE_NS,
    WSU_NS,
    XSD_NS,
    XSI_NS,
)

__all__ = [
    "CONTENT_TYPE",
    "element",
    "envelope",
    "escape",
    "format_datetime",
    "format_value",
    "new_request_id",
    "partner_element",
]

CONTENT_TYPE = "text/xml; charset=utf-8"

#: MCE reports dates in server time, US Central Standard Time without daylight saving (UTC-6).
_SERVER_TZ = timezone(timedelta(hours=-6))

# Characters XML 1.0 cannot carry at all; they are dropped rather than producing a broken document.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: str) -> str:
    """Escape character data (also safe inside double-quoted attributes)."""
    if _INVALID_XML_CHARS.search(text):
        text = _INVALID_XML_CHARS.sub("", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def format_datetime(value: datetime) -> str:
    """MCE's dateTime form: server-local time, no offset, at most milliseconds.

    Aware datetimes are converted to server time first; naive ones are taken as server time.
    """
    if value.tzinfo is not None:
        value = value.astimezone(_SERVER_TZ).replace(tzinfo=None)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}".rstrip("0").rstrip(".")
    return text


def format_value(value: object) -> str:
    """Text of a scalar value as MCE writes it (booleans in lower case, dates without offset)."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    return escape(str(value))


def element(name: str, value: object) -> str:
    """``<name>value</name>``, or ``""`` when value is ``None``."""
    if value is None:
        return ""
    return f"<{name}>{format_value(value)}</{name}>"


def new_request_id() -> str:
    """A RequestID as MCE issues them (a bare GUID)."""
    return str(uuid.uuid4())


def _utc_stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(*, action: str, body: str, relates_to: str | None) -> bytes:
    """Wrap ``body`` (already serialised XML) in MCE's response envelope and headers.

    ``action`` is the ``wsa:Action`` (e.g. ``RetrieveResponse``, or the addressing fault URI).
    """
    now = datetime.now(UTC)
    relates = relates_to or f"urn:uuid:{uuid.uuid4()}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV_NS}" xmlns:xsi="{XSI_NS}" xmlns:xsd="{XSD_NS}"'
        f' xmlns:wsa="{WSA_NS}" xmlns:wsse="{WSSE_NS}" xmlns:wsu="{WSU_NS}">'
        "<soap:Header>"
        f"<wsa:Action>{escape(action)}</wsa:Action>"
        f"<wsa:MessageID>urn:uuid:{uuid.uuid4()}</wsa:MessageID>"
        f"<wsa:RelatesTo>{escape(relates)}</wsa:RelatesTo>"
        "<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>"
        f'<wsse:Security><wsu:Timestamp wsu:Id="Timestamp-{uuid.uuid4()}">'
        f"<wsu:Created>{_utc_stamp(now)}</wsu:Created>"
        f"<wsu:Expires>{_utc_stamp(now + timedelta(minutes=5))}</wsu:Expires>"
        "</wsu:Timestamp></wsse:Security>"
        "</soap:Header>"
        f"<soap:Body>{body}</soap:Body>"
        "</soap:Envelope>"
    ).encode()


def partner_element(name: str, inner: str) -> str:
    """A body element in the partner namespace, declared as the default namespace."""
    return f'<{name} xmlns="{PARTNER_NS}">{inner}</{name}>'
