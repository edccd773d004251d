"""Names and customer keys of target DEs and their fields: the rules, and unique proposals.

What REFERENCE records is an error (refused before MCE is called): a DE name is unique in its
BU (MCE error 310007), a CustomerKey has at most 200 characters, field names are unique
(output columns map to fields by name, case-insensitively: REFERENCE §5.1). What only the
simulator enforces is a warning (docs/deploy.md marks each ``[sim]``): names over 128
characters, field names starting with ``_``, with brackets or quotes, or with spaces at an
end. Quarry's own rules: nothing may start with Quarry's asset prefix (those DEs are hidden
and recycled as Quarry's own), and a DE named like a data view could never be read by SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from services.metadata.assets import QUARRY_PREFIX, is_foreign_leftover, is_quarry_asset
from services.target_des.model import Issue, IssueSeverity, RuleSource
from tsql import is_data_view_name

__all__ = [
    "MAX_CUSTOMER_KEY",
    "MAX_NAME_SIM",
    "SCRIPT_KEY_LENGTH",
    "check_customer_key",
    "check_data_extension_name",
    "check_field_name",
    "key_from_name",
    "key_variant",
    "name_variant",
    "unique_key",
    "unique_name",
]

#: REFERENCE §2.4: "CustomerKey max length 200 (MCDEV confirmed)".
MAX_CUSTOMER_KEY = 200
#: REFERENCE §2.4: keys used in scripts are best kept to 36 characters; proposals keep to it.
SCRIPT_KEY_LENGTH = 36
#: The simulator refuses longer DE and field names (REFERENCE states no limit) [sim].
MAX_NAME_SIM = 128

_KEY_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _error(code: str, field: str, message: str, source: RuleSource) -> Issue:
    return Issue(code=code, field=field, message=message, source=source)


def _warning(code: str, field: str, message: str, source: RuleSource) -> Issue:
    return Issue(
        code=code, field=field, message=message, severity=IssueSeverity.WARNING, source=source
    )


def check_data_extension_name(
    name: str, *, taken: Collection[str], field: str = "name"
) -> list[Issue]:
    """Rules for a DE name; ``taken`` holds the BU's DE names, lower-cased."""
    if not name.strip():
        return [_error("NAME_REQUIRED", field, "A data extension needs a name.", RuleSource.QUARRY)]
    issues: list[Issue] = []
    if _CONTROL.search(name):
        issues.append(
            _error(
                "INVALID_INPUT", field, "The name contains control characters.", RuleSource.QUARRY
            )
        )
    if name.casefold() in taken:
        issues.append(
            _error(
                "NAME_TAKEN",
                field,
                f"A data extension named '{name}' already exists in this business unit"
                " (names are unique per business unit).",
                RuleSource.REFERENCE,
            )
        )
    if is_quarry_asset(name):
        issues.append(
            _error(
                "NAME_RESERVED",
                field,
                f"Names starting with {QUARRY_PREFIX} are reserved for Quarry's own assets.",
                RuleSource.QUARRY,
            )
        )
    if is_data_view_name(name):
        issues.append(
            _error(
                "NAME_IS_DATA_VIEW",
                field,
                f"'{name}' is the name of a system data view: SQL would read the data view,"
                " never this data extension.",
                RuleSource.QUARRY,
            )
        )
    if len(name) > MAX_NAME_SIM:
        issues.append(
            _warning(
                "NAME_TOO_LONG",
                field,
                f"The name has {len(name)} characters; the simulator refuses more than"
                f" {MAX_NAME_SIM} (Marketing Cloud's limit is not documented).",
                RuleSource.SIMULATOR,
            )
        )
    if name != name.strip():
        issues.append(
            _warning(
                "NAME_SPACES",
                field,
                "The name starts or ends with a space, which is easy to miss in SQL.",
                RuleSource.QUARRY,
            )
        )
    if is_foreign_leftover(name):
        issues.append(
            _warning(
                "NAME_LOOKS_LIKE_LEFTOVER",
                field,
                "The name looks like another SQL tool's temporary results: lists that hide"
                " leftovers will hide this data extension.",
                RuleSource.QUARRY,
            )
        )
    return issues


