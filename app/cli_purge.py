"""Operator commands for a tenant's lifecycle: ``purge-tenant`` (uninstall), ``purge-user``,
``purge-mce-assets`` (delete Quarry's own assets in MCE, as ``purgeMceAssets`` does),
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

import httpx
from redis.asyncio import Redis

from app.settings import Settings
from app.wiring import mce_auth_factory, session_store, token_wallet
from client.http import create_http_client
from models import BusinessUnit, TenantContext, TenantRepository, User
from services.audit import SYSTEM_ACTOR, RequestMeta
from services.errors import NotFound, QuarryError
from services.purge import PurgeResult, purge_tenant, purge_user
from services.runs.cleanup import CleanupDeps, RunAssetPurger, cleanup_bu
from services.sessions import SessionStore
from services.tenant_status import resume_tenant, suspend_tenant
from services.wallet.provider import WalletTokenProvider
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
    assets = commands.add_parser(
        "purge-mce-assets",
        help="delete every MCE asset Quarry created (shell DEs, queries, folders) in a tenant",
    )
    assets.add_argument("--tenant", type=int, required=True, help="the enterprise id (EID)")
    assets.add_argument("--mid", type=int, help="only this business unit (default: every one)")
    assets.add_argument("--yes", action="store_true", help="confirm (required)")
    assets.set_defaults(handler=_purge_mce_assets)
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
        async with create_http_client() as http:
            result = await purge_tenant(
                TenantContext(tenant_id=args.tenant),
                sessions=sessions,
                wallet=wallet,
                actor=SYSTEM_ACTOR,
                meta=_CLI,
                assets=RunAssetPurger(_cleanup_deps(settings, redis, wallet, http)),
            )
    except NotFound:
        sys.stderr.write(f"no tenant {args.tenant}\n")
        return 2
    finally:
        await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
    return _report(f"tenant {args.tenant} uninstalled", result)


def _cleanup_deps(
    settings: Settings, redis: Redis, wallet: TokenWallet, http: httpx.AsyncClient
) -> CleanupDeps:
    """Reaching MCE as the tenant's users, as a worker does (services/runtime.py)."""
    auth = mce_auth_factory(settings, http=http)
    tokens = WalletTokenProvider(wallet=wallet, auth=auth, redis=redis)
    return CleanupDeps(
        redis=redis, http=http, tokens=tokens, policy=auth.policy, config=settings.runs
    )


async def _purge_mce_assets(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        sys.stderr.write("purge-mce-assets deletes assets in MCE: add --yes to confirm\n")
        return 2
    ctx = TenantContext(tenant_id=args.tenant)
    units = await TenantRepository(ctx).of(BusinessUnit).list()
    mids = sorted(u.mid for u in units if args.mid is None or u.mid == args.mid)
    if not mids:
        sys.stderr.write(f"no business unit to purge in tenant {args.tenant}\n")
        return 2
    redis, _, wallet = _stores(settings)
    failures = 0
    try:
        async with create_http_client() as http:
            deps = _cleanup_deps(settings, redis, wallet, http)
            for mid in mids:
                try:
                    report = await cleanup_bu(deps, tenant_id=args.tenant, mid=mid, purge=True)
                except QuarryError as exc:
                    sys.stderr.write(f"BU {mid}: {exc.message}\n")
                    failures += 1
                    continue
                failures += len(report.failed)
                sys.stdout.write(
                    f"BU {mid}: {report.deleted} assets deleted, {len(report.failed)} failed,"
                    f" {report.canceled_runs} runs canceled\n"
                )
    finally:
        await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
    return 1 if failures else 0


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
