"""Operator commands for a tenant's lifecycle: ``purge-tenant`` (uninstall), ``purge-user``,
``suspend-tenant`` and ``resume-tenant``.

The purges do what the admin mutations do (services/purge.py), for when no administrator can
sign in: MCE uninstalled the package, or a user left and must lose access now. Suspension
(services/tenant_status.py) blocks a tenant at once without deleting anything. Run as the
system role; audited with the system actor.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from redis.asyncio import Redis

from app.settings import Settings
from app.wiring import session_store, token_wallet
from models import TenantContext, TenantRepository, User
from services.audit import SYSTEM_ACTOR, RequestMeta
from services.errors import NotFound, QuarryError
from services.purge import PurgeResult, purge_tenant, purge_user
from services.sessions import SessionStore
from services.tenant_status import resume_tenant, suspend_tenant
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
    suspend = commands.add_parser(
        "suspend-tenant", help="block a tenant now: end its sessions, refuse its tokens"
    )
    suspend.add_argument("--tenant", type=int, required=True, help="the enterprise id (EID)")
    suspend.set_defaults(handler=_suspend_tenant)
    resume = commands.add_parser("resume-tenant", help="lift a tenant's suspension")
    resume.add_argument("--tenant", type=int, required=True, help="the enterprise id (EID)")
    resume.set_defaults(handler=_resume_tenant)


def _stores(settings: Settings) -> tuple[Redis, SessionStore, TokenWallet]:
    redis = Redis.from_url(settings.redis_url)
    return redis, session_store(settings, redis), token_wallet(settings)


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


async def _suspend_tenant(args: argparse.Namespace, settings: Settings) -> int:
    redis, sessions, _ = _stores(settings)
    try:
        ended = await suspend_tenant(
            TenantContext(tenant_id=args.tenant), sessions=sessions, actor=SYSTEM_ACTOR, meta=_CLI
        )
    except QuarryError as exc:
        sys.stderr.write(f"tenant {args.tenant}: {exc.message}\n")
        return 2
    finally:
        await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
    sys.stdout.write(f"tenant {args.tenant} suspended: {ended} sessions ended\n")
    return 0


async def _resume_tenant(args: argparse.Namespace, settings: Settings) -> int:
    try:
        await resume_tenant(TenantContext(tenant_id=args.tenant), actor=SYSTEM_ACTOR, meta=_CLI)
    except QuarryError as exc:
        sys.stderr.write(f"tenant {args.tenant}: {exc.message}\n")
        return 2
    sys.stdout.write(f"tenant {args.tenant} resumed\n")
    return 0
