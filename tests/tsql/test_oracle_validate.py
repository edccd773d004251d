"""Agreement with the oracle: tsql's QUERY_ACTIVITY verdict equals the simulator's REST validator
(``POST /automation/v1/queries/actions/validate``, ``queryValid``) on every corpus query.

The simulator runs in-process (httpx over ASGI); tsql gets a catalogue built from the simulator's
seeded DEs of the same BU, converted to tsql Tables, so both judge the same names. Where they
disagree and REFERENCE sides with tsql, the case is listed in ``KNOWN_DISAGREEMENTS`` (with the
reason) and this test asserts that it *still* disagrees, so a fixed simulator removes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from simulator.app import create_app
from simulator.model import DataExtension, Field
from simulator.state import Simulator
from tests.simulator.conftest import make_sim
from tests.simulator.helpers import bu_named
from tests.tsql.corpus import (
    CORPUS,
    KNOWN_DISAGREEMENTS,
    SEED_TABLES,
    SHARED_SEED_TABLES,
    CorpusCase,
    seed_catalog,
)
from tsql.catalog import MemoryCatalog
from tsql.types import Column, FieldType, Purpose, Table, TableKind, TableName
from tsql.validate import validate

_VALIDATE = "automation/v1/queries/actions/validate"


@dataclass(frozen=True)
class _Bu:
    mid: int
    token: str
    catalog: MemoryCatalog


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    sim = make_sim()
    yield sim
    sim.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(simulator: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(simulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test/") as http:
        yield http


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def bus(simulator: Simulator, client: httpx.AsyncClient) -> dict[str, _Bu]:
    """The corpus's two BUs: the enterprise (parent) BU and its "Marketing US" child."""
    mids = {"parent": simulator.store.enterprise.eid, "child": bu_named(simulator, "US").mid}
    package = simulator.enhanced_package
    found = {}
    for label, mid in mids.items():
        response = await client.post(
            "v2/token",
            json={
                "grant_type": "client_credentials",
                "client_id": package.client_id,
                "client_secret": package.client_secret,
                "account_id": mid,
            },
        )
        assert response.status_code == 200, response.text
        found[label] = _Bu(mid, response.json()["access_token"], _catalog_of(simulator, mid))
    return found


def _column(field: Field) -> Column:
    decimal = field.field_type.value == "Decimal"
    return Column(
        name=field.name,
        field_type=FieldType(field.field_type.value),
        max_length=None if decimal else field.max_length,
        precision=field.precision,
        scale=field.scale if decimal else None,
        nullable=not (field.is_required or field.is_primary_key),
        primary_key=field.is_primary_key,
    )


def _table(de: DataExtension, *, shared: bool) -> Table:
    return Table(
        name=de.name,
        kind=TableKind.DATA_EXTENSION,
        columns=tuple(_column(field) for field in de.fields),
        customer_key=de.customer_key,
        shared=shared,
    )


def _catalog_of(sim: Simulator, mid: int) -> MemoryCatalog:
    """What SQL in BU ``mid`` can name: its own DEs; the parent's shared DEs as ``ENT.``; in
    the parent itself every own DE answers ``ENT.`` too (as the simulator resolves it)."""
    own = sim.store.list_des(mid)
    parent = sim.store.parent_mid(mid)
    tables = [_table(de, shared=False) for de in own]
    if parent is None:
        tables += [_table(de, shared=True) for de in own]
    else:
        tables += [_table(de, shared=True) for de in sim.store.list_des(parent) if de.is_shared]
    return MemoryCatalog(tables)


async def _simulator_verdict(client: httpx.AsyncClient, bu: _Bu, text: str) -> bool:
    response = await client.post(
        _VALIDATE, json={"Text": text}, headers={"Authorization": f"Bearer {bu.token}"}
    )
    assert response.status_code == 200, response.text
    valid = response.json()["queryValid"]
    assert isinstance(valid, bool)
    return valid


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
async def test_query_activity_verdict_agrees_with_the_simulator(
    case: CorpusCase, client: httpx.AsyncClient, bus: dict[str, _Bu]
) -> None:
    bu = bus[case.bu]
    analysis = await validate(case.text, purpose=Purpose.QUERY_ACTIVITY, catalog=bu.catalog)
    simulator_says = await _simulator_verdict(client, bu, case.text)
    assert analysis.valid is case.valid, analysis.findings
    if case.name in KNOWN_DISAGREEMENTS:
        # REFERENCE sides with tsql here (reason in KNOWN_DISAGREEMENTS); still different?
        assert simulator_says is not analysis.valid
    else:
        assert simulator_says is analysis.valid


def test_every_known_disagreement_names_a_corpus_query() -> None:
    names = {case.name for case in CORPUS}
    assert set(KNOWN_DISAGREEMENTS) <= names
    assert all(len(reason) > 40 for reason in KNOWN_DISAGREEMENTS.values())


async def test_the_hand_written_seed_catalogue_matches_the_simulators_seed(
    bus: dict[str, _Bu],
) -> None:
    """tsql's unit tests use corpus.seed_catalog (no simulator): it must be the seed."""
    for label, bu in bus.items():
        written = seed_catalog(label)
        names = [*SEED_TABLES, *(SHARED_SEED_TABLES if label == "parent" else ())]
        for name in names:
            from_seed = await bu.catalog.lookup(TableName(name))
            by_hand = await written.lookup(TableName(name))
            assert from_seed is not None and by_hand is not None, name
            assert from_seed.columns == by_hand.columns, name
        for name in SHARED_SEED_TABLES:
            from_seed = await bu.catalog.lookup(TableName(name, shared=True))
            by_hand = await written.lookup(TableName(name, shared=True))
            assert from_seed is not None and by_hand is not None, name
            assert from_seed.columns == by_hand.columns


@pytest.mark.parametrize(
    "case", [c for c in CORPUS if c.marketing], ids=lambda case: f"child: {case.name}"
)
async def test_marketing_queries_agree_in_a_child_bu_too(
    case: CorpusCase, client: httpx.AsyncClient, bus: dict[str, _Bu]
) -> None:
    """The simulator's marketing corpus is valid in every seeded BU (ENT. reaches the parent)."""
    bu = bus["child"]
    analysis = await validate(case.text, purpose=Purpose.QUERY_ACTIVITY, catalog=bu.catalog)
    assert analysis.valid, analysis.findings
    assert await _simulator_verdict(client, bu, case.text) is True
