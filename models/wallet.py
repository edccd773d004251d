"""The token wallet's tables: per-tenant data keys and encrypted MCE refresh tokens.

Only ciphertext is stored. A data key is stored wrapped (encrypted) by a key-encryption key
(KEK) named by ``kek_id``; a wallet entry names the data key that encrypted it. Retiring a
data key wipes its wrapped material, so nothing encrypted under it can be opened again.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import TenantModel


class DataKeyStatus(StrEnum):
    ACTIVE = "active"  # encrypts new entries
    RETIRING = "retiring"  # still opens entries while they are re-encrypted
    RETIRED = "retired"  # wiped: opens nothing


class GrantKind(StrEnum):
    """Which MCE package issued the refresh token, so which endpoint refreshes it."""

    ENHANCED = "enhanced"  # /v2/token refresh_token grant
    LEGACY = "legacy"  # /v1/requestToken


class WalletStatus(StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"


class WalletDataKey(TenantModel):
    id = fields.UUIDField(primary_key=True)
    wrapped_key = fields.BinaryField(null=True)
    kek_id = fields.CharField(max_length=64)
    status = fields.CharEnumField(DataKeyStatus, max_length=20, default=DataKeyStatus.ACTIVE)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wallet_data_keys"
        unique_together = (("tenant_id", "id"),)


class WalletEntry(TenantModel):
    """A user's MCE refresh token. ``version`` guards rotation (compare-and-swap).

    Enhanced entries are one lineage per (tenant, user): ``mid`` is the BU last minted from
    it. Legacy entries serve only their own BU, one per (tenant, user, BU). Both uniqueness
    rules are partial unique indexes (migration 0006), which tortoise cannot declare.
    """

    id = fields.UUIDField(primary_key=True)
    user_id = fields.UUIDField()
    mid = fields.BigIntField()
    kind = fields.CharEnumField(GrantKind, max_length=20, default=GrantKind.ENHANCED)
    data_key_id = fields.UUIDField()
    ciphertext = fields.BinaryField()
    version = fields.IntField(default=1)
    status = fields.CharEnumField(WalletStatus, max_length=20, default=WalletStatus.ACTIVE)
    scopes = fields.CharField(max_length=2000, default="")
    refreshed_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "wallet_entries"
