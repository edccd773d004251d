"""What a profile's processes get: `dev` keeps the resolved URLs, `test` moves them to the
database `<name>_test` and Redis logical database 15 so a test run never touches dev data.
`QUARRY_DEVSTACK` names the profile in the child's environment; the scripts use it to avoid
re-entering devstack.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from app.devstack.resolution import DATABASE_NAME
from app.devstack.urls import with_path, with_redis_db

__all__ = ["PROFILE_VAR", "TEST_REDIS_DB", "Profile", "for_profile"]

Profile = Literal["dev", "test"]

TEST_REDIS_DB = 15
PROFILE_VAR = "QUARRY_DEVSTACK"  # set in the child's environment; scripts use it to avoid re-entry


def for_profile(*, database_url: str, redis_url: str, profile: Profile) -> dict[str, str]:
    """The environment a profile's processes get.

    Test runs use the database `<name>_test` (the conftest creates a fresh database per run from
    it) and Redis logical database 15, so dev data is never touched.
    """
    if profile == "test":
        name = urlsplit(database_url).path.lstrip("/") or DATABASE_NAME
        if not name.endswith("_test"):
            name = f"{name}_test"
        database_url = with_path(database_url, f"/{name}")
        redis_url = with_redis_db(redis_url, TEST_REDIS_DB)
    return {"DATABASE_URL": database_url, "REDIS_URL": redis_url, PROFILE_VAR: profile}
