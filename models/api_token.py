"""Personal API tokens for integrations. Only a hash of the secret is stored."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import TenantModel


class TokenScope(StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class ApiToken(TenantModel):
    id = fields.UUIDField(primary_key=True)
    user_id = fields.UUIDField()
    mid = fields.BigIntField()
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=128, db_index=True)
    scope = fields.CharEnumField(TokenScope, max_length=20, default=TokenScope.READ)
    expires_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_tokens"
        unique_together = (("tenant_id", "token_hash"),)
