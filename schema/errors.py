"""User errors in payloads, and the masking rule for everything else.

Mutations return ``userErrors { code field message }`` for expected failures. Unexpected
exceptions are masked as "Unexpected error."; only the public ``QuarryError`` hierarchy and
GraphQL's own validation errors (which carry no ``original_error``) pass through.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from services.errors import QuarryError


@strawberry.type(description="An expected problem with the input or state; safe to show.")
class UserError:
    code: str = strawberry.field(description="Stable machine-readable code, e.g. INVALID_INPUT.")
    message: str
    field: str | None = strawberry.field(default=None, description="The input field at fault.")


T = TypeVar("T")


def user_errors_from(exc: QuarryError) -> list[UserError]:
    """A payload's `userErrors` for one expected failure: its code, message and field, as raised."""
    return [UserError(code=exc.code, message=exc.message, field=exc.field)]


async def attempt(
    call: Awaitable[T], *expected: type[QuarryError]
) -> tuple[T | None, list[UserError]]:
    """Await a use case; an `expected` failure becomes `userErrors`, anything else propagates.

    Only the failures a mutation documents become user errors: an unexpected one still reaches
    the masking rule below, so it is logged and shown as "Unexpected error." and never leaks.
    """
    try:
        return await call, []
    except expected as exc:
        return None, user_errors_from(exc)


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
