"""A completed run's rows, read page by page from its shell DE and encoded for JSON clients.

Rows are pass-through (DESIGN.md, the run's data path): they are read from MCE's rowset
endpoint when a client asks and are never written to Postgres or Redis. A shell DE may still
hold rows of an earlier run (a late or failed one), so every read filters on the run's marker
column; when the user's query had an ORDER BY, tsql's rewrite stored the order as a row-number
column and every read is ordered by it. Neither helper column ever reaches the user: rows are
encoded from the run's own output columns only.

Reads are by page number (random access, REFERENCE §4.1), so the pages of a stream are read in
parallel: :meth:`ResultReader.pages` keeps at most ``prefetch`` MCE pages in flight ahead of
its consumer and asks for more only when the consumer takes one, so a slow client holds the
reader back instead of making it buffer the result (backpressure; memory is bounded by
``prefetch`` pages whatever the result's size).

Each MCE page is decoded with orjson and its items encoded straight to arrays in column order
(:meth:`ResultReader._encoder`): no row dict per item, and each column's repeated values
(dates, amounts, flags) parsed once per stream (:meth:`ResultColumn.raw_encoder`). With the
API process's start-up heap frozen out of the collector (app/main.py), that took streaming
200,000 rows from 4.8 to 1.9 s of the API's CPU (bench.runs' ``api_cpu_s_200k``).

Value encoding (also in docs/api.md): JSON-safe and typed by the column metadata.
Text-like types are strings, Number an integer (a string beyond 2^53, where JSON readers
lose digits), Decimal always a string (its scale kept, e.g. ``"12.50"``), Boolean ``true``/
``false``, Date an ISO 8601 string: without a zone for dates users entered (MCE stores them
naive), with MCE's system offset ``-06:00`` for dates MCE generated itself (data views,
GETDATE()), and NULL (or an empty string: MCE cannot tell them apart) ``null``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from calendar import monthrange
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import orjson

from client.errors import MceUnavailable
from client.errors import NotFound as MceNotFound
from client.rest.api import RestClient
from client.rest.rowsets import MAX_PAGE_SIZE
from client.values import MCE_SYSTEM_TIME, FieldSpec, FieldType, Value, convert_value

__all__ = [
    "DEFAULT_PREFETCH",
    "MAX_LIMIT",
    "MAX_SAFE_INTEGER",
    "JsonValue",
    "ResultColumn",
    "ResultPage",
    "ResultReader",
    "ResultSource",
    "csv_chunks",
    "encode_row",
    "encode_value",
]

JsonValue = str | int | bool | None

#: The largest integer every JSON reader (JavaScript's doubles) holds exactly.
MAX_SAFE_INTEGER = 2**53 - 1
#: The most rows one ``page(offset, limit)`` answers: one MCE rowset page.
MAX_LIMIT = MAX_PAGE_SIZE
#: MCE pages read ahead of a stream's consumer.
DEFAULT_PREFETCH = 4
#: While rows may not be visible yet (see :class:`ResultReader`), a 404 is asked again this
#: often.
NOT_VISIBLE_RETRY_SECONDS = 0.25

#: Markers and helper column names are chosen by the engine; anything else is refused rather
#: than quoted into a ``$filter``.
_MARKER = re.compile(r"[0-9A-Za-z_-]{1,100}")
_HELPER = re.compile(r"[A-Za-z][0-9A-Za-z_]{0,127}")
#: MCE's largest Decimal precision, so its largest scale.
_MAX_SCALE = 38
#: What client.values accepts as a Number (plain ASCII digits).
_INTEGER = re.compile(r"-?[0-9]+")
#: MCE's date shapes (REFERENCE §4.1): ``M/D/YYYY h:mm:ss AM``, or a date alone.
#: MCE's plain Decimal text; other shapes (``.5``, ``5.``) take the reference path.
_PLAIN_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")
#: A context wide enough to trim any Decimal MCE holds (38 digits; the default context's
#: 28 made ``quantize`` raise on wide values), and the digits the fast path takes.
_WIDE = Context(prec=80)
_DECIMAL_DIGITS = 76
#: Types whose MCE text is parsed (dates, numbers, flags): encodings a stream remembers.
_PARSED_TYPES = frozenset((FieldType.NUMBER, FieldType.DECIMAL, FieldType.BOOLEAN, FieldType.DATE))
_ENCODED_CACHE_SIZE = 4096
_MISSING: Any = object()
_MCE_DATE = re.compile(
    r"(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})/(?P<year>[0-9]{4})"
    r"(?: (?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2}) (?P<half>AM|PM))?"
)


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """One of the user's output columns. ``system_generated`` marks a Date MCE wrote in its
    own system time (CST); other dates are naive, as MCE stores them. ``scale`` is a
    Decimal's scale as the query produced it: a shell field may be wider (the pool rounds
    shapes up), and MCE pads what it stores to the field's scale, so values are read back at
    the column's own scale (``12.50``, not ``12.50000000``)."""

    name: str
    field_type: FieldType
    system_generated: bool = False
    scale: int | None = None

    @classmethod
    def parse_type(
        cls,
        name: str,
        field_type: str | None,
        *,
        scale: int | None = None,
        system_generated: bool = False,
    ) -> ResultColumn:
        """A column from a stored type name (a Run's ``columns``); unknown types read as Text,
        MCE's default field type."""
        known = {member.value.lower(): member for member in FieldType}
        return cls(
            name=name,
            field_type=known.get((field_type or "Text").lower(), FieldType.TEXT),
            system_generated=system_generated,
            scale=scale if isinstance(scale, int) and 0 <= scale <= _MAX_SCALE else None,
        )

    def encode(self, value: Value) -> JsonValue:
        """``value`` of this column as JSON carries it (see :func:`encode_value`)."""
        if isinstance(value, Decimal) and self.scale is not None:
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int) and -exponent > self.scale:
                try:
                    trimmed = value.quantize(Decimal(1).scaleb(-self.scale), context=_WIDE)
                except InvalidOperation:  # wider than any MCE field: kept as it came
                    trimmed = value
                if trimmed == value:  # only padding zeros go: never round a value
                    value = trimmed
        return encode_value(value)

    def encode_raw(self, raw: str | None) -> JsonValue:
        """MCE's string for a value of this column, straight to its JSON encoding.

        The same result as converting with :func:`client.values.convert_value` and then
        :meth:`encode`, without building a ``datetime`` or ``Decimal`` for the common shapes
        (parsing dates with ``strptime`` was most of a stream's CPU); anything unusual takes
        that reference path. Raises ``ValueError`` for a value MCE could not have sent.
        """
        if raw is None or raw == "":
            return None
        kind = self.field_type
        if kind is FieldType.NUMBER:
            if not _INTEGER.fullmatch(raw):
                raise ValueError(f"not a Number value: {raw!r}")
            return encode_value(int(raw))
        if kind is FieldType.DATE:
            match = _MCE_DATE.fullmatch(raw)
            if match is not None:
                iso = _iso_from_match(match)
                if iso is not None:
                    return iso + "-06:00" if self.system_generated else iso
        elif kind is FieldType.DECIMAL:
            plain = _decimal_text(raw, self.scale)
            if plain is not None:
                return plain
        elif kind is not FieldType.BOOLEAN:
            return raw
        converted = convert_value(raw, field_type=kind, system_generated=self.system_generated)
        return self.encode(converted)

    def raw_encoder(self) -> Callable[[object], JsonValue]:
        """:meth:`encode_raw` for one stream's values of this column, taking a rowset item's
        value as JSON decoded it (MCE sends strings; anything else is read as its text).

        Text-like values are themselves. Other types remember their last
        :data:`_ENCODED_CACHE_SIZE` encodings (a result repeats dates, amounts and flags
        across its rows; each is parsed once): a refused value is never remembered, so it
        raises every time.
        """
        kind = self.field_type
        if kind not in _PARSED_TYPES:

            def text(raw: object) -> JsonValue:
                if raw is None or raw == "":
                    return None
                return raw if raw.__class__ is str else str(raw)

            return text
        encode_raw = self.encode_raw
        cache: dict[str, JsonValue] = {}
        get = cache.get

        def parsed(raw: object) -> JsonValue:
            if raw.__class__ is not str:
                return encode_raw(None if raw is None else str(raw))
            value = get(raw, _MISSING)
            if value is _MISSING:
                value = encode_raw(raw)
                if len(cache) >= _ENCODED_CACHE_SIZE:
                    cache.clear()
                cache[raw] = value
            return value

        return parsed


