"""What one GraphQL operation keeps for itself, such as its DataLoaders.

DataLoaders cache per operation: kept on the context under the operation they serve, so a
websocket (whose context lives as long as the connection) never answers one operation from
another's cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry.types import Info

__all__ = ["per_operation"]

T = TypeVar("T")


def per_operation(info: Info[Any, Any], name: str, build: Callable[[], T]) -> T:
    """This operation's ``name`` (built by ``build`` on first use in the operation)."""
    context = info.context
    # graphql-core coerces a new variables dict for every execution: with the operation it
    # tells this execution from an earlier one of the same document on the same socket.
    execution = (info._raw_info.operation, info._raw_info.variable_values)
    kept: tuple[tuple[object, object], T] | None = getattr(context, name, None)
    if kept is None or kept[0][0] is not execution[0] or kept[0][1] is not execution[1]:
        kept = (execution, build())
        setattr(context, name, kept)
    return kept[1]
