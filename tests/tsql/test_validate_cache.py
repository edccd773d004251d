"""validate_cached: the same answers as validate, never stale, bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.tsql.corpus import CORPUS, seed_catalog
from tsql.catalog import MemoryCatalog
from tsql.types import Column, FieldType, Purpose, Table, TableKind
from tsql.validate import CACHE_SIZE, clear_cache, validate, validate_cached


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


@pytest.mark.parametrize("purpose", [Purpose.QUERY_ACTIVITY, Purpose.RUN])
async def test_cached_answers_equal_fresh_ones(purpose: Purpose) -> None:
    for _ in range(2):  # the second round is served from the cache
        for case in CORPUS:
            catalog = seed_catalog(case.bu)
            fresh = await validate(case.text, purpose=purpose, catalog=catalog)
            cached = await validate_cached(case.text, purpose=purpose, catalog=catalog)
            assert cached == fresh, case.name


async def test_a_changed_catalogue_is_never_answered_from_the_cache() -> None:
    sql = "SELECT Score FROM [Lead Scores]"
    catalog = MemoryCatalog()
    before = await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog)
    assert [f.code for f in before.findings] == ["UNKNOWN_TABLE"]
    catalog.add(
        Table(
            name="Lead Scores",
            kind=TableKind.DATA_EXTENSION,
            columns=(Column("Score", FieldType.NUMBER),),
        )
    )
    after = await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog)
    assert after.valid and [c.name for c in after.columns] == ["Score"]
    other = await validate_cached(sql, purpose=Purpose.RUN, catalog=MemoryCatalog())
    assert not other.valid


async def test_the_purpose_is_part_of_the_key() -> None:
    sql = "SELECT OrderID FROM Orders ORDER BY OrderDate"
    catalog = seed_catalog()
    assert (await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog)).valid
    assert not (await validate_cached(sql, purpose=Purpose.QUERY_ACTIVITY, catalog=catalog)).valid
    assert (await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog)).valid


async def test_a_hit_reuses_the_first_stage_and_old_texts_are_evicted() -> None:
    sql = "SELECT OrderID FROM Orders;"
    catalog = seed_catalog()
    first = await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog)
    again = await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog)
    assert again.findings[0] is first.findings[0]  # the same object: served from the cache
    for number in range(CACHE_SIZE):
        await validate_cached(f"SELECT {number} AS n", purpose=Purpose.RUN, catalog=catalog)
    evicted = await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog)
    assert evicted.findings[0] is not first.findings[0]
    assert evicted == first


async def test_inference_does_not_change_a_cached_tree() -> None:
    sql = (
        "SELECT o.*, s.EmailAddress FROM Orders o "
        "JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey"
    )
    catalog = seed_catalog()
    answers = [await validate_cached(sql, purpose=Purpose.RUN, catalog=catalog) for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert len(answers[0].columns) == 8
