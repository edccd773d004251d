"""Opening a run's results as its user: real Postgres (the app role, RLS), the wallet's token
for the user, the simulator over HTTP holding the run's shell DE (with another run's rows)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from client.endpoints import EndpointPolicy
from client.secret import Secret
from models import GrantKind, TenantContext, TenantRepository
from models.runs import AssetKind, AssetState, MceAsset, Run, RunStatus
from services.errors import NotFound
from services.metadata.preview import MceAccess
from services.runs.reading import (
    ResultsExpired,
    ResultsNotReady,
    export_filename,
    open_results,
    result_columns,
    stream_pages,
)
from services.runs.results import ResultPage
from services.wallet import TokenWallet, WalletTokenProvider
from simulator.sql import QueryCatalog, run_query
from simulator.state import Simulator
from tests.services.wallet.conftest import (
    ahttp,
    kek_a,
    keys,
    provider,
    sim_tenant,
    simctl,
    wallet,
)
from tests.services.wallet.helpers import SimControl, SimTenant
from tests.simulator.conftest import _shared_server, http, sim, sim_app, sim_url
from tests.tsql.test_oracle_targets import catalog_for, create_target
from tsql import prepare_run

__all__ = [
    "_shared_server",
    "ahttp",
    "http",
    "kek_a",
    "keys",
    "provider",
    "sim",
    "sim_app",
    "sim_tenant",
    "sim_url",
    "simctl",
    "wallet",
]

pytestmark = pytest.mark.usefixtures("db")

USER = "mia.marketer"
OTHER = "ada.admin"
SQL = "SELECT TOP 120 SubscriberKey, LifetimeValue FROM Subscribers ORDER BY LifetimeValue DESC"


@dataclass(frozen=True)
class Viewer:
    ctx: TenantContext
    user_id: UUID


async def signed_in(
    simctl: SimControl, wallet: TokenWallet, tenant: SimTenant, username: str, mid: int
) -> Viewer:
    grant = await simctl.tokens(user=username)
    row = tenant.user(username)
    await wallet.put_refresh_token(
        tenant.ctx(),
        user_id=row.id,
        mid=mid,
        kind=GrantKind.ENHANCED,
        token=Secret(grant["refresh_token"]),
    )
    ctx = TenantContext(tenant_id=tenant.tenant_id, mid=mid, user_id=row.id)
    return Viewer(ctx=ctx, user_id=row.id)


def user_mid(simctl: SimControl, username: str) -> int:
    return next(u.default_mid for u in simctl.sim.store.users.values() if u.username == username)


@pytest.fixture
def access(ahttp: httpx.AsyncClient, provider: WalletTokenProvider, sim_url: str) -> MceAccess:
    return MceAccess(http=ahttp, tokens=provider, policy=EndpointPolicy(dev_origin=sim_url))


async def completed_run(
    sim: Simulator,
    viewer: Viewer,
    *,
    sql: str = SQL,
    key: str = "quarry_shell_1",
    finished_at: datetime | None = None,
    leased: bool = True,
    status: RunStatus = RunStatus.COMPLETE,
    snippet_id: UUID | None = None,
) -> UUID:
    """A run of ``sql`` as the engine leaves it on completion: its rows in a shell DE that
    also holds an earlier run's rows, the shell leased to it, the run COMPLETE."""
    mid = viewer.ctx.mid
    assert mid is not None
    run_id = uuid4()
    marker = run_id.hex
    catalog = catalog_for(sim, mid)
    rewrite = await prepare_run(sql, catalog=catalog, marker=marker)
    earlier = await prepare_run(sql, catalog=catalog, marker=uuid4().hex)
    assert rewrite.sql is not None and earlier.sql is not None
    shell = sim.store.get_de(mid, customer_key=key)
    if shell is None:
        create_target(sim, mid=mid, key=key, columns=rewrite.columns)
        shell = sim.store.get_de(mid, customer_key=key)
    assert shell is not None
    engine = QueryCatalog(
        store=sim.store,
        rows=sim.rows,
        views=sim.dataviews,
        now=sim.clock.server_now,
        utcnow=sim.clock.utcnow,
    )
    run_query(engine, mid=mid, text=earlier.sql, target=shell, update_type="Append")
    run_query(engine, mid=mid, text=rewrite.sql, target=shell, update_type="Append")
    helpers = {rewrite.marker_column, rewrite.order_column}
    user_columns = [c for c in rewrite.columns if c.name not in helpers]
    repo = TenantRepository(viewer.ctx)
    now = datetime.now(UTC)
    finished = finished_at or now
    asset_id = uuid4()
    values: dict[str, Any] = {"mid": mid}
    async with repo.transaction():
        await repo.of(Run).create(
            **values,
            id=run_id,
            user_id=viewer.user_id,
            snippet_id=snippet_id,
            sql_text=sql,
            sql_hash=hashlib.sha256(sql.encode()).hexdigest(),
            run_sql=rewrite.sql,
            status=status,
            columns=[
                {"name": c.name, "type": c.field_type.value, "scale": c.scale, "length": None}
                for c in user_columns
            ],
            marker=marker,
            marker_column=rewrite.marker_column,
            order_column=rewrite.order_column,
            row_count=120,
            finished_at=finished,
            expires_at=finished + timedelta(hours=1),
            shell_de_id=asset_id,
        )
        await repo.of(MceAsset).create(
            **values,
            id=asset_id,
            kind=AssetKind.DE,
            name=key,
            customer_key=key,
            state=AssetState.LEASED if leased else AssetState.AVAILABLE,
            lease_run_id=run_id if leased else None,
            lease_expires_at=now + timedelta(hours=1) if leased else None,
        )
    return run_id


