"""The Python half of metadata search: tiers, highlights, ``ENT.`` queries, data views and
cursors (the SQL half is tested through the API and tests/models/test_metadata_search.py)."""

from __future__ import annotations

import time

import pytest

from services.metadata.search import (
    FUZZY,
    MAX_RESULTS,
    MatchKind,
    TextRange,
    data_view_hits,
    decode_search_cursor,
    encode_search_cursor,
    highlight,
    match_tier,
    parse_query,
)


@pytest.mark.parametrize(
    ("query", "text", "tier"),
    [
        ("subscribers", "Subscribers", 0),
        ("sub", "Subscribers", 1),
        ("address", "EmailAddress", 2),  # a camelCase word
        ("subs", "Newsletter_Subscribers", 2),  # after a separator
        ("subs", "Newsletter Subscribers", 2),
        ("2023", "Orders_2023", 2),
        ("ddress", "EmailAddress", 3),
        ("lett", "Newsletter", 3),
        ("xyz", "Newsletter", None),
        ("", "Newsletter", None),
    ],
)
def test_tiers(query: str, text: str, tier: int | None) -> None:
    assert match_tier(query, text) == tier


def test_highlights_mark_the_occurrence_that_gave_the_tier() -> None:
    assert highlight("sub", "Subscribers", 1) == (TextRange(0, 3),)
    # The word match is the occurrence at a word start, not the first occurrence.
    assert highlight("sub", "Xsub_Subscribers", 2) == (TextRange(5, 8),)
    assert highlight("sub", "Xsub", 3) == (TextRange(1, 4),)
    fuzzy = highlight("Subscrbers", "Subscribers", FUZZY)
    assert fuzzy and all(0 <= r.start < r.end <= len("Subscribers") for r in fuzzy)
    assert sum(r.end - r.start for r in fuzzy) >= 8


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("ENT.Products", ("Products", True)),
        ("ent.[Shared Products]", ("Shared Products", True)),
        ("[My DE]", ("My DE", False)),
        ("  Orders ", ("Orders", False)),
        ("ENT.", ("", True)),
    ],
)
def test_queries_as_sql_writes_names(text: str, parsed: tuple[str, bool]) -> None:
    assert parse_query(text) == parsed


def test_data_views_by_name_without_the_underscore_by_column_and_with_a_typo() -> None:
    sent = {hit.name: hit for hit in data_view_hits("sent")}
    assert sent["_Sent"].tier == 0 and sent["_Sent"].matched_on is MatchKind.NAME
    assert sent["_Sent"].highlights == (TextRange(1, 5),)
    email = {hit.name: hit for hit in data_view_hits("EmailAddress")}
    assert email["_Subscribers"].matched_on is MatchKind.FIELD
    assert email["_Subscribers"].matched_text == "EmailAddress"
    typo = {hit.name: hit for hit in data_view_hits("Subscibers")}
    assert typo["_Subscribers"].tier == FUZZY
    assert data_view_hits("zzzzqqq") == []


def test_data_view_matching_is_cheap() -> None:
    """Every search ranks the data views in memory: well under the search's budget."""
    queries = [f"Query{n}Name" for n in range(200)]
    started = time.perf_counter()
    for query in queries:
        data_view_hits(query)
    assert (time.perf_counter() - started) / len(queries) < 0.005


def test_cursors_round_trip_and_refuse_junk() -> None:
    assert decode_search_cursor(encode_search_cursor(41)) == 41
    for junk in ("", "junk", encode_search_cursor(MAX_RESULTS), "c2VhcmNoOi0x", "a" * 100):
        assert decode_search_cursor(junk) is None
