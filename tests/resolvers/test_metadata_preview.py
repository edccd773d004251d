# ruff: noqa: F811 - the wallet and simulator fixtures are imported, then requested by name
"""A DE's first rows and its row count, read through from the simulator over HTTP as the
viewer (their token lineage in the wallet, real Postgres as the app role, real Redis)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import httpx
import pytest

from client.endpoints import EndpointPolicy
from client.secret import Secret
from models import GrantKind, TenantRepository
from resolvers import metadata as resolve
from services.authn import Authentication
from services.errors import NotFound
from services.identity import Principal
from services.metadata import queries
from services.metadata.preview import MceAccess
from services.wallet import TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.models.metadata_seed import add_de
from tests.services.wallet.conftest import (  # noqa: F401 - fixtures
    ahttp,
    kek_a,
    keys,
    provider,
    sim_tenant,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import _shared_server, http, sim, sim_app, sim_url  # noqa: F401

pytestmark = pytest.mark.usefixtures("db")

USER = "mia.marketer"
ROWSET = "rest.rowset.get"


async def _signed_in(simctl: SimControl, wallet: TokenWallet, tenant: SimTenant) -> Principal:
    """Store the lineage mia's sign-in would, and her principal in her first BU."""
    grant = await simctl.tokens(user=USER)
    info = await simctl.userinfo(grant["access_token"])
    mid = int(info["organization"]["member_id"])
    row = tenant.user(USER)
    await wallet.put_refresh_token(
        tenant.ctx(),
        user_id=row.id,
        mid=mid,
        kind=GrantKind.ENHANCED,
        token=Secret(grant["refresh_token"]),
    )
    return Principal(tenant_id=tenant.tenant_id, mid=mid, user_id=row.id)


async def _cached(sim: Simulator, tenant: SimTenant, mid: int, name: str, key: str | None = None):  # type: ignore[no-untyped-def]
    """The simulator's DE ``name`` in ``mid``, cached as a sync would (fields in order)."""
    de = next(d for d in sim.store.list_des(mid) if d.name == name)
    ctx = tenant.ctx(mid)
    fields = [(f.name, f.field_type.value) for f in de.fields]
    de_id: UUID = await add_de(ctx, name=de.name, key=key or de.customer_key, fields=fields)
    found = (await queries.data_extensions_by_ids(ctx, [de_id]))[de_id]
    return de, found, (await queries.fields_by_data_extension(ctx, [de_id]))[de_id]


@pytest.fixture
def access(ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim_url: str) -> MceAccess:
    return MceAccess(http=ahttp, tokens=provider, policy=EndpointPolicy(dev_origin=sim_url))


async def test_a_preview_reads_typed_rows_and_stores_nothing(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    principal = await _signed_in(simctl, wallet, sim_tenant)
    auth = Authentication(principal=principal)
    de, cached, fields = await _cached(sim, sim_tenant, principal.mid, "All Types")
    calls = await simctl.count(ROWSET)
    preview = await resolve.row_preview(
        auth, data_extension=cached, fields=fields, first=5, access=access
    )
    assert await simctl.count(ROWSET) == calls + 1
    assert [f.name for f in preview.fields] == [f.name for f in de.fields]
    assert len(preview.rows) == 5
    assert preview.total_rows == sim.store.rows.count(de) == 25
    by_name = {field.name: index for index, field in enumerate(preview.fields)}
    expected = {"Number": int, "Boolean": bool, "Date": datetime, "Decimal": Decimal}
    for field in preview.fields:
        python_type = expected.get(field.field_type)
        values = [row[by_name[field.name]] for row in preview.rows]
        if python_type is not None:
            assert all(v is None or isinstance(v, python_type) for v in values), field
            assert any(v is not None for v in values), field
    # Read through, never stored: the cached DE row is as it was (no count, nothing else).
    again = (await queries.data_extensions_by_ids(sim_tenant.ctx(principal.mid), [cached.id]))[
        cached.id
    ]
    assert again == cached


async def test_row_count_is_counted_once_cached_with_its_time_and_refreshed_on_demand(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    principal = await _signed_in(simctl, wallet, sim_tenant)
    auth = Authentication(principal=principal)
    de, cached, _ = await _cached(sim, sim_tenant, principal.mid, "Orders")
    calls = await simctl.count(ROWSET)
    counted = await resolve.row_count(auth, data_extension=cached, refresh=False, access=access)
    assert counted.count == sim.store.rows.count(de) > 0
    assert await simctl.count(ROWSET) == calls + 1
    ctx = sim_tenant.ctx(principal.mid)
    stored = (await queries.data_extensions_by_ids(ctx, [cached.id]))[cached.id]
    assert stored.row_count == counted.count and stored.row_count_at == counted.counted_at
    # The cached count answers without MCE; refresh counts again.
    again = await resolve.row_count(auth, data_extension=stored, refresh=False, access=access)
    assert again == counted and await simctl.count(ROWSET) == calls + 1
    fresh = await resolve.row_count(auth, data_extension=stored, refresh=True, access=access)
    assert fresh.count == counted.count and fresh.counted_at > counted.counted_at
    assert await simctl.count(ROWSET) == calls + 2


async def test_a_de_marketing_cloud_no_longer_has_is_not_found(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    principal = await _signed_in(simctl, wallet, sim_tenant)
    auth = Authentication(principal=principal)
    _, cached, fields = await _cached(
        sim, sim_tenant, principal.mid, "Orders", key="deleted-in-mce"
    )
    with pytest.raises(NotFound):
        await resolve.row_preview(
            auth, data_extension=cached, fields=fields, first=5, access=access
        )
    with pytest.raises(NotFound):
        await resolve.row_count(auth, data_extension=cached, refresh=False, access=access)


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_a_preview_of_more_than_100_rows_is_refused(
    first: int,
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    principal = await _signed_in(simctl, wallet, sim_tenant)
    _, cached, fields = await _cached(sim, sim_tenant, principal.mid, "Orders")
    calls = await simctl.count(ROWSET)
    with pytest.raises(Exception, match="'first' must be between 1 and 100") as raised:
        await resolve.row_preview(
            Authentication(principal=principal),
            data_extension=cached,
            fields=fields,
            first=first,
            access=access,
        )
    assert getattr(raised.value, "code", None) == "INVALID_INPUT"
    assert await simctl.count(ROWSET) == calls


async def test_no_sign_in_means_needs_sign_in(
    sim: Simulator,
    sim_tenant: SimTenant,
    access: MceAccess,
) -> None:
    mid = next(m for m in sim_tenant.mids if m != sim_tenant.parent_mid)
    principal = Principal(tenant_id=sim_tenant.tenant_id, mid=mid, user_id=sim_tenant.user(USER).id)
    _, cached, fields = await _cached(sim, sim_tenant, mid, "Orders")
    with pytest.raises(Exception, match="sign in again") as raised:
        await resolve.row_preview(
            Authentication(principal=principal),
            data_extension=cached,
            fields=fields,
            first=5,
            access=access,
        )
    assert getattr(raised.value, "code", None) == "NEEDS_SIGN_IN"
    assert await TenantRepository(sim_tenant.ctx(mid)).fetch(
        "SELECT row_count FROM mce_data_extensions WHERE id = $1", [cached.id]
    ) == [{"row_count": None}]
