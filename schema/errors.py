"""User errors in payloads, and the masking rule for everything else.

Mutations return ``userErrors { code field message }`` for expected failures. Unexpected
exceptions are masked as "Unexpected error."; only the public ``QuarryError`` hierarchy and
GraphQL's own validation errors (which carry no ``original_error``) pass through.
"""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from services.errors import QuarryError


@strawberry.type(description="An expected problem with the input or state; safe to show.")
class UserError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. INVALID_INPUT.")
    message: str
    field: str | None = strawberry.field(default=None, description="The input field at fault.")


def should_mask_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # GraphQL's own syntax, validation or variable-coercion error (e.g. an unknown enum
        # value in the variables): about the caller's own document, safe and useful.
        return False
    return not isinstance(original, QuarryError)


def error_code(error: GraphQLError) -> str | None:
    original = error.original_error
    return original.code if isinstance(original, QuarryError) else None
