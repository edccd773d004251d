"""tsql: the MCE SQL toolkit (docs/tsql.md), on sqlglot's T-SQL dialect.

It imports nothing of ours: callers reach it through this public surface and give it metadata
through the :class:`Catalog` protocol. The modules behind it are:

- :mod:`tsql.validate`: findings for a purpose, output columns, statement kind;
- :mod:`tsql.infer`: output-schema inference and the name findings;
- :mod:`tsql.output_key`: which output columns identify a row (a target DE's primary key);
- :mod:`tsql.select_list`: the select list naming the output, item by item, with positions;
- :mod:`tsql.scope`: the tables a statement reads (``source_tables``), name resolution;
- :mod:`tsql.rewrite`: MCE's wrapper and the run form the engine executes;
- :mod:`tsql.complete`: completions at a cursor;
- :mod:`tsql.format`: the canonical layout, comments kept;
- :mod:`tsql.dataviews`, :mod:`tsql.functions`, :mod:`tsql.mce_errors`: the catalogues;
- :mod:`tsql.parse`, :mod:`tsql.findings`, :mod:`tsql.types`, :mod:`tsql.names`,
  :mod:`tsql.catalog`: the shared vocabulary; :mod:`tsql.spans`: where a node is written.
"""

from __future__ import annotations

from tsql.catalog import Catalog, EmptyCatalog, MemoryCatalog
from tsql.complete import Completion, CompletionKind, complete
from tsql.dataviews import (
    DATA_VIEWS,
    DataView,
    JoinKey,
    data_view,
    is_data_view_name,
    resolve_data_view,
)
from tsql.findings import Finding, Severity, Span, span_of_offsets
from tsql.format import Formatted, format_sql
from tsql.functions import FUNCTIONS, UNSUPPORTED_FUNCTIONS, FunctionSpec, function_spec
from tsql.infer import Inference, infer_output
from tsql.mce_errors import MCE_ERRORS, ErrorExplanation, explain_mce_error
from tsql.names import needs_brackets, quote_identifier
from tsql.output_key import KeyBasis, OutputKey, infer_output_key
from tsql.parse import MAX_NESTING, MAX_SQL_CHARS, ParsedSql, parse
from tsql.rewrite import RunRewrite, mce_wrapped, prepare_run, rewrite_for_run
from tsql.rules_codes import FINDING_CODES
from tsql.scope import source_tables
from tsql.select_list import SelectItem, SelectList, select_list
from tsql.types import Column, FieldType, Purpose, Table, TableKind, TableName
from tsql.validate import Analysis, validate, validate_cached

__all__ = [
    "DATA_VIEWS",
    "FINDING_CODES",
    "FUNCTIONS",
    "MAX_NESTING",
    "MAX_SQL_CHARS",
    "MCE_ERRORS",
    "UNSUPPORTED_FUNCTIONS",
    "Analysis",
    "Catalog",
    "Column",
    "Completion",
    "CompletionKind",
    "DataView",
    "EmptyCatalog",
    "ErrorExplanation",
    "FieldType",
    "Finding",
    "Formatted",
    "FunctionSpec",
    "Inference",
    "JoinKey",
    "KeyBasis",
    "MemoryCatalog",
    "OutputKey",
    "ParsedSql",
    "Purpose",
    "RunRewrite",
    "SelectItem",
    "SelectList",
    "Severity",
    "Span",
    "Table",
    "TableKind",
    "TableName",
    "complete",
    "data_view",
    "explain_mce_error",
    "format_sql",
    "function_spec",
    "infer_output",
    "infer_output_key",
    "is_data_view_name",
    "mce_wrapped",
    "needs_brackets",
    "parse",
    "prepare_run",
    "quote_identifier",
    "resolve_data_view",
    "rewrite_for_run",
    "select_list",
    "source_tables",
    "span_of_offsets",
    "validate",
    "validate_cached",
]
