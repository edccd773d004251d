"""Personal API tokens and support tokens: issuing, listing, revoking, resolving.

Why this shape:
- A token is 256 random bits behind a recognisable prefix (``qry_`` for API tokens, ``qrs_``
  for support tokens), so secret scanners can spot a leaked one and the authenticator can
  tell the kinds apart before any lookup. Only its SHA-256 is stored; the secret is returned
  once, at creation, and never again (not in lists, logs, audit details or errors).
- Looking a token up by its hash is a constant-time-enough index lookup: no comparison of
  secrets happens in Python, so timing says nothing about a guess.
- A token acts for one user in one BU. It works only while it is unrevoked and unexpired,
  its tenant is active and its user is still a member of that BU: all re-checked on every
  use, so removing a user or uninstalling shuts their tokens at once.
- ``last_used_at`` is written at most once a minute per token (a Redis marker decides), so a
  busy integration does not turn every read into a write.
- Support tokens open no tenant's data: the authenticator maps them to a principal without
  a tenant. They are created only by the operator CLI, as the system role.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from models import (
    ApiToken,
    Membership,
    SupportToken,
    TenantContext,
    TenantRepository,
    TenantStatus,
    TokenScope,
)
from models.lookups import ApiTokenRecord
from services import audit
from services.audit import NO_REQUEST, Actor, Outcome, RequestMeta
from services.errors import InvalidInput, NotFound, QuarryError
from services.identity import Principal, PrincipalKind

__all__ = [
    "API_TOKEN_PREFIX",
    "DEFAULT_TOKEN_DAYS",
    "MAX_ACTIVE_TOKENS_PER_USER",
    "MAX_TOKEN_NAME_LENGTH",
    "SUPPORT_TOKEN_MAX_DAYS",
    "SUPPORT_TOKEN_PREFIX",
    "ApiTokenInfo",
    "ApiTokenPage",
    "IssuedSupportToken",
    "IssuedToken",
    "TokenKind",
    "TooManyTokens",
    "hash_token",
    "is_current",
    "issue_api_token",
    "issue_support_token",
    "list_api_tokens",
    "mark_used",
    "revoke_api_token",
    "token_kind",
    "token_principal",
    "validate_days",
    "validate_name",
]

API_TOKEN_PREFIX = "qry_"  # noqa: S105 - a prefix, not a secret
SUPPORT_TOKEN_PREFIX = "qrs_"  # noqa: S105 - a prefix, not a secret
_SECRET_BYTES = 32
_TOKEN_SHAPE = re.compile(r"(qry|qrs)_[A-Za-z0-9_-]{43}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

DEFAULT_TOKEN_DAYS = 90
SUPPORT_TOKEN_DEFAULT_DAYS = 7
SUPPORT_TOKEN_MAX_DAYS = 30
MAX_TOKEN_NAME_LENGTH = 100
#: Unrevoked, unexpired tokens one user may hold: bounds the table and the list.
MAX_ACTIVE_TOKENS_PER_USER = 50


_SHOWN = ("id", "mid", "name", "scope", "created_at", "expires_at", "last_used_at", "revoked_at")


class TokenKind(StrEnum):
    API = "api"
    SUPPORT = "support"


class TooManyTokens(QuarryError):
    code = "LIMIT_REACHED"


@dataclass(frozen=True)
class ApiTokenInfo:
    """What may be shown about a token: never its secret or its hash."""

    id: UUID
    mid: int
    name: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def cursor(self) -> str:
        """An opaque position after this token in the newest-first list."""
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_row(cls, row: ApiToken | dict[str, Any]) -> ApiTokenInfo:
        data: dict[str, Any] = (
            row if isinstance(row, dict) else {name: getattr(row, name) for name in _SHOWN}
        )
        return cls(
            id=data["id"],
            mid=int(data["mid"]),
            name=data["name"],
            scope=TokenScope(data["scope"]),
            created_at=data["created_at"],
            expires_at=data["expires_at"],
            last_used_at=data["last_used_at"],
            revoked_at=data["revoked_at"],
        )


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown to its owner once, then only its hash remains."""

    secret: str
    token: ApiTokenInfo


@dataclass(frozen=True)
class IssuedSupportToken:
    secret: str
    id: UUID
    expires_at: datetime


@dataclass(frozen=True)
class ApiTokenPage:
    tokens: list[ApiTokenInfo]
    has_next_page: bool


# ------------------------------------------------------------------ secrets
def _new_secret(kind: TokenKind) -> str:
    prefix = SUPPORT_TOKEN_PREFIX if kind is TokenKind.SUPPORT else API_TOKEN_PREFIX
    return prefix + secrets.token_urlsafe(_SECRET_BYTES)


