"""What a background job needs, built once per work-horse from configuration the worker
loaded before forking (DESIGN.md: the parent loads settings, never touches the database).

``configure`` is called by ``app/worker.py`` in the parent; a job opens :func:`job_services`
in the forked work-horse, which connects to Postgres as the app role (RLS applies to jobs as
to requests), Redis, and MCE's auth servers, and gives the token wallet and its provider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from redis.asyncio import Redis

from client.http import create_http_client
from models.database import open_database
from services.mce_auth import MceAuthConfig, MceAuthFactory
from services.wallet.keys import key_provider_from_config
from services.wallet.provider import WalletTokenProvider
from services.wallet.store import TokenWallet

__all__ = [
    "JobServices",
    "RuntimeConfig",
    "configure",
    "job_services",
    "redis_url",
    "system_database_url",
]


@dataclass(frozen=True)
class RuntimeConfig:
    app_database_url: str
    redis_url: str
    wallet_keks: str
    wallet_kek_file: str
    mce_auth: MceAuthConfig
    system_database_url: str = ""
    """The system role's URL, for the few jobs that work across tenants (the metadata
    scheduler's tick); those refuse to run without it."""

    def __repr__(self) -> str:  # holds secrets: never print them
        return "RuntimeConfig(***)"


@dataclass(frozen=True)
class JobServices:
    redis: Redis
    http: httpx.AsyncClient
    auth: MceAuthFactory
    wallet: TokenWallet
    tokens: WalletTokenProvider


_config: RuntimeConfig | None = None


def configure(config: RuntimeConfig) -> None:
    """Set the configuration jobs use (the worker, before it forks)."""
    global _config
    _config = config


def system_database_url() -> str:
    """The system role's database URL (cross-tenant jobs only)."""
    if _config is None or not _config.system_database_url:
        raise RuntimeError("the job runtime has no system database URL")
    return _config.system_database_url


def redis_url() -> str:
    if _config is None:
        raise RuntimeError("the job runtime is not configured (start jobs with app.worker)")
    return _config.redis_url


@asynccontextmanager
async def job_services() -> AsyncIterator[JobServices]:
    if _config is None:
        raise RuntimeError("the job runtime is not configured (start jobs with app.worker)")
    config = _config
    wallet = TokenWallet.from_keys(
        key_provider_from_config(keks=config.wallet_keks, kek_file=config.wallet_kek_file)
    )
    async with open_database(config.app_database_url), create_http_client() as http:
        redis = Redis.from_url(config.redis_url)
        try:
            auth = MceAuthFactory(config.mce_auth, http=http)
            tokens = WalletTokenProvider(wallet=wallet, auth=auth, redis=redis)
            yield JobServices(redis=redis, http=http, auth=auth, wallet=wallet, tokens=tokens)
        finally:
            await redis.aclose()  # type: ignore[attr-defined]  # types-redis lags redis 5
