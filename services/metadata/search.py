"""``searchDataExtensions``: every DE (and data view) a BU can see, by name, customer key or
field name, typo-tolerant and ranked.

The ranking, one rule for DEs and data views alike:

1. the tier of the match: exact (0) > prefix (1) > a word of the text starts with the query
   (2; words split at anything that is not a letter or digit and at camelCase humps, so
   ``Address`` is a word of ``EmailAddress``) > substring (3) > fuzzy (4: pg_trgm word
   similarity to a word of a DE's name or key, or to a field name; a close character match
   to a data view's name or one of its words);
2. what matched: the name, then the customer key, then a field name (a field match ranks
   under a name match of the same tier);
3. shorter names first, then by name, then by id (a stable order, so pages do not overlap).

Each DE appears once, with its best match (``matched_on``, the text that matched and the
ranges of it to highlight). A query written ``ENT.name`` searches the shared DEs only (what
SQL in this BU calls ``ENT.[...]``). Data views match by name and column name.

DEs are found by the SECURITY DEFINER function ``quarry_search_data_extensions``
(migrations/0010_metadata_search.py explains why it exists and how it keeps to the tenant and
BU the transaction's context names); this module calls it through the tenant repository, so
without a context it is never called at all, and adds data views and highlights. Pages are
offsets into the ranking, at most :data:`MAX_RESULTS` deep.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from models import TenantContext, TenantRepository
from services.metadata.queries import DataExtensionInfo, data_extensions_by_ids
from tsql.dataviews import DATA_VIEWS, DataView

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_RESULTS",
    "MatchKind",
    "SearchHit",
    "SearchPage",
    "TextRange",
    "decode_search_cursor",
    "highlight",
    "match_tier",
    "name_matches",
    "search_data_extensions",
]

#: Longer queries are refused (names are at most 200 characters anyway).
MAX_QUERY_CHARS = 200
#: The deepest a search pages: nobody reads past this, and it bounds the ranking's cost.
MAX_RESULTS = 1_000

FUZZY = 4
_SOURCE_RANK = {"NAME": 0, "CUSTOMER_KEY": 1, "FIELD": 2}
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class MatchKind(StrEnum):
    NAME = "NAME"
    CUSTOMER_KEY = "CUSTOMER_KEY"
    FIELD = "FIELD"


@dataclass(frozen=True, slots=True)
class TextRange:
    """Characters ``start`` (inclusive) to ``end`` (exclusive) of the matched text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One DE (``data_extension_id``) or data view (``data_view``) and why it matched."""

    name: str
    matched_on: MatchKind
    matched_text: str
    tier: int
    highlights: tuple[TextRange, ...]
    data_extension_id: UUID | None = None
    data_view: DataView | None = None

    @property
    def sort_key(self) -> tuple[int, int, int, str, str]:
        ident = str(self.data_extension_id) if self.data_extension_id else f"~{self.name}"
        return (
            self.tier,
            _SOURCE_RANK[self.matched_on.value],
            len(self.name),
            self.name.lower(),
            ident,
        )


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: list[SearchHit]
    cursors: list[str]
    has_next_page: bool


def parse_query(text: str) -> tuple[str, bool]:
    """``(what to search for, shared DEs only)``: ``ENT.`` and brackets removed."""
    query = text.strip()
    shared = query[:4].casefold() == "ent."
    if shared:
        query = query[4:].strip()
    if len(query) >= 2 and query.startswith("[") and query.endswith("]"):
        query = query[1:-1].replace("]]", "]").strip()
    return query, shared


def _is_word_start(text: str, index: int) -> bool:
    if index == 0:
        return True
    before, here = text[index - 1], text[index]
    if not before.isalnum():
        return True
    return (before.islower() or before.isdigit()) and here.isupper()


def match_tier(query: str, text: str) -> int | None:
    """The tier (0 exact to 3 substring) at which ``query`` matches ``text``; None when it
    does not occur in it (fuzzy matching is the caller's: pg_trgm's for DEs)."""
    wanted, lowered = query.lower(), text.lower()
    if not wanted:
        return None
    if lowered == wanted:
        return 0
    if lowered.startswith(wanted):
        return 1
    position = lowered.find(wanted)
    if position < 0:
        return None
    while position >= 0:
        if _is_word_start(text, position):
            return 2
        position = lowered.find(wanted, position + 1)
    return 3


def highlight(query: str, text: str, tier: int) -> tuple[TextRange, ...]:
    """The ranges of ``text`` to highlight for a match at ``tier``.

    Exact to substring: the occurrence that gave the tier (for a word match, the first
    occurrence at a word start). Fuzzy: the runs of at least two characters the query and
    the text share, in order.
    """
    wanted, lowered = query.lower(), text.lower()
    if tier < FUZZY and wanted:
        position = lowered.find(wanted)
        if tier == 2:
            while position >= 0 and not _is_word_start(text, position):
                position = lowered.find(wanted, position + 1)
        if position >= 0:
            return (TextRange(position, position + len(wanted)),)
    matcher = difflib.SequenceMatcher(None, wanted, lowered, autojunk=False)
    return tuple(
        TextRange(block.b, block.b + block.size)
        for block in matcher.get_matching_blocks()
        if block.size >= 2
    )


def _fuzzy_words(text: str) -> tuple[str, ...]:
    """What a typo is compared with: the whole text (without MCE's leading underscore) and
    each of its words (split at separators and camelCase humps), lower-cased."""
    spaced = _CAMEL_HUMP.sub(" ", text)
    words = [word for word in re.split(r"[^0-9A-Za-z]+", spaced.lower()) if word]
    return (text.lower().lstrip("_"), *words)


#: Every data view name and column name with the strings a typo is compared with.
_VIEW_TEXTS: dict[str, tuple[str, ...]] = {
    text: _fuzzy_words(text)
    for view in DATA_VIEWS.values()
    for text in (view.name, *(column.name for column in view.columns))
}
_VIEW_WORDS: frozenset[str] = frozenset(word for words in _VIEW_TEXTS.values() for word in words)


@functools.lru_cache(maxsize=512)
def _close_view_words(wanted: str) -> frozenset[str]:
    """The data view words within a typo or two of ``wanted`` (difflib ratio >= 0.8), the
    cheap bounds first so that a query costs well under a millisecond."""
    close = set()
    # One matcher whose second sequence is the query: difflib indexes the second sequence,
    # so it is indexed once, not once per word (the ratios are symmetric).
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(wanted)
    for word in _VIEW_WORDS:
        if abs(len(word) - len(wanted)) > max(2, len(wanted) // 4):
            continue
        matcher.set_seq1(word)
        if (
            matcher.real_quick_ratio() >= 0.8
            and matcher.quick_ratio() >= 0.8
            and matcher.ratio() >= 0.8
        ):
            close.add(word)
    return frozenset(close)


#: Each data view word, to the names and column names it is a word of.
_TEXTS_BY_WORD: dict[str, frozenset[str]] = {
    word: frozenset(text for text, words in _VIEW_TEXTS.items() if word in words)
    for word in _VIEW_WORDS
}


@functools.lru_cache(maxsize=512)
def _fuzzy_view_texts(query: str) -> frozenset[str]:
    """Every data view name and column name close to ``query`` (the whole name, or one of its
    words, within a typo or two: :func:`_close_view_words`), for queries of 3 characters or
    more; found once per query through the words, not by testing each of ~450 texts."""
    wanted = query.lower().lstrip("_")
    if len(wanted) < 3:
        return frozenset()
    return frozenset(text for word in _close_view_words(wanted) for text in _TEXTS_BY_WORD[word])


def _view_match(query: str, name: str, fuzzy: frozenset[str]) -> int | None:
    """A data view's tier: ``Sent`` finds ``_Sent`` exactly (MCE's leading underscore is not
    part of what users type); ``fuzzy``: the texts close to the query."""
    tiers = [
        tier
        for tier in (match_tier(query, name), match_tier(query.lstrip("_"), name.lstrip("_")))
        if tier is not None
    ]
    if tiers:
        return min(tiers)
    return FUZZY if name in fuzzy else None


def data_view_hits(query: str) -> list[SearchHit]:
    """Data views matching ``query`` by name or column name, each once with its best match."""
    hits: list[SearchHit] = []
    fuzzy = _fuzzy_view_texts(query)
    for view in DATA_VIEWS.values():
        best: SearchHit | None = None
        tier = _view_match(query, view.name, fuzzy)
        if tier is not None:
            best = _hit_for_view(view, MatchKind.NAME, view.name, tier, query)
        for column in view.columns:
            column_tier = match_tier(query, column.name)
            if column_tier is None and column.name in fuzzy:
                column_tier = FUZZY
            if column_tier is None:
                continue
            candidate = _hit_for_view(view, MatchKind.FIELD, column.name, column_tier, query)
            if best is None or _match_key(candidate) < _match_key(best):
                best = candidate
        if best is not None:
            hits.append(best)
    return hits


def _hit_for_view(view: DataView, kind: MatchKind, text: str, tier: int, query: str) -> SearchHit:
    shown = query if match_tier(query, text) == tier else query.lstrip("_")
    return SearchHit(
        name=view.name,
        matched_on=kind,
        matched_text=text,
        tier=tier,
        highlights=highlight(shown, text, tier),
        data_view=view,
    )


def _match_key(hit: SearchHit) -> tuple[int, int, int, str]:
    return (hit.tier, _SOURCE_RANK[hit.matched_on.value], len(hit.matched_text), hit.matched_text)


def encode_search_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"search:{position}".encode()).decode().rstrip("=")


def decode_search_cursor(cursor: str) -> int | None:
    """The position after which a page starts, or None when ``cursor`` is not ours."""
    if not cursor or len(cursor) > 40 or not cursor.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    if prefix != "search" or not number.isdigit() or len(number) > 6:
        return None
    position = int(number)
    return position if position < MAX_RESULTS else None


async def _de_hits(
    ctx: TenantContext, query: str, *, limit: int, shared_only: bool, hide_leftovers: bool
) -> list[SearchHit]:
    rows = await TenantRepository(ctx).fetch(
        "SELECT data_extension_id, matched_on, matched_text, tier, data_extension_name"
        " FROM quarry_search_data_extensions($1, $2, $3, $4)",
        [query, limit, shared_only, hide_leftovers],
    )
    return [
        SearchHit(
            name=row["data_extension_name"],
            matched_on=MatchKind(row["matched_on"]),
            matched_text=row["matched_text"],
            tier=row["tier"],
            highlights=highlight(query, row["matched_text"], row["tier"]),
            data_extension_id=row["data_extension_id"],
        )
        for row in rows
    ]


def _merge(groups: Iterable[Sequence[SearchHit]]) -> list[SearchHit]:
    return sorted((hit for group in groups for hit in group), key=lambda hit: hit.sort_key)


async def search_data_extensions(
    ctx: TenantContext,
    *,
    text: str,
    first: int,
    after: int | None,
    hide_leftovers: bool = False,
) -> SearchPage:
    """One page of what ``text`` finds in ``ctx``'s BU, best first.

    ``after`` is the position a previous page's cursor named (:func:`decode_search_cursor`);
    the caller validates ``first`` and the query's length. An empty query finds nothing.
    """
    query, shared_only = parse_query(text)
    start = 0 if after is None else after + 1
    if not query or start >= MAX_RESULTS:
        return SearchPage(hits=[], cursors=[], has_next_page=False)
    wanted = min(start + first + 1, MAX_RESULTS)
    hits = _merge(
        [
            await _de_hits(
                ctx,
                query,
                limit=wanted,
                shared_only=shared_only,
                hide_leftovers=hide_leftovers,
            ),
            data_view_hits(query),
        ]
    )[:wanted]
    page = hits[start : start + first]
    return SearchPage(
        hits=page,
        cursors=[encode_search_cursor(start + index) for index in range(len(page))],
        has_next_page=len(hits) > start + first,
    )


async def name_matches(ctx: TenantContext, text: str, *, limit: int) -> list[DataExtensionInfo]:
    """At most ``limit`` DEs whose names match ``text``, best first (the ranking above, name
    matches only): what SQL completions offer. Two statements whatever the BU's size."""
    query, shared_only = parse_query(text)
    if not query or limit <= 0 or "\x00" in query:
        return []
    wanted = min(limit, MAX_RESULTS)
    hits = await _de_hits(
        ctx,
        query,
        limit=min(wanted * 3, MAX_RESULTS),
        shared_only=shared_only,
        hide_leftovers=False,
    )
    ids = [hit.data_extension_id for hit in hits if hit.matched_on is MatchKind.NAME]
    found = await data_extensions_by_ids(ctx, [de_id for de_id in ids if de_id is not None])
    return [found[de_id] for de_id in ids if de_id in found][:wanted]
