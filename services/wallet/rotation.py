"""Online key rotation: re-wrap data keys under a new KEK; re-encrypt rows under a new data key.

Both run while the app serves traffic, one tenant at a time, in short transactions, and
both are idempotent and resumable (run again after a crash and they finish the job):

- :func:`rotate_kek` re-wraps each data key not yet under the active KEK, one key per
  transaction (``FOR UPDATE`` on that key row only). Readers keep working throughout because
  every process is configured with both the new KEK (first, active) and the old one.
- :func:`rotate_data_keys` makes a new data key active and marks the old one RETIRING in one
  transaction that waits for in-flight writes (writers hold the active key ``FOR SHARE``),
  so no write lands under the old key afterwards. It then re-encrypts the old key's rows in
  batches with a compare-and-swap on (version, data key): a row that a refresher or a
  sign-in changed meanwhile is already under the new key, or is picked up by the next batch;
  it is never overwritten with stale content. The batch is read in one short transaction
  and written in another, so refreshers never wait for a batch. Finally, with the key row
  locked, it checks that no row refers to the old key and wipes it (RETIRED,
  ``wrapped_key`` NULL): from then on it opens nothing, ciphertext copies included.

Statements name the tenant explicitly: the operator commands run as the system role, which
row-level security does not filter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from models import DataKeyStatus, TenantContext, TenantRepository
from services import audit
from services.audit import SYSTEM_ACTOR, Actor, Outcome
from services.wallet.data_keys import DataKeyring, as_uuid, lock_tenant_keys
from services.wallet.errors import WalletDecryptError
from services.wallet.store import SELECT_ENTRY_SQL, TokenWallet

__all__ = [
    "Checkpoint",
    "DataKeyRotation",
    "KekRotation",
    "rotate_data_keys",
    "rotate_kek",
    "verify_data_keys",
]

#: Called at stage boundaries, outside any transaction (progress reports; tests act there).
Checkpoint = Callable[[str], Awaitable[None]]

_UNWRAPPED_KEYS_SQL = (
    "SELECT id, wrapped_key, kek_id, status FROM wallet_data_keys"
    " WHERE tenant_id = $1 AND wrapped_key IS NOT NULL ORDER BY created_at, id"
)
_KEY_FOR_UPDATE_SQL = (
    "SELECT id, wrapped_key, kek_id, status FROM wallet_data_keys"
    " WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
)
_REWRAP_SQL = (
    "UPDATE wallet_data_keys SET wrapped_key = $1, kek_id = $2 WHERE tenant_id = $3 AND id = $4"
)
_LIVE_KEYS_SQL = (
    "SELECT id, status FROM wallet_data_keys"
    " WHERE tenant_id = $1 AND status IN ('active', 'retiring') ORDER BY created_at, id FOR UPDATE"
)
_MARK_RETIRING_SQL = (
    "UPDATE wallet_data_keys SET status = 'retiring' WHERE tenant_id = $1 AND status = 'active'"
)
_BATCH_SQL = (
    SELECT_ENTRY_SQL + " WHERE e.tenant_id = $1 AND e.data_key_id = ANY($2::uuid[])"
    " AND NOT (e.id = ANY($3::uuid[])) ORDER BY e.id LIMIT $4"
)
_REENCRYPT_SQL = (
    "UPDATE wallet_entries SET data_key_id = $1, ciphertext = $2"
    " WHERE tenant_id = $3 AND id = $4 AND version = $5 AND data_key_id = $6 RETURNING id"
)
_REFERENCES_SQL = (
    "SELECT count(*) AS n FROM wallet_entries WHERE tenant_id = $1 AND data_key_id = $2"
)
_RETIRE_SQL = (
    "UPDATE wallet_data_keys SET status = 'retired', wrapped_key = NULL, retired_at = now()"
    " WHERE tenant_id = $1 AND id = $2"
)
_ENTRY_IDS_SQL = "SELECT id FROM wallet_entries WHERE tenant_id = $1 AND data_key_id = $2"

# Rounds in a row that re-encrypt nothing before giving up (rows left for the next run).
_STALLED_ROUNDS = 3


@dataclass
class KekRotation:
    """What :func:`rotate_kek` did for one tenant."""

    tenant_id: int
    kek_id: str
    rewrapped: int = 0
    from_kek_ids: set[str] = field(default_factory=set)


@dataclass
class DataKeyRotation:
    """What :func:`rotate_data_keys` did for one tenant."""

    tenant_id: int
    active_key_id: UUID | None = None
    retired_key_ids: list[UUID] = field(default_factory=list)
    reencrypted: int = 0
    #: Rows still under a retiring key (unreadable ones, or ones that kept changing).
    left: int = 0
    resumed: bool = False

    @property
    def complete(self) -> bool:
        return self.left == 0


async def _noop(stage: str) -> None:
    return None


async def verify_data_keys(keyring: DataKeyring, *, tenant_id: int) -> int:
    """Unwrap every unretired data key of the tenant with the configured KEKs.

    Raises :class:`WalletKeyError` naming the first key whose KEK is missing or wrong, so an
    operator's command can refuse before changing anything. Returns how many keys it checked.
    """
    repo = TenantRepository(TenantContext(tenant_id=tenant_id))
    rows = await repo.fetch(_UNWRAPPED_KEYS_SQL, [tenant_id])
    for row in rows:
        keyring.from_row(tenant_id, row)
    return len(rows)


async def rotate_kek(
    keyring: DataKeyring,
    *,
    tenant_id: int,
    actor: Actor = SYSTEM_ACTOR,
    checkpoint: Checkpoint | None = None,
) -> KekRotation:
    """Re-wrap the tenant's data keys that are not under the active KEK (audited)."""
    checkpoint = checkpoint or _noop
    active = keyring.keys.active()
    ctx = TenantContext(tenant_id=tenant_id)
    repo = TenantRepository(ctx)
    result = KekRotation(tenant_id=tenant_id, kek_id=active.id)
    candidates = await repo.fetch(_UNWRAPPED_KEYS_SQL, [tenant_id])
    for candidate in candidates:
        if candidate["kek_id"] == active.id:
            continue
        async with repo.transaction():
            rows = await repo.fetch(_KEY_FOR_UPDATE_SQL, [tenant_id, candidate["id"]])
            if not rows or rows[0]["wrapped_key"] is None or rows[0]["kek_id"] == active.id:
                continue  # retired or re-wrapped meanwhile
            row = rows[0]
            key = keyring.from_row(tenant_id, row)
            kek_id, wrapped = keyring.wrap(tenant_id=tenant_id, key_id=key.id, key=key.key)
            await repo.fetch(_REWRAP_SQL, [wrapped, kek_id, tenant_id, key.id])
        result.rewrapped += 1
        result.from_kek_ids.add(str(row["kek_id"]))
        await checkpoint("rewrapped")
    if result.rewrapped:
        await audit.record(
            ctx,
            action="wallet.kek_rotated",
            outcome=Outcome.SUCCESS,
            actor=actor,
            target=f"tenant:{tenant_id}",
            details={
                "kek_id": active.id,
                "from_kek_ids": sorted(result.from_kek_ids),
                "rewrapped": result.rewrapped,
            },
        )
    return result


