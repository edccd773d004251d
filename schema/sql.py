"""The SQL toolkit in GraphQL: ``validateSql``, ``formatSql`` and ``sqlCompletions``.

Read-only queries for a signed-in viewer, resolved against their current BU. Bad SQL is never
a GraphQL error: it is a finding in the answer (docs/tsql.md lists the codes).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers.sql import format_sql, sql_completions, validate_sql
from schema.context import GraphQLContext
from services.sql_toolkit import (
    Analysis,
    Column,
    Completion,
    CompletionKind,
    FieldType,
    Finding,
    Formatted,
    Purpose,
    Severity,
    Span,
)

__all__ = ["SqlQuery"]


@strawberry.enum(description="Why SQL is checked: the rules differ (docs/tsql.md).")
class SqlPurpose(Enum):
    RUN = strawberry.enum_value(
        Purpose.RUN.value,
        description="An ad-hoc run: Quarry wraps the query, so an outermost ORDER BY without"
        " TOP is accepted and honoured.",
    )
    QUERY_ACTIVITY = strawberry.enum_value(
        Purpose.QUERY_ACTIVITY.value,
        description="A Query Activity deploy: MCE's own rules, exactly.",
    )


@strawberry.enum(description="How much a finding matters.")
class SqlSeverity(Enum):
    ERROR = strawberry.enum_value(
        Severity.ERROR.value, description="MCE would reject it, or it cannot work."
    )
    WARNING = strawberry.enum_value(
        Severity.WARNING.value, description="It runs, but probably not as meant."
    )
    INFO = strawberry.enum_value(Severity.INFO.value, description="Worth knowing.")


@strawberry.enum(description="MCE's data extension field types.")
class SqlFieldType(Enum):
    TEXT = FieldType.TEXT.value
    NUMBER = FieldType.NUMBER.value
    DATE = FieldType.DATE.value
    BOOLEAN = FieldType.BOOLEAN.value
    EMAIL_ADDRESS = FieldType.EMAIL_ADDRESS.value
    PHONE = FieldType.PHONE.value
    DECIMAL = FieldType.DECIMAL.value
    LOCALE = FieldType.LOCALE.value


@strawberry.enum(description="What a completion inserts.")
class SqlCompletionKind(Enum):
    TABLE = CompletionKind.TABLE.value
    DATA_VIEW = CompletionKind.DATA_VIEW.value
    COLUMN = CompletionKind.COLUMN.value
    FUNCTION = CompletionKind.FUNCTION.value
    KEYWORD = CompletionKind.KEYWORD.value
    ALIAS = CompletionKind.ALIAS.value


@strawberry.type(
    description="A range of the SQL text. Offsets count Unicode code points from 0 (end"
    " exclusive); lines and columns count from 1."
)
class SqlRange:
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def from_domain(cls, span: Span) -> SqlRange:
        return cls(
            start=span.start,
            end=span.end,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
        )


@strawberry.type(description="Something the SQL toolkit found in the SQL.")
class SqlFinding:
    code: str = strawberry.field(description="Stable machine-readable code (docs/tsql.md).")
    severity: SqlSeverity
    message: str = strawberry.field(description="What is wrong, in plain words; safe to show.")
    mce_message: str | None = strawberry.field(
        description="MCE's own error message for it, when known."
    )
    suggestion: str | None = strawberry.field(description="What to write instead.")
    range: SqlRange | None = strawberry.field(
        description="Where in the SQL; null when it concerns the whole text."
    )

    @classmethod
    def from_domain(cls, finding: Finding) -> SqlFinding:
        return cls(
            code=finding.code,
            severity=SqlSeverity(finding.severity.value),
            message=finding.message,
            mce_message=finding.mce_message,
            suggestion=finding.suggestion,
            range=None if finding.span is None else SqlRange.from_domain(finding.span),
        )


@strawberry.type(description="One column the query outputs, as a target DE field would need it.")
class SqlOutputColumn:
    name: str
    field_type: SqlFieldType = strawberry.field(
        description="Text when the type is not known (see typeKnown and note)."
    )
    max_length: int | None = strawberry.field(description="Text-like types; null: MCE's default.")
    precision: int | None = strawberry.field(description="Decimal only.")
    scale: int | None = strawberry.field(description="Decimal only.")
    nullable: bool
    type_known: bool = strawberry.field(description="False when the type could not be inferred.")
    note: str | None = strawberry.field(description="Why the type is not known, or a caveat.")

    @classmethod
    def from_domain(cls, column: Column) -> SqlOutputColumn:
        return cls(
            name=column.name,
            field_type=SqlFieldType(column.field_type.value),
            max_length=column.max_length,
            precision=column.precision,
            scale=column.scale,
            nullable=column.nullable,
            type_known=column.type_known,
            note=column.note,
        )


@strawberry.type(description="What the SQL toolkit says about a query.")
class SqlAnalysis:
    valid: bool = strawberry.field(
        description="True when no finding is an ERROR: MCE would accept it for this purpose."
    )
    statement_kind: str | None = strawberry.field(
        description="SELECT, UNION, INSERT, UPDATE, DELETE or OTHER; null when unreadable."
    )
    findings: list[SqlFinding]
    columns: list[SqlOutputColumn] = strawberry.field(
        description="The output columns, in order (empty when they cannot be known)."
    )

    @classmethod
    def from_domain(cls, analysis: Analysis) -> SqlAnalysis:
        return cls(
            valid=analysis.valid,
            statement_kind=analysis.statement_kind,
            findings=[SqlFinding.from_domain(finding) for finding in analysis.findings],
            columns=[SqlOutputColumn.from_domain(column) for column in analysis.columns],
        )


@strawberry.type(description="SQL in the canonical layout, every comment kept.")
class FormattedSql:
    sql: str = strawberry.field(description="The formatted SQL; the input itself if unreadable.")
    changed: bool
    findings: list[SqlFinding] = strawberry.field(description="Why it could not be formatted.")

    @classmethod
    def from_domain(cls, formatted: Formatted) -> FormattedSql:
        return cls(
            sql=formatted.sql,
            changed=formatted.changed,
            findings=[SqlFinding.from_domain(finding) for finding in formatted.findings],
        )


@strawberry.type(description="Something that may be written at the cursor.")
class SqlCompletion:
    label: str
    kind: SqlCompletionKind
    detail: str | None = strawberry.field(description="A type, a DE, or a signature.")
    insert_text: str = strawberry.field(description="The text to insert, bracketed when needed.")
    documentation: str | None

    @classmethod
    def from_domain(cls, completion: Completion) -> SqlCompletion:
        return cls(
            label=completion.label,
            kind=SqlCompletionKind(completion.kind.value),
            detail=completion.detail,
            insert_text=completion.insert_text,
            documentation=completion.documentation,
        )


_SQL = strawberry.argument(description="The SQL text (MCE SQL, T-SQL).")


@strawberry.type
class SqlQuery:
    @strawberry.field(
        description="Check SQL as MCE would in your current business unit: findings with their"
        " place in the text, the output columns and the statement kind."
    )
    async def validate_sql(
        self,
        info: Info[GraphQLContext, None],
        sql: Annotated[str, _SQL],
        purpose: SqlPurpose = SqlPurpose.RUN,
    ) -> SqlAnalysis:
        analysis = await validate_sql(
            info.context.authentication, sql=sql, purpose=Purpose[purpose.name]
        )
        return SqlAnalysis.from_domain(analysis)

    @strawberry.field(description="SQL in the canonical layout; every comment is kept.")
    async def format_sql(
        self, info: Info[GraphQLContext, None], sql: Annotated[str, _SQL]
    ) -> FormattedSql:
        formatted = await format_sql(info.context.authentication, sql=sql)
        return FormattedSql.from_domain(formatted)

    @strawberry.field(
        description="What may be written at the cursor in your current business unit, best"
        " first: tables and data views, columns, functions, keywords."
    )
    async def sql_completions(
        self,
        info: Info[GraphQLContext, None],
        sql: Annotated[str, _SQL],
        offset: Annotated[
            int,
            strawberry.argument(
                description="The cursor, in Unicode code points from the start (0 to the"
                " length of sql)."
            ),
        ],
        first: Annotated[
            int, strawberry.argument(description="How many to return: 1 to 100.")
        ] = 50,
    ) -> list[SqlCompletion]:
        completions = await sql_completions(
            info.context.authentication, sql=sql, offset=offset, first=first
        )
        return [SqlCompletion.from_domain(completion) for completion in completions]
