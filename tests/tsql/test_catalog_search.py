"""MemoryCatalog.search: prefix before substring before subsequence, shorter names first, and
the same answer as a plain ranked scan (the sorted index is only a speed-up)."""

from __future__ import annotations

import random

import pytest

from tsql.catalog import MemoryCatalog
from tsql.types import Table, TableKind, TableName


def _de(name: str, *, shared: bool = False) -> Table:
    return Table(name=name, kind=TableKind.DATA_EXTENSION, shared=shared)


def _names(tables: object) -> list[str]:
    return [t.name for t in tables]  # type: ignore[attr-defined]


CATALOG = MemoryCatalog(
    [
        _de("Orders"),
        _de("Customers"),
        _de("Customer Orders"),
        _de("VIP Customers"),
        _de("Cu_Sto_Mers_Archive"),
        _de("Cust"),
        _de("Stores"),
    ]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cust", ["Cust", "Customers", "Customer Orders", "VIP Customers", "Cu_Sto_Mers_Archive"]),
        ("ORDERS", ["Orders", "Customer Orders"]),
        ("stomers", ["Customers", "VIP Customers", "Customer Orders", "Cu_Sto_Mers_Archive"]),
        ("zzz", []),
    ],
)
async def test_ranking(text: str, expected: list[str]) -> None:
    assert _names(await CATALOG.search(text, limit=10)) == expected


async def test_empty_text_lists_shortest_names_first_up_to_the_limit() -> None:
    assert _names(await CATALOG.search("", limit=3)) == ["Cust", "Orders", "Stores"]
    assert await CATALOG.search("", limit=0) == []


async def test_tables_added_after_a_search_are_found() -> None:
    catalog = MemoryCatalog([_de("Alpha")])
    assert _names(await catalog.search("b", limit=5)) == []
    catalog.add(_de("Beta"))
    assert _names(await catalog.search("b", limit=5)) == ["Beta"]
    assert await catalog.lookup(TableName("BETA")) == _de("Beta")


def _reference(tables: list[Table], text: str, limit: int) -> list[tuple[str, bool]]:
    """The plain ranked scan search() must agree with."""
    wanted = text.casefold()
    ranked = []
    for table in {(t.name.casefold(), t.shared): t for t in tables}.values():
        folded = table.name.casefold()
        if folded.startswith(wanted):
            rank = 0
        elif wanted in folded:
            rank = 1
        elif _subsequence(wanted, folded):
            rank = 2
        else:
            continue
        ranked.append((rank, len(folded), folded, table.shared))
    return [(folded, shared) for _r, _l, folded, shared in sorted(ranked)[:limit]]


def _subsequence(needle: str, haystack: str) -> bool:
    chars = iter(haystack)
    return all(char in chars for char in needle)


async def test_agrees_with_a_plain_ranked_scan() -> None:
    chance = random.Random(12)
    words = ["Customer", "Order", "Journey", "Email", "Sms", "Loyalty", "Stage", "Daily"]
    tables = [
        _de("_".join(chance.sample(words, 3)) + f"_{i}", shared=chance.random() < 0.2)
        for i in range(2_000)
    ]
    catalog = MemoryCatalog(tables)
    for text in ["", "c", "Customer_", "ORDER_EMAIL", "ustomer_O", "cso", "_1", "stg", "qqq"]:
        for limit in (1, 7, 50, 5_000):
            found = await catalog.search(text, limit=limit)
            assert [(t.name.casefold(), t.shared) for t in found] == _reference(
                tables, text, limit
            ), (text, limit)
