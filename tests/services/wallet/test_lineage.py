"""One refresh-token lineage per user: tokens for every BU the user belongs to.

Against the simulator over HTTP with refresh grace 0 (a second use of a refresh token
fails), real Postgres as the app role and real Redis. The lineage is minted for another BU
with ``account_id``; membership is checked in our database before MCE is called.
"""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from client.endpoints import EndpointPolicy
from client.errors import AccessDenied, ReauthRequired
from client.secret import Secret
from client.tokens import CallTarget
from models import GrantKind, Membership, TenantRepository, WalletStatus
from services.mce_bridges import bridge_for_user
from services.wallet import TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.services.wallet.helpers import SimControl, SimTenant, audit_actions, sim_user_id

REFRESH = "auth.token.refresh_token"


async def _sign_in(
    simctl: SimControl, wallet: TokenWallet, tenant: SimTenant, *, user: str = "ada.admin"
) -> str:
    """Store the lineage a sign-in would (to the user's default BU); returns its token."""
    grant = await simctl.tokens(user=user)
    row = tenant.user(user)
    info = await simctl.userinfo(grant["access_token"])
    await wallet.put_refresh_token(
        tenant.ctx(),
        user_id=row.id,
        mid=int(info["organization"]["member_id"]),
        kind=GrantKind.ENHANCED,
        token=Secret(grant["refresh_token"]),
    )
    return str(grant["refresh_token"])


def _target(sim: Simulator, tenant: SimTenant, mid: int, user: str = "ada.admin") -> CallTarget:
    return CallTarget(tenant_id=tenant.tenant_id, mid=mid, user_id=sim_user_id(sim, user))


