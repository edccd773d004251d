"""``POST /hub/v1/dataevents/key:{key}/rowset``: synchronous row upsert (REFERENCE §4.2).

Also the single-row form ``PUT /hub/v1/dataevents/key:{key}/rows/{PK}:{value}`` (or by
ObjectID), body ``{"values": {column: value}}``; composite keys as ``A:1,B:2`` **[sim]**.

Body: a JSON array of ``{"keys": {PK: value}, "values": {column: value}}``. All rows
are validated first and nothing is written unless every row is valid; problems come
back as one 400 ``errorcode 10006`` (aggregate) whose ``additionalErrors`` name each
problem with its own code: 10001 invalid data type, 10002 missing required field,
10003 incorrect format, 10005 invalid value (too long, out of range, unknown column,
non-key column under ``keys``). Rows whose primary key exists are updated: only the
columns sent change. New rows get field defaults. 200 echoes the request array.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from simulator.model import DataExtension
from simulator.responses import DOCUMENTATION_URL, BadJson, read_json, rest_error, sim_of
from simulator.rest_common import rest_entry
from simulator.rows import quote_ident
from simulator.state import Simulator
from simulator.values import ValueProblem, coerce_value

__all__ = ["insert_rows", "upsert_row"]

_CODES = {"type": 10001, "required": 10002, "format": 10003, "value": 10005}
_WRITE_SCOPE = "data_extensions_write"
_MAX_ROWS = 5000


def _problem(kind: str, message: str) -> dict[str, Any]:
    return {"message": message, "errorcode": _CODES[kind], "documentation": DOCUMENTATION_URL}


async def _target(request: Request, operation: str) -> tuple[DataExtension, Any] | Response:
    """Count, authorise, find the DE (404) and read the JSON body (415, 400 10004)."""
    info = await rest_entry(request, operation, _WRITE_SCOPE)
    if isinstance(info, Response):
        return info
    sim = sim_of(request)
    path = request.path_params
    if "key" in path:
        de = sim.store.get_de(info.mid, customer_key=path["key"])
    else:
        de = sim.store.get_de(info.mid, object_id=path["object_id"])
    if de is None:
        return rest_error(404, "Unable to find the data extension.", 30003)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        return rest_error(415, "Unsupported Media Type", 0)
    try:
        return de, await read_json(request)
    except BadJson:
        return rest_error(400, "Invalid Message Format", 10004)


def _write(sim: Simulator, de: DataExtension, rows: list[dict[str, Any]]) -> Response | None:
    """Validate and upsert all rows, or write nothing and answer the 400 10006."""
    typed, problems = _validate(de, rows)
    merged: list[dict[str, Any]] = []
    if not problems:
        merged = _merge(sim, de, typed)
        problems = _missing_required(de, merged)
    if problems:
        return rest_error(
            400, "Request contains one or more errors.", 10006, additionalErrors=problems
        )
    sim.rows.upsert(de, merged)
    return None


async def insert_rows(request: Request) -> Response:
    """``POST .../rowset``: a JSON array of ``{keys, values}``; 200 echoes it."""
    target = await _target(request, "rest.rowset.insert")
    if isinstance(target, Response):
        return target
    de, body = target
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        return rest_error(400, "Invalid Message Format: expected an array of rows.", 10004)
    if len(body) > _MAX_ROWS:
        return rest_error(400, f"At most {_MAX_ROWS} rows per request.", 10005)
    return _write(sim_of(request), de, body) or JSONResponse(body)


async def upsert_row(request: Request) -> Response:
    """``PUT .../rows/{PK}:{value}``, body ``{"values": {...}}``; 200 ``{keys, values}`` [sim]."""
    target = await _target(request, "rest.row.upsert")
    if isinstance(target, Response):
        return target
    de, body = target
    if not isinstance(body, dict) or not isinstance(body.get("values", {}), dict):
        return rest_error(400, 'Invalid Message Format: expected {"values": {...}}.', 10004)
    keys = _path_keys(request.path_params["primary_keys"])
    if keys is None:
        return rest_error(400, "The row is addressed as {PrimaryKey}:{Value} in the URL.", 10005)
    row = {"keys": keys, "values": body.get("values", {})}
    return _write(sim_of(request), de, [row]) or JSONResponse(row)


def _path_keys(segment: str) -> dict[str, str] | None:
    """``Id:1`` or ``A:1,B:x`` → ``{"Id": "1"}``; ``None`` when a pair has no ``:``."""
    keys: dict[str, str] = {}
    for pair in segment.split(","):
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            return None
        keys[name.strip()] = value
    return keys


def _validate(
    de: DataExtension, body: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    problems: list[dict[str, Any]] = []
    typed_rows: list[dict[str, Any]] = []
    pk_names = {f.name for f in de.primary_key}
    for index, row in enumerate(body):
        keys, values = row.get("keys", {}), row.get("values", {})
        if not isinstance(keys, dict) or not isinstance(values, dict):
            problems.append(_problem("format", f"Row {index}: keys and values must be objects."))
            continue
        typed: dict[str, Any] = {}
        for section, entries in (("keys", keys), ("values", values)):
            for name, raw in entries.items():
                field = de.field_named(str(name))
                if field is None:
                    problems.append(_problem("value", f"Row {index}: unknown field {name}."))
                    continue
                if section == "keys" and field.name not in pk_names:
                    problems.append(
                        _problem("value", f"Row {index}: {field.name} is not a primary key.")
                    )
                    continue
                try:
                    typed[field.name] = coerce_value(field, raw)
                except ValueProblem as exc:
                    problems.append(_problem(exc.kind, f"Row {index}: {exc.message}"))
        for field in de.primary_key:
            if typed.get(field.name) is None:
                problems.append(
                    _problem("required", f"Row {index}: primary key {field.name} is required.")
                )
        typed_rows.append(typed)
    return typed_rows, problems


def _merge(sim: Simulator, de: DataExtension, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Full rows to write: existing rows keep the columns not sent; new ones get defaults."""
    pk = [f.name for f in de.primary_key]
    merged: list[dict[str, Any]] = []
    for row in rows:
        existing: dict[str, Any] | None = None
        if pk:
            where = " AND ".join(f"{quote_ident(c)} = ?" for c in pk)
            found = sim.rows.fetch(de, where=where, params=[row[c] for c in pk], limit=1)
            if found:
                existing = dict(zip([f.name for f in de.fields], found[0], strict=True))
        if existing is None:
            base = {
                f.name: coerce_value(f, f.default_value)
                for f in de.fields
                if f.default_value is not None
            }
            merged.append({**base, **row})
        else:
            merged.append({**existing, **row})
    return merged


def _missing_required(de: DataExtension, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    problems = []
    for index, row in enumerate(rows):
        for field in de.fields:
            if field.is_required and row.get(field.name) is None:
                problems.append(_problem("required", f"Row {index}: {field.name} is required."))
    return problems
