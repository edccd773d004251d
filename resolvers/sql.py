"""SQL toolkit use-cases: ``validateSql``, ``formatSql`` and ``sqlCompletions``.

Any signed-in viewer (browser session or API token, read-only ones included: nothing here
writes) may use them, in the BU they are working in. Anything typed into the editor is valid
input to check: bad SQL is a finding, never an error; only the completion arguments that
cannot name a place in the text (``offset``) or a sensible list size (``first``) are
refused, as INVALID_INPUT.
"""

from __future__ import annotations

from services import sql_toolkit
from services.authn import Authentication
from services.errors import InvalidInput
from services.sql_toolkit import MAX_COMPLETIONS, Analysis, Completion, Formatted, Purpose

__all__ = ["format_sql", "sql_completions", "validate_sql"]


async def validate_sql(auth: Authentication, *, sql: str, purpose: Purpose) -> Analysis:
    principal = auth.require_principal()
    return await sql_toolkit.analyse_sql(principal.tenant_context(), sql=sql, purpose=purpose)


async def format_sql(auth: Authentication, *, sql: str) -> Formatted:
    principal = auth.require_principal()
    return await sql_toolkit.format_sql_text(principal.tenant_context(), sql=sql)


async def sql_completions(
    auth: Authentication, *, sql: str, offset: int, first: int
) -> tuple[Completion, ...]:
    principal = auth.require_principal()
    if not 1 <= first <= MAX_COMPLETIONS:
        raise InvalidInput(f"'first' must be between 1 and {MAX_COMPLETIONS}.", field="first")
    if not 0 <= offset <= len(sql):
        raise InvalidInput(
            f"'offset' must be between 0 and the length of the SQL ({len(sql)}).", field="offset"
        )
    return await sql_toolkit.complete_sql(
        principal.tenant_context(), sql=sql, offset=offset, limit=first
    )
