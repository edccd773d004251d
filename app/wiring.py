"""Building the long-lived services the routes and GraphQL share, from settings.

Kept out of ``create_app`` so the app, the CLI and tests build them the same way. Everything
here is per process and holds no tenant state in memory that correctness depends on: sessions,
OAuth state, replay markers and cached access tokens live in Redis.
"""

from __future__ import annotations

import httpx
from redis.asyncio import Redis
from starlette.applications import Starlette

from app.settings import Settings, origin_of
from client.secret import Secret
from services.deploy import config as deploy_config
from services.job_queue import JobQueue
from services.mce_auth import MceAuthConfig, MceAuthFactory
from services.oauth_state import OAuthStateStore
from services.runs import config as runs_config
from services.sessions import SessionStore
from services.signin import SignInConfig, SignInService
from services.wallet.keys import key_provider_from_config
from services.wallet.provider import WalletTokenProvider
from services.wallet.store import TokenWallet

__all__ = ["mce_auth_config", "mce_auth_factory", "session_store", "token_wallet", "wire_auth"]


def token_wallet(settings: Settings) -> TokenWallet:
    """The token wallet with the configured key-encryption keys."""
    return TokenWallet.from_keys(
        key_provider_from_config(keks=settings.wallet_keks, kek_file=settings.wallet_kek_file)
    )


def session_store(settings: Settings, redis: Redis) -> SessionStore:
    return SessionStore(
        redis,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )


def mce_auth_config(settings: Settings) -> MceAuthConfig:
    return MceAuthConfig(
        client_id=settings.mce_client_id,
        client_secret=Secret(settings.mce_client_secret),
        legacy_client_id=settings.mce_legacy_client_id,
        legacy_client_secret=Secret(settings.mce_legacy_client_secret),
        dev_origin=settings.mce_dev_origin,
    )


def mce_auth_factory(settings: Settings, *, http: httpx.AsyncClient) -> MceAuthFactory:
    return MceAuthFactory(mce_auth_config(settings), http=http)


def wire_auth(
    app: Starlette,
    settings: Settings,
    *,
    redis: Redis,
    mce_http: httpx.AsyncClient,
    wallet: TokenWallet,
) -> None:
    """``app.state``: ``mce_auth``, ``tokens`` (the wallet's token provider), ``sessions``,
    ``jobs`` (the RQ queues), ``signin``; the runs engine's settings (``RUN_*``)."""
    runs_config.configure(settings.runs)
    deploy_config.configure(settings.deploy)
    factory = mce_auth_factory(settings, http=mce_http)
    app.state.mce_auth = factory
    app.state.tokens = WalletTokenProvider(wallet=wallet, auth=factory, redis=redis)
    app.state.sessions = session_store(settings, redis)
    app.state.jobs = JobQueue.from_url(settings.redis_url)
    app.state.signin = SignInService(
        config=SignInConfig(
            client_id=settings.mce_client_id,
            authorize_base=settings.browser_auth_base_url,
            redirect_uri=settings.mce_redirect_uri,
            scopes=settings.requested_scopes,
            legacy_jwt_secret=settings.mce_legacy_jwt_secret,
            legacy_origins=frozenset(origin_of(o) for o in settings.frame_ancestors),
            sync_metadata_on_sign_in=settings.metadata_sync_on_sign_in,
        ),
        auth=factory,
        states=OAuthStateStore(redis, secret_key=settings.secret_key),
        redis=redis,
        wallet=wallet,
        tokens=app.state.tokens,
        jobs=app.state.jobs,
    )
