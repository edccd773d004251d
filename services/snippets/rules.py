"""What a snippet library accepts: limits, input checks and the library's own user errors.

Limits exist so one user cannot grow a row, a history or a library without bound: SQL up to
tsql's own limit (100,000 characters: longer text could not be checked or run anyway), a
title of 1 to 200 characters, at most 20 tags, folders at most 20 deep. Every refusal is a
``QuarryError`` whose message is safe to show and whose ``field`` names the input at fault
(GraphQL's ``userErrors``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from services.errors import InvalidInput, QuarryError

__all__ = [
    "HISTORY_LENGTH",
    "MAX_DESCRIPTION_CHARS",
    "MAX_FOLDERS_PER_USER",
    "MAX_FOLDER_DEPTH",
    "MAX_FOLDER_NAME_CHARS",
    "MAX_SEARCH_CHARS",
    "MAX_SEARCH_TERMS",
    "MAX_SNIPPETS_PER_USER",
    "MAX_SQL_CHARS",
    "MAX_TAGS",
    "MAX_TAG_CHARS",
    "MAX_TITLE_CHARS",
    "Conflict",
    "FolderCycle",
    "FolderNotEmpty",
    "LimitReached",
    "NameTaken",
    "search_patterns",
    "validate_description",
    "validate_folder_name",
    "validate_sql",
    "validate_tags",
    "validate_title",
]

MAX_SQL_CHARS = 100_000
MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_CHARS = 2_000
MAX_TAGS = 20
MAX_TAG_CHARS = 50
MAX_FOLDER_NAME_CHARS = 100
MAX_FOLDER_DEPTH = 20
#: Snippets one user may keep, the trash included (it empties itself after 30 days).
MAX_SNIPPETS_PER_USER = 5_000
MAX_FOLDERS_PER_USER = 1_000
#: Versions kept per snippet: older ones are dropped as new ones are saved.
HISTORY_LENGTH = 50
MAX_SEARCH_CHARS = 200
MAX_SEARCH_TERMS = 10

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# SQL keeps tabs and line breaks; other control characters (NUL above all) are refused.
_SQL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LIKE_SPECIAL = re.compile(r"([\\%_])")


class Conflict(QuarryError):
    """The snippet changed since the version the caller edited (a lost update avoided)."""

    code = "CONFLICT"


class FolderCycle(QuarryError):
    code = "FOLDER_CYCLE"


class FolderNotEmpty(QuarryError):
    code = "FOLDER_NOT_EMPTY"


class NameTaken(QuarryError):
    code = "NAME_TAKEN"


class LimitReached(QuarryError):
    code = "LIMIT_REACHED"


def _line(value: str, *, field: str, what: str, limit: int) -> str:
    cleaned = value.strip()
    if not cleaned or len(cleaned) > limit:
        raise InvalidInput(f"{what} is 1 to {limit} characters.", field=field)
    if _CONTROL.search(cleaned):
        raise InvalidInput(f"{what} cannot contain control characters.", field=field)
    return cleaned


def validate_title(title: str, *, field: str = "title") -> str:
    return _line(title, field=field, what="A snippet's title", limit=MAX_TITLE_CHARS)


def validate_folder_name(name: str, *, field: str = "name") -> str:
    return _line(name, field=field, what="A folder's name", limit=MAX_FOLDER_NAME_CHARS)


def validate_sql(sql: str, *, field: str = "sql") -> str:
    """SQL is kept exactly as written (no trimming), within the size tsql can check."""
    if len(sql) > MAX_SQL_CHARS:
        raise InvalidInput(f"A snippet's SQL is at most {MAX_SQL_CHARS:,} characters.", field=field)
    if _SQL_CONTROL.search(sql):
        raise InvalidInput("SQL cannot contain control characters.", field=field)
    return sql


def validate_description(description: str, *, field: str = "description") -> str:
    cleaned = description.strip()
    if len(cleaned) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput(
            f"A description is at most {MAX_DESCRIPTION_CHARS:,} characters.", field=field
        )
    if _SQL_CONTROL.search(cleaned):
        raise InvalidInput("A description cannot contain control characters.", field=field)
    return cleaned


def validate_tags(tags: Iterable[str], *, field: str = "tags") -> tuple[str, ...]:
    """Trimmed, without duplicates (compared case-insensitively, first spelling kept)."""
    kept: dict[str, str] = {}
    for tag in tags:
        cleaned = _line(tag, field=field, what="A tag", limit=MAX_TAG_CHARS)
        kept.setdefault(cleaned.casefold(), cleaned)
        if len(kept) > MAX_TAGS:
            raise InvalidInput(f"A snippet has at most {MAX_TAGS} tags.", field=field)
    return tuple(kept.values())


def search_patterns(search: str | None) -> list[str] | None:
    """ILIKE patterns for a search text: one per word, LIKE's wildcards escaped, so each word
    matches literally as a substring. None when there is nothing to search for."""
    if search is None:
        return None
    if len(search) > MAX_SEARCH_CHARS:
        raise InvalidInput(f"Search for at most {MAX_SEARCH_CHARS} characters.", field="search")
    if _SQL_CONTROL.search(search):
        raise InvalidInput("A search cannot contain control characters.", field="search")
    terms = list(dict.fromkeys(search.split()))
    if not terms:
        return None
    if len(terms) > MAX_SEARCH_TERMS:
        raise InvalidInput(f"Search for at most {MAX_SEARCH_TERMS} words.", field="search")
    return ["%" + _LIKE_SPECIAL.sub(r"\\\1", term) + "%" for term in terms]
