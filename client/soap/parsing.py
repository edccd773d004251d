"""Reading SOAP responses with lxml, without zeep's object mapper.

zeep turns a 2,500-result Retrieve page into objects at about 1,800 results/s
(../shared/LIBRARIES.md); reading the same page with lxml and the record tables of
:mod:`client.soap.records` is tens of times faster (and as fast as bare lxml with XPath
on the same page, ``bench/client_metadata.py``). The parser resolves no entities, loads
no DTD and never touches the network. ``tests/client/soap/test_contract.py`` checks that
these readers and zeep on MCE's real WSDL agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from typing import Any, Generic, TypeVar

from lxml import etree

from client.errors import MceUnavailable
from client.soap.names import SOAP_ENV_NS, XSI_TYPE, partner
from client.soap.records import AsyncActivityStatus, Column, ValueKind

__all__ = [
    "PARSER",
    "CrudResponse",
    "ObjectResult",
    "PerformResponse",
    "PerformResult",
    "RetrievePage",
    "convert",
    "first_error",
    "parse_crud",
    "parse_perform",
    "parse_retrieve",
    "peek_overall_status",
]

R = TypeVar("R")

_SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}
PARSER = etree.XMLParser(**_SAFE)
"""An lxml parser that resolves no entities, loads no DTD and stays off the network."""

_BODY = f"{{{SOAP_ENV_NS}}}Body"
_RETRIEVE_RESPONSE = partner("RetrieveResponseMsg")
_RESULTS = partner("Results")
_RESULT = partner("Result")
_OVERALL_STATUS = partner("OverallStatus")
_OVERALL_STATUS_MESSAGE = partner("OverallStatusMessage")
_REQUEST_ID = partner("RequestID")
_STATUS_CODE = partner("StatusCode")
_STATUS_MESSAGE = partner("StatusMessage")
_ERROR_CODE = partner("ErrorCode")
_PROPERTIES = partner("Properties")
_NAME = partner("Name")
_VALUE = partner("Value")


def _unreadable(what: str) -> MceUnavailable:
    return MceUnavailable(f"Marketing Cloud sent a SOAP response Quarry could not read ({what}).")


# --- values -------------------------------------------------------------------------------


def _as_bool(text: str) -> bool:
    return text.strip() in ("true", "1")


def _as_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


_CONVERTERS: dict[ValueKind, Callable[[str], Any]] = {
    "str": str,
    "int": int,
    "bool": _as_bool,
    "datetime": _as_datetime,
    "int_bool": lambda text: int(text) != 0,
}


def convert(kind: ValueKind, text: str | None) -> Any:
    """Typed value of one element's text (``None`` stays ``None``, and so does a blank
    number, boolean or date)."""
    if text is None:
        return None
    if kind == "str":
        return text
    if not text.strip():
        return None
    try:
        return _CONVERTERS[kind](text)
    except ValueError as exc:
        raise _unreadable(f"{kind} value") from exc


def _text(element: etree._Element) -> str | None:
    """An element's text: ``None`` for an empty or ``xsi:nil`` element, as zeep reads both
    (``<Description/>`` is "no description"; a nil element has no text)."""
    return element.text


# --- Retrieve -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetrievePage(Generic[R]):
    """One Retrieve response: ``MoreDataAvailable`` means continue with ``request_id``."""

    overall_status: str
    request_id: str | None
    results: list[R]

    @property
    def more(self) -> bool:
        return self.overall_status == "MoreDataAvailable"


_Leaf = tuple[str, "Callable[[str], Any] | None"]
_Plan = dict[str, "_Leaf | dict[str, _Leaf]"]


@cache
def _plan(columns: tuple[Column, ...]) -> _Plan:
    """Element name -> (attribute, converter or ``None`` for text), nested one level."""
    plan: _Plan = {}
    for column in columns:
        head, _, rest = column.path.partition(".")
        leaf: _Leaf = (column.attr, None if column.kind == "str" else _CONVERTERS[column.kind])
        if not rest:
            plan[partner(head)] = leaf
            continue
        nested = plan.setdefault(partner(head), {})
        assert isinstance(nested, dict)
        nested[partner(rest)] = leaf
    return plan


def _read_columns(element: etree._Element, plan: _Plan) -> dict[str, Any]:
    """The hot loop of a page read: one dict lookup per child, no call for text values.
    ``xsi:nil`` elements have no text, so they read as ``None`` like empty ones."""
    values: dict[str, Any] = {}
    for child in element:
        entry = plan.get(child.tag)
        if entry is None:
            continue
        if isinstance(entry, dict):
            for grandchild in child:
                leaf = entry.get(grandchild.tag)
                if leaf is not None:
                    text = grandchild.text
                    convert_ = leaf[1]
                    values[leaf[0]] = text if convert_ is None or not text else convert_(text)
        else:
            text = child.text
            convert_ = entry[1]
            values[entry[0]] = text if convert_ is None or not text else convert_(text)
    return values


def _read_name_values(element: etree._Element, record_type: type[Any]) -> Any:
    """An ObjectExtension-style result (``Properties/Property{Name,Value}``)."""
    pairs: dict[str, str] = {}
    properties = element.find(_PROPERTIES)
    if properties is not None:
        for prop in properties:
            name = prop.findtext(_NAME)
            if name:
                pairs[name] = prop.findtext(_VALUE) or ""
    by_path = {column.path: column for column in record_type.COLUMNS}
    values: dict[str, Any] = {}
    for name, text in pairs.items():
        column = by_path.get(name)
        if column is not None:
            values[column.attr] = convert(column.kind, text)
    # Some accounts answer with plain elements instead of pairs.
    for attr, value in _read_columns(element, _plan(record_type.COLUMNS)).items():
        values.setdefault(attr, value)
    return record_type(**values, properties=pairs)


def _reader(record_type: type[R]) -> Callable[[etree._Element], R]:
    if record_type is AsyncActivityStatus:
        return lambda element: _read_name_values(element, record_type)
    plan = _plan(record_type.COLUMNS)  # type: ignore[attr-defined]
    return lambda element: record_type(**_read_columns(element, plan))


def _document(content: bytes) -> etree._Element:
    """The response's root element; a DOCTYPE is refused (SOAP 1.1 forbids one, and it is
    where entity tricks live, even with entity resolution off)."""
    root = etree.fromstring(content, parser=PARSER)
    if root.getroottree().docinfo.doctype:
        raise _unreadable("a DOCTYPE, which SOAP forbids")
    return root


def parse_retrieve(content: bytes, record_type: type[R]) -> RetrievePage[R]:
    """Read a ``RetrieveResponseMsg`` into records of ``record_type``.

    The page is parsed into one lxml tree and its ``Results`` are read in place: libxml2
    builds a tree twice as fast as it reports ``iterparse`` events, and a 2,500-result page
    costs about 11 MB for the moment it is read (:class:`client.soap.channel.SoapChannel`
    reads big pages one at a time, in its parse thread).
    """
    read = _reader(record_type)
    try:
        root = _document(content)
        message: etree._Element | None = None
        results: list[R] = []
        for candidate in root.iter(_RETRIEVE_RESPONSE):
            for element in candidate.iterchildren(_RESULTS):
                if message is None:
                    message = candidate
                results.append(read(element))
        if message is None:
            message = root.find(f"{_BODY}/{_RETRIEVE_RESPONSE}")
    except etree.XMLSyntaxError as exc:
        raise _unreadable("malformed XML") from exc
    except ValueError as exc:
        raise _unreadable("a value of the wrong type") from exc
    status, request_id = _status_of(message) if message is not None else (None, None)
    if status is None:
        raise _unreadable("no OverallStatus")
    return RetrievePage(overall_status=status, request_id=request_id, results=results)


def _status_of(message: etree._Element) -> tuple[str | None, str | None]:
    status = message.findtext(_OVERALL_STATUS)
    return status, message.findtext(_REQUEST_ID) or None


def peek_overall_status(content: bytes) -> str | None:
    """The first ``OverallStatus`` of a response, reading no further than needed (it is the
    first child of a Retrieve response, so a big page is not parsed twice). ``None`` when the
    response is unreadable or carries a DOCTYPE."""
    if b"<!DOCTYPE" in content:
        return None
    try:
        for _event, element in etree.iterparse(
            BytesIO(content), events=("end",), tag=_OVERALL_STATUS, **_SAFE
        ):
            return element.text or ""
    except etree.XMLSyntaxError:
        return None
    return None


# --- Create / Update / Delete / Perform ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectResult:
    """The outcome for one object of a Create, Update or Delete."""

    status_code: str
    status_message: str
    error_code: int | None = None
    ordinal_id: int | None = None
    new_id: int | None = None
    """The new folder's ID (0 for types that have none)."""
    new_object_id: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    customer_key: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code == "OK"