async def every_page(pages: Any) -> list[ResultPage]:
    return [page async for page in pages]


async def test_a_complete_run_streams_its_own_rows_in_order(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, user_mid(simctl, USER))
    run_id = await completed_run(sim, viewer)
    opened = await open_results(viewer.ctx, run_id=run_id, access=access)
    assert [c.name for c in opened.reader.source.columns] == ["SubscriberKey", "LifetimeValue"]
    pages = await every_page(stream_pages(opened.reader, page_size=50))
    rows = [row for page in pages for row in page.rows]
    assert [p.offset for p in pages] == [0, 50, 100]
    assert len(rows) == 120  # TOP kept, the earlier run's 120 rows never shown
    values = [Decimal(str(row[1])) for row in rows]
    assert values == sorted(values, reverse=True)
    assert all(isinstance(row[1], str) for row in rows)  # decimals as strings
    middle = await opened.reader.page(offset=30, limit=40)
    assert middle.rows == rows[30:70]


async def test_another_users_or_bus_or_tenants_run_is_not_found(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    mid = user_mid(simctl, USER)
    owner = await signed_in(simctl, wallet, sim_tenant, USER, mid)
    run_id = await completed_run(sim, owner)
    other = await signed_in(simctl, wallet, sim_tenant, OTHER, mid)
    with pytest.raises(NotFound):
        await open_results(other.ctx, run_id=run_id, access=access)
    other_bu = next(m for m in sim_tenant.mids if m != mid)
    elsewhere = TenantContext(tenant_id=sim_tenant.tenant_id, mid=other_bu, user_id=owner.user_id)
    with pytest.raises(NotFound):
        await open_results(elsewhere, run_id=run_id, access=access)
    other_tenant = TenantContext(tenant_id=sim_tenant.tenant_id + 1, mid=mid, user_id=owner.user_id)
    with pytest.raises(NotFound):
        await open_results(other_tenant, run_id=run_id, access=access)
    with pytest.raises(NotFound):
        await open_results(owner.ctx, run_id=uuid4(), access=access)


async def test_results_expire_after_the_window_or_when_the_lease_ended(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, user_mid(simctl, USER))
    run_id = await completed_run(sim, viewer)
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(ResultsExpired) as expired:
        await open_results(viewer.ctx, run_id=run_id, access=access, now=later)
    assert expired.value.code == "EXPIRED"
    assert "Run the SQL again" in str(expired.value)
    released = await completed_run(sim, viewer, key="quarry_shell_2", leased=False)
    with pytest.raises(ResultsExpired):
        await open_results(viewer.ctx, run_id=released, access=access)
    gone = await completed_run(sim, viewer, key="quarry_shell_3", status=RunStatus.EXPIRED)
    with pytest.raises(ResultsExpired):
        await open_results(viewer.ctx, run_id=gone, access=access)


async def test_only_the_newest_results_of_a_user_stay_readable(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, user_mid(simctl, USER))
    now = datetime.now(UTC)
    oldest = await completed_run(sim, viewer, key="s1", finished_at=now - timedelta(minutes=3))
    middle = await completed_run(sim, viewer, key="s2", finished_at=now - timedelta(minutes=2))
    newest = await completed_run(sim, viewer, key="s3", finished_at=now - timedelta(minutes=1))
    with pytest.raises(ResultsExpired):
        await open_results(viewer.ctx, run_id=oldest, access=access, max_readable=2)
    for readable in (middle, newest):
        opened = await open_results(viewer.ctx, run_id=readable, access=access, max_readable=2)
        first = await opened.reader.page(offset=0, limit=10)
        assert len(first.rows) == 10


async def test_unfinished_failed_and_canceled_runs_have_no_rows_to_read(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    access: MceAccess,
) -> None:
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, user_mid(simctl, USER))
    for index, status in enumerate(
        (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELED)
    ):
        run_id = await completed_run(sim, viewer, key=f"u{index}", status=status)
        with pytest.raises(ResultsNotReady) as refused:
            await open_results(viewer.ctx, run_id=run_id, access=access)
        assert refused.value.code == "RUN_NOT_COMPLETE"


async def test_the_export_file_is_named_after_the_snippet_or_the_run(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
) -> None:
    viewer = await signed_in(simctl, wallet, sim_tenant, USER, user_mid(simctl, USER))
    run_id = await completed_run(sim, viewer)
    run = await TenantRepository(viewer.ctx).of(Run).get_or_none(id=run_id)
    assert run is not None
    assert export_filename(run, snippet_title='Q3 "VIP" list / Ü') == "Q3 _VIP_ list.csv"
    named = export_filename(run)
    assert named.startswith("quarry-run-") and named.endswith(f"-{str(run_id)[:8]}.csv")
    assert export_filename(run, snippet_title="///") == named


def test_stored_columns_become_result_columns_without_helpers() -> None:
    stored = [
        {"name": "Amount", "type": "Decimal", "scale": 2, "length": None},
        {"name": "EventDate", "type": "Date", "system_generated": True},
        {"name": "Joined", "type": "Date"},
        {"name": "QuarryRunMarker", "type": "Text"},
        {"name": "Odd", "type": None, "scale": True},
        {"type": "Text"},
        "junk",
    ]
    columns = result_columns(stored, helpers={"quarryrunmarker"})
    assert [(c.name, c.field_type.value, c.scale, c.system_generated) for c in columns] == [
        ("Amount", "Decimal", 2, False),
        ("EventDate", "Date", None, True),
        ("Joined", "Date", None, False),
        ("Odd", "Text", None, False),
    ]
    assert result_columns(None, helpers=set()) == ()
