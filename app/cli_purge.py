"""Operator commands for uninstall and user removal: ``purge-tenant`` and ``purge-user``.

They do what the admin mutations do (services/purge.py), for when no administrator can sign
in: MCE uninstalled the package, or a user left and must lose access now. Run as the system
role; audited with the system actor.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from redis.asyncio import Redis

from app.settings import Settings
from models import TenantContext, TenantRepository, User
from services.audit import SYSTEM_ACTOR, RequestMeta
from services.errors import NotFound
from services.purge import PurgeResult, purge_tenant, purge_user
from services.sessions import SessionStore
from services.wallet.keys import key_provider_from_config
from services.wallet.store import TokenWallet

__all__ = ["add_commands"]

_CLI = RequestMeta(user_agent="quarry-cli")


def add_commands(commands: Any) -> None:
    tenant = commands.add_parser(
        "purge-tenant",
        help="uninstall: end every session, delete stored MCE tokens and API tokens of a tenant",
    )
    tenant.add_argument("--tenant", type=int, required=True, help="the enterprise id (EID)")
    tenant.add_argument("--yes", action="store_true", help="confirm (required)")
    tenant.set_defaults(handler=_purge_tenant)
    user = commands.add_parser(
        "purge-user", help="remove a user: end sessions, delete their tokens and their row"
    )
    user.add_argument("--tenant", type=int, required=True, help="the enterprise id (EID)")
    user.add_argument("--user", type=int, required=True, help="the MCE user id")
    user.set_defaults(handler=_purge_user)


def _stores(settings: Settings) -> tuple[Redis, SessionStore, TokenWallet]:
    redis = Redis.from_url(settings.redis_url)
    sessions = SessionStore(
        redis,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )
    wallet = TokenWallet.from_keys(
        key_provider_from_config(keks=settings.wallet_keks, kek_file=settings.wallet_kek_file)
    )
    return redis, sessions, wallet


def _report(what: str, result: PurgeResult) -> int:
    sys.stdout.write(
        f"{what}: {result.sessions} sessions ended, {result.api_tokens} API tokens deleted\n"
    )
    return 0


async def _purge_tenant(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        sys.stderr.write("purge-tenant deletes credentials for good: add --yes to confirm\n")
        return 2
    redis, sessions, wallet = _stores(settings)
    try:
        result = await purge_tenant(
            TenantContext(tenant_id=args.tenant),
            sessions=sessions,
            wallet=wallet,
            actor=SYSTEM_ACTOR,
            meta=_CLI,
        )
    except NotFound:
        sys.stderr.write(f"no tenant {args.tenant}\n")
        return 2
    finally:
        await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
    return _report(f"tenant {args.tenant} uninstalled", result)


async def _purge_user(args: argparse.Namespace, settings: Settings) -> int:
    ctx = TenantContext(tenant_id=args.tenant)
    user = await TenantRepository(ctx).of(User).get_or_none(mce_user_id=args.user)
    if user is None:
        sys.stderr.write(f"no user {args.user} in tenant {args.tenant}\n")
        return 2
    redis, sessions, wallet = _stores(settings)
    try:
        result = await purge_user(
            ctx, user_id=user.id, sessions=sessions, wallet=wallet, actor=SYSTEM_ACTOR, meta=_CLI
        )
    finally:
        await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
    return _report(f"user {args.user} removed", result)