def _decimal_text(raw: str, scale: int | None) -> str | None:
    """A Decimal in MCE's plain form (``-12.50``) as :func:`encode_value` writes it after
    :meth:`ResultColumn.encode` (padding zeros beyond ``scale`` dropped, never rounded),
    straight from the text; None for anything else (the reference path takes it)."""
    match = _PLAIN_DECIMAL.fullmatch(raw)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    if len(whole) + len(fraction or "") > _DECIMAL_DIGITS:
        return None  # not from MCE: the reference path decides
    whole = whole.lstrip("0") or "0"
    if fraction is None:
        return sign + whole
    if scale is not None and len(fraction) > scale and not fraction[scale:].strip("0"):
        fraction = fraction[:scale]
    return f"{sign}{whole}.{fraction}" if fraction else sign + whole


def _iso_from_match(match: re.Match[str]) -> str | None:
    """``M/D/YYYY h:mm:ss AM`` (or a bare date) as ISO 8601, or None when out of range
    (the reference path then refuses it with the same error ``strptime`` gives)."""
    month, day, year = int(match["month"]), int(match["day"]), int(match["year"])
    hour = int(match["hour"] or 12)
    minute, second = int(match["minute"] or 0), int(match["second"] or 0)
    half = match["half"]
    if not (1 <= hour <= 12 and minute <= 59 and second <= 59 and year >= 1):
        return None
    if half is None:
        hour = 0
    elif half == "AM":
        hour = 0 if hour == 12 else hour
    else:
        hour = 12 if hour == 12 else hour + 12
    if not (1 <= month <= 12 and 1 <= day <= monthrange(year, month)[1]):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"


