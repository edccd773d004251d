"""Completions at cursor positions (``|`` marks the cursor), with exact expectations."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from tsql.catalog import MemoryCatalog
from tsql.complete import Completion, CompletionKind, complete
from tsql.dataviews import DATA_VIEWS
from tsql.functions import FUNCTIONS
from tsql.types import Column, FieldType, Table, TableKind

K = CompletionKind
DE = TableKind.DATA_EXTENSION

SUBSCRIBERS = Table(
    "Subscribers",
    DE,
    (
        Column("SubscriberKey", FieldType.TEXT, 254, primary_key=True),
        Column("EmailAddress", FieldType.EMAIL_ADDRESS),
        Column("FirstName", FieldType.TEXT, 100),
    ),
)
ORDERS = Table(
    "Orders",
    DE,
    (
        Column("OrderID", FieldType.NUMBER),
        Column("SubscriberKey", FieldType.TEXT, 254),
        Column("Amount", FieldType.DECIMAL, precision=12, scale=2),
    ),
)
MY_DE = Table("My DE", DE, (Column("Id", FieldType.NUMBER), Column("First Name", FieldType.TEXT)))
SHARED = Table(
    "Shared Prefs",
    DE,
    (Column("SubscriberKey", FieldType.TEXT, 254), Column("Opted", FieldType.BOOLEAN)),
    shared=True,
)
ATTRIBUTES = Table(
    "_EnterpriseAttribute",
    TableKind.DATA_VIEW,
    (Column("_SubscriberID", FieldType.NUMBER), Column("Birthday", FieldType.DATE)),
)
CATALOG = MemoryCatalog([SUBSCRIBERS, ORDERS, MY_DE, SHARED, ATTRIBUTES])
JOIN = "FROM Subscribers s JOIN Orders o ON s.SubscriberKey = o.SubscriberKey"


async def _complete(marked: str, *, limit: int = 50) -> tuple[Completion, ...]:
    offset = marked.index("|")
    return await complete(marked.replace("|", "", 1), offset, catalog=CATALOG, limit=limit)


def _view(completions: Sequence[Completion]) -> list[tuple[str, str, str, str | None]]:
    return [(c.kind.value, c.label, c.insert_text, c.detail) for c in completions]


async def test_empty_text_offers_select() -> None:
    assert _view(await _complete("|")) == [("KEYWORD", "SELECT", "SELECT", None)]


async def test_after_from_lists_des_then_data_views_bracketed_and_ent() -> None:
    completions = await _complete("SELECT * FROM |")
    assert _view(completions[:4]) == [
        ("TABLE", "ENT.Shared Prefs", "ENT.[Shared Prefs]", "shared data extension"),
        ("TABLE", "My DE", "[My DE]", "data extension"),
        ("TABLE", "Orders", "Orders", "data extension"),
        ("TABLE", "Subscribers", "Subscribers", "data extension"),
    ]
    views = [c.label for c in completions if c.kind is K.DATA_VIEW]
    assert views == sorted((v.name for v in DATA_VIEWS.values()), key=str.casefold)[:46]
    sent = next(c for c in completions if c.label == "_Sent")
    assert sent.detail == "data view, six months of data"
    assert sent.documentation == DATA_VIEWS["_sent"].description


async def test_typed_prefix_ranks_prefix_matches_first() -> None:
    completions = await _complete("SELECT * FROM Sub|")
    assert _view(completions[:3]) == [
        ("TABLE", "Subscribers", "Subscribers", "data extension"),
        ("DATA_VIEW", "_Subscribers", "_Subscribers", "data view"),
        ("DATA_VIEW", "_BusinessUnitUnsubscribes", "_BusinessUnitUnsubscribes", "data view"),
    ]
    assert all("sub" in c.label.casefold() for c in completions)


async def test_after_join_and_comma_tables_are_offered() -> None:
    joined = await _complete("SELECT * FROM Orders o LEFT JOIN Ord|")
    assert _view(joined) == [("TABLE", "Orders", "Orders", "data extension")]
    comma = await _complete("SELECT * FROM Orders o, _Jo|")
    assert [c.label for c in comma] == ["_Job", "_Journey", "_JourneyActivity"]


async def test_after_ent_dot_only_shared_des_and_data_views() -> None:
    completions = await _complete("SELECT * FROM ENT.|")
    assert _view(completions[:2]) == [
        ("TABLE", "Shared Prefs", "[Shared Prefs]", "shared data extension"),
        ("DATA_VIEW", "_AutomationActivityInstance", "_AutomationActivityInstance", "data view"),
    ]
    assert {c.kind for c in completions} == {K.TABLE, K.DATA_VIEW}
    assert [c.label for c in completions if c.kind is K.TABLE] == ["Shared Prefs"]


async def test_an_open_bracket_is_closed_by_the_insert() -> None:
    completions = await _complete("SELECT * FROM [My|")
    assert _view(completions) == [("TABLE", "My DE", "My DE]", "data extension")]


async def test_columns_after_alias_dot_with_type_and_table() -> None:
    completions = await _complete("SELECT s.| FROM Subscribers s")
    assert _view(completions) == [
        ("COLUMN", "EmailAddress", "EmailAddress", "EmailAddress · Subscribers"),
        ("COLUMN", "FirstName", "FirstName", "Text(100) · Subscribers"),
        ("COLUMN", "SubscriberKey", "SubscriberKey", "Text(254) · Subscribers"),
    ]
    typed = await _complete("SELECT s.Fi| FROM Subscribers s")
    assert [c.label for c in typed] == ["FirstName"]


async def test_alias_resolves_in_a_join_and_brackets_names_that_need_them() -> None:
    orders = await _complete(f"SELECT o.| {JOIN}")
    assert _view(orders) == [
        ("COLUMN", "Amount", "Amount", "Decimal(12,2) · Orders"),
        ("COLUMN", "OrderID", "OrderID", "Number · Orders"),
        ("COLUMN", "SubscriberKey", "SubscriberKey", "Text(254) · Orders"),
    ]
    mine = await _complete("SELECT d.| FROM [My DE] AS d")
    assert _view(mine) == [
        ("COLUMN", "First Name", "[First Name]", "Text · [My DE]"),
        ("COLUMN", "Id", "Id", "Number · [My DE]"),
    ]


async def test_columns_in_scope_qualify_ambiguous_names() -> None:
    completions = await _complete(f"SELECT | {JOIN}")
    assert _view(completions[:8]) == [
        ("COLUMN", "Amount", "Amount", "Decimal(12,2) · Orders"),
        ("COLUMN", "EmailAddress", "EmailAddress", "EmailAddress · Subscribers"),
        ("COLUMN", "FirstName", "FirstName", "Text(100) · Subscribers"),
        ("COLUMN", "OrderID", "OrderID", "Number · Orders"),
        ("COLUMN", "SubscriberKey", "s.SubscriberKey", "Text(254) · Subscribers"),
        ("COLUMN", "SubscriberKey", "o.SubscriberKey", "Text(254) · Orders"),
        ("ALIAS", "o", "o", "Orders"),
        ("ALIAS", "s", "s", "Subscribers"),
    ]
    assert completions[8].kind is K.FUNCTION
    everything = await _complete(f"SELECT | {JOIN}", limit=500)
    kinds = [c.kind for c in everything]
    assert kinds == sorted(kinds, key=[K.COLUMN, K.ALIAS, K.FUNCTION, K.KEYWORD].index)
    assert kinds.count(K.KEYWORD) > 20


async def test_where_prefix_offers_columns_then_functions() -> None:
    completions = await _complete("SELECT a FROM Subscribers WHERE Sub|")
    assert _view(completions) == [
        ("COLUMN", "SubscriberKey", "SubscriberKey", "Text(254) · Subscribers"),
        ("FUNCTION", "SUBSTRING", "SUBSTRING(", "SUBSTRING(text, start, length)"),
    ]


async def test_functions_with_signatures_and_keywords_by_prefix() -> None:
    assert _view(await _complete("SELECT GETD|")) == [
        ("FUNCTION", "GETDATE", "GETDATE()", "GETDATE()")
    ]
    counted = await _complete("SELECT COU|")
    assert _view(counted) == [
        ("FUNCTION", "COUNT", "COUNT(", "COUNT(* | [DISTINCT] expression)"),
        ("FUNCTION", "COUNT_BIG", "COUNT_BIG(", "COUNT_BIG(* | [DISTINCT] expression)"),
    ]
    assert counted[0].documentation
    keywords = await _complete("SELECT a FR|")
    # The keyword that starts with the prefix first, then functions that contain it.
    containing = sorted(name for name in FUNCTIONS if "FR" in name)
    assert "DATEFROMPARTS" in containing
    assert [c.label for c in keywords] == ["FROM", *containing]


async def test_derived_table_columns_are_its_output_names() -> None:
    completions = await _complete(
        "SELECT x.| FROM (SELECT SubscriberKey AS k, s.EmailAddress, COUNT(*) n "
        "FROM Subscribers s GROUP BY SubscriberKey, s.EmailAddress) x"
    )
    assert _view(completions) == [
        ("COLUMN", "EmailAddress", "EmailAddress", "x"),
        ("COLUMN", "k", "k", "x"),
        ("COLUMN", "n", "n", "x"),
    ]


async def test_after_a_table_reference_clause_keywords() -> None:
    completions = await _complete("SELECT a FROM Subscribers |")
    labels = [c.label for c in completions]
    assert labels == sorted(labels)
    assert {"WHERE", "INNER JOIN", "LEFT JOIN", "AS"} <= set(labels)
    assert {c.kind for c in completions} == {K.KEYWORD}
    assert [c.label for c in await _complete("SELECT a FROM Subscribers s W|")] == ["WHERE"]


@pytest.mark.parametrize(
    "marked",
    [
        "SELECT a FROM t WHERE a = 'abc|'",
        "SELECT a -- comm|",
        "SELECT a /* note |",
        "SELECT a /* note | */ FROM t",
    ],
)
async def test_nothing_inside_strings_and_comments(marked: str) -> None:
    assert await _complete(marked) == ()


async def test_subqueries_see_their_own_and_enclosing_tables() -> None:
    inner = await _complete("SELECT a FROM Subscribers s WHERE s.a IN (SELECT o.| FROM Orders o)")
    assert [c.label for c in inner] == ["Amount", "OrderID", "SubscriberKey"]
    correlated = await _complete(
        "SELECT a FROM Subscribers s WHERE EXISTS (SELECT 1 FROM Orders o WHERE s.Fi|"
    )
    assert [c.label for c in correlated] == ["FirstName"]
    # A UNION arm does not see the other arm's aliases (o is then no known table).
    assert await _complete("SELECT a FROM Orders o UNION SELECT o.| FROM Subscribers s") == ()


async def test_only_the_statement_under_the_cursor_counts() -> None:
    completions = await _complete("SELECT a FROM Subscribers s; SELECT s.| FROM Orders s")
    assert [c.label for c in completions] == ["Amount", "OrderID", "SubscriberKey"]


async def test_data_view_columns_and_enterprise_attributes() -> None:
    sent = await _complete("SELECT se.Ev| FROM ENT._Sent se")
    assert _view(sent) == [("COLUMN", "EventDate", "EventDate", "Date · ENT._Sent")]
    attributes = await _complete("SELECT ea.| FROM _EnterpriseAttribute ea")
    assert [c.label for c in attributes] == ["_SubscriberID", "Birthday"]


async def test_unparsable_sql_still_completes_from_tokens() -> None:
    completions = await _complete("SELECT s.| , FROM WHERE Subscribers s (((")
    assert [c.label for c in completions] == []  # FROM WHERE: no table reference
    broken = await _complete("SELECT s.Em| FROM Subscribers s WHERE (a = ")
    assert [c.label for c in broken] == ["EmailAddress"]


async def test_limit_is_respected() -> None:
    assert len(await _complete("SELECT * FROM |", limit=3)) == 3
    assert await _complete("SELECT * FROM |", limit=0) == ()


async def test_ten_thousand_des_complete_at_each_cursor_kind() -> None:
    """A 10,000-DE catalogue answers each cursor kind (its speed is bench.tsql's
    ``complete_p95_ms``, not a test's)."""
    tables = [
        Table(f"Campaign {n:05d} Audience", DE, (Column("SubscriberKey", FieldType.TEXT, 254),))
        for n in range(10_000)
    ]
    catalog = MemoryCatalog(tables)
    texts = [
        ("SELECT * FROM |", 4),
        ("SELECT * FROM Campaign 0|", 3),
        ("SELECT c.| FROM [Campaign 00042 Audience] c", 1),
        ("SELECT | FROM [Campaign 00042 Audience] c JOIN _Sent s ON 1 = 1", 50),
    ]
    for marked, expected in texts:
        offset = marked.index("|")
        found = await complete(marked.replace("|", ""), offset, catalog=catalog, limit=50)
        assert len(found) >= expected


@pytest.mark.parametrize(
    ("marked", "labels"),
    [
        # The cursor inside a word completes the part before it.
        ("SELECT s.Em|ail FROM Subscribers s", ["EmailAddress"]),
        # Hints, bracketed aliases and table names as qualifiers resolve.
        ("SELECT * FROM Subscribers s WITH (NOLOCK) WHERE s.F|", ["FirstName"]),
        ("SELECT * FROM Subscribers AS [the subs] WHERE [the subs].F|", ["FirstName"]),
        ("SELECT Subscribers.F| FROM Subscribers", ["FirstName"]),
        ("SELECT _Sent.Ev| FROM _Sent", ["EventDate"]),
        # GROUP BY, ORDER BY and ON see the tables in scope.
        ("SELECT a FROM Subscribers s GROUP BY Fi|", ["FirstName", "FIRST_VALUE"]),
        ("SELECT a FROM Subscribers s ORDER BY s.F|", ["FirstName"]),
        ("SELECT a FROM Subscribers s JOIN Orders o ON o.Amo|", ["Amount"]),
        # Derived tables: SELECT * and t.* come from the tables inside.
        ("SELECT * FROM (SELECT * FROM Orders) x WHERE x.|",
         ["Amount", "OrderID", "SubscriberKey"]),
        ("SELECT x.| FROM (SELECT o.*, 1 AS one FROM Orders o) x",
         ["Amount", "one", "OrderID", "SubscriberKey"]),
        # APPLY and derived tables open their own scope.
        ("SELECT * FROM Subscribers s CROSS APPLY (SELECT TOP 1 o.Am| FROM Orders o) x",
         ["Amount"]),
        # Multi-line SQL with comments after the cursor.
        ("SELECT\n  s.Su|\nFROM Subscribers s\n-- note\nWHERE 1 = 1", ["SubscriberKey"]),
        # Inside an opened bracket only names are offered.
        ("SELECT [Fi| FROM [My DE]", ["First Name"]),
    ],
)  # fmt: skip
async def test_more_positions(marked: str, labels: list[str]) -> None:
    assert [c.label for c in await _complete(marked)] == labels


async def test_a_bracketed_column_insert_closes_the_bracket() -> None:
    completions = await _complete("SELECT [Fi| FROM [My DE]")
    assert _view(completions) == [("COLUMN", "First Name", "First Name]", "Text · [My DE]")]


async def test_cursor_before_a_table_name_lists_every_table() -> None:
    completions = await _complete("SELECT * FROM |Subscribers")
    assert [c.label for c in completions[:4]] == [
        "ENT.Shared Prefs", "My DE", "Orders", "Subscribers",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "(" * 10_000,
        "SELECT a FROM " + "(SELECT a FROM " * 3_000,
        "SELECT a FROM t0 " + " ".join(f"JOIN t{n} x{n} ON x{n}.a = 1" for n in range(3_000)),  # noqa: S608
        "SELECT a FROM t WHERE " + " AND ".join(f"c{n} = {n}" for n in range(9_000)),  # noqa: S608
    ],
    ids=["parentheses", "nested-derived-tables", "joins", "too-long"],
)
async def test_hostile_text_completes_quickly(sql: str) -> None:
    started = time.perf_counter()
    completions = await complete(sql, len(sql), catalog=CATALOG)
    assert time.perf_counter() - started < 30  # a hang guard only: no super-linear blow-up
    assert len(completions) <= 50


