"""The wallet's rows against real Postgres as the app role (RLS on).

Round trips, the version CAS, and the associated-data binding: a ciphertext moved onto
another user's, BU's or tenant's row does not open (and the original still does).
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from app.settings import Settings
from client.secret import Secret
from models import GrantKind, TenantContext, TenantRepository, User, WalletStatus
from services.wallet import TokenWallet, WalletDecryptError
from services.wallet.store import format_scopes
from tests.factories import TenantFixture, make_tenant, next_id


async def _second_user(tenant: TenantFixture) -> User:
    repo = TenantRepository(tenant.context())
    return await repo.of(User).create(mce_user_id=next_id(), email="b@example.com")


async def _row(admin: asyncpg.Connection, tenant_id: int, user_id: UUID, mid: int) -> Any:
    return await admin.fetchrow(
        "SELECT * FROM wallet_entries WHERE tenant_id = $1 AND user_id = $2 AND mid = $3",
        tenant_id,
        user_id,
        mid,
    )


async def test_round_trip_and_upsert_bumps_the_version(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant = await make_tenant()
    ctx, user, mid = tenant.context(), tenant.user.id, tenant.parent_mid
    assert await wallet.read(ctx, user_id=user, mid=mid) is None

    version = await wallet.put_refresh_token(
        ctx,
        user_id=user,
        mid=mid,
        kind=GrantKind.ENHANCED,
        token=Secret("rt-1"),
        scopes="offline data_extensions_read",
    )
    stored = await wallet.read(ctx, user_id=user, mid=mid)
    assert stored is not None and version == 1 == stored.version
    assert stored.token == Secret("rt-1") and stored.status is WalletStatus.ACTIVE
    assert stored.scopes == "data_extensions_read offline"
    assert "rt-1" not in repr(stored)
    row = await _row(admin_conn, tenant.tenant_id, user, mid)
    assert b"rt-1" not in bytes(row["ciphertext"])
    assert row["data_key_id"] == stored.data_key_id

    assert await wallet.mark_needs_reauth(ctx, entry_id=stored.id)
    # A fresh enhanced sign-in (to another BU) replaces the one lineage and wins.
    child = tenant.child_mids[0]
    version = await wallet.put_refresh_token(
        ctx, user_id=user, mid=child, kind=GrantKind.ENHANCED, token=Secret("rt-2")
    )
    again = await wallet.read(ctx, user_id=user, mid=mid)
    assert again is not None and version == 2 == again.version and again.id == stored.id
    assert again.token == Secret("rt-2") and again.mid == child
    assert again.status is WalletStatus.ACTIVE
    # A legacy token is an entry of its own BU, beside the lineage.
    assert (
        await wallet.put_refresh_token(
            ctx, user_id=user, mid=mid, kind=GrantKind.LEGACY, token=Secret("rt-3")
        )
        == 1
    )
    assert [(e.kind, e.mid) for e in await wallet.entries_of_user(ctx, user)] == sorted(
        [(GrantKind.ENHANCED, child), (GrantKind.LEGACY, mid)], key=lambda e: e[1]
    )


async def test_compare_and_swap(db: Settings, wallet: TokenWallet) -> None:
    tenant = await make_tenant()
    ctx, user, mid = tenant.context(), tenant.user.id, tenant.parent_mid
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=mid, kind=GrantKind.ENHANCED, token=Secret("v1")
    )

    first = await wallet.read(ctx, user_id=user, mid=mid)
    assert first is not None
    child = tenant.child_mids[0]

    # Minted for the child BU: the lineage moves there, re-sealed for it.
    assert (
        await wallet.replace_refresh_token(
            ctx, entry=first, token=Secret("v2"), mid=child, scopes={"a", "b"}
        )
        == 2
    )
    # A writer that read version 1 loses and changes nothing.
    assert await wallet.replace_refresh_token(ctx, entry=first, token=Secret("stale")) is None
    stored = await wallet.read(ctx, user_id=user, mid=mid)
    assert stored is not None and stored.token == Secret("v2") and stored.version == 2
    assert stored.scopes == "a b" and stored.mid == child

    # needs_reauth does not bump the version: a refresher that did get a token may store it.
    assert await wallet.mark_needs_reauth(ctx, entry_id=stored.id, expected_version=2)
    assert not await wallet.mark_needs_reauth(ctx, entry_id=stored.id)  # already marked
    assert await wallet.replace_refresh_token(ctx, entry=stored, token=Secret("v3")) == 3
    stored = await wallet.read(ctx, user_id=user, mid=mid)
    assert stored is not None and stored.active and stored.token == Secret("v3")
    assert stored.scopes == "a b"  # kept when the refresh reports none
    assert stored.mid == child  # no mid given: the lineage stays where it was minted


async def test_a_legacy_entry_keeps_its_own_bu_when_replaced(
    db: Settings, wallet: TokenWallet
) -> None:
    tenant = await make_tenant()
    ctx, user, mid = tenant.context(), tenant.user.id, tenant.child_mids[0]
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=mid, kind=GrantKind.LEGACY, token=Secret("l1")
    )
    entry = await wallet.read(ctx, user_id=user, mid=mid)
    assert entry is not None
    assert (
        await wallet.replace_refresh_token(
            ctx, entry=entry, token=Secret("l2"), mid=tenant.parent_mid
        )
        == 2
    )
    stored = await wallet.read(ctx, user_id=user, mid=mid)
    assert stored is not None and stored.mid == mid and stored.token == Secret("l2")
    # It serves only its own BU.
    assert await wallet.read(ctx, user_id=user, mid=tenant.parent_mid) is None


@pytest.mark.parametrize("target", ["other_user", "other_bu", "other_tenant"])
async def test_a_moved_ciphertext_does_not_open(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection, target: str
) -> None:
    # Legacy entries: one per BU, so "another BU's row" of the same user exists.
    tenant = await make_tenant()
    ctx, user, mid = tenant.context(), tenant.user.id, tenant.parent_mid
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=mid, kind=GrantKind.LEGACY, token=Secret("victim")
    )
    if target == "other_user":
        other_ctx, other_user, other_mid = ctx, (await _second_user(tenant)).id, mid
    elif target == "other_bu":
        other_ctx, other_user, other_mid = ctx, user, tenant.child_mids[0]
    else:
        other = await make_tenant("Other")
        other_ctx, other_user, other_mid = other.context(), other.user.id, other.parent_mid
    await wallet.put_refresh_token(
        other_ctx,
        user_id=other_user,
        mid=other_mid,
        kind=GrantKind.LEGACY,
        token=Secret("attacker"),
    )
    source = await _row(admin_conn, tenant.tenant_id, user, mid)
    if target == "other_tenant":
        # The whole envelope moves: the victim's wrapped data key goes with the ciphertext.
        victim_key = await admin_conn.fetchrow(
            "SELECT wrapped_key FROM wallet_data_keys WHERE id = $1", source["data_key_id"]
        )
        await admin_conn.execute(
            "UPDATE wallet_data_keys SET wrapped_key = $1 WHERE tenant_id = $2",
            victim_key["wrapped_key"],
            other_ctx.tenant_id,
        )
        await admin_conn.execute(
            "UPDATE wallet_entries SET ciphertext = $1 WHERE tenant_id = $2",
            source["ciphertext"],
            other_ctx.tenant_id,
        )
    else:
        await admin_conn.execute(
            "UPDATE wallet_entries SET ciphertext = $1, data_key_id = $2"
            " WHERE tenant_id = $3 AND user_id = $4 AND mid = $5",
            source["ciphertext"],
            source["data_key_id"],
            tenant.tenant_id,
            other_user,
            other_mid,
        )

    with pytest.raises(WalletDecryptError) as info:
        await wallet.read(other_ctx, user_id=other_user, mid=other_mid)
    assert "victim" not in str(info.value)
    original = await wallet.read(ctx, user_id=user, mid=mid)
    assert original is not None and original.token == Secret("victim")


async def test_a_lineage_moved_to_another_bu_by_hand_does_not_open(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    """The lineage's ciphertext is sealed for the BU it was last minted for: changing its
    ``mid`` behind the wallet's back (not through the compare-and-swap) breaks it."""
    tenant = await make_tenant()
    ctx, user = tenant.context(), tenant.user.id
    await wallet.put_refresh_token(
        ctx, user_id=user, mid=tenant.parent_mid, kind=GrantKind.ENHANCED, token=Secret("t")
    )
    await admin_conn.execute(
        "UPDATE wallet_entries SET mid = $1 WHERE tenant_id = $2 AND user_id = $3",
        tenant.child_mids[0],
        tenant.tenant_id,
        user,
    )
    with pytest.raises(WalletDecryptError):
        await wallet.read(ctx, user_id=user, mid=tenant.parent_mid)


