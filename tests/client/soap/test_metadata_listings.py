"""The retrieves metadata sync needs: folders of several content types and modified since a
date, query definitions modified since a date, key-only DE and query-definition listings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TypeVar

import pytest

from client.soap import QueryDefinitionChanges, SoapOperations

T = TypeVar("T")


async def collect(items: AsyncIterator[T]) -> list[T]:
    return [item async for item in items]


async def test_folders_of_several_content_types_in_one_retrieve(soap: SoapOperations) -> None:
    everything = await collect(soap.folders())
    both = await collect(soap.folders(content_types=["dataextension", "queryactivity"]))
    assert {f.content_type for f in both} == {"dataextension", "queryactivity"}
    assert {f.id for f in both} == {
        f.id for f in everything if f.content_type in ("dataextension", "queryactivity")
    }
    with pytest.raises(ValueError):
        soap.folders(content_type="dataextension", content_types=["queryactivity"])


async def test_folders_and_query_definitions_modified_since(soap: SoapOperations) -> None:
    folders = await collect(soap.folders())
    newest = max(f.modified_date for f in folders if f.modified_date)
    assert len(await collect(soap.folders(modified_since=datetime(2000, 1, 1)))) == len(folders)
    assert await collect(soap.folders(modified_since=newest + timedelta(days=1))) == []

    queries = await collect(soap.query_definitions())
    assert queries
    later = max(q.modified_date for q in queries if q.modified_date) + timedelta(seconds=1)
    assert await collect(soap.query_definitions(modified_since=later)) == []
    await soap.update_query_definition(
        QueryDefinitionChanges(customer_key=queries[0].customer_key, description="changed")
    )
    changed = await collect(soap.query_definitions(modified_since=datetime(2000, 1, 1)))
    assert len(changed) == len(queries)
    recent = await collect(
        soap.query_definitions(
            modified_since=(changed[0].modified_date or later) - timedelta(seconds=5)
        )
    )
    assert queries[0].customer_key in {q.customer_key for q in recent}


async def test_key_only_listings_name_every_de_and_query_definition(soap: SoapOperations) -> None:
    des = await collect(soap.data_extensions())
    keys = await collect(soap.data_extension_keys())
    assert {(k.customer_key, k.object_id) for k in keys} == {
        (d.customer_key, d.object_id) for d in des
    }
    queries = await collect(soap.query_definitions())
    query_keys = await collect(soap.query_definition_keys())
    assert {(k.customer_key, k.object_id) for k in query_keys} == {
        (q.customer_key, q.object_id) for q in queries
    }
