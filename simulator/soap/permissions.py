"""OAuth scopes on SOAP calls: which scope each operation on each object type needs.

REST answers a missing scope with 403; MCE's SOAP API answers HTTP 200 with ``OverallStatus``
``Error: API Permission Failed`` on a Retrieve (an observed reply, seen by FuelSDK and Singer
users whose package lacked the scope). The mapping of object types to scopes follows the
REST scopes of the same data **[sim]** (MCE publishes no SOAP table): data extensions and
their fields need ``data_extensions_read``/``_write``; query definitions, their status and
automations ``automations_read``/``_write``, and Perform ``automations_execute``; business
units ``accounts_read``; folders the read or write scope of either family. Create, Update,
Delete and Perform without the scope fail every object with the same message **[sim]**.
"""

from __future__ import annotations

from simulator.auth import TokenInfo

__all__ = ["PERMISSION_FAILED", "missing_scope"]

#: MCE's text for a call the package's scopes do not allow.
PERMISSION_FAILED = "API Permission Failed"

_FAMILIES: dict[str, tuple[str, ...]] = {
    "DataExtension": ("data_extensions",),
    "DataExtensionField": ("data_extensions",),
    "QueryDefinition": ("automations",),
    "AsyncActivityStatus": ("automations",),
    "Automation": ("automations",),
    "DataFolder": ("data_extensions", "automations"),
}


def _needed(operation: str, object_type: str) -> tuple[str, ...]:
    """Scopes of which the token needs at least one ('' when none is needed)."""
    if object_type == "BusinessUnit":
        return ("accounts_read",)
    families = _FAMILIES.get(object_type)
    if families is None:
        return ()  # unknown types are answered by the handler lookup as MCE does
    if operation == "Perform":
        return ("automations_execute",)
    suffix = "_read" if operation == "Retrieve" else "_write"
    return tuple(f"{family}{suffix}" for family in families)


def missing_scope(token: TokenInfo, operation: str, object_type: str) -> bool:
    """Whether ``token`` lacks every scope that ``operation`` on ``object_type`` accepts."""
    needed = _needed(operation, object_type)
    return bool(needed) and not any(token.has_scope(scope) for scope in needed)