@dataclass(frozen=True, slots=True)
class ResultSource:
    """Where a completed run's rows are: its shell DE (by CustomerKey), its output columns in
    order, the marker its rows carry and the row-number column when it was ordered."""

    key: str
    columns: tuple[ResultColumn, ...]
    marker_column: str
    marker: str
    order_column: str | None = None

    def __post_init__(self) -> None:
        if not _MARKER.fullmatch(self.marker):
            raise ValueError("a run marker is 1-100 letters, digits, '-' or '_'")
        for helper in (self.marker_column, self.order_column):
            if helper is not None and not _HELPER.fullmatch(helper):
                raise ValueError(f"not a helper column name: {helper!r}")
        if not self.columns:
            raise ValueError("a result has at least one column")

    @property
    def filter(self) -> str:
        """The rowset ``$filter`` keeping only this run's rows."""
        return f"{self.marker_column} eq '{self.marker}'"

    @property
    def order_by(self) -> str | None:
        """The rowset ``$orderBy`` giving the query's ORDER BY order, if it had one."""
        return f"{self.order_column} asc" if self.order_column else None

    def field_specs(self) -> list[FieldSpec]:
        """How the client types this result's values (helper columns stay untyped strings)."""
        return [
            FieldSpec(
                name=column.name,
                field_type=column.field_type,
                system_generated=column.system_generated,
            )
            for column in self.columns
        ]


@dataclass(frozen=True, slots=True)
class ResultPage:
    """Rows ``offset`` to ``offset + len(rows)`` (0-based) of ``total``, as arrays in column
    order; ``last`` when no row follows."""

    offset: int
    rows: list[list[JsonValue]]
    total: int
    last: bool

    def as_json(self) -> dict[str, object]:
        """The page as one JSON value (the subscription's and ``page``'s payload)."""
        return {"offset": self.offset, "rows": self.rows, "total": self.total, "last": self.last}


def encode_value(value: Value) -> JsonValue:
    """A typed value as JSON can carry it without loss (see the module's docstring)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(MCE_SYSTEM_TIME).isoformat()
    raise TypeError(f"no JSON encoding for {type(value).__name__}")  # pragma: no cover


def encode_row(row: Mapping[str, Value], columns: Sequence[ResultColumn]) -> list[JsonValue]:
    """The user's columns of ``row`` in order; anything else (helper columns) is dropped."""
    return [column.encode(row.get(column.name)) for column in columns]


