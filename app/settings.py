"""One settings object, read from environment variables.

Production mode refuses development secrets and development-only parts (the MCE simulator,
its ``/__sim/`` control API, embedded database servers), so a misconfigured deployment fails
at start-up instead of running with a known key or a fake MCE.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import quote, urlsplit, urlunsplit

from services.deploy.config import DeployConfig
from services.runs.config import RunConfig

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-0123456789"  # noqa: S105 - refused in production
DEV_DB_PASSWORD = "quarry-dev"  # noqa: S105 - refused in production
# The development key-encryption key of the token wallet: "<key id>:<base64 of 32 bytes>".
DEV_WALLET_KEKS = "dev-1:ZGV2LWluc2VjdXJlLXdhbGxldC1rZWstY2hhbmdlISE="  # refused in production

# The least an SQL workbench needs (REFERENCE §1.1); ``offline`` is added when background work
# (query runs, metadata sync) must use the token after the user's MCE session ends.
DEFAULT_MCE_SCOPES = (
    "data_extensions_read",
    "data_extensions_write",
    "automations_read",
    "automations_write",
    "automations_execute",
    "accounts_read",  # the BUs a user can switch to (SOAP BusinessUnit)
)

APP_ROLE = "quarry_app"
SYSTEM_ROLE = "quarry_system"
OWNER_ROLE = "quarry_owner"

# Exact MCE hosts that may frame the app (no wildcard that would match customer pages).
DEFAULT_FRAME_ANCESTORS = (
    "https://mc.exacttarget.com",
    "https://mc.s1.exacttarget.com",
    "https://mc.s4.exacttarget.com",
    "https://mc.s6.exacttarget.com",
    "https://mc.s7.exacttarget.com",
    "https://mc.s10.exacttarget.com",
    "https://mc.s11.exacttarget.com",
    "https://mc.s12.exacttarget.com",
    "https://mc.s13.exacttarget.com",
    "https://mc.s50.exacttarget.com",
    "https://mc.s51.exacttarget.com",
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(ValueError):
    """The environment describes an unsafe or impossible configuration."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"not a boolean: {value!r}")


