"""DE rows in one in-process DuckDB database.

Why DuckDB: part 2 executes query activities (T-SQL transpiled by sqlglot) over
these very tables, including data views with a million rows; DuckDB runs that in
process, and serves a 2,500-row rowset page in a few milliseconds.

One connection, guarded by one lock: DuckDB connections are not safe to share
across threads concurrently, and the simulator is touched both by uvicorn's loop
and by test threads. Tables are created lazily (``ensure_table``) so that a large
seed with 10,000 metadata-only DEs costs no DDL. Each DE maps to a table named
from its ObjectID, so renaming a DE never touches DuckDB; columns carry the
field names verbatim (quoted), and DuckDB, like MCE, compares them case-insensitively.
"""

from __future__ import annotations

import csv
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import duckdb

from simulator.model import DataExtension, Field, FieldType

__all__ = ["ADDED_COLUMN", "RowStore", "duckdb_type", "quote_ident", "wire_sql"]

_CHUNK = 500

#: Hidden column stamping each row with the (simulated) server time it was written, for
#: row-based retention. Field names cannot start with ``_`` (store rule 310001), so it can
#: never collide with a field; queries and rowsets select fields by name and never see it.
ADDED_COLUMN = "_sim_added"


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


def duckdb_type(field: Field) -> str:
    """The DuckDB column type that stores an MCE field type."""
    match field.field_type:
        case FieldType.NUMBER:
            return "BIGINT"
        case FieldType.DATE:
            return "TIMESTAMP"
        case FieldType.BOOLEAN:
            return "BOOLEAN"
        case FieldType.DECIMAL:
            precision = field.max_length or 18
            scale = field.scale or 0
            return f"DECIMAL({min(precision, 38)},{min(scale, precision)})"
        case _:
            return "VARCHAR"


def wire_sql(field: Field) -> str:
    """A DuckDB expression giving the field as MCE writes it on the wire (always a string).

    Same output as :func:`simulator.values.format_value` (a test holds them together),
    but computed inside DuckDB so a 2,500-row page needs no per-value Python work.
    """
    column = quote_ident(field.name)
    match field.field_type:
        case FieldType.BOOLEAN:
            expr = f"CASE WHEN {column} THEN 'True' WHEN NOT {column} THEN 'False' END"
        case FieldType.DATE:
            expr = f"strftime({column}, '%-m/%-d/%Y %-I:%M:%S %p')"
        case FieldType.TEXT | FieldType.EMAIL_ADDRESS | FieldType.PHONE | FieldType.LOCALE:
            expr = column
        case _:
            expr = f"CAST({column} AS VARCHAR)"
    return f"coalesce({expr}, '')"


