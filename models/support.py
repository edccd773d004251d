"""Support staff's tokens. Not tenant rows: a support token opens no tenant's data on its own
(the audited support-access path that grants a time-boxed tenant context comes later).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SupportToken(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=100)
    token_hash = fields.CharField(max_length=128, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "support_tokens"
