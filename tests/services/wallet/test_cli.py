"""``python -m app.cli rotate-kek`` / ``rotate-data-keys`` as subprocesses against the test
database (they connect as the system role): they rotate, audit, and refuse a bad KEK
configuration with exit code 2 and a clear message, changing nothing."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from pathlib import Path

import asyncpg

from app.settings import Settings
from client.secret import Secret
from models import GrantKind
from services.wallet import KeyEncryptionKey, TokenWallet
from tests.conftest import REDIS_URL
from tests.factories import TenantFixture, make_tenant
from tests.services.wallet.helpers import audit_actions, keks_text, provider_of, random_kek

ROOT = Path(__file__).resolve().parents[3]


async def _cli(settings: Settings, *args: str, **env: str) -> tuple[int, str, str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "QUARRY_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": REDIS_URL,
        "PUBLIC_URL": "https://quarry.test",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        *args,
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _tenant_under(kek: KeyEncryptionKey) -> tuple[TenantFixture, TokenWallet]:
    wallet = TokenWallet.from_keys(provider_of(kek))
    tenant = await make_tenant()
    for mid in (tenant.parent_mid, *tenant.child_mids):
        # Legacy entries: one per BU, so the rotation has several rows to re-encrypt.
        await wallet.put_refresh_token(
            tenant.context(),
            user_id=tenant.user.id,
            mid=mid,
            kind=GrantKind.LEGACY,
            token=Secret(f"token-{mid}"),
        )
    return tenant, wallet


async def _key_rows(admin: asyncpg.Connection, tenant_id: int) -> list[tuple[str, str]]:
    rows = await admin.fetch(
        "SELECT kek_id, status FROM wallet_data_keys WHERE tenant_id = $1 ORDER BY created_at",
        tenant_id,
    )
    return [(r["kek_id"], r["status"]) for r in rows]


async def _readable(wallet: TokenWallet, tenant: TenantFixture) -> None:
    for mid in (tenant.parent_mid, *tenant.child_mids):
        stored = await wallet.read(tenant.context(), user_id=tenant.user.id, mid=mid)
        assert stored is not None and stored.token == Secret(f"token-{mid}")


def _no_key_material(text: str, *keks: KeyEncryptionKey) -> None:
    for kek in keks:
        assert base64.b64encode(kek.key).decode() not in text


async def test_rotate_kek(db: Settings, admin_conn: asyncpg.Connection) -> None:
    kek_a, kek_b = random_kek("a"), random_kek("b")
    tenant, _ = await _tenant_under(kek_a)

    code, out, err = await _cli(
        db, "rotate-kek", "--tenant", str(tenant.tenant_id), WALLET_KEKS=keks_text(kek_b, kek_a)
    )
    assert code == 0, err
    assert f"tenant {tenant.tenant_id}: re-wrapped 1 data key(s) under KEK 'b'" in out
    _no_key_material(out + err, kek_a, kek_b)
    assert await _key_rows(admin_conn, tenant.tenant_id) == [("b", "active")]
    await _readable(TokenWallet.from_keys(provider_of(kek_b)), tenant)
    events = await audit_actions(admin_conn, tenant.tenant_id, "wallet.kek_rotated")
    assert len(events) == 1 and events[0]["outcome"] == "success"
    actor = await admin_conn.fetchval(
        "SELECT actor_type FROM audit_events WHERE tenant_id = $1 AND action = $2",
        tenant.tenant_id,
        "wallet.kek_rotated",
    )
    assert actor == "system"

    # Again: nothing to do, still exit 0.
    code, out, _ = await _cli(
        db, "rotate-kek", "--tenant", str(tenant.tenant_id), WALLET_KEKS=keks_text(kek_b)
    )
    assert code == 0 and "re-wrapped 0 data key(s)" in out


async def test_bad_kek_configuration_exits_2_and_changes_nothing(
    db: Settings, admin_conn: asyncpg.Connection, tmp_path: Path
) -> None:
    kek_a, kek_b = random_kek("a"), random_kek("b")
    tenant, wallet = await _tenant_under(kek_a)
    tenant_arg = ("--tenant", str(tenant.tenant_id))
    cases = [
        ({"WALLET_KEKS": keks_text(kek_b)}, "'a' is not configured"),
        ({"WALLET_KEKS": keks_text(kek_b, random_kek("a"))}, "wrong key material"),
        ({"WALLET_KEKS": "b=not-a-key"}, "entry 1 is not 'id:base64key'"),
        ({"WALLET_KEKS": "b:" + base64.b64encode(b"short").decode()}, "is 5 bytes"),
        ({"WALLET_KEK_FILE": str(tmp_path / "missing")}, "cannot be read"),
    ]
    for command in ("rotate-kek", "rotate-data-keys"):
        for env, message in cases:
            code, out, err = await _cli(db, command, *tenant_arg, **env)
            assert code == 2, (command, env, out, err)
            assert message in err and "wallet key configuration error" in err
            _no_key_material(out + err, kek_a, kek_b)
    code, _, err = await _cli(db, "rotate-kek", "--tenant", "1", WALLET_KEKS=keks_text(kek_a))
    assert code == 2 and "no tenant with EID 1" in err
    code, _, err = await _cli(db, "rotate-data-keys", "--batch", "0", WALLET_KEKS=keks_text(kek_a))
    assert code == 2 and "must be at least 1" in err

    assert await _key_rows(admin_conn, tenant.tenant_id) == [("a", "active")]
    await _readable(wallet, tenant)
    for action in ("wallet.kek_rotated", "wallet.data_keys_rotated"):
        assert await audit_actions(admin_conn, tenant.tenant_id, action) == []


async def test_rotate_data_keys(db: Settings, admin_conn: asyncpg.Connection) -> None:
    kek_a = random_kek("a")
    tenant, wallet = await _tenant_under(kek_a)
    (old_key,) = await admin_conn.fetch(
        "SELECT id FROM wallet_data_keys WHERE tenant_id = $1", tenant.tenant_id
    )

    code, out, err = await _cli(
        db,
        "rotate-data-keys",
        "--tenant",
        str(tenant.tenant_id),
        "--batch",
        "1",
        WALLET_KEKS=keks_text(kek_a),
    )
    assert code == 0, err
    assert "re-encrypted 3 row(s), retired 1 key(s), 0 row(s) left" in out
    assert await _key_rows(admin_conn, tenant.tenant_id) == [("a", "retired"), ("a", "active")]
    assert not await admin_conn.fetchval(
        "SELECT count(*) FROM wallet_entries WHERE data_key_id = $1", old_key["id"]
    )
    await _readable(wallet, tenant)  # this process cached the old key: the rows moved anyway
    events = await audit_actions(admin_conn, tenant.tenant_id, "wallet.data_keys_rotated")
    assert len(events) == 1 and events[0]["outcome"] == "success"
