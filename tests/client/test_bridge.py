"""``MceBridge`` end to end against the simulator: SOAP, REST and rowsets for one target.

A query activity's whole life goes through the bridge: create its target DE and the
definition (SOAP), Perform it, poll ``AsyncActivityStatus`` and ``isrunning`` while the
simulator's clock is moved between polls (never a sleep), then read the target's rows
back typed. Runs are queued 10 s and process 20 s, as in MCE where nothing is instant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from client.auth import AuthClient, TokenGrant
from client.bridge import MceBridge
from client.endpoints import MceEndpoints
from client.observe import CountingObserver
from client.secret import Secret
from client.soap import DataExtensionField, FieldSpec, NewDataExtension, NewQueryDefinition
from client.tokens import AccessToken, CallTarget
from client.values import FieldSpec as ValueSpec
from client.values import FieldType
from simulator.state import Simulator
from tests.client.conftest import FAST_RETRY, Control
from tests.simulator.conftest import make_sim
from tests.simulator.soap_helpers import bu_mids

QUEUED, PROCESSING = 10, 20
POLL_EVERY = 4.0


class PerBusinessUnitTokens:
    """A provider that mints each BU's token from one user's rotating refresh token,
    as the token wallet does (``account_id`` on the refresh grant)."""

    def __init__(self, *, auth: AuthClient, grant: TokenGrant, mid: int) -> None:
        assert grant.refresh_token is not None
        self._auth = auth
        self._refresh: Secret = grant.refresh_token
        self._tokens = {mid: AccessToken(value=grant.access_token, expires_at=grant.expires_at)}
        self._lock = asyncio.Lock()
        self.minted: list[int] = []

    async def access_token(self, target: CallTarget) -> AccessToken:
        async with self._lock:
            if target.mid not in self._tokens:
                grant = await self._auth.refresh(refresh_token=self._refresh, account_id=target.mid)
                assert grant.refresh_token is not None
                self._refresh = grant.refresh_token
                self._tokens[target.mid] = AccessToken(grant.access_token, grant.expires_at)
                self.minted.append(target.mid)
            return self._tokens[target.mid]

    async def token_rejected(self, target: CallTarget, token: AccessToken) -> None:
        async with self._lock:
            if self._tokens.get(target.mid) == token:
                del self._tokens[target.mid]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = make_sim(query_queue_seconds=QUEUED, query_base_seconds=PROCESSING)
    yield simulator
    simulator.close()


@pytest.fixture
def tokens(auth: AuthClient, grant: TokenGrant, target: CallTarget) -> PerBusinessUnitTokens:
    return PerBusinessUnitTokens(auth=auth, grant=grant, mid=target.mid)


@pytest.fixture
def mce(
    ahttp: httpx.AsyncClient,
    tokens: PerBusinessUnitTokens,
    endpoints: MceEndpoints,
    target: CallTarget,
    observer: CountingObserver,
) -> MceBridge:
    return MceBridge(
        http=ahttp,
        tokens=tokens,
        endpoints=endpoints,
        target=target,
        observer=observer,
        retry=FAST_RETRY,
        timeout=5.0,
    )


LOYAL = NewDataExtension(
    customer_key="loyal_subscribers",
    name="Loyal Subscribers",
    fields=[
        FieldSpec(name="SubscriberKey", field_type="Text", max_length=254, is_primary_key=True),
        FieldSpec(name="LoyaltyPoints", field_type="Number"),
        FieldSpec(name="LifetimeValue", field_type="Decimal", precision=18, scale=2),
        FieldSpec(name="BirthDate", field_type="Date"),
        FieldSpec(name="OptIn", field_type="Boolean"),
    ],
)
LOYAL_SQL = (
    "SELECT SubscriberKey, LoyaltyPoints, LifetimeValue, BirthDate, OptIn "
    "FROM Subscribers WHERE LoyaltyPoints > 500"
)


def typed(fields: list[DataExtensionField]) -> list[ValueSpec]:
    """The metadata a service would have cached, as the row converter takes it."""
    ordered = sorted(fields, key=lambda f: f.ordinal or 0)
    return [ValueSpec(f.name or "", FieldType(f.field_type or "Text")) for f in ordered]


async def test_a_query_activity_end_to_end(
    mce: MceBridge, control: Control, observer: CountingObserver
) -> None:
    created_de = await mce.soap.create_or_find(LOYAL)
    assert created_de.object_id
    folder = await anext(mce.soap.folders(content_type="queryactivity", parent_id=0))
    created_query = await mce.soap.create_or_find(
        NewQueryDefinition(
            customer_key="loyal_q",
            name="Loyal subscribers",
            query_text=LOYAL_SQL,
            target_key=LOYAL.customer_key,
            target_name=LOYAL.name,
            category_id=folder.id,
        )
    )
    query_id = created_query.object_id
    assert query_id is not None

    task_id = await mce.soap.start_query(query_id)
    seen: list[str] = []
    for _ in range(30):
        status = await mce.soap.async_activity_status(task_id)
        assert status is not None and not status.failed
        running = await mce.queries.is_running(query_id)
        seen.append(status.status or "")
        if status.status == "Complete" and not running:
            break
        control("clock/advance", {"seconds": POLL_EVERY})
    else:
        pytest.fail(f"the query never finished: {seen}")
    assert seen[0] == "Queued" and "Processing" in seen

    fields = typed([f async for f in mce.soap.data_extension_fields([LOYAL.customer_key])])
    rows = [row async for row in mce.rows(LOYAL.customer_key, fields)]
    source = typed([f async for f in mce.soap.data_extension_fields(["subscribers"])])
    expected = {
        row["SubscriberKey"]: row
        async for row in mce.rows("subscribers", source)
        if isinstance(row["LoyaltyPoints"], int) and row["LoyaltyPoints"] > 500
    }
    assert rows and {row["SubscriberKey"] for row in rows} == set(expected)
    for row in rows:
        original = expected[row["SubscriberKey"]]
        assert {name: original[name] for name in row} == row
        assert isinstance(row["LoyaltyPoints"], int)
        assert row["LifetimeValue"] is None or isinstance(row["LifetimeValue"], Decimal)
        birth = row["BirthDate"]
        assert birth is None or (isinstance(birth, datetime) and birth.tzinfo is None)
        assert row["OptIn"] is None or isinstance(row["OptIn"], bool)

    counts = observer.calls
    assert counts[("soap.Perform.QueryDefinition", "ok")] == 1
    assert counts[("rest.queries.isrunning", "ok")] == len(seen)


async def test_other_business_unit_gets_its_own_token(
    mce: MceBridge, sim: Simulator, tokens: PerBusinessUnitTokens
) -> None:
    assert mce.for_business_unit(mce.target.mid) is mce
    us = bu_mids(sim)["us"]
    theirs = mce.for_business_unit(us)
    assert theirs.target == replace(mce.target, mid=us) and theirs.endpoints == mce.endpoints

    mine = await mce.queries.find_by_key("refresh_active_subscribers")
    their_query = await theirs.queries.find_by_key("refresh_active_subscribers")
    assert mine is not None and their_query is not None and mine.id != their_query.id
    assert tokens.minted == [us]

    fields = [ValueSpec("SubscriberKey", FieldType.TEXT)]
    page = await theirs.rowsets("subscribers", fields, columns=["SubscriberKey"]).page(1)
    their_de = sim.store.get_de(us, customer_key="subscribers")
    assert their_de is not None
    assert page.count == sim.rows.count(their_de)  # the child BU's own subscribers
    [unit] = [bu async for bu in theirs.soap.business_units() if bu.id == us]
    assert unit.parent_id == mce.target.mid

    with pytest.raises(ValueError):
        mce.for_business_unit(0)
