"""Schema extensions: introspection switched per deployment, error codes on public errors.

The schema object is built once per process (a strawberry limitation for relay ``node``),
so introspection is gated per request from the context instead of by building another schema.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from schema.errors import error_code


class IntrospectionGate(SchemaExtension):
    """Refuse ``__schema``/``__type`` unless the context allows introspection."""

    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context
        if not getattr(ctx.context, "introspection_allowed", True):
            ctx.validation_rules = (*ctx.validation_rules, NoSchemaIntrospectionCustomRule)
        yield


class PublicErrorCodes(SchemaExtension):
    """Add ``extensions.code`` to errors from the public hierarchy."""

    def on_operation(self) -> Iterator[None]:
        yield
        _add_codes(self.execution_context.result)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """Websocket operations: each result is sent before the operation ends."""
        _add_codes(result)
        yield


def _add_codes(result: object) -> None:
    for error in getattr(result, "errors", None) or ():
        code = error_code(error)
        if code is not None:
            error.extensions = {**(error.extensions or {}), "code": code}
