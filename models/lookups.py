"""Lookups that happen before a tenant context exists (sign-in, API-token authentication).

Each calls one of the allow-listed SECURITY DEFINER functions created in the migrations;
nothing else may read across tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from models.context import CONNECTION


@dataclass(frozen=True)
class TenantRecord:
    tenant_id: int
    name: str
    status: str


@dataclass(frozen=True)
class UserRecord:
    id: UUID
    tenant_id: int


@dataclass(frozen=True)
class ApiTokenRecord:
    id: UUID
    tenant_id: int
    user_id: UUID
    mid: int
    scope: str
    expires_at: datetime | None
    revoked_at: datetime | None


async def find_tenant(tenant_id: int) -> TenantRecord | None:
    async with in_transaction(CONNECTION) as conn:
        rows = await conn.execute_query_dict("SELECT * FROM quarry_lookup_tenant($1)", [tenant_id])
    return TenantRecord(**rows[0]) if rows else None


async def find_user(tenant_id: int, mce_user_id: int) -> UserRecord | None:
    async with in_transaction(CONNECTION) as conn:
        rows = await conn.execute_query_dict(
            "SELECT * FROM quarry_lookup_user($1, $2)", [tenant_id, mce_user_id]
        )
    return UserRecord(**rows[0]) if rows else None


async def find_api_token(token_hash: str) -> ApiTokenRecord | None:
    async with in_transaction(CONNECTION) as conn:
        rows = await conn.execute_query_dict(
            "SELECT * FROM quarry_lookup_api_token($1)", [token_hash]
        )
    return ApiTokenRecord(**rows[0]) if rows else None


@dataclass(frozen=True)
class SupportTokenRecord:
    id: UUID
    name: str
    expires_at: datetime | None
    revoked_at: datetime | None


async def find_support_token(token_hash: str) -> SupportTokenRecord | None:
    async with in_transaction(CONNECTION) as conn:
        rows = await conn.execute_query_dict(
            "SELECT * FROM quarry_lookup_support_token($1)", [token_hash]
        )
    return SupportTokenRecord(**rows[0]) if rows else None
