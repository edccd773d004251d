"""Per-tenant data keys: created on first use, wrapped by the active KEK, unwrapped on demand.

Why:
- One data key per tenant (plus, during rotation, the ones being retired) limits what one
  key opens to one tenant, and lets a tenant's keys be rotated or destroyed on their own.
- A data key is stored only wrapped (AES-GCM under a KEK, associated data binding it to its
  tenant and its own id), so a wrapped key copied onto another tenant's row does not unwrap.
- Writers take the tenant's ACTIVE key with ``FOR SHARE`` inside the transaction that
  writes the ciphertext. Rotation switches the active key with ``FOR UPDATE``, so it waits
  for in-flight writes and no write can land under a key after it stopped being active.
- The first key of a tenant is created under a transaction-scoped advisory lock on the
  tenant, and the active key is read again after taking it: two processes creating the first
  key at once end up with one key.
- A write refuses an uninstalled tenant (:class:`TenantUninstalled`). The status is read
  after the key lock: an uninstall holds the tenant's keys ``FOR UPDATE`` (and the advisory
  lock) until it commits, so a writer that waited for it sees the new status, and one that
  got the key first finishes before the uninstall deletes what it wrote.
- Unwrapped keys are cached in process memory by (tenant, key id, KEK id, digest of the
  wrapped bytes). The database row is read on every use, so a re-wrapped key is simply a new
  cache entry and a retired (wiped) key opens nothing whatever the cache holds. The cache
  only saves the unwrap; correctness never depends on it (RQ forks, many API processes).
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from models import DataKeyStatus, TenantRepository, TenantStatus
from services.wallet.crypto import Purpose, associated_data, open_sealed, seal
from services.wallet.errors import (
    DataKeyRetired,
    DataKeyUnwrapFailed,
    TenantUninstalled,
    WalletDecryptError,
)
from services.wallet.keys import KEY_BYTES, KeyProvider

__all__ = ["DataKey", "DataKeyring", "as_uuid", "lock_tenant_keys"]

_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
_ACTIVE_SQL = (
    "SELECT id, wrapped_key, kek_id, status FROM wallet_data_keys"
    " WHERE tenant_id = $1 AND status = 'active' ORDER BY created_at DESC LIMIT 1 FOR SHARE"
)
_BY_ID_SQL = (
    "SELECT id, wrapped_key, kek_id, status FROM wallet_data_keys WHERE tenant_id = $1 AND id = $2"
)
_TENANT_STATUS_SQL = "SELECT status FROM tenants WHERE tenant_id = $1"
_INSERT_SQL = (
    "INSERT INTO wallet_data_keys (id, tenant_id, wrapped_key, kek_id, status, created_at)"
    " VALUES ($1, $2, $3, $4, $5, now())"
)


@dataclass(frozen=True)
class DataKey:
    """An unwrapped data key (its bytes never printed)."""

    id: UUID
    status: DataKeyStatus
    key: bytes = field(repr=False)


async def lock_tenant_keys(repo: TenantRepository) -> None:
    """Serialise changes of the tenant's active key (first creation, rotation) until commit.

    Call inside ``repo.transaction()``.
    """
    await repo.fetch(_LOCK_SQL, [f"quarry.wallet.data-key:{repo.ctx.tenant_id}"])


class DataKeyring:
    """Wraps, unwraps and finds data keys; holds the KEK provider and the unwrap cache."""

    def __init__(self, keys: KeyProvider, *, cache_size: int = 1024) -> None:
        self.keys = keys
        self._cache: OrderedDict[tuple[int, UUID, str, bytes], bytes] = OrderedDict()
        self._cache_size = cache_size

    # ------------------------------------------------------------------ wrapping
    def wrap(self, *, tenant_id: int, key_id: UUID, key: bytes) -> tuple[str, bytes]:
        """Wrap ``key`` under the active KEK: ``(kek_id, wrapped)``."""
        kek = self.keys.active()
        ad = associated_data(purpose=Purpose.DATA_KEY, tenant_id=tenant_id, key_id=key_id)
        return kek.id, seal(kek.key, key, ad=ad)

    def unwrap(self, *, tenant_id: int, key_id: UUID, kek_id: str, wrapped: bytes) -> bytes:
        """The data key inside ``wrapped``.

        Raises :class:`WalletKeyError` when ``kek_id`` is not configured and
        :class:`DataKeyUnwrapFailed` (a key error and a decrypt error) when the KEK does not
        open it: wrong key material under that id, or a wrapped key altered or moved from
        another tenant's or key's row.
        """
        wrapped = bytes(wrapped)
        slot = (tenant_id, key_id, kek_id, hashlib.sha256(wrapped).digest())
        cached = self._cache.get(slot)
        if cached is not None:
            self._cache.move_to_end(slot)
            return cached
        kek = self.keys.get(kek_id)
        ad = associated_data(purpose=Purpose.DATA_KEY, tenant_id=tenant_id, key_id=key_id)
        try:
            key = open_sealed(kek.key, wrapped, ad=ad)
        except WalletDecryptError:
            raise DataKeyUnwrapFailed(
                f"data key {key_id} of tenant {tenant_id} does not unwrap with key-encryption"
                f" key {kek_id!r} (wrong key material under that id, or the wrapped key was"
                " altered or moved)"
            ) from None
        if len(key) != KEY_BYTES:
            raise WalletDecryptError(f"data key {key_id} has the wrong length")
        self._cache[slot] = key
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return key

    def from_row(self, tenant_id: int, row: dict[str, Any]) -> DataKey:
        """Unwrap a ``wallet_data_keys`` row (``id, wrapped_key, kek_id, status``)."""
        key_id = as_uuid(row["id"])
        if row["wrapped_key"] is None or row["status"] == DataKeyStatus.RETIRED.value:
            raise DataKeyRetired(f"data key {key_id} is retired: it opens nothing")
        key = self.unwrap(
            tenant_id=tenant_id, key_id=key_id, kek_id=row["kek_id"], wrapped=row["wrapped_key"]
        )
        return DataKey(id=key_id, status=DataKeyStatus(row["status"]), key=key)

    # ------------------------------------------------------------------ lookups
    async def by_id(self, repo: TenantRepository, key_id: UUID) -> DataKey:
        """A data key of the context's tenant; :class:`DataKeyRetired` if it was wiped."""
        rows = await repo.fetch(_BY_ID_SQL, [repo.ctx.tenant_id, key_id])
        if not rows:
            raise WalletDecryptError(f"data key {key_id} does not exist in this tenant")
        return self.from_row(repo.ctx.tenant_id, rows[0])

    async def active_for_write(self, repo: TenantRepository) -> DataKey:
        """The tenant's active key, share-locked until the caller's transaction ends.

        Must be called inside ``repo.transaction()``, the one that writes the ciphertext.
        Creates the tenant's first key when it has none. Raises :class:`TenantUninstalled`
        when the tenant is uninstalled (checked after the lock; see the module docstring).
        """
        rows = await repo.fetch(_ACTIVE_SQL, [repo.ctx.tenant_id])
        if not rows:
            await lock_tenant_keys(repo)
            rows = await repo.fetch(_ACTIVE_SQL, [repo.ctx.tenant_id])
        await _refuse_uninstalled(repo)
        if not rows:
            return await self.create_active(repo)
        return self.from_row(repo.ctx.tenant_id, rows[0])

    async def create_active(self, repo: TenantRepository) -> DataKey:
        """Insert a new ACTIVE key. Caller holds :func:`lock_tenant_keys` and has made sure
        no other key is active."""
        key_id = uuid4()
        key = os.urandom(KEY_BYTES)
        kek_id, wrapped = self.wrap(tenant_id=repo.ctx.tenant_id, key_id=key_id, key=key)
        await repo.fetch(
            _INSERT_SQL,
            [key_id, repo.ctx.tenant_id, wrapped, kek_id, DataKeyStatus.ACTIVE.value],
        )
        return DataKey(id=key_id, status=DataKeyStatus.ACTIVE, key=key)


async def _refuse_uninstalled(repo: TenantRepository) -> None:
    rows = await repo.fetch(_TENANT_STATUS_SQL, [repo.ctx.tenant_id])
    if not rows or rows[0]["status"] == TenantStatus.UNINSTALLED.value:
        raise TenantUninstalled(
            f"tenant {repo.ctx.tenant_id} is not installed: the wallet stores nothing for it"
        )


def as_uuid(value: Any) -> UUID:
    """A ``uuid.UUID`` from what the driver returns (asyncpg has its own UUID type)."""
    return value if isinstance(value, UUID) else UUID(str(value))
