"""RUN_* settings: read with every other setting (``Settings.runs``), defaults, overrides, a
clear error naming the variable for bad values, and each process handing them to the runs
engine (``services.runs.config``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings, SettingsError
from services.runs import config as runs_config
from services.runs.config import RunConfig, run_config
from tests.conftest import make_settings


@pytest.fixture
def restored() -> Iterator[None]:
    """The process's runs settings back to the defaults afterwards (other tests rely on them)."""
    try:
        yield
    finally:
        runs_config.configure(RunConfig())


def test_defaults_and_overrides() -> None:
    assert Settings.from_env({}).runs == RunConfig()
    settings = Settings.from_env({"RUN_MAX_ACTIVE_PER_USER": " 3 ", "RUN_POOL_SIZE_PER_BU": "9"})
    assert (settings.runs.max_active_per_user, settings.runs.pool_size_per_bu) == (3, 9)
    every = Settings.from_env(
        {
            "RUN_MAX_ACTIVE_PER_USER": "1",
            "RUN_MAX_ACTIVE_PER_BU": "2",
            "RUN_RESULTS_WINDOW_SECONDS": "3",
            "RUN_START_LEASE_SECONDS": "4",
            "RUN_POOL_SIZE_PER_BU": "5",
            "RUN_IDLE_MAX_SECONDS": "6",
            "RUN_MAX_FIELDS_PER_SHELL": "7",
            "RUN_DEDUP_WINDOW_SECONDS": "8",
        }
    )
    assert every.runs == RunConfig(1, 2, 3, 4, 5, 6, 7, 8)


@pytest.mark.parametrize("raw", ["0", "-2", "abc", "1.5", "٣", "1e3", "1_000"])
def test_a_bad_value_names_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"RUN_RESULTS_WINDOW_SECONDS": raw})
    assert str(refused.value) == (
        f"RUN_RESULTS_WINDOW_SECONDS must be a positive integer, not {raw!r}"
    )


def test_the_engine_uses_the_configured_values_else_the_defaults(restored: None) -> None:
    runs_config.configure(RunConfig())
    assert run_config() == RunConfig()
    chosen = make_settings("quarry_unused", RUN_MAX_ACTIVE_PER_BU="7").runs
    runs_config.configure(chosen)
    assert run_config().max_active_per_bu == 7


def test_the_api_hands_its_settings_to_the_engine(restored: None) -> None:
    from app.main import create_app

    create_app(make_settings("quarry_unused", RUN_DEDUP_WINDOW_SECONDS="11"))
    assert run_config().dedup_window_seconds == 11
