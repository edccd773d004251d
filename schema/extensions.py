"""Schema extensions: introspection switched per deployment, error codes on public errors.

The schema object is built once per process (a strawberry limitation for relay ``node``),
so introspection is gated per request from the context instead of by building another schema.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

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
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for error in result.errors:
            code = error_code(error)
            if code is not None:
                error.extensions = {**(error.extensions or {}), "code": code}
