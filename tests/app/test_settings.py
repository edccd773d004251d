"""Settings: defaults, validation, and production refusing development-only parts."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from app.settings import DEV_SECRET_KEY, DEV_WALLET_KEKS, Settings, SettingsError

PROD_OK = {
    "QUARRY_ENV": "production",
    "PUBLIC_URL": "https://quarry.example.com",
    "SECRET_KEY": "x" * 48,
    "APP_DB_PASSWORD": "app-secret-1",
    "SYSTEM_DB_PASSWORD": "system-secret-1",
    "DATABASE_URL": "postgresql://owner@db.internal:5432/quarry",
    "REDIS_URL": "rediss://cache.internal:6379/0",
    "MCE_AUTH_BASE_URL": "https://example.auth.marketingcloudapis.com/",
    "MCE_CLIENT_ID": "client-id",
    "MCE_CLIENT_SECRET": "client-secret",
    "WALLET_KEKS": "prod-1:cHJvZHVjdGlvbi1rZWstMzItYnl0ZXMtbG9uZyEhISE=",
}


def test_development_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.public_url == "http://localhost:8000"
    assert settings.simulator_enabled and settings.embedded_services
    assert settings.app_database_url.startswith("postgresql://quarry_app:")


def test_production_with_real_secrets_turns_dev_parts_off() -> None:
    settings = Settings.from_env(PROD_OK)
    assert settings.is_production
    assert not settings.simulator_enabled
    assert not settings.embedded_services
    assert not settings.graphiql_enabled
    assert not settings.introspection_enabled


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"APP_DB_PASSWORD": "quarry-dev"}, "APP_DB_PASSWORD"),
        ({"PUBLIC_URL": "http://quarry.example.com"}, "PUBLIC_URL must be https"),
        ({"SIMULATOR_ENABLED": "true"}, "simulator"),
        ({"EMBEDDED_SERVICES": "1"}, "embedded"),
        ({"WALLET_KEKS": ""}, "WALLET_KEKS"),
        ({"MCE_CLIENT_SECRET": ""}, "MCE_CLIENT_ID"),
        ({"MCE_LEGACY_JWT_SECRET": "short"}, "MCE_LEGACY_JWT_SECRET"),
        ({"MCE_BROWSER_AUTH_BASE_URL": "http://mce.example"}, "MCE_BROWSER_AUTH_BASE_URL"),
    ],
)
def test_production_refuses_unsafe_settings(override: dict[str, str], complaint: str) -> None:
    with pytest.raises(SettingsError, match=complaint):
        Settings.from_env({**PROD_OK, **override})


@pytest.mark.parametrize(
    "override",
    [
        {"QUARRY_ENV": "staging"},
        {"DATABASE_URL": "mysql://x"},
        {"REDIS_URL": "http://x"},
        {"FRAME_ANCESTORS": "https://*.exacttarget.com"},
        {"FRAME_ANCESTORS": "http://mc.exacttarget.com"},
        {"DB_POOL_SIZE": "many"},
        {"SIMULATOR_ENABLED": "maybe"},
        {"SESSION_IDLE_SECONDS": "0"},
        {"SESSION_IDLE_SECONDS": "7200", "SESSION_ABSOLUTE_SECONDS": "60"},
        {"RATE_LIMIT_GRAPHQL_PER_MINUTE": "-1"},
        {"MCE_REDIRECT_URI": "javascript:alert(1)"},
    ],
)
def test_malformed_settings_are_refused(override: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        Settings.from_env(override)


def test_public_url_is_configured_not_taken_from_host() -> None:
    settings = Settings.from_env({"PUBLIC_URL": "https://quarry.example.com/"})
    assert settings.public_url == "https://quarry.example.com"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/quarry",
            "postgresql://quarry_app:pw%2F1@127.0.0.1:5432/quarry",
        ),
        (
            "postgresql://postgres@/quarry?host=/run/postgresql",
            "postgresql://quarry_app:pw%2F1@/quarry?host=/run/postgresql",
        ),
        ("postgresql://postgres@[::1]:5433/q", "postgresql://quarry_app:pw%2F1@[::1]:5433/q"),
    ],
)
def test_role_urls_keep_host_port_and_socket(url: str, expected: str) -> None:
    settings = Settings.from_env({"DATABASE_URL": url, "APP_DB_PASSWORD": "pw/1"})
    assert settings.app_database_url == expected


def test_scopes_ask_for_offline_only_when_background_work_needs_it() -> None:
    assert Settings.from_env({}).requested_scopes[-1] == "offline"
    online = Settings.from_env({"MCE_OFFLINE_ACCESS": "false", "MCE_SCOPES": "a_read offline"})
    assert online.requested_scopes == ("a_read",)


def test_the_simulator_is_the_only_mce_host_outside_production() -> None:
    dev = Settings.from_env({"MCE_AUTH_BASE_URL": "http://127.0.0.1:8900/"})
    assert dev.mce_dev_origin == "http://127.0.0.1:8900"
    assert Settings.from_env(PROD_OK).mce_dev_origin is None
    assert dev.mce_redirect_uri == "http://localhost:8000/api/auth/callback"
    assert "https://mc.exacttarget.com" in dev.trusted_origins


# ------------------------------------------------------------------ wallet KEKs in production
_DEV_KEY = DEV_WALLET_KEKS.split(":", 1)[1]
_DEV_KEY_UNPADDED = base64.urlsafe_b64encode(base64.b64decode(_DEV_KEY)).decode().rstrip("=")
_OTHER_KEY = base64.b64encode(b"another-production-kek-32-bytes!").decode()


def _without_keks(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "WALLET_KEKS"}


@pytest.mark.parametrize(
    "keks",
    [
        DEV_WALLET_KEKS + "\n",
        f" {DEV_WALLET_KEKS} ",
        f"prod-1:{_DEV_KEY}",
        f"prod-1:{_DEV_KEY_UNPADDED}",
        f"prod-2:{_OTHER_KEY},old:{_DEV_KEY}",
    ],
    ids=["trailing-newline", "spaces", "other-id", "url-safe-unpadded", "not-first"],
)
def test_production_refuses_the_development_kek_however_written(keks: str) -> None:
    with pytest.raises(SettingsError, match="development key"):
        Settings.from_env({**PROD_OK, "WALLET_KEKS": keks})


def test_production_refuses_the_development_kek_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "keks"
    path.write_text(f"# looks real\nprod-2:{_OTHER_KEY}\nprod-1:{_DEV_KEY}\n")
    with pytest.raises(SettingsError, match="development key"):
        Settings.from_env({**_without_keks(PROD_OK), "WALLET_KEK_FILE": str(path)})
    path.write_text(f"prod-2:{_OTHER_KEY}\n")
    settings = Settings.from_env({**_without_keks(PROD_OK), "WALLET_KEK_FILE": str(path)})
    assert settings.wallet_kek_file == str(path)


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({**PROD_OK, "WALLET_KEKS": "prod-1:c2hvcnQ="}, "entry 1's key is 5 bytes"),
        ({**PROD_OK, "WALLET_KEKS": "prod-1"}, "entry 1 is not 'id:base64key'"),
        ({**PROD_OK, "WALLET_KEK_FILE": "/nonexistent/keks"}, "not both"),
        ({**_without_keks(PROD_OK), "WALLET_KEK_FILE": "/nonexistent/keks"}, "cannot be read"),
    ],
)
def test_production_refuses_kek_configuration_that_does_not_parse(
    env: dict[str, str], complaint: str
) -> None:
    with pytest.raises(SettingsError, match=complaint) as info:
        Settings.from_env(env)
    assert "c2hvcnQ" not in str(info.value)


def test_a_kek_error_in_production_never_prints_the_key() -> None:
    """An id and a key swapped by mistake: the key (a valid id in URL-safe base64) stays out."""
    key = base64.urlsafe_b64encode(b"k" * 32).decode().rstrip("=")
    with pytest.raises(SettingsError, match="entry 1") as info:
        Settings.from_env({**PROD_OK, "WALLET_KEKS": f"{key}:2025-06"})
    assert key not in str(info.value)


def test_metadata_sync_on_sign_in_is_a_boolean() -> None:
    assert Settings.from_env({}).metadata_sync_on_sign_in is True
    assert Settings.from_env({"METADATA_SYNC_ON_SIGN_IN": "off"}).metadata_sync_on_sign_in is False
    with pytest.raises(SettingsError, match="not a boolean: 'sometimes'"):
        Settings.from_env({"METADATA_SYNC_ON_SIGN_IN": "sometimes"})