async def test_after_a_complete_operand_keywords_come_first() -> None:
    completions = await _complete("SELECT SubscriberKey | FROM Subscribers")
    kinds = [c.kind for c in completions]
    first_other = next(i for i, kind in enumerate(kinds) if kind is not K.KEYWORD)
    assert {"AS", "FROM"} <= {c.label for c in completions[:first_other]}
    assert completions[first_other].kind is K.COLUMN
    # After an operator a value comes next: columns first.
    assert (await _complete("SELECT a FROM Subscribers WHERE FirstName = |"))[0].kind is K.COLUMN


async def test_after_ent_every_shared_de_can_be_offered_in_a_large_catalogue() -> None:
    """The catalogue filters shared DEs itself: a BU with 10,000 of its own DEs whose names
    sort first still gets a full page of the parent's shared ones after ``ENT.``."""
    tables = [
        Table(name=f"A Own {n:05d}", kind=TableKind.DATA_EXTENSION) for n in range(10_000)
    ] + [
        Table(name=f"Z Shared {n:04d}", kind=TableKind.DATA_EXTENSION, shared=True)
        for n in range(1_000)
    ]
    got = await complete("SELECT * FROM ENT.", 18, catalog=MemoryCatalog(tables), limit=50)
    shared = [c for c in got if c.kind is CompletionKind.TABLE]
    assert len(shared) == 50 and all(c.label.startswith("Z Shared") for c in shared)
