"""docs/tsql.md keeps up with tsql: every finding code the modules can produce, every error
catalogue entry, data view, refused function and known disagreement with the simulator."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.tsql.corpus import KNOWN_DISAGREEMENTS
from tsql.dataviews import DATA_VIEWS
from tsql.functions import UNSUPPORTED_FUNCTIONS
from tsql.mce_errors import MCE_ERRORS
from tsql.rules_codes import FINDING_CODES

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "tsql.md").read_text()
#: The calls that make findings, and their ``code`` argument.
_FINDING_BUILDERS = {"error", "warning", "Finding", "_report", "_refuse"}
_CODE = re.compile(r"[A-Z][A-Z0-9_]+\Z")


def _constants(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):  # code="A" if ... else "B"
        return _constants(node.body) + _constants(node.orelse)
    return []


def finding_codes() -> set[str]:
    """Codes passed as literals to the finding builders anywhere in tsql/."""
    codes: set[str] = set()
    for path in (ROOT / "tsql").glob("*.py"):
        if path.name == "mce_errors.py":  # its codes are the error catalogue's
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            arguments = [kw.value for kw in node.keywords if kw.arg == "code"]
            if name in _FINDING_BUILDERS and node.args:
                arguments.append(node.args[0])
            for argument in arguments:
                codes.update(c for c in _constants(argument) if _CODE.match(c))
    return codes


def test_the_scan_finds_the_codes_it_should() -> None:
    """Guards the scan itself: if these vanish, the builders were renamed."""
    assert {"SEMICOLON", "UNKNOWN_TABLE", "SQL_TOO_LONG", "NOT_CHECKED", "FORMAT_SKIPPED"} <= (
        finding_codes()
    )


@pytest.mark.parametrize("code", sorted(finding_codes()))
def test_every_finding_code_is_documented(code: str) -> None:
    assert f"| `{code}` |" in DOC


@pytest.mark.parametrize("code", sorted(FINDING_CODES))
def test_every_validation_code_is_documented_with_its_severity(code: str) -> None:
    severity, _meaning = FINDING_CODES[code]
    assert f"| `{code}` | {severity.value} |" in DOC


@pytest.mark.parametrize("code", sorted({entry.code for entry in MCE_ERRORS}))
def test_every_error_catalogue_entry_is_documented(code: str) -> None:
    section = DOC.split("## The error catalogue", 1)[1].split("\n## ", 1)[0]
    assert f"| `{code}` |" in section


@pytest.mark.parametrize("name", sorted(view.name for view in DATA_VIEWS.values()))
def test_every_data_view_is_documented_with_its_column_count(name: str) -> None:
    view = next(v for v in DATA_VIEWS.values() if v.name == name)
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `{name}` |"))
    count = row.split("|")[2].strip()
    assert count.split()[0] == str(len(view.columns))


def test_every_refused_function_is_documented() -> None:
    row = next(line for line in DOC.splitlines() if line.startswith("| `UNSUPPORTED_FUNCTION`"))
    assert sorted(re.findall(r"`([A-Z_]+)`", row)[1:]) == sorted(UNSUPPORTED_FUNCTIONS)


def test_the_known_disagreements_are_the_corpus_ones() -> None:
    section = DOC.split("## Known disagreements with the simulator", 1)[1]
    rows = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ")]
    assert sorted(rows[1:]) == sorted(KNOWN_DISAGREEMENTS)  # after the header
