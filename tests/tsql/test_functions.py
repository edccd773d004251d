"""The function catalogue: REFERENCE §5.1's functions are all there, refused ones are not."""

from __future__ import annotations

import pytest

from tsql.functions import FUNCTIONS, UNSUPPORTED_FUNCTIONS, function_spec
from tsql.types import FieldType

#: REFERENCE §5.1: functions validated through MCE's REST validator, and QSPRO's additions.
REFERENCE_SUPPORTED = str.split(
    "CONCAT LEN SUBSTRING LEFT RIGHT UPPER LOWER LTRIM RTRIM CHARINDEX REPLACE ISNULL COALESCE "
    "ABS ROUND FLOOR CEILING GETDATE GETUTCDATE DATEADD DATEDIFF DATEPART YEAR MONTH DAY CAST "
    "CONVERT NEWID COUNT SUM AVG MIN MAX ROW_NUMBER "
    "PATINDEX FORMAT TRIM DATENAME DATEFROMPARTS DATETIMEFROMPARTS IIF NULLIF"
)

#: REFERENCE §5.1: QSPRO flags these as failing in MCE.
REFERENCE_REFUSED = ["STRING_SPLIT", "OPENJSON", "ISJSON", "JSON_MODIFY", "TRY_CONVERT",
                     "TRY_CAST", "TRY_PARSE"]  # fmt: skip


@pytest.mark.parametrize("name", REFERENCE_SUPPORTED)
def test_every_supported_function_has_a_spec(name: str) -> None:
    spec = FUNCTIONS[name]
    assert spec.name == name
    assert spec.signature.startswith(name + "(") or spec.signature.startswith(name)
    assert spec.description
    assert name not in UNSUPPORTED_FUNCTIONS


@pytest.mark.parametrize("name", REFERENCE_REFUSED)
def test_refused_functions_say_what_to_write_instead(name: str) -> None:
    assert name not in FUNCTIONS
    assert len(UNSUPPORTED_FUNCTIONS[name]) > 20


def test_keys_are_upper_case_names() -> None:
    for key, spec in FUNCTIONS.items():
        assert key == key.upper() == spec.name
    for key in UNSUPPORTED_FUNCTIONS:
        assert key == key.upper()


@pytest.mark.parametrize(
    ("name", "aggregate", "window"),
    [("COUNT", True, False), ("SUM", True, False), ("ROW_NUMBER", False, True),
     ("RANK", False, True), ("LEFT", False, False)],
)  # fmt: skip
def test_aggregate_and_window_flags(name: str, aggregate: bool, window: bool) -> None:
    spec = FUNCTIONS[name]
    assert (spec.aggregate, spec.window) == (aggregate, window)


@pytest.mark.parametrize(
    ("name", "returns"),
    [("COUNT", FieldType.NUMBER), ("LEN", FieldType.NUMBER), ("GETDATE", FieldType.DATE),
     ("CONCAT", FieldType.TEXT), ("ISNULL", None), ("MAX", None), ("CAST", None)],
)  # fmt: skip
def test_fixed_return_types(name: str, returns: FieldType | None) -> None:
    assert FUNCTIONS[name].returns is returns


def test_lookup_ignores_case() -> None:
    assert function_spec("dateAdd") is FUNCTIONS["DATEADD"]
    assert function_spec("string_split") is None
