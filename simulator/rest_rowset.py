"""``GET /data/v1/customobjectdata/key/{key}/rowset`` and its token continuation (§4.1).

Each first request registers a *request token* remembering the DE, filter, order,
fields and page size; ``links.next`` points at ``/v1/customobjectdata/token/{t}/rowset``
(clients prefix ``/data``). Values are strings, keys lower-cased, PK columns under
``keys`` and the rest under ``values``; ``items`` is omitted when the page is empty.
``$pageSize`` defaults to 2,500 and is capped there (what real responses echo).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulator.model import DataExtension
from simulator.responses import rest_error, sim_of
from simulator.rest_common import rest_entry
from simulator.rest_filter import FilterError, compile_filter, parse_order_by
from simulator.state import Simulator

__all__ = ["MAX_PAGE_SIZE", "RowsetTokens", "rowset_by_key", "rowset_by_token"]

MAX_PAGE_SIZE = 2500
_MAX_PAGE = 1_000_000
_READ_SCOPE = "data_extensions_read"


@dataclass(slots=True)
class _RowsetRequest:
    token: str
    mid: int
    de_object_id: str
    where: str
    params: list[Any]
    order_by: list[tuple[str, bool]]
    fields: list[str] | None
    page_size: int
    expires_at: float


class RowsetTokens:
    """Request tokens of rowset reads (kept per simulator in ``app.state``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, _RowsetRequest] = {}

    def add(self, item: _RowsetRequest) -> None:
        with self._lock:
            self._items[item.token] = item

    def get(self, token: str, now: float) -> _RowsetRequest | None:
        with self._lock:
            for key in [k for k, v in self._items.items() if v.expires_at <= now]:
                del self._items[key]
            return self._items.get(token)


def _tokens(request: Request) -> RowsetTokens:
    state = request.app.state
    if not hasattr(state, "rowset_tokens"):
        state.rowset_tokens = RowsetTokens()
    tokens: RowsetTokens = state.rowset_tokens
    return tokens


def _int_param(request: Request, name: str, default: int) -> int:
    """A positive ASCII integer; raises ``ValueError`` (Python's ``int()`` would also take
    ``1_000`` and non-ASCII digits such as ``٣``)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    digits = raw.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 9):
        raise ValueError(name)
    value = int(digits)
    if not 1 <= value <= _MAX_PAGE:
        raise ValueError(name)
    return value


async def rowset_by_key(request: Request) -> Response:
    info = await rest_entry(request, "rest.rowset.get", _READ_SCOPE)
    if isinstance(info, Response):
        return info
    sim = sim_of(request)
    key = request.path_params["key"]
    de = sim.store.get_de(info.mid, customer_key=key)
    if de is None or sim.queries.rows_hidden(de):
        # A just-filled query target is not readable for a moment (quirk, off by default).
        return rest_error(404, f"Unable to find a data extension with key {key}.", 30003)
    try:
        page = _int_param(request, "$page", 1)
        page_size = min(_int_param(request, "$pageSize", MAX_PAGE_SIZE), MAX_PAGE_SIZE)
    except ValueError:
        return rest_error(400, "$page and $pageSize must be positive integers.", 10005)
    try:
        where, params = compile_filter(de, request.query_params.get("$filter", ""))
        order_by = parse_order_by(de, request.query_params.get("$orderBy", ""))
        fields = _fields(de, request.query_params.get("$fields"))
    except FilterError as exc:
        return rest_error(400, str(exc), 10003)
    item = _RowsetRequest(
        token=str(uuid.uuid4()),
        mid=info.mid,
        de_object_id=de.object_id,
        where=where,
        params=params,
        order_by=order_by,
        fields=fields,
        page_size=page_size,
        expires_at=sim.clock.time() + sim.config.rowset_token_ttl_seconds,
    )
    _tokens(request).add(item)
    return _page_response(sim, de, item, page)


async def rowset_by_token(request: Request) -> Response:
    info = await rest_entry(request, "rest.rowset.token", _READ_SCOPE)
    if isinstance(info, Response):
        return info
    sim = sim_of(request)
    item = _tokens(request).get(request.path_params["token"], sim.clock.time())
    de = sim.store.get_de(info.mid, object_id=item.de_object_id) if item else None
    if item is None or item.mid != info.mid or de is None:
        return rest_error(404, "The request token was not found or has expired.", 30003)
    try:
        page = _int_param(request, "$page", 1)
    except ValueError:
        return rest_error(400, "$page must be a positive integer.", 10005)
    return _page_response(sim, de, item, page)


def _fields(de: DataExtension, raw: str | None) -> list[str] | None:
    if not raw:
        return None
    names = []
    for part in raw.split(","):
        field = de.field_named(part.strip())
        if field is None:
            raise FilterError(f"Unknown field {part.strip()} in $fields.")
        names.append(field.name)
    return names


def _page_response(sim: Simulator, de: DataExtension, item: _RowsetRequest, page: int) -> Response:
    count = sim.rows.count(de, where=item.where, params=item.params)
    chosen = item.fields or [f.name for f in de.fields]
    pk = {f.name for f in de.primary_key}
    columns = list(dict.fromkeys([*(f.name for f in de.primary_key), *chosen]))
    rows = sim.rows.fetch_wire(
        de,
        columns=columns,
        where=item.where,
        params=item.params,
        order_by=item.order_by,
        limit=item.page_size,
        offset=(page - 1) * item.page_size,
    )
    lowered = [name.lower() for name in columns]
    key_slots = [i for i, name in enumerate(columns) if name in pk]
    value_slots = [i for i, name in enumerate(columns) if name not in pk and name in chosen]
    items = [
        {
            "keys": {lowered[i]: row[i] for i in key_slots},
            "values": {lowered[i]: row[i] for i in value_slots},
        }
        for row in rows
    ]
    base = f"/v1/customobjectdata/token/{item.token}/rowset"
    links = {"self": f"{base}?$page={page}"}
    if page * item.page_size < count:
        links["next"] = f"{base}?$page={page + 1}"
    expires = datetime.fromtimestamp(item.expires_at, UTC)  # fixed when the token was made
    body: dict[str, Any] = {
        "links": links,
        "requestToken": item.token,
        "tokenExpireDateUtc": expires.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{expires.microsecond // 1000:03d}",
        "customObjectId": de.object_id,
        "customObjectKey": de.customer_key,
        "pageSize": item.page_size,
        "page": page,
        "count": count,
        "top": 0,
    }
    if items:
        body["items"] = items
    return JSONResponse(body)
