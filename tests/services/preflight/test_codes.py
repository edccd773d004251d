"""docs/deploy.md's tables list every pre-flight code with its severity, and nothing else: the
page stays the reference clients read (services/preflight/codes.py is the table in code)."""

from __future__ import annotations

import re
from pathlib import Path

from services.preflight.codes import PREFLIGHT_CODES, PROBE_CODES, STATIC_CODES

DOC = Path(__file__).resolve().parents[3] / "docs" / "deploy.md"
_ROW = re.compile(r"^\| `([A-Z_]+)` \| (ERROR|WARNING|INFO) \|", re.MULTILINE)


def _section() -> str:
    text = DOC.read_text()
    start = text.index("## Pre-flight checks")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_docs_list_every_code_with_its_severity() -> None:
    documented = dict(_ROW.findall(_section()))
    assert documented == {code: severity.value for code, (severity, _) in PREFLIGHT_CODES.items()}


def test_static_and_probed_codes_are_apart() -> None:
    assert not set(STATIC_CODES) & set(PROBE_CODES)
    assert all(code.startswith("PROBE_") for code in PROBE_CODES)
    assert all(meaning.endswith(".") for _, meaning in PREFLIGHT_CODES.values())