def token_kind(token: str) -> TokenKind | None:
    """The kind of a well-formed token, or None for anything else."""
    if _TOKEN_SHAPE.fullmatch(token) is None:
        return None
    return TokenKind.SUPPORT if token.startswith(SUPPORT_TOKEN_PREFIX) else TokenKind.API


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


# ------------------------------------------------------------------ validation
def validate_name(name: str) -> str:
    """A token's name: 1-100 printable characters after trimming."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_TOKEN_NAME_LENGTH:
        raise InvalidInput(
            f"A token name is 1 to {MAX_TOKEN_NAME_LENGTH} characters.", field="name"
        )
    if _CONTROL.search(cleaned):
        raise InvalidInput("A token name cannot contain control characters.", field="name")
    return cleaned


def validate_days(days: int, *, max_days: int, field: str = "expiresInDays") -> int:
    if not 1 <= days <= max_days:
        raise InvalidInput(f"A token lasts 1 to {max_days} days.", field=field)
    return days


def _now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ API tokens
async def issue_api_token(
    ctx: TenantContext,
    *,
    user_id: UUID,
    mid: int,
    name: str,
    scope: TokenScope,
    expires_in_days: int,
    actor: Actor,
    meta: RequestMeta = NO_REQUEST,
    max_days: int | None = None,
) -> IssuedToken:
    """Create a token for ``user_id`` in BU ``mid`` and audit it (``api_token.created``).

    Raises InvalidInput (name, days), NotFound (the user is no member of ``mid``) or
    TooManyTokens.
    """
    name = validate_name(name)
    validate_days(expires_in_days, max_days=max_days or expires_in_days)
    secret = _new_secret(TokenKind.API)
    expires_at = _now() + timedelta(days=expires_in_days)
    repo = TenantRepository(ctx)
    async with repo.transaction():
        if await repo.of(Membership).count(user_id=user_id, mid=mid) == 0:
            raise NotFound("That user is not a member of that business unit.", field="mid")
        active = await repo.of(ApiToken).count(
            user_id=user_id, revoked_at__isnull=True, expires_at__gt=_now()
        )
        if active >= MAX_ACTIVE_TOKENS_PER_USER:
            raise TooManyTokens(
                f"You already have {MAX_ACTIVE_TOKENS_PER_USER} active tokens; revoke one first."
            )
        row = await repo.of(ApiToken).create(
            id=uuid4(),
            user_id=user_id,
            mid=mid,
            name=name,
            token_hash=hash_token(secret),
            scope=scope,
            expires_at=expires_at,
        )
        await audit.record(
            ctx,
            action="api_token.created",
            outcome=Outcome.SUCCESS,
            actor=actor,
            meta=meta,
            mid=mid,
            target=f"api_token:{row.id}",
            details={
                "user_id": str(user_id),
                "name": name,
                "scope": scope.value,
                "expires_at": expires_at.isoformat(),
            },
        )
    return IssuedToken(secret=secret, token=ApiTokenInfo.from_row(row))


_LIST_SQL = (
    f"SELECT {', '.join(_SHOWN)} FROM api_tokens WHERE user_id = $1"  # noqa: S608 - constants
    " AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))"
    " ORDER BY created_at DESC, id DESC LIMIT $4"
)


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, token_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        position = datetime.fromisoformat(created), UUID(token_id)
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error):
        raise InvalidInput("Not a cursor from this list.", field="after") from None
    if position[0].tzinfo is None:
        raise InvalidInput("Not a cursor from this list.", field="after")
    return position


async def list_api_tokens(
    ctx: TenantContext, *, user_id: UUID, first: int, after: str | None
) -> ApiTokenPage:
    """One user's tokens in every BU of the tenant, newest first, ``first`` at a time."""
    created, token_id = _decode_cursor(after) if after else (None, None)
    rows = await TenantRepository(ctx).fetch(_LIST_SQL, [user_id, created, token_id, first + 1])
    tokens = [ApiTokenInfo.from_row(row) for row in rows]
    return ApiTokenPage(tokens=tokens[:first], has_next_page=len(tokens) > first)


