"""``validatedQueryText``: the statement MCE builds around a query (REFERENCE §5.1).

REST create and patch return it; the shape follows REFERENCE's one real example:
``SET NOCOUNT ON; SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED;`` then
``INSERT INTO C{MID}.[Target] ([col], ...)`` ``SELECT querydef.[col], ...``
``FROM (<text with tables prefixed C{MID}.> ) AS querydef`` and
``SELECT @rcInsert = @@ROWCOUNT;;``.
"""

from __future__ import annotations

from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from simulator.model import DataExtension
from simulator.sql.checks import parse_query
from simulator.sql.dialect import TSqlReader
from simulator.sql.errors import SqlError
from simulator.sql.transpile import output_names

__all__ = ["validated_query_text"]

_TABLE_STARTS = {TokenType.FROM, TokenType.JOIN}
_NAME_TOKENS = {TokenType.VAR, TokenType.IDENTIFIER}


def _prefixed(text: str, *, mid: int) -> str:
    """``text`` with each table name after FROM/JOIN written as ``C{mid}.name``.

    **[sim]** Names already qualified (``ENT.X``) are left alone, as are derived tables.
    """
    try:
        tokens = list(TSqlReader().tokenize(text))
    except SqlglotError:
        return text
    inserts: list[int] = []
    for previous, token, following in zip(tokens, tokens[1:], [*tokens[2:], None], strict=False):
        if previous.token_type not in _TABLE_STARTS or token.token_type not in _NAME_TOKENS:
            continue
        if following is not None and following.token_type is TokenType.DOT:
            continue
        inserts.append(token.start)
    for position in sorted(inserts, reverse=True):
        text = text[:position] + f"C{mid}." + text[position:]
    return text


def validated_query_text(*, mid: int, text: str, target: DataExtension) -> str:
    """MCE's wrapper statement for ``text`` writing into ``target`` from BU ``mid``.

    Output columns are the query's (mapped to the target's spelling); a ``*`` stands for
    every target field **[sim]**. Text that does not parse is wrapped as it is.
    """
    try:
        names = output_names(parse_query(text))
    except SqlError:
        names = []
    if not names or None in names:
        columns = [f.name for f in target.fields]
    else:
        columns = []
        for name in names:
            assert name is not None
            field = target.field_named(name)
            columns.append(field.name if field is not None else name)
    bracketed = [f"[{c}]" for c in columns]
    return (
        "SET NOCOUNT ON; SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED;\n"
        f"INSERT INTO C{mid}.[{target.name}] ({', '.join(bracketed)})\n"
        f"SELECT {', '.join('querydef.' + b for b in bracketed)}\n"
        f"FROM ({_prefixed(text.strip(), mid=mid)} ) AS querydef\n"
        "SELECT @rcInsert = @@ROWCOUNT;;"
    )
