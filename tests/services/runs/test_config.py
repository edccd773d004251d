"""RUN_* settings: defaults, overrides, and a clear error naming the variable for bad values."""

from __future__ import annotations

import pytest

from services.runs.config import RunConfig


def test_defaults_and_overrides() -> None:
    assert RunConfig.from_env({}) == RunConfig()
    config = RunConfig.from_env({"RUN_MAX_ACTIVE_PER_USER": " 3 ", "RUN_POOL_SIZE_PER_BU": "9"})
    assert (config.max_active_per_user, config.pool_size_per_bu) == (3, 9)


@pytest.mark.parametrize("raw", ["0", "-2", "abc", "1.5", "٣", "1e3"])
def test_a_bad_value_names_the_variable(raw: str) -> None:
    with pytest.raises(ValueError) as refused:
        RunConfig.from_env({"RUN_RESULTS_WINDOW_SECONDS": raw})
    assert str(refused.value) == (
        f"RUN_RESULTS_WINDOW_SECONDS must be a positive integer, not {raw!r}"
    )