class RowStore:
    """Rows of every DE, one DuckDB table each."""

    def __init__(self, *, now: Callable[[], datetime] = datetime.now) -> None:
        self._con = duckdb.connect(":memory:")
        # Long statements (large data views) would draw a progress bar on stdout, where the
        # CLI prints its JSON line.
        self._con.execute("SET enable_progress_bar = false")
        self._lock = threading.RLock()
        self._tables: set[str] = set()
        self._now = now

    def now(self) -> datetime:
        """The server time new rows are stamped with (the simulator's clock)."""
        return self._now()

    @staticmethod
    def table_name(de: DataExtension) -> str:
        return "de_" + de.object_id.replace("-", "").lower()

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The locked DuckDB connection (part 2 runs query activities through this)."""
        with self._lock:
            yield self._con

    def has_table(self, de: DataExtension) -> bool:
        return self.table_name(de) in self._tables

    def ensure_table(self, de: DataExtension) -> str:
        """Create the DE's table if missing; return its (unquoted) name."""
        name = self.table_name(de)
        with self._lock:
            if name not in self._tables:
                cols = ", ".join(
                    [f"{quote_ident(f.name)} {duckdb_type(f)}" for f in de.fields]
                    + [f"{quote_ident(ADDED_COLUMN)} TIMESTAMP"]
                )
                self._con.execute(f"CREATE TABLE {quote_ident(name)} ({cols})")
                self._tables.add(name)
        return name

    def drop_table(self, de: DataExtension) -> None:
        name = self.table_name(de)
        with self._lock:
            if name in self._tables:
                self._con.execute(f"DROP TABLE {quote_ident(name)}")
                self._tables.discard(name)

    def add_column(self, de: DataExtension, field: Field) -> None:
        if not self.has_table(de):
            return
        with self._lock:
            table = quote_ident(self.table_name(de))
            self._con.execute(
                f"ALTER TABLE {table} ADD COLUMN {quote_ident(field.name)} {duckdb_type(field)}"
            )

    def drop_column(self, de: DataExtension, field_name: str) -> None:
        if not self.has_table(de):
            return
        with self._lock:
            table = quote_ident(self.table_name(de))
            self._con.execute(f"ALTER TABLE {table} DROP COLUMN {quote_ident(field_name)}")

    def rename_column(self, de: DataExtension, old: str, new: str) -> None:
        if not self.has_table(de):
            return
        with self._lock:
            table = quote_ident(self.table_name(de))
            self._con.execute(
                f"ALTER TABLE {table} RENAME COLUMN {quote_ident(old)} TO {quote_ident(new)}"
            )

    def count(self, de: DataExtension, *, where: str = "", params: Sequence[Any] = ()) -> int:
        """Rows in the DE, optionally filtered by a parameterised SQL ``where``."""
        if not self.has_table(de):
            return 0
        sql = f"SELECT count(*) FROM {quote_ident(self.table_name(de))}"  # noqa: S608 - quoted ident
        if where:
            sql += f" WHERE {where}"
        with self._lock:
            row = self._con.execute(sql, list(params)).fetchone()
        return int(row[0]) if row else 0

    def fetch(
        self,
        de: DataExtension,
        *,
        columns: Sequence[str] | None = None,
        where: str = "",
        params: Sequence[Any] = (),
        order_by: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[tuple[Any, ...]]:
        """Rows as tuples of Python values, in the order of ``columns`` (default: all fields).

        ``order_by`` holds ``(field name, ascending)`` pairs; without it rows come in
        insertion order (DuckDB's ``rowid``), which keeps paging stable.
        """
        cols = columns if columns is not None else [f.name for f in de.fields]
        select = ", ".join(quote_ident(c) for c in cols)
        return self._select(
            de, select, where=where, params=params, order_by=order_by, limit=limit, offset=offset
        )

    def fetch_wire(
        self,
        de: DataExtension,
        *,
        columns: Sequence[str],
        where: str = "",
        params: Sequence[Any] = (),
        order_by: Sequence[tuple[str, bool]] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Like :meth:`fetch`, but every value already in MCE's wire format (see ``wire_sql``)."""
        by_name = {f.name: f for f in de.fields}
        select = ", ".join(wire_sql(by_name[c]) for c in columns)
        return self._select(
            de, select, where=where, params=params, order_by=order_by, limit=limit, offset=offset
        )

    def _select(
        self,
        de: DataExtension,
        select: str,
        *,
        where: str,
        params: Sequence[Any],
        order_by: Sequence[tuple[str, bool]],
        limit: int | None,
        offset: int,
    ) -> list[tuple[Any, ...]]:
        if not self.has_table(de):
            return []
        sql = f"SELECT {select or 'NULL'} FROM {quote_ident(self.table_name(de))}"  # noqa: S608 - quoted
        if where:
            sql += f" WHERE {where}"
        order = [f"{quote_ident(c)} {'ASC' if asc else 'DESC'} NULLS FIRST" for c, asc in order_by]
        order.append("rowid")
        sql += " ORDER BY " + ", ".join(order)
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with self._lock:
            return self._con.execute(sql, list(params)).fetchall()

    def insert(self, de: DataExtension, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append rows (dicts keyed by field name, typed Python values; missing → NULL)."""
        if not rows:
            return
        table = quote_ident(self.ensure_table(de))
        names = [f.name for f in de.fields]
        target = self.insert_columns(de)
        placeholder = "(" + ", ".join("?" for _ in names) + ", ?)"
        added = self.now()
        with self._lock:
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                values: list[Any] = []
                for row in chunk:
                    values.extend(row.get(n) for n in names)
                    values.append(added)
                sql = f"INSERT INTO {table} {target} VALUES " + ", ".join(  # noqa: S608 - bound
                    placeholder for _ in chunk
                )
                self._con.execute(sql, values)

    @staticmethod
    def insert_columns(de: DataExtension) -> str:
        """``("F1", "F2", ..., "_sim_added")``: every INSERT names its columns."""
        names = [quote_ident(f.name) for f in de.fields] + [quote_ident(ADDED_COLUMN)]
        return "(" + ", ".join(names) + ")"

    def bulk_load(self, de: DataExtension, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append many trusted rows fast (seeding, part 2's data views) through a CSV file.

        About 30x faster than parameterised INSERTs. Trusted data only: a text value of
        exactly ``\\N`` would load as NULL.
        """
        if not rows:
            return
        table = quote_ident(self.ensure_table(de))
        names = [f.name for f in de.fields]
        columns = (
            "{" + ", ".join(f"'c{i}': '{duckdb_type(f)}'" for i, f in enumerate(de.fields)) + "}"
        )
        fd, path = tempfile.mkstemp(suffix=".csv")
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                for row in rows:
                    writer.writerow(["\\N" if row.get(n) is None else row[n] for n in names])
            sql = (
                f"INSERT INTO {table} {self.insert_columns(de)} "  # noqa: S608 - quoted idents
                f"SELECT *, ?::TIMESTAMP FROM read_csv(?, header = false, "
                f"nullstr = '\\N', quote = '\"', escape = '\"', columns = {columns})"
            )
            with self._lock:
                self._con.execute(sql, [self.now(), path])
        finally:
            os.unlink(path)

    def save_parquet(self, de: DataExtension, path: str) -> None:
        """Write the DE's rows (its fields, in insertion order, without the hidden stamp) to
        a Parquet file at ``path``, which :meth:`load_parquet` reads back value for value."""
        table = quote_ident(self.ensure_table(de))
        columns = ", ".join(quote_ident(f.name) for f in de.fields)
        target = "'" + path.replace("'", "''") + "'"  # COPY takes no bound file name
        with self._lock:
            self._con.execute(
                f"COPY (SELECT {columns} FROM {table} ORDER BY rowid) "  # noqa: S608 - quoted
                f"TO {target} (FORMAT parquet)"
            )

    def load_parquet(self, de: DataExtension, path: str) -> None:
        """Append the rows of a file :meth:`save_parquet` wrote for a DE with the same
        fields, stamped with the current server time as :meth:`bulk_load` stamps them."""
        table = quote_ident(self.ensure_table(de))
        sql = (
            f"INSERT INTO {table} {self.insert_columns(de)} "  # noqa: S608 - quoted idents
            "SELECT *, ?::TIMESTAMP FROM read_parquet(?)"
        )
        with self._lock:
            self._con.execute(sql, [self.now(), path])

    def upsert(self, de: DataExtension, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows, replacing those with the same primary key (all-or-nothing)."""
        pk = [f.name for f in de.primary_key]
        if not pk:
            self.insert(de, rows)
            return
        latest: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        for row in rows:
            latest[tuple(row.get(c) for c in pk)] = row
        rows = list(latest.values())
        table = quote_ident(self.ensure_table(de))
        cond = " AND ".join(f"{quote_ident(c)} = ?" for c in pk)
        with self._lock:
            self._con.execute("BEGIN TRANSACTION")
            try:
                for row in rows:
                    delete = f"DELETE FROM {table} WHERE {cond}"  # noqa: S608 - values bound
                    self._con.execute(delete, [row.get(c) for c in pk])
                self.insert(de, rows)
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def truncate(self, de: DataExtension) -> None:
        if self.has_table(de):
            with self._lock:
                table = quote_ident(self.table_name(de))
                self._con.execute(f"DELETE FROM {table}")  # noqa: S608 - quoted ident

    def close(self) -> None:
        with self._lock:
            self._con.close()
            self._tables.clear()
