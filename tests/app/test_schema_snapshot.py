"""schema/schema.graphql is the checked-in contract; it must equal the printed schema."""

from __future__ import annotations

from app.cli import SCHEMA_FILE, export_schema


def test_checked_in_sdl_matches_the_schema() -> None:
    assert SCHEMA_FILE.read_text() == export_schema(), (
        "schema drifted: run `.venv/bin/python -m app.cli export-schema --write` and review"
    )
