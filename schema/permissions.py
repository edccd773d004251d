"""Authorisation at the GraphQL edge: who may reach tenant fields, and read-only tokens.

- :func:`require_principal` gates tenant fields: signed out is UNAUTHENTICATED; a support
  token is FORBIDDEN (support staff see no tenant data); otherwise the caller's principal.
- :class:`ReadOnlyTokens` refuses every mutation to a read-only principal (a READ API
  token) before anything executes, so a new mutation cannot forget the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from services.errors import PermissionDenied
from services.identity import Principal

__all__ = ["ReadOnlyTokens", "require_principal"]


def require_principal(info: Info[Any, Any]) -> Principal:
    """The caller's principal, or the public error that says why there is none."""
    principal: Principal = info.context.authentication.require_principal()
    return principal


class ReadOnlyTokens(SchemaExtension):
    """Refuse mutations to read-only principals, over HTTP and websockets alike.

    The refusal is set as the operation's result before execution starts (strawberry then
    skips executing), so it flows through the usual error handling: public code, masking.
    """

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        if execution.operation_type is OperationType.MUTATION:
            principal = getattr(execution.context, "principal", None)
            if principal is not None and principal.read_only:
                refusal = PermissionDenied(
                    "This API token is read-only; mutations need READ_WRITE."
                )
                execution.result = ExecutionResult(
                    data=None, errors=[GraphQLError(refusal.message, original_error=refusal)]
                )
        yield
