"""The one function that names Quarry's own MCE assets, and the flag for other tools' leftovers.

Quarry creates MCE assets to run ad-hoc SQL (DESIGN.md: the runs engine's folder, shell DEs
and shell QDs). They are implementation details, so the explorer hides them; the runs engine
names them with :func:`quarry_asset_name` and the cache flags them with
:func:`is_quarry_asset`, so the two can never disagree. Every name starts with
:data:`QUARRY_PREFIX`, which no user would choose by accident and which fits MCE's limits
(a query definition's key is at most 36 characters, REFERENCE §2.4).

Other tools leave assets behind too: Query Studio's result DEs are named
``QueryStudioResults at <timestamp>`` and its query activities carry the description
``Query created by Query Studio``; Query++ (QSPRO) leaves ``QPP_Results_*`` DEs and
``QPP_Query_*`` query activities (REFERENCE §6). They are flagged
(:func:`is_foreign_leftover`) so a filter can hide them; they are the user's, so never hidden
by default nor touched.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = [
    "QUARRY_PREFIX",
    "QuarryAssetKind",
    "is_foreign_leftover",
    "is_quarry_asset",
    "quarry_asset_name",
]

QUARRY_PREFIX = "QRY__"
"""Starts the name and customer key of every MCE asset Quarry creates."""

#: The longest token a name may carry: a query definition's CustomerKey is limited to 36.
MAX_TOKEN_LENGTH = 28

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


class QuarryAssetKind(StrEnum):
    """What Quarry creates in MCE; the value is the part of the name after the prefix."""

    FOLDER = "Runs"
    """The folder (under the BU's root DE folder) holding the runs engine's shell DEs."""
    QUERY_FOLDER = "Queries"
    """The query-activity folder holding the shell QDs."""
    SHELL_DE = "DE"
    SHELL_QD = "QD"


def quarry_asset_name(kind: QuarryAssetKind, token: str | None = None) -> str:
    """The name (also usable as the CustomerKey) of a Quarry asset of ``kind``.

    Folders take no token (one per BU); shell DEs and QDs need one (``[A-Za-z0-9_-]``, at
    most 28 characters, e.g. a shortened UUID) to tell them apart.
    """
    kind = QuarryAssetKind(kind)
    if kind in (QuarryAssetKind.FOLDER, QuarryAssetKind.QUERY_FOLDER):
        if token is not None:
            raise ValueError(f"a {kind.name.lower()} takes no token")
        return f"{QUARRY_PREFIX}{kind.value}"
    if token is None or not _TOKEN.fullmatch(token) or len(token) > MAX_TOKEN_LENGTH:
        raise ValueError(
            f"a {kind.name.lower()} needs a token of 1 to {MAX_TOKEN_LENGTH} letters, digits,"
            " '_' or '-'"
        )
    return f"{QUARRY_PREFIX}{kind.value}_{token}"


def is_quarry_asset(name_or_key: str | None) -> bool:
    """Whether a name or CustomerKey is one :func:`quarry_asset_name` made."""
    return bool(name_or_key) and str(name_or_key).startswith(QUARRY_PREFIX)


_LEFTOVER_NAME_PREFIXES = ("querystudioresults at ", "qpp_results_", "qpp_query_")
_LEFTOVER_DESCRIPTIONS = ("query created by query studio",)


def is_foreign_leftover(name: str | None, *, description: str | None = None) -> bool:
    """Whether an asset looks like another SQL tool's temporary leftover (see module doc)."""
    lowered = (name or "").strip().lower()
    if lowered.startswith(_LEFTOVER_NAME_PREFIXES):
        return True
    return (description or "").strip().lower() in _LEFTOVER_DESCRIPTIONS