async def test_one_sign_in_serves_every_member_bu_once_each(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    original = await _sign_in(simctl, wallet, sim_tenant)
    others = [m for m in sim_tenant.mids if m != sim_tenant.parent_mid]
    assert len(others) == 3

    tokens = await asyncio.gather(
        *(provider.access_token(_target(sim, sim_tenant, mid)) for mid in others)
    )
    # One refresh per BU (serialized on the lineage), none for a repeated call.
    assert await simctl.count(REFRESH) == 3
    for mid, token in zip(others, tokens, strict=True):
        info = await simctl.userinfo(token.value.reveal())
        assert info["organization"]["member_id"] == mid
        assert await provider.access_token(_target(sim, sim_tenant, mid)) == token
    assert await simctl.count(REFRESH) == 3

    # The lineage survived three rotations and is still one entry.
    entries = await wallet.entries_of_user(sim_tenant.ctx(), sim_tenant.user().id)
    assert [(e.kind, e.status, e.version) for e in entries] == [
        (GrantKind.ENHANCED, WalletStatus.ACTIVE, 4)
    ]
    stored = await wallet.read(sim_tenant.ctx(), user_id=sim_tenant.user().id, mid=others[0])
    assert stored is not None and stored.token != Secret(original)
    assert (await simctl.refresh(original)).json()["error"] == "invalid_grant"
    live = await simctl.refresh(stored.token.reveal())
    assert live.status_code == 200


async def test_a_bu_the_user_is_not_a_member_of_is_refused_without_calling_mce(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    await _sign_in(simctl, wallet, sim_tenant, user="eve.europe")
    eve_bu = sim_tenant.user("eve.europe")
    not_hers = sim_tenant.parent_mid
    with pytest.raises(AccessDenied):
        await provider.access_token(_target(sim, sim_tenant, not_hers, "eve.europe"))
    assert await simctl.count(REFRESH) == 0
    entries = await wallet.entries_of_user(sim_tenant.ctx(), eve_bu.id)
    assert [(e.status, e.version) for e in entries] == [(WalletStatus.ACTIVE, 1)]


async def test_a_bu_mce_refuses_spends_the_lineage_which_is_marked_and_healed_by_sign_in(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
    admin_conn: asyncpg.Connection,
) -> None:
    """Our database says Mia is a member of the QA BU; MCE says she is not. The simulator
    spends the refresh token before it checks ``account_id`` [sim]: the lineage is lost,
    found out by one more refresh for her last BU, marked and audited."""
    await _sign_in(simctl, wallet, sim_tenant, user="mia.marketer")
    mia = sim_tenant.user("mia.marketer")
    sim_mia = next(u for u in sim.store.users.values() if u.username == "mia.marketer")
    qa = next(
        m for m in sim_tenant.mids if m not in sim_mia.reachable_mids and m != sim_tenant.parent_mid
    )
    await TenantRepository(sim_tenant.ctx()).of(Membership).create(user_id=mia.id, mid=qa)

    with pytest.raises(AccessDenied):
        await provider.access_token(_target(sim, sim_tenant, qa, "mia.marketer"))
    entries = await wallet.entries_of_user(sim_tenant.ctx(), mia.id)
    assert [e.status for e in entries] == [WalletStatus.NEEDS_REAUTH]
    events = await audit_actions(admin_conn, sim_tenant.tenant_id, "wallet.needs_reauth")
    assert [e["target"] for e in events] == [f"user:{mia.id}"]
    assert '"spent_by_refused_business_unit"' in events[0]["details"]
    # Every BU now asks for a new sign-in, without calling MCE again.
    calls = await simctl.count(REFRESH)
    with pytest.raises(ReauthRequired):
        await provider.access_token(_target(sim, sim_tenant, entries[0].mid, "mia.marketer"))
    assert await simctl.count(REFRESH) == calls

    # The next sign-in heals the lineage.
    await _sign_in(simctl, wallet, sim_tenant, user="mia.marketer")
    token = await provider.access_token(_target(sim, sim_tenant, entries[0].mid, "mia.marketer"))
    assert token.value.reveal()


async def test_a_refused_bu_that_did_not_spend_the_lineage_keeps_it(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    """Were MCE to check the BU before spending (REFERENCE does not say), the check refresh
    succeeds and the lineage lives on: simulated with a refresh grace period."""
    await simctl.control("refresh-grace", {"seconds": 30})
    await _sign_in(simctl, wallet, sim_tenant, user="mia.marketer")
    mia = sim_tenant.user("mia.marketer")
    await (
        TenantRepository(sim_tenant.ctx())
        .of(Membership)
        .create(user_id=mia.id, mid=sim_tenant.parent_mid)
    )
    with pytest.raises(AccessDenied):
        await provider.access_token(_target(sim, sim_tenant, sim_tenant.parent_mid, "mia.marketer"))
    entries = await wallet.entries_of_user(sim_tenant.ctx(), mia.id)
    assert [(e.status, e.version) for e in entries] == [(WalletStatus.ACTIVE, 2)]
    token = await provider.access_token(_target(sim, sim_tenant, entries[0].mid, "mia.marketer"))
    info = await simctl.userinfo(token.value.reveal())
    assert info["organization"]["member_id"] == entries[0].mid


async def test_a_revoked_lineage_is_marked_audited_and_healed_by_the_next_sign_in(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
    admin_conn: asyncpg.Connection,
) -> None:
    lineage = await _sign_in(simctl, wallet, sim_tenant)
    child = sim_tenant.mids[1]
    assert await simctl.revoke(lineage) == 1
    with pytest.raises(ReauthRequired):
        await provider.access_token(_target(sim, sim_tenant, child))
    entries = await wallet.entries_of_user(sim_tenant.ctx(), sim_tenant.user().id)
    assert [e.status for e in entries] == [WalletStatus.NEEDS_REAUTH]
    events = await audit_actions(admin_conn, sim_tenant.tenant_id, "wallet.needs_reauth")
    assert len(events) == 1 and '"invalid_grant"' in events[0]["details"]
    # No BU is served any more, and MCE is not asked again.
    calls = await simctl.count(REFRESH)
    for mid in sim_tenant.mids:
        with pytest.raises(ReauthRequired):
            await provider.access_token(_target(sim, sim_tenant, mid))
    assert await simctl.count(REFRESH) == calls

    await _sign_in(simctl, wallet, sim_tenant)
    token = await provider.access_token(_target(sim, sim_tenant, child))
    assert (await simctl.userinfo(token.value.reveal()))["organization"]["member_id"] == child
    entries = await wallet.entries_of_user(sim_tenant.ctx(), sim_tenant.user().id)
    assert [e.status for e in entries] == [WalletStatus.ACTIVE]


async def test_a_bridge_for_the_user_works_in_every_member_bu_and_no_other(
    sim: Simulator,
    sim_url: str,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
    ahttp: httpx.AsyncClient,
) -> None:
    await _sign_in(simctl, wallet, sim_tenant, user="mia.marketer")
    mia = sim_tenant.user("mia.marketer")
    sim_mia = next(u for u in sim.store.users.values() if u.username == "mia.marketer")
    home, other = sim_mia.reachable_mids
    bridge = await bridge_for_user(
        sim_tenant.ctx(home),
        user_id=mia.id,
        mid=home,
        http=ahttp,
        tokens=provider,
        policy=EndpointPolicy(dev_origin=sim_url),
    )
    for mid in (home, other):
        listed = await bridge.for_business_unit(mid).queries.list(page_size=25)
        expected = {q.customer_key for q in sim.store.query_definitions.values() if q.mid == mid}
        assert listed.count == len(expected) > 0
        assert {q.key for q in listed.items} <= expected
    with pytest.raises(AccessDenied):
        await bridge.for_business_unit(sim_tenant.parent_mid).queries.list()