@dataclass(frozen=True, slots=True)
class _McePage:
    """One rowset page as MCE sent it: the result's row count and the page's items."""

    count: int
    items: list[dict[str, Any]]


class ResultReader:
    """Reads one run's result from MCE as it is asked for: random access and streaming.

    ``visible_until`` (a ``time.time()`` instant): until then a 404 from the rowset endpoint
    means the rows are not visible yet, not that they are gone, and the page is asked again
    every :data:`NOT_VISIBLE_RETRY_SECONDS` (REFERENCE §2.4 and §4.1: the rowset can answer 404
    a moment after MCE says a query is complete). The first read of a run is this readability
    check (the poller does not probe it: one MCE call less per run).

    ``on_count``: called once with the result's row count, after the first page MCE answers
    (the run records it: services/runs/store.py).
    """

    def __init__(
        self,
        *,
        rest: RestClient,
        source: ResultSource,
        prefetch: int = DEFAULT_PREFETCH,
        mce_page_size: int = MAX_PAGE_SIZE,
        visible_until: float | None = None,
        on_count: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        if prefetch < 1:
            raise ValueError("prefetch is at least 1")
        if not 1 <= mce_page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"mce_page_size must be 1..{MAX_PAGE_SIZE}")
        self._rest = rest
        self._source = source
        self._prefetch = prefetch
        self._mce_page_size = mce_page_size
        self._visible_until = visible_until
        self._on_count = on_count

    @property
    def source(self) -> ResultSource:
        return self._source

    async def _read(self, number: int, size: int) -> _McePage:
        """:meth:`_read_once`, asked again while the rows may not be visible yet; the first
        answer's count goes to ``on_count``."""
        while True:
            try:
                page = await self._read_once(number, size)
                break
            except MceNotFound:
                if self._visible_until is None or time.time() >= self._visible_until:
                    raise
            await asyncio.sleep(NOT_VISIBLE_RETRY_SECONDS)
        self._visible_until = None  # visible now: a later 404 means the rows are gone
        if self._on_count is not None:
            report, self._on_count = self._on_count, None
            await report(page.count)
        return page

    async def _read_once(self, number: int, size: int) -> _McePage:
        """MCE page ``number`` of ``size`` rows, this run's only, in its order, as MCE sent it
        (REFERENCE §4.1: every value a string, names lower-cased): decoded with orjson and
        encoded straight from its items, without a row dict per item."""
        params = {"$page": str(number), "$pageSize": str(size), "$filter": self._source.filter}
        if self._source.order_by:
            params["$orderBy"] = self._source.order_by
        response = await self._rest.request(
            operation="rest.rowset.get",
            method="GET",
            path=f"data/v1/customobjectdata/key/{quote(self._source.key, safe='')}/rowset",
            params=params,
            idempotent=True,
        )
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise MceUnavailable(
                "Marketing Cloud returned an unreadable answer.", status=response.status_code
            ) from None
        items = body.get("items") or [] if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise MceUnavailable("Marketing Cloud returned an unreadable rowset page.")
        count = body.get("count")
        return _McePage(
            count=count if isinstance(count, int) and not isinstance(count, bool) else 0,
            items=[item for item in items if isinstance(item, dict)],
        )

    def _encoder(self) -> Callable[[Sequence[Mapping[str, Any]]], list[list[JsonValue]]]:
        """Encodes rowset items as arrays in column order (one per stream or page read: its
        columns' caches live as long as it)."""
        columns = [(column.name.lower(), column.raw_encoder()) for column in self._source.columns]

        def encode(items: Sequence[Mapping[str, Any]]) -> list[list[JsonValue]]:
            rows: list[list[JsonValue]] = []
            append = rows.append
            try:
                for item in items:
                    values = item.get("values")
                    keys = item.get("keys")
                    if not isinstance(values, dict):
                        values = {}
                    if keys and isinstance(keys, dict):  # primary keys come apart (none here)
                        values = {**keys, **values}
                    get = values.get
                    append([encode_one(get(name)) for name, encode_one in columns])
            except ValueError as exc:
                raise MceUnavailable(
                    f"Marketing Cloud returned an unreadable value ({exc})."
                ) from None
            return rows

        return encode

    async def page(self, *, offset: int, limit: int) -> ResultPage:
        """Rows ``offset`` .. ``offset + limit``: one MCE call when the window is aligned on
        ``limit``, else the (at most two) full-size MCE pages that cover it, read together."""
        if offset < 0:
            raise ValueError("offset is 0 or more")
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}")
        size = limit if offset % limit == 0 else self._mce_page_size
        first = offset // size + 1
        last = (offset + limit - 1) // size + 1
        mce_pages = await asyncio.gather(*(self._read(n, size) for n in range(first, last + 1)))
        for number, mce_page in enumerate(mce_pages, start=first):
            _check_page(mce_page, number=number, count=mce_pages[0].count, size=size)
        items = [item for mce_page in mce_pages for item in mce_page.items]
        start = offset - (first - 1) * size
        window = items[start : start + limit]
        total = mce_pages[0].count
        return ResultPage(
            offset=offset,
            rows=self._encoder()(window),
            total=total,
            last=offset + len(window) >= total,
        )

    async def pages(
        self, *, after: int = 0, page_size: int = MAX_LIMIT
    ) -> AsyncGenerator[ResultPage, None]:
        """Every page from row ``after`` (the number of rows a client already has) to the end,
        ``page_size`` rows each; an empty result (or ``after`` past its end) is one empty last
        page, so a client always learns where the result ends."""
        if after < 0:
            raise ValueError("after is 0 or more")
        if not 1 <= page_size <= MAX_LIMIT:
            raise ValueError(f"page_size must be 1..{MAX_LIMIT}")
        pending: deque[list[JsonValue]] = deque()
        encode = self._encoder()
        offset = after
        total = 0
        skip = after % self._mce_page_size
        async for mce_page in self._mce_pages(first=after // self._mce_page_size + 1):
            total = mce_page.count
            items = mce_page.items[skip:] if skip else mce_page.items
            skip = 0
            pending.extend(encode(items))
            while len(pending) >= page_size:
                chunk = [pending.popleft() for _ in range(page_size)]
                is_last = offset + len(chunk) >= total
                yield ResultPage(offset=offset, rows=chunk, total=total, last=is_last)
                offset += len(chunk)
                if is_last:
                    return
        yield ResultPage(offset=offset, rows=list(pending), total=total, last=True)

    async def _mce_pages(self, *, first: int) -> AsyncIterator[_McePage]:
        """MCE pages ``first``.. in order, the next ``prefetch`` read while the consumer works.

        The first page says how many rows there are; the rest are read by number, in
        parallel, and a page is only asked for when there is room in the window. Every page
        must agree with the first (the same count, a full page but the last): a result that
        changes while it is read (rows not yet all visible, the shell written again) raises
        instead of silently losing or repeating rows.
        """
        size = self._mce_page_size
        head = await self._read(first, size)
        _check_page(head, number=first, count=head.count, size=size)
        yield head
        last = max(1, -(-head.count // size))
        following = first + 1
        in_flight: deque[asyncio.Task[_McePage]] = deque()
        try:
            while following <= last or in_flight:
                while following <= last and len(in_flight) < self._prefetch:
                    in_flight.append(asyncio.ensure_future(self._read(following, size)))
                    following += 1
                number = following - len(in_flight)
                page = await in_flight.popleft()
                _check_page(page, number=number, count=head.count, size=size)
                yield page
        finally:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)


def _check_page(page: _McePage, *, number: int, count: int, size: int) -> None:
    expected = max(0, min(size, count - (number - 1) * size))
    if page.count != count or len(page.items) != expected:
        raise MceUnavailable("The run's rows changed while they were being read; read them again.")


def _csv_cell(value: JsonValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def csv_chunks(
    reader: ResultReader, *, page_size: int = MAX_LIMIT
) -> AsyncGenerator[bytes, None]:
    """The whole result as RFC 4180 CSV (CRLF line ends, quotes doubled, a header row of the
    column names), one encoded chunk per page: memory holds one page whatever the size."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([column.name for column in reader.source.columns])
    async for page in reader.pages(page_size=page_size):
        writer.writerows([_csv_cell(value) for value in row] for row in page.rows)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
