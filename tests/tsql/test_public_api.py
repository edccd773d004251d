"""The package's public surface: everything it declares is there, and importing it loads
nothing of ours outside tsql (DESIGN.md: tsql imports only the stdlib and sqlglot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tsql

ROOT = Path(__file__).resolve().parents[2]
OURS = {
    "app",
    "schema",
    "resolvers",
    "jobs",
    "services",
    "models",
    "client",
    "simulator",
    "migrations",
    "tests",
    "bench",
}


def test_every_declared_name_exists_and_is_listed_once() -> None:
    assert len(set(tsql.__all__)) == len(tsql.__all__)
    missing = [name for name in tsql.__all__ if not hasattr(tsql, name)]
    assert missing == []


def test_the_entry_points_are_the_modules_own() -> None:
    from tsql.complete import complete
    from tsql.format import format_sql
    from tsql.validate import validate

    assert (tsql.validate, tsql.complete, tsql.format_sql) == (validate, complete, format_sql)


def test_importing_tsql_loads_nothing_else_of_ours() -> None:
    probe = (
        "import json, sys, tsql; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    top_level = set(json.loads(loaded.stdout))
    assert "tsql" in top_level
    assert top_level & OURS == set()