@dataclass(frozen=True, slots=True)
class CrudResponse:
    overall_status: str
    request_id: str | None
    results: tuple[ObjectResult, ...]


@dataclass(frozen=True, slots=True)
class PerformResult:
    status_code: str
    status_message: str
    error_code: int | None = None
    object_id: str | None = None
    task_id: str | None = None
    """What AsyncActivityStatus is polled by."""
    task_status_code: str | None = None
    task_status_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code == "OK"


@dataclass(frozen=True, slots=True)
class PerformResponse:
    overall_status: str
    overall_status_message: str | None
    request_id: str | None
    results: tuple[PerformResult, ...]


def _body_element(content: bytes) -> etree._Element:
    try:
        root = _document(content)
    except etree.XMLSyntaxError as exc:
        raise _unreadable("malformed XML") from exc
    body = root.find(_BODY)
    if body is None or len(body) == 0:
        raise _unreadable("no SOAP Body")
    return body[0]


def _int(element: etree._Element, tag: str) -> int | None:
    found = element.find(tag)
    return None if found is None else convert("int", _text(found))


def _str(element: etree._Element, tag: str) -> str | None:
    found = element.find(tag)
    return None if found is None else _text(found)


def _local(qname: str | None) -> str | None:
    return None if qname is None else qname.rpartition(":")[2]