async def revoke_api_token(
    ctx: TenantContext,
    *,
    user_id: UUID,
    token_id: str,
    actor: Actor,
    meta: RequestMeta = NO_REQUEST,
) -> tuple[ApiTokenInfo, bool]:
    """Revoke one of ``user_id``'s tokens; returns ``(token, whether this call revoked it)``.

    Another user's token, another tenant's (hidden by RLS) and a malformed id are all
    NotFound, with one message: the answer says nothing about tokens one does not own.
    Announcing the revocation to open websockets is the caller's job (it has Redis).
    """
    try:
        parsed = UUID(token_id)
    except ValueError:
        raise NotFound("No such API token.", field="id") from None
    repo = TenantRepository(ctx)
    async with repo.transaction():
        tokens = repo.of(ApiToken)
        changed = await tokens.update(
            {"id": parsed, "user_id": user_id, "revoked_at__isnull": True}, revoked_at=_now()
        )
        row = await tokens.get_or_none(id=parsed, user_id=user_id)
        if row is None:
            raise NotFound("No such API token.", field="id")
        if changed:
            await audit.record(
                ctx,
                action="api_token.revoked",
                outcome=Outcome.SUCCESS,
                actor=actor,
                meta=meta,
                mid=row.mid,
                target=f"api_token:{row.id}",
                details={"user_id": str(user_id), "name": row.name},
            )
    return ApiTokenInfo.from_row(row), bool(changed)


_PRINCIPAL_SQL = (
    "SELECT t.status, b.parent_mid, u.mce_user_id FROM tenants t"
    " JOIN users u ON u.tenant_id = t.tenant_id AND u.id = $2"
    " JOIN memberships m ON m.tenant_id = t.tenant_id AND m.user_id = u.id AND m.mid = $3"
    " JOIN business_units b ON b.tenant_id = t.tenant_id AND b.mid = m.mid"
    " WHERE t.tenant_id = $1"
)


def is_current(record: ApiTokenRecord, *, now: datetime | None = None) -> bool:
    """Unrevoked and unexpired (a token without an expiry never expires)."""
    now = now or _now()
    expired = record.expires_at is not None and record.expires_at <= now
    return record.revoked_at is None and not expired


async def token_principal(record: ApiTokenRecord) -> Principal | None:
    """Who a looked-up token acts for, or None when it may no longer be used."""
    if not is_current(record):
        return None
    ctx = TenantContext(tenant_id=record.tenant_id, mid=record.mid, user_id=record.user_id)
    rows = await TenantRepository(ctx).fetch(
        _PRINCIPAL_SQL, [record.tenant_id, record.user_id, record.mid]
    )
    if not rows or rows[0]["status"] != TenantStatus.ACTIVE.value:
        return None
    scope = TokenScope(record.scope)
    return Principal(
        tenant_id=record.tenant_id,
        mid=record.mid,
        user_id=record.user_id,
        kind=PrincipalKind.API_TOKEN,
        parent_mid=rows[0]["parent_mid"],
        read_only=scope is TokenScope.READ,
        scopes=frozenset({"read"} if scope is TokenScope.READ else {"read", "write"}),
        mce_user_id=rows[0]["mce_user_id"],
        api_token_id=record.id,
    )


async def mark_used(principal: Principal) -> None:
    """Record that the principal's token was used now."""
    if principal.api_token_id is None:
        return
    await (
        TenantRepository(principal.tenant_context())
        .of(ApiToken)
        .update({"id": principal.api_token_id}, last_used_at=_now())
    )


# ------------------------------------------------------------------ support tokens
async def issue_support_token(
    *,
    name: str,
    expires_in_days: int = SUPPORT_TOKEN_DEFAULT_DAYS,
    actor: Actor,
    meta: RequestMeta = NO_REQUEST,
) -> IssuedSupportToken:
    """A support token (system role only: the app role has no grant on the table)."""
    name = validate_name(name)
    validate_days(expires_in_days, max_days=SUPPORT_TOKEN_MAX_DAYS, field="days")
    secret = _new_secret(TokenKind.SUPPORT)
    expires_at = _now() + timedelta(days=expires_in_days)
    row = await SupportToken.create(
        id=uuid4(), name=name, token_hash=hash_token(secret), expires_at=expires_at
    )
    await audit.record(
        None,
        action="support_token.created",
        outcome=Outcome.SUCCESS,
        actor=actor,
        meta=meta,
        target=f"support_token:{row.id}",
        details={"name": name, "expires_at": expires_at.isoformat()},
    )
    return IssuedSupportToken(secret=secret, id=row.id, expires_at=expires_at)


async def revoke_support_token(
    token_id: UUID, *, actor: Actor, meta: RequestMeta = NO_REQUEST
) -> bool:
    """Revoke a support token (system role); False when it is unknown or already revoked.

    The caller announces the revocation (``publish_api_token_revoked``) so open sockets close.
    """
    row = await SupportToken.get_or_none(id=token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = _now()
    await row.save(update_fields=["revoked_at"])
    await audit.record(
        None,
        action="support_token.revoked",
        outcome=Outcome.SUCCESS,
        actor=actor,
        meta=meta,
        target=f"support_token:{row.id}",
        details={"name": row.name},
    )
    return True
