"""The wallet's rows: MCE refresh tokens, encrypted, one per (tenant, user, BU).

Why:
- Only refresh tokens are stored, each sealed under the tenant's active data key with
  associated data naming the tenant, BU, user and key (:mod:`services.wallet.crypto`): a
  ciphertext copied onto another row does not open.
- MCE refresh tokens rotate: every refresh spends the old one and returns a new one, which
  must be stored or the user is signed out. ``version`` makes that safe across processes:
  a refresher writes the new token only if the row still holds the version it read
  (compare-and-swap, :meth:`TokenWallet.replace_refresh_token`), so two writers never
  silently overwrite each other. Sign-in's :meth:`TokenWallet.put_refresh_token` upserts and
  bumps the version unconditionally: a fresh sign-in always wins.
- Marking an entry ``needs_reauth`` does not bump the version, so a concurrent refresher that
  did obtain a new token can still store it (and thereby make the entry active again).
- Every statement names the tenant explicitly as well as running under the tenant context,
  because the system role (operator commands) is not filtered by row-level security.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from redis.asyncio import Redis

from client.secret import Secret
from models import GrantKind, TenantContext, TenantRepository, WalletStatus
from services.wallet.access_cache import delete_access_tokens
from services.wallet.crypto import Purpose, associated_data, open_sealed, seal
from services.wallet.data_keys import DataKey, DataKeyring, as_uuid, lock_tenant_keys
from services.wallet.errors import WalletDecryptError
from services.wallet.keys import KeyProvider

__all__ = ["SELECT_ENTRY_SQL", "EntrySummary", "StoredToken", "TokenWallet", "format_scopes"]

_MAX_SCOPES = 2000  # wallet_entries.scopes

SELECT_ENTRY_SQL = (
    "SELECT e.id, e.user_id, e.mid, e.kind, e.status, e.version, e.scopes, e.refreshed_at,"
    " e.ciphertext, e.data_key_id, k.id AS key_id, k.wrapped_key, k.kek_id,"
    " k.status AS key_status"
    " FROM wallet_entries e JOIN wallet_data_keys k"
    " ON k.tenant_id = e.tenant_id AND k.id = e.data_key_id"
)
_READ_SQL = SELECT_ENTRY_SQL + " WHERE e.tenant_id = $1 AND e.user_id = $2 AND e.mid = $3"

_UPSERT_SQL = (
    "INSERT INTO wallet_entries (id, tenant_id, user_id, mid, kind, data_key_id, ciphertext,"
    " version, status, scopes, refreshed_at, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'active', $8, now(), now(), now())"
    " ON CONFLICT (tenant_id, user_id, mid) DO UPDATE SET kind = EXCLUDED.kind,"
    " data_key_id = EXCLUDED.data_key_id, ciphertext = EXCLUDED.ciphertext,"
    " version = wallet_entries.version + 1, status = 'active', scopes = EXCLUDED.scopes,"
    " refreshed_at = now(), updated_at = now()"
    " RETURNING version"
)
_CAS_SQL = (
    "UPDATE wallet_entries SET data_key_id = $1, ciphertext = $2, version = version + 1,"
    " status = 'active', scopes = COALESCE($3, scopes), refreshed_at = now(), updated_at = now()"
    " WHERE tenant_id = $4 AND user_id = $5 AND mid = $6 AND version = $7"
    " RETURNING version"
)
_MARK_SQL = (
    "UPDATE wallet_entries SET status = 'needs_reauth', updated_at = now()"
    " WHERE tenant_id = $1 AND user_id = $2 AND mid = $3 AND status = 'active'"
    " AND ($4::int IS NULL OR version = $4::int) RETURNING id"
)
_DELETE_ONE_SQL = (
    "DELETE FROM wallet_entries WHERE tenant_id = $1 AND user_id = $2 AND mid = $3"
    " AND ($4::int IS NULL OR version = $4::int) RETURNING id"
)
_DELETE_USER_SQL = "DELETE FROM wallet_entries WHERE tenant_id = $1 AND user_id = $2 RETURNING id"
_DELETE_TENANT_SQL = "DELETE FROM wallet_entries WHERE tenant_id = $1 RETURNING id"
_LOCK_KEYS_SQL = "SELECT id FROM wallet_data_keys WHERE tenant_id = $1 FOR UPDATE"
_DELETE_KEYS_SQL = "DELETE FROM wallet_data_keys WHERE tenant_id = $1"
_LIST_USER_SQL = (
    "SELECT mid, kind, status, version FROM wallet_entries"
    " WHERE tenant_id = $1 AND user_id = $2 ORDER BY mid"
)


@dataclass(frozen=True)
class StoredToken:
    """A decrypted wallet entry. ``token`` is a :class:`Secret` (never printed)."""

    user_id: UUID
    mid: int
    kind: GrantKind
    status: WalletStatus
    version: int
    scopes: str
    data_key_id: UUID
    refreshed_at: datetime | None
    token: Secret

    @property
    def active(self) -> bool:
        return self.status is WalletStatus.ACTIVE


@dataclass(frozen=True)
class EntrySummary:
    """What an entry is, without opening it."""

    mid: int
    kind: GrantKind
    status: WalletStatus
    version: int


def format_scopes(scopes: str | Iterable[str]) -> str:
    """Scopes as stored: sorted, space-separated, cut at a whole scope to fit the column."""
    items = scopes.split() if isinstance(scopes, str) else [str(s) for s in scopes]
    out = ""
    for scope in sorted(set(items)):
        candidate = f"{out} {scope}" if out else scope
        if len(candidate) > _MAX_SCOPES:
            break
        out = candidate
    return out


class TokenWallet:
    """Encrypted refresh tokens under the tenant context ``ctx`` (any context of the tenant).

    Callers must not hold a tenant transaction for another context open (the repository
    refuses to mix contexts in one transaction).
    """

    def __init__(self, keyring: DataKeyring) -> None:
        self.keyring = keyring

    @classmethod
    def from_keys(cls, keys: KeyProvider) -> TokenWallet:
        return cls(DataKeyring(keys))

    # ------------------------------------------------------------------ sealing
    def seal_token(
        self, key: DataKey, *, tenant_id: int, user_id: UUID, mid: int, token: Secret
    ) -> bytes:
        """The ciphertext of a refresh token for the row (tenant, user, BU)."""
        ad = self._ad(key.id, tenant_id=tenant_id, user_id=user_id, mid=mid)
        return seal(key.key, token.reveal().encode(), ad=ad)

    def open_token(
        self, key: DataKey, ciphertext: bytes, *, tenant_id: int, user_id: UUID, mid: int
    ) -> Secret:
        """The refresh token in ``ciphertext``; :class:`WalletDecryptError` if it is not
        this row's (another user's, BU's, tenant's) or was tampered with."""
        ad = self._ad(key.id, tenant_id=tenant_id, user_id=user_id, mid=mid)
        try:
            return Secret(open_sealed(key.key, ciphertext, ad=ad).decode())
        except UnicodeDecodeError:
            raise WalletDecryptError("the refresh token is not text") from None

    @staticmethod
    def _ad(key_id: UUID, *, tenant_id: int, user_id: UUID, mid: int) -> bytes:
        return associated_data(
            purpose=Purpose.REFRESH_TOKEN,
            tenant_id=tenant_id,
            mid=mid,
            user_id=user_id,
            key_id=key_id,
        )

    # ------------------------------------------------------------------ writes
    async def put_refresh_token(
        self,
        ctx: TenantContext,
        *,
        user_id: UUID,
        mid: int,
        kind: GrantKind,
        token: Secret,
        scopes: str | Iterable[str] = "",
    ) -> int:
        """Store a refresh token from a sign-in (insert, or replace and bump the version).

        Returns the entry's new version. The entry becomes active whatever it was.
        """
        repo = TenantRepository(ctx)
        async with repo.transaction():
            return await self._upsert(
                repo, user_id=user_id, mid=mid, kind=kind, token=token, scopes=scopes
            )

    async def _upsert(
        self,
        repo: TenantRepository,
        *,
        user_id: UUID,
        mid: int,
        kind: GrantKind,
        token: Secret,
        scopes: str | Iterable[str],
    ) -> int:
        tenant_id = repo.ctx.tenant_id
        key = await self.keyring.active_for_write(repo)
        ciphertext = self.seal_token(
            key, tenant_id=tenant_id, user_id=user_id, mid=mid, token=token
        )
        rows = await repo.fetch(
            _UPSERT_SQL,
            [
                uuid4(),
                tenant_id,
                user_id,
                int(mid),
                GrantKind(kind).value,
                key.id,
                ciphertext,
                format_scopes(scopes),
            ],
        )
        return int(rows[0]["version"])

    async def replace_refresh_token(
        self,
        ctx: TenantContext,
        *,
        user_id: UUID,
        mid: int,
        expected_version: int,
        token: Secret,
        scopes: str | Iterable[str] | None = None,
    ) -> int | None:
        """Compare-and-swap: store a rotated refresh token if the entry is still at
        ``expected_version``. Returns the new version, or None when another writer got there
        first (then the entry holds their token, which is just as new)."""
        repo = TenantRepository(ctx)
        async with repo.transaction():
            key = await self.keyring.active_for_write(repo)
            ciphertext = self.seal_token(
                key, tenant_id=ctx.tenant_id, user_id=user_id, mid=mid, token=token
            )
            rows = await repo.fetch(
                _CAS_SQL,
                [
                    key.id,
                    ciphertext,
                    None if scopes is None else format_scopes(scopes),
                    ctx.tenant_id,
                    user_id,
                    int(mid),
                    int(expected_version),
                ],
            )
        return int(rows[0]["version"]) if rows else None

    async def move_refresh_token(
        self,
        ctx: TenantContext,
        *,
        user_id: UUID,
        from_mid: int,
        from_version: int,
        to_mid: int,
        token: Secret,
        scopes: str | Iterable[str],
    ) -> int:
        """In one transaction: store ``token`` as the ``to_mid`` entry (enhanced) and delete
        the ``from_mid`` entry if it is still at ``from_version`` (its token is spent).

        If the source changed meanwhile it holds someone else's newer token and is kept.
        Returns the new entry's version.
        """
        repo = TenantRepository(ctx)
        async with repo.transaction():
            await repo.fetch(_DELETE_ONE_SQL, [ctx.tenant_id, user_id, int(from_mid), from_version])
            return await self._upsert(
                repo,
                user_id=user_id,
                mid=to_mid,
                kind=GrantKind.ENHANCED,
                token=token,
                scopes=scopes,
            )

    async def mark_needs_reauth(
        self,
        ctx: TenantContext,
        *,
        user_id: UUID,
        mid: int,
        expected_version: int | None = None,
    ) -> bool:
        """Mark an active entry as needing a new sign-in (only at ``expected_version`` if
        given). Returns whether this call changed it."""
        rows = await TenantRepository(ctx).fetch(
            _MARK_SQL, [ctx.tenant_id, user_id, int(mid), expected_version]
        )
        return bool(rows)

    async def delete_entry(
        self, ctx: TenantContext, *, user_id: UUID, mid: int, expected_version: int | None = None
    ) -> bool:
        rows = await TenantRepository(ctx).fetch(
            _DELETE_ONE_SQL, [ctx.tenant_id, user_id, int(mid), expected_version]
        )
        return bool(rows)

    async def delete_for_user(self, ctx: TenantContext, user_id: UUID) -> int:
        """Delete every entry of one user (purge); returns how many.

        Cached access tokens are refused once the entry is gone (the provider checks the
        entry on every call); :meth:`delete_cached_access_tokens` removes them from Redis.
        """
        rows = await TenantRepository(ctx).fetch(_DELETE_USER_SQL, [ctx.tenant_id, user_id])
        return len(rows)

    async def delete_cached_access_tokens(
        self, redis: Redis, *, tenant_id: int, user_id: UUID | None = None
    ) -> int:
        """Delete the cached access tokens of a user (every BU) or of the whole tenant from
        Redis; call after the entries are deleted. Returns how many."""
        return await delete_access_tokens(redis, tenant_id=tenant_id, user_id=user_id)

    async def delete_for_tenant(self, ctx: TenantContext) -> int:
        """Delete every entry and every data key of the tenant (uninstall): crypto-shredding,
        nothing of the tenant's can be opened afterwards. Returns how many entries.

        Takes the tenant's key lock and its data keys ``FOR UPDATE`` first, so it waits for
        writes in flight (they hold the active key ``FOR SHARE``) and deletes what they
        wrote; writes that come after see the tenant uninstalled (the caller marks it in the
        same transaction) and are refused (:class:`TenantUninstalled`).
        """
        repo = TenantRepository(ctx)
        async with repo.transaction():
            await lock_tenant_keys(repo)
            await repo.fetch(_LOCK_KEYS_SQL, [ctx.tenant_id])
            rows = await repo.fetch(_DELETE_TENANT_SQL, [ctx.tenant_id])
            await repo.fetch(_DELETE_KEYS_SQL, [ctx.tenant_id])
        return len(rows)

    # ------------------------------------------------------------------ reads
    async def read(self, ctx: TenantContext, *, user_id: UUID, mid: int) -> StoredToken | None:
        """The decrypted entry of (user, BU), or None.

        Raises :class:`WalletDecryptError` (or :class:`DataKeyRetired`) when the stored
        ciphertext does not open for this row.
        """
        repo = TenantRepository(ctx)
        rows = await repo.fetch(_READ_SQL, [ctx.tenant_id, user_id, int(mid)])
        if not rows:
            return None
        return self.open_row(ctx.tenant_id, rows[0])

    def open_row(self, tenant_id: int, row: dict[str, Any]) -> StoredToken:
        """Decrypt a row of ``SELECT_ENTRY_SQL``."""
        key = self.keyring.from_row(
            tenant_id,
            {
                "id": row["key_id"],
                "wrapped_key": row["wrapped_key"],
                "kek_id": row["kek_id"],
                "status": row["key_status"],
            },
        )
        user_id = as_uuid(row["user_id"])
        mid = int(row["mid"])
        token = self.open_token(
            key, row["ciphertext"], tenant_id=tenant_id, user_id=user_id, mid=mid
        )
        return StoredToken(
            user_id=user_id,
            mid=mid,
            kind=GrantKind(row["kind"]),
            status=WalletStatus(row["status"]),
            version=int(row["version"]),
            scopes=row["scopes"],
            data_key_id=key.id,
            refreshed_at=row["refreshed_at"],
            token=token,
        )

    async def entries_of_user(self, ctx: TenantContext, user_id: UUID) -> list[EntrySummary]:
        """The user's entries (BU, kind, status, version), without decrypting anything."""
        rows = await TenantRepository(ctx).fetch(_LIST_USER_SQL, [ctx.tenant_id, user_id])
        return [
            EntrySummary(
                mid=int(r["mid"]),
                kind=GrantKind(r["kind"]),
                status=WalletStatus(r["status"]),
                version=int(r["version"]),
            )
            for r in rows
        ]
