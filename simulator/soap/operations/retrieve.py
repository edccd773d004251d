"""The ``Retrieve`` operation: properties, filters, cross-BU addressing and paging.

Business problems are answered as MCE answers them, with HTTP 200 and the message in
``OverallStatus`` (``Error: ...``) and no results (REFERENCE.md §2.3, and the observed reply to an
unknown object type). Paging: at most :data:`PAGE_SIZE` results per response, then
``MoreDataAvailable`` and a cursor under the new RequestID. A continue request may carry only
``ContinueRequest`` (the documented form) or repeat ``ObjectType`` and ``Properties`` (what
WSDL-strict clients send, since the WSDL makes ``ObjectType`` required); repeated values are
ignored, except that a different ``ObjectType`` is an error.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lxml import etree

from simulator.errors import MceValidationError
from simulator.soap.envelope import SoapClientError
from simulator.soap.filters import (
    Filter,
    FilterError,
    compile_filter,
    filter_properties,
    parse_filter,
)
from simulator.soap.namespaces import PARTNER_NS
from simulator.soap.objects import get_handler
from simulator.soap.objects.reader import parse_xsd_integer
from simulator.soap.paging import PAGE_SIZE, Cursor, PagingStore
from simulator.soap.serialize import escape, new_request_id, partner_element

if TYPE_CHECKING:
    from simulator.soap.context import CallContext

__all__ = [
    "RetrieveRequest",
    "paging_store",
    "parse_retrieve",
    "retrieve_object_type",
    "run_retrieve",
]

_P = f"{{{PARTNER_NS}}}"
_STORES: weakref.WeakKeyDictionary[Any, PagingStore] = weakref.WeakKeyDictionary()


def paging_store(sim: Any) -> PagingStore:
    """The cursors of one simulator (kept beside it, not in it, so the core stays SOAP-free)."""
    store = _STORES.get(sim)
    if store is None:
        store = _STORES.setdefault(sim, PagingStore())
    return store


class RetrieveRequest:
    """The parts of a ``RetrieveRequest`` the simulator uses."""

    __slots__ = (
        "client_ids",
        "continue_id",
        "filter_element",
        "object_type",
        "options_client",
        "properties",
        "query_all_accounts",
    )

    def __init__(self, element: etree._Element) -> None:
        self.object_type = (element.findtext(f"{_P}ObjectType") or "").strip()
        self.properties = [
            (p.text or "").strip() for p in element.findall(f"{_P}Properties") if p.text
        ]
        self.filter_element = element.find(f"{_P}Filter")
        self.continue_id = (element.findtext(f"{_P}ContinueRequest") or "").strip() or None
        qaa = (element.findtext(f"{_P}QueryAllAccounts") or "").strip().lower()
        self.query_all_accounts = qaa in ("true", "1")
        client_id = element.findtext(f"{_P}Options/{_P}Client/{_P}ID")
        self.options_client = _int(client_id, "Options/Client/ID")
        self.client_ids: list[int] = []
        for client in element.findall(f"{_P}ClientIDs"):
            raw = client.findtext(f"{_P}ID") or client.findtext(f"{_P}ClientID")
            mid = _int(raw, "ClientIDs")
            if mid is not None:
                self.client_ids.append(mid)


def _int(raw: str | None, what: str) -> int | None:
    if raw is None or not raw.strip():
        return None
    return parse_xsd_integer(raw, what)


def parse_retrieve(body: etree._Element) -> RetrieveRequest:
    element = body.find(f"{_P}RetrieveRequest")
    if element is None:
        raise SoapClientError("RetrieveRequestMsg requires a RetrieveRequest element.")
    return RetrieveRequest(element)


def _response(status: str, request_id: str, results: str = "") -> str:
    inner = f"<OverallStatus>{escape(status)}</OverallStatus><RequestID>{request_id}</RequestID>"
    return partner_element("RetrieveResponseMsg", inner + results)


def _page(cursor: Cursor, paging: PagingStore) -> str:
    """Render the next page of ``cursor`` and park the rest under a fresh RequestID."""
    request_id = new_request_id()
    end = cursor.offset + PAGE_SIZE
    chunk = cursor.items[cursor.offset : end]
    results = "".join(cursor.render(item) for item in chunk)
    if end < len(cursor.items):
        cursor.offset = end
        cursor.expires_at = paging.new_expiry()
        paging.put(request_id, cursor)
        return _response("MoreDataAvailable", request_id, results)
    return _response("OK", request_id, results)


def retrieve_object_type(sim: Any, body: etree._Element) -> str:
    """Object type a Retrieve is about (names it for fault rules and stats); for a continue
    request without ``ObjectType``, the type of the original retrieve."""
    request = parse_retrieve(body)
    if request.object_type:
        return request.object_type
    if request.continue_id:
        kind = paging_store(sim).object_type_of(request.continue_id)
        if kind is not None:
            return kind
    return "Unknown"


def run_retrieve(ctx: CallContext, body: etree._Element) -> str:
    """Answer a ``RetrieveRequestMsg`` with a ``RetrieveResponseMsg`` body element."""
    request = parse_retrieve(body)
    paging = paging_store(ctx.sim)
    if ctx.denied is not None:
        return _response(f"Error: {ctx.denied}", new_request_id())

    if request.continue_id:
        cursor = paging.take(request.continue_id, owner=ctx.owner)
        if cursor is None:
            return _response(
                f"Error: The ContinueRequest {request.continue_id} is unknown or has expired.",
                new_request_id(),
            )
        if request.object_type and request.object_type != cursor.object_type:
            return _response(
                f"Error: The ContinueRequest {request.continue_id} was issued for "
                f"{cursor.object_type}, not {request.object_type}.",
                new_request_id(),
            )
        return _page(cursor, paging)

    handler = get_handler(request.object_type)
    if handler is None or "Retrieve" not in handler.operations:
        return _response(
            f"Error: Unable to find a handler for object type: {request.object_type}. "
            "Object types are case-sensitive, check spelling.",
            new_request_id(),
        )

    unknown = [p for p in request.properties if p not in handler.retrievable]
    if unknown:
        return _response(
            f"Error: The Request Property(s) {', '.join(unknown)} do not match with the fields "
            f"of {handler.object_type} retrieve",
            new_request_id(),
        )

    flt: Filter | None = None
    if request.filter_element is not None:
        try:
            flt = parse_filter(request.filter_element)
        except FilterError as exc:
            return _response(f"Error: {exc.message}", new_request_id())
        bad = [p for p in filter_properties(flt) if p not in handler.filter_getters]
        if bad:
            return _response(
                f"Error: The Filter Property(s) {', '.join(dict.fromkeys(bad))} do not match "
                f"with the fields of {handler.object_type} retrieve",
                new_request_id(),
            )

    try:
        if request.client_ids:
            mids = list(dict.fromkeys(ctx.target_mid(m) for m in request.client_ids))
        elif request.query_all_accounts:
            mids = list(ctx.reachable)
        else:
            mids = [ctx.target_mid(request.options_client)]
    except MceValidationError as exc:
        return _response(f"Error: {exc.message}", new_request_id())

    candidates: Iterable[Any] = handler.candidates(ctx, mids, flt)
    if request.query_all_accounts and not request.client_ids:
        candidates = itertools.chain(candidates, handler.shared_candidates(ctx, mids))
    if flt is not None:
        try:
            predicate = compile_filter(flt, handler.filter_getters)
            items = [obj for obj in candidates if predicate(obj)]
        except FilterError as exc:
            return _response(f"Error: {exc.message}", new_request_id())
    else:
        items = list(candidates)

    properties = set(request.properties)
    if request.query_all_accounts or len(mids) > 1:
        properties.add("Client.ID")  # results from several BUs say which BU they belong to
    render = handler.renderer(properties & handler.retrievable)
    cursor = Cursor(
        owner=ctx.owner,
        object_type=handler.object_type,
        items=items,
        offset=0,
        render=render,
        expires_at=paging.new_expiry(),
    )
    return _page(cursor, paging)