async def test_one_lineage_per_user_is_enforced_by_the_database(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant = await make_tenant()
    ctx, user = tenant.context(), tenant.user.id
    for mid in (tenant.parent_mid, *tenant.child_mids):
        await wallet.put_refresh_token(
            ctx, user_id=user, mid=mid, kind=GrantKind.ENHANCED, token=Secret(f"t-{mid}")
        )
    rows = await admin_conn.fetch(
        "SELECT mid, version FROM wallet_entries WHERE tenant_id = $1 AND user_id = $2",
        tenant.tenant_id,
        user,
    )
    assert [(r["mid"], r["version"]) for r in rows] == [(tenant.child_mids[-1], 3)]
    with pytest.raises(asyncpg.UniqueViolationError):
        await admin_conn.execute(
            "INSERT INTO wallet_entries (id, tenant_id, user_id, mid, kind, data_key_id,"
            " ciphertext, version, status, scopes, created_at, updated_at)"
            " SELECT gen_random_uuid(), tenant_id, user_id, $1, 'enhanced', data_key_id,"
            " ciphertext, 1, 'active', '', now(), now() FROM wallet_entries"
            " WHERE tenant_id = $2 AND user_id = $3",
            tenant.parent_mid,
            tenant.tenant_id,
            user,
        )


async def test_the_first_data_key_is_created_once_under_a_race(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant = await make_tenant()
    users = [tenant.user.id] + [(await _second_user(tenant)).id for _ in range(5)]
    # Separate wallets: no shared process state between the "processes".
    wallets = [TokenWallet.from_keys(wallet.keyring.keys) for _ in users]
    await asyncio.gather(
        *(
            w.put_refresh_token(
                tenant.context(),
                user_id=u,
                mid=tenant.parent_mid,
                kind=GrantKind.ENHANCED,
                token=Secret(f"t-{n}"),
            )
            for n, (w, u) in enumerate(zip(wallets, users, strict=True))
        )
    )
    keys = await admin_conn.fetch(
        "SELECT id, status FROM wallet_data_keys WHERE tenant_id = $1", tenant.tenant_id
    )
    assert [k["status"] for k in keys] == ["active"]
    for n, user in enumerate(users):
        stored = await wallet.read(tenant.context(), user_id=user, mid=tenant.parent_mid)
        assert stored is not None and stored.token == Secret(f"t-{n}")
        assert stored.data_key_id == keys[0]["id"]


async def test_rows_of_another_tenant_are_invisible(db: Settings, wallet: TokenWallet) -> None:
    tenant, other = await make_tenant(), await make_tenant("Other")
    await wallet.put_refresh_token(
        tenant.context(),
        user_id=tenant.user.id,
        mid=tenant.parent_mid,
        kind=GrantKind.ENHANCED,
        token=Secret("mine"),
    )
    # The other tenant's context naming our user and BU sees nothing (RLS), and cannot
    # delete or mark it either.
    mine = await wallet.read(tenant.context(), user_id=tenant.user.id, mid=tenant.parent_mid)
    assert mine is not None
    probe = TenantContext(tenant_id=other.tenant_id)
    assert await wallet.read(probe, user_id=tenant.user.id, mid=tenant.parent_mid) is None
    assert await wallet.read_entry(probe, mine.id) is None
    assert not await wallet.mark_needs_reauth(probe, entry_id=mine.id)
    assert not await wallet.delete_entry(probe, entry_id=mine.id)
    assert await wallet.delete_for_user(probe, tenant.user.id) == 0
    stored = await wallet.read(tenant.context(), user_id=tenant.user.id, mid=tenant.parent_mid)
    assert stored is not None and stored.active


async def test_delete_for_user_and_for_tenant(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant = await make_tenant()
    ctx, other = tenant.context(), (await _second_user(tenant)).id
    for user in (tenant.user.id, other):
        await wallet.put_refresh_token(
            ctx, user_id=user, mid=tenant.parent_mid, kind=GrantKind.ENHANCED, token=Secret("t")
        )
        await wallet.put_refresh_token(
            ctx, user_id=user, mid=tenant.child_mids[0], kind=GrantKind.LEGACY, token=Secret("t")
        )
    assert [e.mid for e in await wallet.entries_of_user(ctx, tenant.user.id)] == sorted(
        (tenant.parent_mid, tenant.child_mids[0])
    )
    assert await wallet.delete_for_user(ctx, tenant.user.id) == 2
    assert await wallet.entries_of_user(ctx, tenant.user.id) == []
    assert len(await wallet.entries_of_user(ctx, other)) == 2

    assert await wallet.delete_for_tenant(ctx) == 2
    left = await admin_conn.fetchval(
        "SELECT (SELECT count(*) FROM wallet_entries WHERE tenant_id = $1)"
        " + (SELECT count(*) FROM wallet_data_keys WHERE tenant_id = $1)",
        tenant.tenant_id,
    )
    assert left == 0


def test_scopes_are_sorted_deduplicated_and_cut_at_a_whole_scope() -> None:
    assert format_scopes("b a b") == "a b"
    long = [f"scope_{n:04d}" for n in range(500)]
    stored = format_scopes(long)
    assert len(stored) <= 2000 and stored.split() == sorted(long)[: len(stored.split())]
