"""Logging GraphQL errors without the documents they came from.

strawberry logs every error at ERROR as ``str(error)``, which for a syntax or validation
error prints an excerpt of the document around the error's location; and graphql-core's
messages quote the document's literals and the variables' values ("found ...", "got invalid
value ..."). Whatever a client sends in a query (SQL text, once runs exist) would reach the
logs. :class:`QuarrySchema` logs instead:

- unexpected errors, the ones masked for clients: ERROR, with their traceback and path (the
  log line carries the request id, so the "Unexpected error." a user reports can be found);
- public errors (:class:`~services.errors.QuarryError`): INFO, their code, path and message.
  Those messages are written by us and safe to show, so they must not quote input either;
- document errors (syntax, validation, variables' coercion: no original exception, or a
  GraphQLError behind them): INFO, a code and the path only, never graphql-core's message
  or the document.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from schema.errors import error_code, should_mask_error

__all__ = ["PARSE_FAILED", "VALIDATION_FAILED", "QuarrySchema", "log_graphql_error"]

log = logging.getLogger("quarry.graphql.errors")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


def _path(error: GraphQLError) -> str:
    return ".".join(str(part) for part in error.path) if error.path else "-"


def log_graphql_error(error: GraphQLError) -> None:
    """Log one error of an operation by the rules in the module docstring."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # graphql-core's own message (a GraphQLError behind it: a variable's value failed
        # coercion): it may quote the document or the variables, so only its kind is logged.
        kind = PARSE_FAILED if error.message.startswith("Syntax Error") else VALIDATION_FAILED
        log.info("graphql error %s at %s", kind, _path(error))
        return
    if should_mask_error(error):
        log.error(
            "unexpected error (%s) at %s",
            type(original).__name__,
            _path(error),
            exc_info=(type(original), original, original.__traceback__),
        )
        return
    log.info("graphql error %s at %s: %s", error_code(error), _path(error), error.message)


class QuarrySchema(strawberry.Schema):
    """strawberry's schema, logging errors without the document (see the module docstring)."""

    def process_errors(
        self,
        errors: Sequence[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        for error in errors:
            log_graphql_error(error)
