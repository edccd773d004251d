"""Online rotation of both key levels, against real Postgres as the app role.

KEK rotation: rows written under KEK A stay readable before, during (half the data keys
re-wrapped) and after re-wrapping under B; afterwards B alone suffices. Data-key rotation:
rows move to a new key, the old key is wiped and opens nothing (not even a saved copy of an
old ciphertext), and a write racing the rotation is never lost.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import pytest

from app.settings import Settings
from client.secret import Secret
from models import GrantKind, TenantRepository, User
from services.wallet import (
    DataKeyRetired,
    DataKeyring,
    DataKeyUnwrapFailed,
    KeyEncryptionKey,
    TokenWallet,
    WalletKeyError,
    rotate_data_keys,
    rotate_kek,
    verify_data_keys,
)
from tests.factories import TenantFixture, make_tenant, next_id
from tests.services.wallet.helpers import audit_actions, provider_of, random_kek


async def _tenant_with_entries(
    wallet: TokenWallet, *, users: int = 2, label: str = "t"
) -> tuple[TenantFixture, list[tuple[UUID, int, str]]]:
    """A tenant whose ``users`` users each have entries in 2 BUs; (user, mid, token) rows."""
    tenant = await make_tenant()
    repo = TenantRepository(tenant.context())
    user_ids = [tenant.user.id] + [
        (await repo.of(User).create(mce_user_id=next_id())).id for _ in range(users - 1)
    ]
    rows = []
    for n, user in enumerate(user_ids):
        for mid in (tenant.parent_mid, tenant.child_mids[0]):
            # Legacy entries: one per (user, BU), so each user has several rows.
            token = f"{label}-{tenant.tenant_id}-{n}-{mid}"
            await wallet.put_refresh_token(
                tenant.context(),
                user_id=user,
                mid=mid,
                kind=GrantKind.LEGACY,
                token=Secret(token),
            )
            rows.append((user, mid, token))
    return tenant, rows


async def _assert_readable(
    wallet: TokenWallet, tenant: TenantFixture, rows: list[tuple[UUID, int, str]]
) -> None:
    for user, mid, token in rows:
        stored = await wallet.read(tenant.context(), user_id=user, mid=mid)
        assert stored is not None and stored.token == Secret(token)


async def _keys(admin: asyncpg.Connection, tenant_id: int) -> list[dict[str, Any]]:
    rows = await admin.fetch(
        "SELECT id, kek_id, status, wrapped_key, retired_at FROM wallet_data_keys"
        " WHERE tenant_id = $1 ORDER BY created_at",
        tenant_id,
    )
    return [dict(r) for r in rows]


# ---------------------------------------------------------------------------- KEK


async def test_kek_rotation_is_online_and_b_alone_suffices_afterwards(
    db: Settings, kek_a: KeyEncryptionKey, admin_conn: asyncpg.Connection
) -> None:
    kek_b = random_kek("b")
    under_a = TokenWallet.from_keys(provider_of(kek_a))
    tenants = [await _tenant_with_entries(under_a) for _ in range(4)]
    both = provider_of(kek_b, kek_a)
    await _assert_readable(TokenWallet.from_keys(both), *tenants[0])

    rewrapped = 0

    async def halfway(stage: str) -> None:
        nonlocal rewrapped
        assert stage == "rewrapped"
        rewrapped += 1
        if rewrapped == 2:
            keks = [k["kek_id"] for t, _ in tenants for k in await _keys(admin_conn, t.tenant_id)]
            assert sorted(keks) == ["a", "a", "b", "b"]
            # A process started now (empty cache) reads every tenant's rows.
            reader = TokenWallet.from_keys(both)
            for tenant, rows in tenants:
                await _assert_readable(reader, tenant, rows)
            # A process still configured with A only (before its redeploy) reads them too,
            # except where its key was already re-wrapped: that is why the rollout adds B
            # everywhere first (docs/auth-wallet.md).
            with pytest.raises(WalletKeyError, match="'b' is not configured"):
                await _assert_readable(TokenWallet.from_keys(provider_of(kek_a)), *tenants[0])

    keyring = DataKeyring(both)
    for tenant, _ in tenants:
        result = await rotate_kek(keyring, tenant_id=tenant.tenant_id, checkpoint=halfway)
        assert result.rewrapped == 1 and result.from_kek_ids == {"a"}
    assert rewrapped == 4

    only_b = TokenWallet.from_keys(provider_of(kek_b))
    for tenant, rows in tenants:
        assert [k["kek_id"] for k in await _keys(admin_conn, tenant.tenant_id)] == ["b"]
        await _assert_readable(only_b, tenant, rows)
        events = await audit_actions(admin_conn, tenant.tenant_id, "wallet.kek_rotated")
        assert len(events) == 1
        assert '"rewrapped": 1' in events[0]["details"] and '"kek_id": "b"' in events[0]["details"]
        assert kek_b.key.hex() not in events[0]["details"]

    # Idempotent: nothing left to do, nothing audited.
    for tenant, _ in tenants:
        assert (await rotate_kek(keyring, tenant_id=tenant.tenant_id)).rewrapped == 0
        assert len(await audit_actions(admin_conn, tenant.tenant_id, "wallet.kek_rotated")) == 1


async def test_a_wrong_kek_list_is_refused_and_changes_nothing(
    db: Settings, kek_a: KeyEncryptionKey, admin_conn: asyncpg.Connection
) -> None:
    tenant, _ = await _tenant_with_entries(TokenWallet.from_keys(provider_of(kek_a)))
    before = await _keys(admin_conn, tenant.tenant_id)

    missing_a = DataKeyring(provider_of(random_kek("b")))
    with pytest.raises(WalletKeyError, match="'a' is not configured"):
        await verify_data_keys(missing_a, tenant_id=tenant.tenant_id)
    with pytest.raises(WalletKeyError):
        await rotate_kek(missing_a, tenant_id=tenant.tenant_id)

    impostor = DataKeyring(provider_of(random_kek("b"), random_kek("a")))  # other bytes as 'a'
    with pytest.raises(DataKeyUnwrapFailed, match="wrong key material"):
        await verify_data_keys(impostor, tenant_id=tenant.tenant_id)
    with pytest.raises(WalletKeyError):
        await rotate_kek(impostor, tenant_id=tenant.tenant_id)

    assert await _keys(admin_conn, tenant.tenant_id) == before
    assert await audit_actions(admin_conn, tenant.tenant_id, "wallet.kek_rotated") == []


# ---------------------------------------------------------------------------- data keys


async def test_data_key_rotation_retires_the_old_key_for_good(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant, rows = await _tenant_with_entries(wallet, users=3)
    (old,) = await _keys(admin_conn, tenant.tenant_id)
    user, mid, _ = rows[0]
    saved = await admin_conn.fetchrow(
        "SELECT ciphertext, data_key_id, version FROM wallet_entries"
        " WHERE tenant_id = $1 AND user_id = $2 AND mid = $3",
        tenant.tenant_id,
        user,
        mid,
    )
    await _assert_readable(wallet, tenant, rows)  # the old key is now in this wallet's cache

    result = await rotate_data_keys(wallet, tenant_id=tenant.tenant_id, batch_size=2)
    assert result.complete and not result.resumed
    assert result.reencrypted == 6 and result.retired_key_ids == [old["id"]]

    keys = await _keys(admin_conn, tenant.tenant_id)
    assert [(k["id"], k["status"]) for k in keys] == [
        (old["id"], "retired"),
        (result.active_key_id, "active"),
    ]
    assert keys[0]["wrapped_key"] is None and keys[0]["retired_at"] is not None
    assert not await admin_conn.fetchval(
        "SELECT count(*) FROM wallet_entries WHERE tenant_id = $1 AND data_key_id = $2",
        tenant.tenant_id,
        old["id"],
    )
    await _assert_readable(wallet, tenant, rows)
    versions = await admin_conn.fetch(
        "SELECT version FROM wallet_entries WHERE tenant_id = $1", tenant.tenant_id
    )
    assert {v["version"] for v in versions} == {1}  # re-encryption is not a new token

    # The saved old ciphertext, put back on its row, opens nothing: not in this process
    # (whose cache held the old key), not in a fresh one.
    await admin_conn.execute(
        "UPDATE wallet_entries SET ciphertext = $1, data_key_id = $2"
        " WHERE tenant_id = $3 AND user_id = $4 AND mid = $5",
        saved["ciphertext"],
        saved["data_key_id"],
        tenant.tenant_id,
        user,
        mid,
    )
    for reader in (wallet, TokenWallet.from_keys(wallet.keyring.keys)):
        with pytest.raises(DataKeyRetired):
            await reader.read(tenant.context(), user_id=user, mid=mid)

    events = await audit_actions(admin_conn, tenant.tenant_id, "wallet.data_keys_rotated")
    assert len(events) == 1 and events[0]["outcome"] == "success"
    assert str(old["id"]) in events[0]["details"]


async def test_a_put_racing_the_rotation_is_not_lost(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant, rows = await _tenant_with_entries(wallet, users=2)
    order = await admin_conn.fetch(
        "SELECT user_id, mid FROM wallet_entries WHERE tenant_id = $1 ORDER BY id",
        tenant.tenant_id,
    )
    in_first_batch = (order[0]["user_id"], order[0]["mid"])
    in_last_batch = (order[-1]["user_id"], order[-1]["mid"])
    latest = {(u, m): t for u, m, t in rows}
    raced = False

    async def sign_in_meanwhile(stage: str) -> None:
        nonlocal raced
        if stage == "batch-read" and not raced:
            raced = True
            for user, mid in (in_first_batch, in_last_batch):
                latest[(user, mid)] = f"newer-{mid}"
                await wallet.put_refresh_token(
                    tenant.context(),
                    user_id=user,
                    mid=mid,
                    kind=GrantKind.LEGACY,
                    token=Secret(latest[(user, mid)]),
                )

    result = await rotate_data_keys(
        wallet, tenant_id=tenant.tenant_id, batch_size=2, checkpoint=sign_in_meanwhile
    )
    assert raced and result.complete
    # The first batch's raced row lost its CAS (it was already under the new key); the other
    # raced row was written under the new key before its batch came.
    assert result.reencrypted == 2
    await _assert_readable(wallet, tenant, [(u, m, t) for (u, m), t in latest.items()])
    assert [k["status"] for k in await _keys(admin_conn, tenant.tenant_id)] == [
        "retired",
        "active",
    ]


async def test_an_interrupted_rotation_resumes(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant, rows = await _tenant_with_entries(wallet, users=2)

    async def crash(stage: str) -> None:
        if stage == "batch-written":
            raise RuntimeError("operator pressed Ctrl-C")

    with pytest.raises(RuntimeError):
        await rotate_data_keys(wallet, tenant_id=tenant.tenant_id, batch_size=1, checkpoint=crash)
    old, new = await _keys(admin_conn, tenant.tenant_id)
    assert (old["status"], new["status"]) == ("retiring", "active")
    # Mid-rotation both keys open rows, and new writes go under the new key.
    await _assert_readable(TokenWallet.from_keys(wallet.keyring.keys), tenant, rows)
    user, mid, _ = rows[0]
    await wallet.put_refresh_token(
        tenant.context(), user_id=user, mid=mid, kind=GrantKind.LEGACY, token=Secret("fresh")
    )
    rows[0] = (user, mid, "fresh")
    stored = await wallet.read(tenant.context(), user_id=user, mid=mid)
    assert stored is not None and stored.data_key_id == new["id"]

    result = await rotate_data_keys(wallet, tenant_id=tenant.tenant_id, batch_size=1)
    assert result.resumed and result.complete and result.active_key_id == new["id"]
    assert result.retired_key_ids == [old["id"]]
    await _assert_readable(wallet, tenant, rows)
    assert len(await _keys(admin_conn, tenant.tenant_id)) == 2


async def test_an_unreadable_row_is_reported_and_keeps_the_old_key(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant, rows = await _tenant_with_entries(wallet, users=1)
    broken_user, broken_mid, _ = rows[0]
    await admin_conn.execute(
        "UPDATE wallet_entries SET ciphertext = $1 WHERE tenant_id = $2 AND user_id = $3"
        " AND mid = $4",
        b"\x01" + b"\x00" * 40,
        tenant.tenant_id,
        broken_user,
        broken_mid,
    )
    result = await rotate_data_keys(wallet, tenant_id=tenant.tenant_id)
    assert not result.complete and result.left == 1 and result.retired_key_ids == []
    assert [k["status"] for k in await _keys(admin_conn, tenant.tenant_id)] == [
        "retiring",
        "active",
    ]
    await _assert_readable(wallet, tenant, rows[1:])
    events = await audit_actions(admin_conn, tenant.tenant_id, "wallet.data_keys_rotated")
    assert [e["outcome"] for e in events] == ["failure"]

    # A new sign-in replaces the broken row; the next run finishes the job.
    await wallet.put_refresh_token(
        tenant.context(),
        user_id=broken_user,
        mid=broken_mid,
        kind=GrantKind.LEGACY,
        token=Secret("again"),
    )
    again = await rotate_data_keys(wallet, tenant_id=tenant.tenant_id)
    assert again.resumed and again.complete and len(again.retired_key_ids) == 1


async def test_a_tenant_without_a_wallet_is_left_alone(
    db: Settings, wallet: TokenWallet, admin_conn: asyncpg.Connection
) -> None:
    tenant = await make_tenant()
    result = await rotate_data_keys(wallet, tenant_id=tenant.tenant_id)
    assert result.active_key_id is None and result.complete
    assert await _keys(admin_conn, tenant.tenant_id) == []
    with pytest.raises(ValueError, match="batch_size"):
        await rotate_data_keys(wallet, tenant_id=tenant.tenant_id, batch_size=0)
