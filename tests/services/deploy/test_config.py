"""DEPLOY_* settings: read with every other setting (``Settings.deploy``), defaults, overrides,
a clear error naming the variable for bad values at start-up (not at the first deployment),
and the API handing them to the deploy service (``services.deploy.config``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings, SettingsError
from services.deploy import config as deploy_config_module
from services.deploy.config import DeployConfig, deploy_config
from tests.conftest import make_settings


@pytest.fixture
def restored() -> Iterator[None]:
    """The process's deploy settings back to the defaults afterwards (other tests rely on them)."""
    try:
        yield
    finally:
        deploy_config_module.configure(DeployConfig())


def test_defaults_and_overrides() -> None:
    assert Settings.from_env({}).deploy == DeployConfig()
    chosen = Settings.from_env(
        {
            "DEPLOY_BU_CONCURRENCY": " 3 ",
            "DEPLOY_MAX_BUSINESS_UNITS": "100",
            "DEPLOY_JOB_TIMEOUT_SECONDS": "60",
            "DEPLOY_SLOT_WAIT_SECONDS": "5",
        }
    ).deploy
    assert chosen == DeployConfig(
        bu_concurrency=3, max_business_units=100, job_timeout_seconds=60, slot_wait_seconds=5
    )


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("DEPLOY_BU_CONCURRENCY", "0"),
        ("DEPLOY_BU_CONCURRENCY", "two"),
        ("DEPLOY_JOB_TIMEOUT_SECONDS", "-5"),
        ("DEPLOY_SLOT_WAIT_SECONDS", "1_000"),
        ("DEPLOY_MAX_BUSINESS_UNITS", "101"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: raw})


def test_the_api_hands_its_settings_to_the_deploy_service(restored: None) -> None:
    from app.main import create_app

    create_app(make_settings("quarry_unused", DEPLOY_BU_CONCURRENCY="4"))
    assert deploy_config().bu_concurrency == 4
    deploy_config_module.configure(DeployConfig())
    assert deploy_config() == DeployConfig()
