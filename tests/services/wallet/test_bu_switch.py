"""Moving a refresh-token lineage to another BU (``mint_for_business_unit``), against the
simulator with refresh grace 0: the source token is spent, so its entry goes."""

from __future__ import annotations

import pytest

from client.errors import AccessDenied, ReauthRequired
from client.secret import Secret
from client.tokens import CallTarget
from models import GrantKind, WalletStatus
from services.wallet import BusinessUnitSwitchUnsupported, TokenWallet, WalletTokenProvider
from simulator.state import Simulator
from tests.services.wallet.helpers import (
    SimControl,
    SimTenant,
    legacy_refresh_token,
    sim_user_id,
)

REFRESH = "auth.token.refresh_token"


async def test_the_lineage_moves_and_the_spent_source_entry_goes(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    ctx, user = sim_tenant.ctx(), sim_tenant.user().id
    parent, child = sim_tenant.parent_mid, sim_tenant.mids[1]
    source = (await simctl.tokens())["refresh_token"]
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=parent, kind=GrantKind.ENHANCED, token=Secret(source)
    )

    await provider.mint_for_business_unit(ctx, user_id=user, from_mid=parent, to_mid=child)

    moved = await wallet.read(ctx, user_id=user, mid=child)
    assert moved is not None and moved.active and moved.kind is GrantKind.ENHANCED
    assert await wallet.read(ctx, user_id=user, mid=parent) is None

    # The new BU's access token was cached by the switch: no further refresh.
    target = CallTarget(tenant_id=sim_tenant.tenant_id, mid=child, user_id=sim_user_id(sim))
    token = await provider.access_token(target)
    assert await simctl.count(REFRESH) == 1
    refused = await simctl.refresh(source)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    info = await simctl.userinfo(token.value.reveal())
    assert info["organization"]["member_id"] == child
    # The stored token is the new BU's live lineage.
    again = await simctl.refresh(moved.token.reveal())
    assert again.status_code == 200
    assert (await simctl.userinfo(again.json()["access_token"]))["organization"][
        "member_id"
    ] == child

    # The source BU has no entry any more: sign in there again.
    with pytest.raises(ReauthRequired):
        await provider.access_token(
            CallTarget(tenant_id=sim_tenant.tenant_id, mid=parent, user_id=sim_user_id(sim))
        )


async def test_nothing_happens_when_the_target_bu_already_has_an_entry(
    simctl: SimControl, sim_tenant: SimTenant, wallet: TokenWallet, provider: WalletTokenProvider
) -> None:
    ctx, user = sim_tenant.ctx(), sim_tenant.user().id
    parent, child = sim_tenant.parent_mid, sim_tenant.mids[1]
    for mid in (parent, child):
        token = (await simctl.tokens(mid=mid))["refresh_token"]
        await wallet.put_refresh_token(
            ctx, user_id=user, mid=mid, kind=GrantKind.ENHANCED, token=Secret(token)
        )
    await provider.mint_for_business_unit(ctx, user_id=user, from_mid=parent, to_mid=child)
    assert await simctl.count(REFRESH) == 0
    source = await wallet.read(ctx, user_id=user, mid=parent)
    assert source is not None and source.active and source.version == 1


async def test_legacy_tokens_cannot_switch(
    sim: Simulator,
    simctl: SimControl,
    sim_tenant: SimTenant,
    wallet: TokenWallet,
    provider: WalletTokenProvider,
) -> None:
    ctx, user = sim_tenant.ctx(), sim_tenant.user().id
    await wallet.put_refresh_token(
        ctx,
        user_id=user,
        mid=sim_tenant.parent_mid,
        kind=GrantKind.LEGACY,
        token=Secret(legacy_refresh_token(sim)),
    )
    with pytest.raises(BusinessUnitSwitchUnsupported) as info:
        await provider.mint_for_business_unit(
            ctx, user_id=user, from_mid=sim_tenant.parent_mid, to_mid=sim_tenant.mids[1]
        )
    assert info.value.code == "BU_SWITCH_NEEDS_SIGN_IN"
    assert await simctl.count("auth.requestToken") == 0 and await simctl.count(REFRESH) == 0
    kept = await wallet.read(ctx, user_id=user, mid=sim_tenant.parent_mid)
    assert kept is not None and kept.active and kept.version == 1


async def test_no_usable_source_asks_to_sign_in(
    simctl: SimControl, sim_tenant: SimTenant, wallet: TokenWallet, provider: WalletTokenProvider
) -> None:
    ctx, user = sim_tenant.ctx(), sim_tenant.user().id
    parent, child = sim_tenant.parent_mid, sim_tenant.mids[1]
    with pytest.raises(ReauthRequired):
        await provider.mint_for_business_unit(ctx, user_id=user, from_mid=parent, to_mid=child)
    token = (await simctl.tokens())["refresh_token"]
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=parent, kind=GrantKind.ENHANCED, token=Secret(token)
    )
    await wallet.mark_needs_reauth(ctx, user_id=user, mid=parent)
    with pytest.raises(ReauthRequired):
        await provider.mint_for_business_unit(ctx, user_id=user, from_mid=parent, to_mid=child)
    assert await simctl.count(REFRESH) == 0
    assert await wallet.read(ctx, user_id=user, mid=child) is None


async def test_a_bu_the_user_cannot_reach_is_refused_and_nothing_is_stored(
    simctl: SimControl, sim_tenant: SimTenant, wallet: TokenWallet, provider: WalletTokenProvider
) -> None:
    # mia.marketer reaches the two marketing BUs, not the enterprise BU.
    ctx, user = sim_tenant.ctx(), sim_tenant.user("mia.marketer").id
    home = sim_tenant.mids[1]
    token = (await simctl.tokens(user="mia.marketer", mid=home))["refresh_token"]
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=home, kind=GrantKind.ENHANCED, token=Secret(token)
    )
    with pytest.raises(AccessDenied):
        await provider.mint_for_business_unit(
            ctx, user_id=user, from_mid=home, to_mid=sim_tenant.parent_mid
        )
    assert await wallet.read(ctx, user_id=user, mid=sim_tenant.parent_mid) is None
    source = await wallet.read(ctx, user_id=user, mid=home)
    assert source is not None and source.status is WalletStatus.ACTIVE