async def rotate_data_keys(
    wallet: TokenWallet,
    *,
    tenant_id: int,
    batch_size: int = 200,
    actor: Actor = SYSTEM_ACTOR,
    checkpoint: Checkpoint | None = None,
) -> DataKeyRotation:
    """Give the tenant a new data key and retire the old one(s) (audited).

    Resumes an unfinished rotation (RETIRING keys present) instead of starting another. A
    tenant without any data key is left alone.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    checkpoint = checkpoint or _noop
    ctx = TenantContext(tenant_id=tenant_id)
    repo = TenantRepository(ctx)
    result = DataKeyRotation(tenant_id=tenant_id)

    retiring = await _switch_active_key(wallet.keyring, repo, result)
    if result.active_key_id is None:
        return result
    await checkpoint("switched")

    failed: set[UUID] = set()
    stalled = 0
    while retiring and stalled < _STALLED_ROUNDS:
        rows = await repo.fetch(_BATCH_SQL, [tenant_id, retiring, list(failed), batch_size])
        if not rows:
            break
        await checkpoint("batch-read")
        written = await _reencrypt(wallet, repo, rows, failed)
        result.reencrypted += written
        stalled = 0 if written else stalled + 1
        await checkpoint("batch-written")

    for key_id in retiring:
        if await _retire_if_unused(repo, key_id):
            result.retired_key_ids.append(key_id)
        else:
            remaining = await repo.fetch(_ENTRY_IDS_SQL, [tenant_id, key_id])
            result.left += len(remaining)
    await checkpoint("retired")
    await audit.record(
        ctx,
        action="wallet.data_keys_rotated",
        outcome=Outcome.SUCCESS if result.complete else Outcome.FAILURE,
        actor=actor,
        target=f"tenant:{tenant_id}",
        details={
            "active_key_id": str(result.active_key_id),
            "retired_key_ids": [str(k) for k in result.retired_key_ids],
            "reencrypted": result.reencrypted,
            "left": result.left,
            "resumed": result.resumed,
        },
    )
    return result


async def _switch_active_key(
    keyring: DataKeyring, repo: TenantRepository, result: DataKeyRotation
) -> list[UUID]:
    """Make a new key active and the old RETIRING (or resume); returns the retiring ids."""
    tenant_id = repo.ctx.tenant_id
    async with repo.transaction():
        await lock_tenant_keys(repo)
        live = await repo.fetch(_LIVE_KEYS_SQL, [tenant_id])
        if not live:
            return []
        retiring = [as_uuid(r["id"]) for r in live if r["status"] == DataKeyStatus.RETIRING.value]
        active = [as_uuid(r["id"]) for r in live if r["status"] == DataKeyStatus.ACTIVE.value]
        if retiring and active:
            result.resumed = True
            result.active_key_id = active[-1]
            return retiring
        await repo.fetch(_MARK_RETIRING_SQL, [tenant_id])
        new_key = await keyring.create_active(repo)
        result.active_key_id = new_key.id
        return [*retiring, *active]


async def _reencrypt(
    wallet: TokenWallet, repo: TenantRepository, rows: list[dict[str, Any]], failed: set[UUID]
) -> int:
    """Re-encrypt one batch under the active key with CAS; returns how many rows changed."""
    tenant_id = repo.ctx.tenant_id
    opened = []
    for row in rows:
        try:
            opened.append((row, wallet.open_row(tenant_id, row)))
        except WalletDecryptError:
            failed.add(as_uuid(row["entry_id"]))  # reported as left; never silently dropped
    written = 0
    async with repo.transaction():
        active = await wallet.keyring.active_for_write(repo)
        for row, entry in opened:
            ciphertext = wallet.seal_token(
                active, tenant_id=tenant_id, user_id=entry.user_id, mid=entry.mid, token=entry.token
            )
            changed = await repo.fetch(
                _REENCRYPT_SQL,
                [
                    active.id,
                    ciphertext,
                    tenant_id,
                    row["entry_id"],
                    entry.version,
                    entry.data_key_id,
                ],
            )
            written += len(changed)
    return written


async def _retire_if_unused(repo: TenantRepository, key_id: UUID) -> bool:
    tenant_id = repo.ctx.tenant_id
    async with repo.transaction():
        rows = await repo.fetch(_KEY_FOR_UPDATE_SQL, [tenant_id, key_id])
        if not rows:
            return False
        if rows[0]["status"] == DataKeyStatus.RETIRED.value:
            return True
        count = await repo.fetch(_REFERENCES_SQL, [tenant_id, key_id])
        if int(count[0]["n"]):
            return False
        await repo.fetch(_RETIRE_SQL, [tenant_id, key_id])
        return True