def check_customer_key(
    key: str, *, taken: Collection[str], field: str = "customerKey"
) -> list[Issue]:
    """Rules for a DE CustomerKey; ``taken`` holds the BU's DE keys, lower-cased."""
    if not key.strip():
        return [
            _error("KEY_REQUIRED", field, "The customer key cannot be blank.", RuleSource.QUARRY)
        ]
    issues: list[Issue] = []
    if _CONTROL.search(key):
        issues.append(
            _error(
                "INVALID_INPUT",
                field,
                "The customer key contains control characters.",
                RuleSource.QUARRY,
            )
        )
    if len(key) > MAX_CUSTOMER_KEY:
        issues.append(
            _error(
                "KEY_TOO_LONG",
                field,
                f"A customer key has at most {MAX_CUSTOMER_KEY} characters ({len(key)} given).",
                RuleSource.REFERENCE,
            )
        )
    if key.casefold() in taken:
        issues.append(
            _error(
                "KEY_TAKEN",
                field,
                f"A data extension with the customer key '{key}' already exists in this"
                " business unit.",
                RuleSource.REFERENCE,
            )
        )
    if is_quarry_asset(key):
        issues.append(
            _error(
                "KEY_RESERVED",
                field,
                f"Keys starting with {QUARRY_PREFIX} are reserved for Quarry's own assets.",
                RuleSource.QUARRY,
            )
        )
    if SCRIPT_KEY_LENGTH < len(key) <= MAX_CUSTOMER_KEY:
        issues.append(
            _warning(
                "KEY_LONG",
                field,
                f"Keys used in scripts are best kept to {SCRIPT_KEY_LENGTH} characters.",
                RuleSource.REFERENCE,
            )
        )
    return issues


def check_field_name(name: str, *, field: str) -> list[Issue]:
    """Rules for one field's name (uniqueness is checked over all fields by the caller)."""
    if not name.strip():
        return [_error("FIELD_NAME_REQUIRED", field, "A field needs a name.", RuleSource.QUARRY)]
    if _CONTROL.search(name):
        return [
            _error(
                "INVALID_INPUT", field, "The field name contains control characters.",
                RuleSource.QUARRY,
            )
        ]  # fmt: skip
    problems = []
    if len(name) > MAX_NAME_SIM:
        problems.append(f"more than {MAX_NAME_SIM} characters")
    if name.startswith("_"):
        problems.append("a leading '_' (system fields)")
    if name != name.strip():
        problems.append("a space at an end")
    if any(char in name for char in "[]\"'"):
        problems.append("brackets or quotes")
    if not problems:
        return []
    return [
        _warning(
            "FIELD_NAME_REFUSED_BY_SIMULATOR",
            field,
            f"The simulator refuses field names with {', '.join(problems)}; Marketing Cloud's"
            " rule is not documented. The query's column must carry the same name: alias it"
            " in the SQL if the field is renamed.",
            RuleSource.SIMULATOR,
        )
    ]


def key_from_name(name: str) -> str:
    """A CustomerKey for a DE called ``name``: letters, digits, ``_`` and ``-`` (other runs of
    characters become one ``_``), at most :data:`SCRIPT_KEY_LENGTH` characters."""
    key = _KEY_CHARACTERS.sub("_", name.strip()).strip("_")[:SCRIPT_KEY_LENGTH].strip("_")
    if not key or is_quarry_asset(key):
        key = ("DE_" + key.lstrip("_"))[:SCRIPT_KEY_LENGTH] if key else "Target_DE"
    return key


def name_variant(base: str, number: int) -> str:
    """``base`` (``number`` 1), else ``base 2``, ``base 3``... within the simulator's length."""
    if number <= 1:
        return base
    return f"{base[: MAX_NAME_SIM - len(str(number)) - 1]} {number}"


def key_variant(base: str, number: int) -> str:
    """``base`` (``number`` 1), else ``base_2``... within :data:`SCRIPT_KEY_LENGTH`."""
    if number <= 1:
        return base
    return f"{base[: SCRIPT_KEY_LENGTH - len(str(number)) - 1]}_{number}"


def _unique(base: str, taken: Collection[str], variant: Callable[[str, int], str]) -> str:
    number = 1
    while variant(base, number).casefold() in taken:
        number += 1
    return variant(base, number)


def unique_name(base: str, taken: Collection[str]) -> str:
    """The first of ``base``, ``base 2``... not in ``taken`` (lower-cased names)."""
    return _unique(base, taken, name_variant)


def unique_key(base: str, taken: Collection[str]) -> str:
    """The first of ``base``, ``base_2``... not in ``taken`` (lower-cased keys)."""
    return _unique(base, taken, key_variant)