def parse_crud(content: bytes) -> CrudResponse:
    """Read a ``CreateResponse``, ``UpdateResponse`` or ``DeleteResponse``."""
    message = _body_element(content)
    results: list[ObjectResult] = []
    for result in message.iterchildren(_RESULTS):
        obj = result.find(partner("Object"))
        results.append(
            ObjectResult(
                status_code=_str(result, _STATUS_CODE) or "",
                status_message=_str(result, _STATUS_MESSAGE) or "",
                error_code=_int(result, _ERROR_CODE),
                ordinal_id=_int(result, partner("OrdinalID")),
                new_id=_int(result, partner("NewID")),
                new_object_id=_str(result, partner("NewObjectID")) or None,
                object_type=_local(obj.get(XSI_TYPE)) if obj is not None else None,
                object_id=_str(obj, partner("ObjectID")) if obj is not None else None,
                customer_key=_str(obj, partner("CustomerKey")) if obj is not None else None,
            )
        )
    return CrudResponse(
        overall_status=_str(message, _OVERALL_STATUS) or "",
        request_id=_str(message, _REQUEST_ID),
        results=tuple(results),
    )


def parse_perform(content: bytes) -> PerformResponse:
    """Read a ``PerformResponseMsg``."""
    message = _body_element(content)
    results: list[PerformResult] = []
    container = message.find(_RESULTS)
    for result in container.iterchildren(_RESULT) if container is not None else ():
        obj = result.find(partner("Object"))
        task = result.find(partner("Task"))
        results.append(
            PerformResult(
                status_code=_str(result, _STATUS_CODE) or "",
                status_message=_str(result, _STATUS_MESSAGE) or "",
                error_code=_int(result, _ERROR_CODE),
                object_id=_str(obj, partner("ObjectID")) if obj is not None else None,
                task_id=_str(task, partner("ID")) if task is not None else None,
                task_status_code=_str(task, _STATUS_CODE) if task is not None else None,
                task_status_message=_str(task, _STATUS_MESSAGE) if task is not None else None,
            )
        )
    return PerformResponse(
        overall_status=_str(message, _OVERALL_STATUS) or "",
        overall_status_message=_str(message, _OVERALL_STATUS_MESSAGE),
        request_id=_str(message, _REQUEST_ID),
        results=tuple(results),
    )


def first_error(content: bytes) -> tuple[str, int | None] | None:
    """``(StatusMessage, ErrorCode)`` of the first failed result in any response, falling
    back to ``OverallStatusMessage``; ``None`` when nothing says why."""
    message = _body_element(content)
    for code in message.iter(_STATUS_CODE):
        if (code.text or "").strip() == "Error":
            result = code.getparent()
            assert result is not None
            text = _str(result, _STATUS_MESSAGE) or ""
            return text, _int(result, _ERROR_CODE)
    overall = _str(message, _OVERALL_STATUS_MESSAGE)
    return (overall, None) if overall else None
