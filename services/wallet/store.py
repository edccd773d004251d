"""The wallet's rows: MCE refresh tokens, encrypted; one lineage per user for enhanced packages.

Why:
- Only refresh tokens are stored, each sealed under the tenant's active data key with
  associated data naming the tenant, BU, user and key (:mod:`services.wallet.crypto`): a
  ciphertext copied onto another row does not open.
- An enhanced package's refresh token can mint an access token for any BU the user belongs
  to (``account_id`` on the refresh grant, REFERENCE §1.1), so each user keeps **one**
  enhanced entry per tenant, the lineage. Its ``mid`` is the BU last minted from it: every
  compare-and-swap stores the rotated token sealed for the BU it was minted for and moves
  ``mid`` with it. A legacy package's token has no ``account_id`` (``/v1/requestToken``), so
  legacy entries stay one per (tenant, user, BU). Partial unique indexes (migration 0006)
  enforce both.
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
    "SELECT e.id AS entry_id, e.user_id, e.mid, e.kind, e.status, e.version, e.scopes,"
    " e.refreshed_at, e.ciphertext, e.data_key_id, k.id AS key_id, k.wrapped_key, k.kek_id,"
    " k.status AS key_status"
    " FROM wallet_entries e JOIN wallet_data_keys k"
    " ON k.tenant_id = e.tenant_id AND k.id = e.data_key_id"
)
# The entry that serves BU $3: the user's lineage when it is active, else the legacy entry of
# that BU when it is active, else whichever of the two exists (to report its status).
_READ_FOR_BU_SQL = (
    SELECT_ENTRY_SQL + " WHERE e.tenant_id = $1 AND e.user_id = $2"
    " AND (e.kind = 'enhanced' OR (e.kind = 'legacy' AND e.mid = $3))"
    " ORDER BY (e.status = 'active') DESC, (e.kind = 'enhanced') DESC LIMIT 1"
)
_READ_ID_SQL = SELECT_ENTRY_SQL + " WHERE e.tenant_id = $1 AND e.id = $2"

_INSERT = (
    "INSERT INTO wallet_entries (id, tenant_id, user_id, mid, kind, data_key_id, ciphertext,"
    " version, status, scopes, refreshed_at, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'active', $8, now(), now(), now())"
)
_ON_CONFLICT_UPDATE = (
    " DO UPDATE SET mid = EXCLUDED.mid, data_key_id = EXCLUDED.data_key_id,"
    " ciphertext = EXCLUDED.ciphertext, version = wallet_entries.version + 1,"
    " status = 'active', scopes = EXCLUDED.scopes, refreshed_at = now(), updated_at = now()"
    " RETURNING version"
)
_UPSERT_SQL = {
    GrantKind.ENHANCED: _INSERT
    + " ON CONFLICT (tenant_id, user_id) WHERE kind = 'enhanced'"
    + _ON_CONFLICT_UPDATE,
    GrantKind.LEGACY: _INSERT
    + " ON CONFLICT (tenant_id, user_id, mid) WHERE kind = 'legacy'"
    + _ON_CONFLICT_UPDATE,
}
_CAS_SQL = (
    "UPDATE wallet_entries SET data_key_id = $1, ciphertext = $2, mid = $3,"
    " version = version + 1, status = 'active', scopes = COALESCE($4, scopes),"
    " refreshed_at = now(), updated_at = now()"
    " WHERE tenant_id = $5 AND id = $6 AND version = $7"
    " RETURNING version"
)
_MARK_SQL = (
    "UPDATE wallet_entries SET status = 'needs_reauth', updated_at = now()"
    " WHERE tenant_id = $1 AND id = $2 AND status = 'active'"
    " AND ($3::int IS NULL OR version = $3::int) RETURNING id"
)
_DELETE_ONE_SQL = (
    "DELETE FROM wallet_entries WHERE tenant_id = $1 AND id = $2"
    " AND ($3::int IS NULL OR version = $3::int) RETURNING id"
)
_DELETE_USER_SQL = "DELETE FROM wallet_entries WHERE tenant_id = $1 AND user_id = $2 RETURNING id"
_DELETE_TENANT_SQL = "DELETE FROM wallet_entries WHERE tenant_id = $1 RETURNING id"
_LOCK_KEYS_SQL = "SELECT id FROM wallet_data_keys WHERE tenant_id = $1 FOR UPDATE"
_DELETE_KEYS_SQL = "DELETE FROM wallet_data_keys WHERE tenant_id = $1"
_LIST_USER_SQL = (
    "SELECT id, mid, kind, status, version FROM wallet_entries"
    " WHERE tenant_id = $1 AND user_id = $2 ORDER BY mid"
)


@dataclass(frozen=True)
class StoredToken:
    """A decrypted wallet entry. ``token`` is a :class:`Secret` (never printed).

    ``mid`` is the BU the token was sealed for: a legacy entry's own BU, or the BU last
    minted from an enhanced lineage.
    """

    id: UUID
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

    id: UUID
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

        An enhanced token becomes the user's lineage, sealed for ``mid`` (the BU signed in
        to); a legacy token becomes the entry of ``mid``. Returns the entry's new version.
        The entry becomes active whatever it was.
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
            _UPSERT_SQL[GrantKind(kind)],
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
        entry: StoredToken,
        token: Secret,
        mid: int | None = None,
        scopes: str | Iterable[str] | None = None,
    ) -> int | None:
        """Compare-and-swap: store a rotated refresh token if ``entry`` is still at the
        version it was read at. ``mid`` is the BU the token was minted for (an enhanced
        lineage moves there; a legacy entry always keeps its own BU).

        Returns the new version, or None when another writer got there first (then the entry
        holds their token, which is just as new).
        """
        new_mid = entry.mid if entry.kind is GrantKind.LEGACY or mid is None else int(mid)
        repo = TenantRepository(ctx)
        async with repo.transaction():
            key = await self.keyring.active_for_write(repo)
            ciphertext = self.seal_token(
                key, tenant_id=ctx.tenant_id, user_id=entry.user_id, mid=new_mid, token=token
            )
            rows = await repo.fetch(
                _CAS_SQL,
                [
                    key.id,
                    ciphertext,
                    new_mid,
                    None if scopes is None else format_scopes(scopes),
                    ctx.tenant_id,
                    entry.id,
                    int(entry.version),
                ],
            )
        return int(rows[0]["version"]) if rows else None

    async def mark_needs_reauth(
        self, ctx: TenantContext, *, entry_id: UUID, expected_version: int | None = None
    ) -> bool:
        """Mark an active entry as needing a new sign-in (only at ``expected_version`` if
        given). Returns whether this call changed it."""
        rows = await TenantRepository(ctx).fetch(
            _MARK_SQL, [ctx.tenant_id, entry_id, expected_version]
        )
        return bool(rows)

    async def delete_entry(
        self, ctx: TenantContext, *, entry_id: UUID, expected_version: int | None = None
    ) -> bool:
        rows = await TenantRepository(ctx).fetch(
            _DELETE_ONE_SQL, [ctx.tenant_id, entry_id, expected_version]
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
        """The decrypted entry that serves BU ``mid`` for the user, or None.

        That is the user's lineage when it is active, else the BU's legacy entry when it is
        active, else whichever of them exists (inactive). Membership is the caller's check.
        Raises :class:`WalletDecryptError` (or :class:`DataKeyRetired`) when the stored
        ciphertext does not open for this row.
        """
        rows = await TenantRepository(ctx).fetch(
            _READ_FOR_BU_SQL, [ctx.tenant_id, user_id, int(mid)]
        )
        return self.open_row(ctx.tenant_id, rows[0]) if rows else None

    async def read_entry(self, ctx: TenantContext, entry_id: UUID) -> StoredToken | None:
        """The decrypted entry ``entry_id``, or None once it is gone."""
        rows = await TenantRepository(ctx).fetch(_READ_ID_SQL, [ctx.tenant_id, entry_id])
        return self.open_row(ctx.tenant_id, rows[0]) if rows else None

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
            id=as_uuid(row["entry_id"]),
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
                id=as_uuid(r["id"]),
                mid=int(r["mid"]),
                kind=GrantKind(r["kind"]),
                status=WalletStatus(r["status"]),
                version=int(r["version"]),
            )
            for r in rows
        ]
