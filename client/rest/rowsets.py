"""Reading a DE's rows page by page (REFERENCE §4.1).

The first page is asked for by CustomerKey; MCE answers with a ``requestToken`` and a
``links.next`` continuation (``/v1/customobjectdata/token/{token}/rowset?$page=N``,
served under ``/data``). Only that exact shape is followed, rebuilt by us on our REST
base, so a response cannot steer the bearer token to another path or host. When the
continuation token has expired (404) the page is read again by key with the same
options.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from client.errors import MceUnavailable, NotFound
from client.rest.api import RestClient
from client.values import FieldSpec, RowConverter, Value

__all__ = ["MAX_PAGE_SIZE", "RowsetPage", "RowsetReader"]

MAX_PAGE_SIZE = 2500

_NEXT = re.compile(r"/v1/customobjectdata/token/([0-9A-Za-z-]{1,100})/rowset")


@dataclass(frozen=True, slots=True)
class RowsetPage:
    """One page: typed rows, the total row count and where the next page is."""

    page: int
    page_size: int
    count: int
    rows: list[dict[str, Value]]
    next: tuple[str, int] | None
    """``(continuation token, page number)`` from ``links.next``; None on the last page."""


@dataclass(frozen=True, slots=True)
class _Query:
    key: str
    page_size: int
    order_by: str | None
    filter: str | None
    fields: Sequence[str] | None

    def params(self, page: int) -> dict[str, str]:
        params = {"$page": str(page), "$pageSize": str(self.page_size)}
        if self.order_by:
            params["$orderBy"] = self.order_by
        if self.filter:
            params["$filter"] = self.filter
        if self.fields:
            params["$fields"] = ",".join(self.fields)
        return params


class RowsetReader:
    """Pages of one DE, typed by ``fields`` (the DE's columns, e.g. from metadata)."""

    def __init__(
        self,
        *,
        rest: RestClient,
        key: str,
        fields: Iterable[FieldSpec],
        page_size: int = MAX_PAGE_SIZE,
        order_by: str | None = None,
        filter: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self._rest = rest
        self._converter = RowConverter(fields)
        self._query = _Query(key, page_size, order_by, filter, columns)

    async def page(self, page: int) -> RowsetPage:
        """Random access: page ``page`` (1-based) read by key."""
        if page < 1:
            raise ValueError("pages are numbered from 1")
        body = await self._rest.json(
            operation="rest.rowset.get",
            method="GET",
            path=f"data/v1/customobjectdata/key/{quote(self._query.key, safe='')}/rowset",
            params=self._query.params(page),
            idempotent=True,
        )
        return self._parse(body, page)

    async def pages(self, *, start: int = 1) -> AsyncIterator[RowsetPage]:
        """Every page from ``start``, following MCE's continuation token."""
        current = await self.page(start)
        yield current
        while current.next is not None:
            request_token, following = current.next
            try:
                current = await self._continue(request_token, following)
            except NotFound:
                current = await self.page(following)
            yield current

    async def rows(self) -> AsyncIterator[dict[str, Value]]:
        """Every row, page after page."""
        async for page in self.pages():
            for row in page.rows:
                yield row

    async def _continue(self, request_token: str, page: int) -> RowsetPage:
        body = await self._rest.json(
            operation="rest.rowset.token",
            method="GET",
            path=f"data/v1/customobjectdata/token/{request_token}/rowset",
            params={"$page": str(page)},
            idempotent=True,
        )
        return self._parse(body, page)

    def _parse(self, body: object, page: int) -> RowsetPage:
        if not isinstance(body, Mapping):
            raise MceUnavailable("Marketing Cloud returned an unreadable rowset page.")
        items = body.get("items") or []
        if not isinstance(items, list):
            raise MceUnavailable("Marketing Cloud returned an unreadable rowset page.")
        try:
            rows = [self._converter.convert(item) for item in items if isinstance(item, Mapping)]
        except ValueError as exc:
            raise MceUnavailable(f"Marketing Cloud returned an unreadable value ({exc}).") from None
        return RowsetPage(
            page=_int(body.get("page"), page),
            page_size=_int(body.get("pageSize"), self._query.page_size),
            count=_int(body.get("count"), 0),
            rows=rows,
            next=_next_link(body.get("links")),
        )


def _next_link(links: Any) -> tuple[str, int] | None:
    """``(token, page)`` of ``links.next`` when it has the one shape we follow."""
    if not isinstance(links, Mapping) or not isinstance(links.get("next"), str):
        return None
    parts = urlsplit(links["next"])
    match = _NEXT.fullmatch(parts.path)
    if parts.scheme or parts.netloc or match is None:
        return None
    pages = parse_qs(parts.query).get("$page", [])
    if len(pages) != 1 or not pages[0].isascii() or not pages[0].isdigit():
        return None
    return match.group(1), int(pages[0])


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
