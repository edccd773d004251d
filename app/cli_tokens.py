"""Operator commands for tokens.

``create-api-token``: an API token for one user in one BU (an integration set up by an
operator on a customer's request). ``create-support-token``: a token for support staff,
which authenticates but opens no tenant's data. ``revoke-support-token``: ends one at once
(announced, so a GraphiQL socket using it closes).

Both run as the system role, are audited (``api_token.created``, ``support_token.created``,
actor ``system:cli``) and print the secret exactly once, alone on stdout so a script can
capture it; everything else goes to stderr. Exit codes: 0 created, 2 bad arguments (with a
message saying which).
"""

from __future__ import annotations

import argparse
import sys
from uuid import UUID

from redis.asyncio import Redis

from app.settings import Settings
from models import Tenant as TenantRow
from models import TenantContext, TenantRepository, TenantStatus, TokenScope
from models import User as UserRow
from services.api_tokens import (
    DEFAULT_TOKEN_DAYS,
    SUPPORT_TOKEN_MAX_DAYS,
    issue_api_token,
    issue_support_token,
    revoke_support_token,
)
from services.audit import SYSTEM_ACTOR
from services.errors import QuarryError
from services.revocations import publish_api_token_revoked

__all__ = ["add_commands"]


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    api = subparsers.add_parser(
        "create-api-token", help="create an API token for a user in one business unit"
    )
    api.add_argument("--tenant", type=_positive_int, required=True, metavar="EID")
    api.add_argument("--user", type=_positive_int, required=True, metavar="MCE_USER_ID")
    api.add_argument("--mid", type=_positive_int, required=True, metavar="MID")
    api.add_argument("--name", required=True, metavar="N", help="1 to 100 characters")
    api.add_argument("--scope", choices=[s.value for s in TokenScope], default="read")
    api.add_argument("--days", type=_positive_int, metavar="D", help="lifetime (default 90)")
    api.set_defaults(handler=create_api_token_command)

    support = subparsers.add_parser(
        "create-support-token", help="create a support token (no tenant data access)"
    )
    support.add_argument("--name", required=True, metavar="N", help="who holds it")
    support.add_argument(
        "--days", type=_positive_int, default=7, metavar="D", help="lifetime (default 7)"
    )
    support.set_defaults(handler=create_support_token_command)

    revoke = subparsers.add_parser(
        "revoke-support-token", help="revoke a support token at once (its sockets close)"
    )
    revoke.add_argument("--id", type=_uuid, required=True, metavar="TOKEN_ID")
    revoke.set_defaults(handler=revoke_support_token_command)


async def create_api_token_command(args: argparse.Namespace, settings: Settings) -> int:
    repo = TenantRepository(TenantContext(tenant_id=args.tenant))
    tenant = await repo.of(TenantRow).get_or_none(tenant_id=args.tenant)
    if tenant is None or tenant.status != TenantStatus.ACTIVE:
        return _refuse(f"no active tenant with EID {args.tenant}")
    user = await repo.of(UserRow).get_or_none(mce_user_id=args.user)
    if user is None:
        return _refuse(f"no user with MCE user id {args.user} in tenant {args.tenant}")
    days = args.days or min(DEFAULT_TOKEN_DAYS, settings.api_token_max_days)
    try:
        issued = await issue_api_token(
            TenantContext(tenant_id=args.tenant, mid=args.mid, user_id=user.id),
            user_id=user.id,
            mid=args.mid,
            name=args.name,
            scope=TokenScope(args.scope),
            expires_in_days=days,
            max_days=settings.api_token_max_days,
            actor=SYSTEM_ACTOR,
        )
    except QuarryError as exc:
        return _refuse(_option_message(exc))
    token = issued.token
    _say(
        f"API token {token.id} {token.name!r} ({token.scope.value}) for user {args.user}"
        f" in BU {token.mid}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC."
        " It is shown once, below:"
    )
    sys.stdout.write(issued.secret + "\n")
    return 0


async def create_support_token_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        issued = await issue_support_token(
            name=args.name, expires_in_days=args.days, actor=SYSTEM_ACTOR
        )
    except QuarryError as exc:
        return _refuse(_option_message(exc))
    _say(
        f"support token {issued.id}, expires {issued.expires_at:%Y-%m-%d %H:%M} UTC"
        f" (at most {SUPPORT_TOKEN_MAX_DAYS} days). It opens no tenant data. Shown once, below:"
    )
    sys.stdout.write(issued.secret + "\n")
    return 0


async def revoke_support_token_command(args: argparse.Namespace, settings: Settings) -> int:
    if not await revoke_support_token(args.id, actor=SYSTEM_ACTOR):
        return _refuse(f"no live support token {args.id}")
    redis = Redis.from_url(settings.redis_url)
    try:
        await publish_api_token_revoked(redis, args.id)
    finally:
        await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
    _say(f"support token {args.id} revoked")
    return 0


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a token id: {value!r}") from None


_OPTIONS = {"name": "--name", "expiresInDays": "--days", "days": "--days", "mid": "--mid"}


def _option_message(exc: QuarryError) -> str:
    option = _OPTIONS.get(exc.field or "")
    return f"{option}: {exc.message}" if option else exc.message


def _refuse(message: str) -> int:
    sys.stderr.write(f"error: {message}\n")
    return 2


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value!r}")
    return number