def _int(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SettingsError(f"not an integer: {value!r}") from exc


def _seconds(value: str | None, default: int, *, name: str, minimum: int = 1) -> int:
    seconds = _int(value, default)
    if seconds < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return seconds


#: The runs engine's settings: the environment variable of each ``RunConfig`` field.
RUN_SETTINGS = {
    "max_active_per_user": "RUN_MAX_ACTIVE_PER_USER",
    "max_active_per_bu": "RUN_MAX_ACTIVE_PER_BU",
    "results_window_seconds": "RUN_RESULTS_WINDOW_SECONDS",
    "start_lease_seconds": "RUN_START_LEASE_SECONDS",
    "pool_size_per_bu": "RUN_POOL_SIZE_PER_BU",
    "idle_max_seconds": "RUN_IDLE_MAX_SECONDS",
    "max_fields_per_shell": "RUN_MAX_FIELDS_PER_SHELL",
    "dedup_window_seconds": "RUN_DEDUP_WINDOW_SECONDS",
}


def _positive(env_vars: Mapping[str, str], name: str, default: int) -> int:
    """A positive integer setting; anything else is refused naming the variable (ASCII
    digits only: ``int()`` would take ``"1_000"``, ``"٣"`` or signs)."""
    raw = env_vars.get(name, "")
    if not raw:
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SettingsError(f"{name} must be a positive integer, not {raw!r}")
    return int(text)


def run_settings(env_vars: Mapping[str, str]) -> RunConfig:
    """The ``RUN_*`` settings (docs/runs.md), defaults where unset."""
    base = RunConfig()
    return RunConfig(
        **{
            attr: _positive(env_vars, name, getattr(base, attr))
            for attr, name in RUN_SETTINGS.items()
        }
    )


def deploy_settings(env_vars: Mapping[str, str]) -> DeployConfig:
    """The ``DEPLOY_*`` settings (docs/deploy.md), defaults where unset."""
    try:
        return DeployConfig.from_env(env_vars)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, default ports dropped."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def with_role(url: str, *, user: str, password: str) -> str:
    """``url`` with its user and password replaced (used to derive per-role URLs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""  # empty for socket URLs (``?host=/run/postgresql``)
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "quarry"


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Build with :meth:`from_env`; never mutate."""

    env: Environment = Environment.DEVELOPMENT
    public_url: str = "http://localhost:8000"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/quarry"
    app_db_password: str = DEV_DB_PASSWORD
    system_db_password: str = DEV_DB_PASSWORD
    owner_db_password: str = DEV_DB_PASSWORD
    app_database_url_override: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = DEV_SECRET_KEY
    mce_auth_base_url: str = "http://127.0.0.1:8900/"
    frame_ancestors: tuple[str, ...] = DEFAULT_FRAME_ANCESTORS
    simulator_enabled: bool = True
    embedded_services: bool = True
    graphiql_enabled: bool = True
    introspection_enabled: bool = True
    db_pool_size: int = 10
    max_request_bytes: int = 1_000_000
    log_level: str = "INFO"
    # MCE installed packages (REFERENCE §1.1, §1.3). The enhanced package signs users in with
    # OAuth; the legacy package (pre-2019) posts an HS256 JWT. Legacy sign-in is off unless
    # its JWT signing secret is set.
    mce_client_id: str = ""
    mce_client_secret: str = ""
    mce_browser_auth_base_url: str = ""
    mce_scopes: tuple[str, ...] = DEFAULT_MCE_SCOPES
    mce_offline_access: bool = True
    mce_redirect_uri_override: str = ""
    mce_legacy_client_id: str = ""
    mce_legacy_client_secret: str = ""
    mce_legacy_jwt_secret: str = ""
    # Token wallet key-encryption keys, "id:base64key" comma-separated, the first active.
    wallet_keks: str = DEV_WALLET_KEKS
    wallet_kek_file: str = ""
    # Sessions: idle and absolute lifetimes.
    session_idle_seconds: int = 2 * 3600
    session_absolute_seconds: int = 12 * 3600
    # Rate limits, requests per minute (per IP and, once known, per user or token).
    rate_limit_signin_per_minute: int = 30
    rate_limit_graphql_per_minute: int = 600
    rate_limit_bearer_per_minute: int = 600
    api_token_max_days: int = 365
    # A user's first sign-in to a never-synced BU enqueues its metadata sync (off in tests
    # that run burst workers on a shared queue, which would otherwise pick those jobs up).
    metadata_sync_on_sign_in: bool = True
    # The runs engine's limits, windows and pool (``RUN_*``; services/runs/config.py).
    runs: RunConfig = field(default_factory=RunConfig)
    # Deployment limits (``DEPLOY_*``; services/deploy/config.py).
    deploy: DeployConfig = field(default_factory=DeployConfig)
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) and validate them."""
        env_vars = os.environ if environ is None else environ
        try:
            env = Environment(env_vars.get("QUARRY_ENV", "development"))
        except ValueError as exc:
            raise SettingsError(
                f"QUARRY_ENV must be one of {[e.value for e in Environment]}"
            ) from exc
        production = env is Environment.PRODUCTION
        ancestors = env_vars.get("FRAME_ANCESTORS")
        settings = cls(
            env=env,
            public_url=env_vars.get("PUBLIC_URL", cls.public_url).rstrip("/"),
            database_url=env_vars.get("DATABASE_URL", cls.database_url),
            app_db_password=env_vars.get("APP_DB_PASSWORD", DEV_DB_PASSWORD),
            system_db_password=env_vars.get("SYSTEM_DB_PASSWORD", DEV_DB_PASSWORD),
            owner_db_password=env_vars.get("OWNER_DB_PASSWORD", DEV_DB_PASSWORD),
            app_database_url_override=env_vars.get("APP_DATABASE_URL") or None,
            redis_url=env_vars.get("REDIS_URL", cls.redis_url),
            secret_key=env_vars.get("SECRET_KEY", DEV_SECRET_KEY),
            mce_auth_base_url=env_vars.get("MCE_AUTH_BASE_URL", cls.mce_auth_base_url),
            frame_ancestors=tuple(ancestors.split()) if ancestors else DEFAULT_FRAME_ANCESTORS,
            simulator_enabled=_bool(env_vars.get("SIMULATOR_ENABLED"), not production),
            embedded_services=_bool(env_vars.get("EMBEDDED_SERVICES"), not production),
            graphiql_enabled=_bool(env_vars.get("GRAPHIQL_ENABLED"), not production),
            introspection_enabled=_bool(env_vars.get("INTROSPECTION_ENABLED"), not production),
            db_pool_size=_int(env_vars.get("DB_POOL_SIZE"), 10),
            max_request_bytes=_int(env_vars.get("MAX_REQUEST_BYTES"), 1_000_000),
            log_level=env_vars.get("LOG_LEVEL", "INFO").upper(),
            mce_client_id=env_vars.get("MCE_CLIENT_ID", ""),
            mce_client_secret=env_vars.get("MCE_CLIENT_SECRET", ""),
            mce_browser_auth_base_url=env_vars.get("MCE_BROWSER_AUTH_BASE_URL", ""),
            mce_scopes=tuple(scopes.split())
            if (scopes := env_vars.get("MCE_SCOPES"))
            else (DEFAULT_MCE_SCOPES),
            mce_offline_access=_bool(env_vars.get("MCE_OFFLINE_ACCESS"), True),
            metadata_sync_on_sign_in=_bool(env_vars.get("METADATA_SYNC_ON_SIGN_IN"), True),
            mce_redirect_uri_override=env_vars.get("MCE_REDIRECT_URI", ""),
            mce_legacy_client_id=env_vars.get("MCE_LEGACY_CLIENT_ID", ""),
            mce_legacy_client_secret=env_vars.get("MCE_LEGACY_CLIENT_SECRET", ""),
            mce_legacy_jwt_secret=env_vars.get("MCE_LEGACY_JWT_SECRET", ""),
            wallet_keks=env_vars.get("WALLET_KEKS")
            or ("" if env_vars.get("WALLET_KEK_FILE") else DEV_WALLET_KEKS),
            wallet_kek_file=env_vars.get("WALLET_KEK_FILE", ""),
            session_idle_seconds=_seconds(
                env_vars.get("SESSION_IDLE_SECONDS"), 2 * 3600, name="SESSION_IDLE_SECONDS"
            ),
            session_absolute_seconds=_seconds(
                env_vars.get("SESSION_ABSOLUTE_SECONDS"),
                12 * 3600,
                name="SESSION_ABSOLUTE_SECONDS",
            ),
            rate_limit_signin_per_minute=_seconds(
                env_vars.get("RATE_LIMIT_SIGNIN_PER_MINUTE"),
                30,
                name="RATE_LIMIT_SIGNIN_PER_MINUTE",
            ),
            rate_limit_graphql_per_minute=_seconds(
                env_vars.get("RATE_LIMIT_GRAPHQL_PER_MINUTE"),
                600,
                name="RATE_LIMIT_GRAPHQL_PER_MINUTE",
            ),
            rate_limit_bearer_per_minute=_seconds(
                env_vars.get("RATE_LIMIT_BEARER_PER_MINUTE"),
                600,
                name="RATE_LIMIT_BEARER_PER_MINUTE",
            ),
            api_token_max_days=_seconds(
                env_vars.get("API_TOKEN_MAX_DAYS"), 365, name="API_TOKEN_MAX_DAYS"
            ),
            runs=run_settings(env_vars),
            deploy=deploy_settings(env_vars),
        )
        settings.validate()
        return settings

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def browser_auth_base_url(self) -> str:
        """Where browsers are sent to authorize (differs from the server's in Compose)."""
        return (self.mce_browser_auth_base_url or self.mce_auth_base_url).rstrip("/") + "/"

    @property
    def mce_redirect_uri(self) -> str:
        """The OAuth redirect URI registered on the package: our callback."""
        return self.mce_redirect_uri_override or f"{self.public_url}/api/auth/callback"

    @property
    def requested_scopes(self) -> tuple[str, ...]:
        """Scopes asked for at authorize: the configured ones, plus ``offline`` when wanted."""
        scopes = tuple(s for s in self.mce_scopes if s != "offline")
        return (*scopes, "offline") if self.mce_offline_access else scopes

    @property
    def legacy_sign_in_enabled(self) -> bool:
        return bool(self.mce_legacy_jwt_secret)

    @property
    def mce_dev_origin(self) -> str | None:
        """The simulator's origin, the only MCE host allowed outside production; else None."""
        if self.is_production or not self.simulator_enabled:
            return None
        return origin_of(self.mce_auth_base_url)

    @property
    def trusted_origins(self) -> frozenset[str]:
        """Origins whose cookie-authenticated requests may change state: ours and MCE's."""
        return frozenset({origin_of(self.public_url), *map(origin_of, self.frame_ancestors)})

    @property
    def app_database_url(self) -> str:
        """The URL the API and workers use: the app role, which owns nothing."""
        if self.app_database_url_override:
            return self.app_database_url_override
        return with_role(self.database_url, user=APP_ROLE, password=self.app_db_password)

    @property
    def system_database_url(self) -> str:
        """The role for audited cross-tenant background work (recycler, reconciler)."""
        return with_role(self.database_url, user=SYSTEM_ROLE, password=self.system_db_password)

    @property
    def owner_database_url(self) -> str:
        """The role that owns the schema and runs migrations."""
        return with_role(self.database_url, user=OWNER_ROLE, password=self.owner_db_password)

    def validate(self) -> None:
        """Raise :class:`SettingsError` for unsafe or malformed settings."""
        for name, url, schemes in (
            ("PUBLIC_URL", self.public_url, {"http", "https"}),
            ("DATABASE_URL", self.database_url, {"postgres", "postgresql"}),
            ("REDIS_URL", self.redis_url, {"redis", "rediss", "unix"}),
            ("MCE_AUTH_BASE_URL", self.mce_auth_base_url, {"http", "https"}),
            ("MCE_BROWSER_AUTH_BASE_URL", self.browser_auth_base_url, {"http", "https"}),
            ("MCE_REDIRECT_URI", self.mce_redirect_uri, {"http", "https"}),
        ):
            if urlsplit(url).scheme not in schemes:
                raise SettingsError(f"{name} must be a URL with scheme {sorted(schemes)}")
        for origin in self.frame_ancestors:
            if "*" in origin or not origin.startswith("https://"):
                raise SettingsError(
                    "FRAME_ANCESTORS must list exact https origins without wildcards"
                )
        if self.session_absolute_seconds < self.session_idle_seconds:
            raise SettingsError("SESSION_ABSOLUTE_SECONDS must not be below SESSION_IDLE_SECONDS")
        if not self.is_production:
            return
        problems = []
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be set to at least 32 random characters")
        if DEV_DB_PASSWORD in (self.app_db_password, self.system_db_password):
            problems.append("APP_DB_PASSWORD and SYSTEM_DB_PASSWORD must be set")
        if not self.public_url.startswith("https://"):
            problems.append("PUBLIC_URL must be https")
        if self.simulator_enabled:
            problems.append("the MCE simulator cannot be enabled in production")
        if problem := self._wallet_kek_problem():
            problems.append(problem)
        if not (self.mce_client_id and self.mce_client_secret):
            problems.append("MCE_CLIENT_ID and MCE_CLIENT_SECRET must be set")
        if self.legacy_sign_in_enabled and len(self.mce_legacy_jwt_secret) < 32:
            problems.append("MCE_LEGACY_JWT_SECRET must be at least 32 characters")
        for name, url in (
            ("MCE_AUTH_BASE_URL", self.mce_auth_base_url),
            ("MCE_BROWSER_AUTH_BASE_URL", self.browser_auth_base_url),
        ):
            if not url.startswith("https://"):
                problems.append(f"{name} must be https")
        if self.embedded_services:
            problems.append("embedded Postgres/Redis cannot be enabled in production")
        if problems:
            raise SettingsError("unsafe production settings: " + "; ".join(problems))

    def _wallet_kek_problem(self) -> str | None:
        """Why the configured KEKs are unfit for production, or None.

        Compares key bytes, not text: the development key under another id, with other
        spacing, or in ``WALLET_KEK_FILE`` is still the development key. Parse errors name
        entry positions only, never key material.
        """
        # Imported here: the wallet package pulls in the database and Redis layers, which
        # reading settings outside production does not need.
        from services.wallet.errors import WalletKeyError
        from services.wallet.keys import key_provider_from_config, parse_keks

        try:
            configured = key_provider_from_config(
                keks=self.wallet_keks, kek_file=self.wallet_kek_file
            )
        except WalletKeyError as exc:
            return f"WALLET_KEKS / WALLET_KEK_FILE is not usable: {exc}"
        dev_keys = {kek.key for kek in parse_keks(DEV_WALLET_KEKS).keks}
        if any(kek.key in dev_keys for kek in configured.keks):
            return (
                "WALLET_KEKS or WALLET_KEK_FILE must be set, to keys other than the development key"
            )
        return None
