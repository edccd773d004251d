"""DE data retention: rows or whole DEs expire as their retention settings say.

The product relies on this for its temporary result DEs (QS Pro's pattern: one day,
``DeleteAtEndOfRetentionPeriod``; REFERENCE §6), so the simulator honours the settings MCE
stores on a DE (REFERENCE §2.4):

* ``RowBasedRetention`` with a period: each row is deleted once it is older than the period,
  counted from when it was written (the hidden ``_sim_added`` stamp; an upsert rewrites it).
* A period without row-based retention: all rows are deleted at the end of the period, counted
  from the DE's creation or, with ``ResetRetentionPeriodOnImport``, from the last write; with
  ``DeleteAtEndOfRetentionPeriod`` the DE itself is deleted instead. After a purge the next
  period starts **[sim]**.
* ``RetainUntil``: at that date the rows (or, with ``DeleteAtEndOfRetentionPeriod``, the DE) go.

Months and years are calendar months and years. Sweeps run from :meth:`Simulator.tick`, at most
once per simulated minute **[sim: MCE's own schedule is not documented]**, so advancing the
clock in a test expires what is due on the next request.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from simulator.model import DataExtension, RetentionUnit
from simulator.rows import ADDED_COLUMN, quote_ident

if TYPE_CHECKING:
    from simulator.clock import Clock
    from simulator.store import Store

__all__ = ["SWEEP_INTERVAL_SECONDS", "RetentionSweeper", "add_period"]

SWEEP_INTERVAL_SECONDS = 60.0


def add_period(start: datetime, length: int, unit: RetentionUnit) -> datetime:
    """``start`` plus ``length`` units; months and years keep the day where the month allows."""
    if unit is RetentionUnit.DAYS:
        return start + timedelta(days=length)
    if unit is RetentionUnit.WEEKS:
        return start + timedelta(weeks=length)
    months = length * (12 if unit is RetentionUnit.YEARS else 1)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


class RetentionSweeper:
    """Applies every DE's retention settings up to the simulator clock."""

    def __init__(self, *, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._next_sweep = 0.0
        #: When the current "all rows" period of a DE started, if not at its creation.
        self._period_start: dict[str, datetime] = {}

    def has_due(self) -> bool:
        return self.clock.time() >= self._next_sweep

    def sweep(self) -> None:
        """Expire what is due now; cheap when no DE has retention settings."""
        self._next_sweep = self.clock.time() + SWEEP_INTERVAL_SECONDS
        now = self.clock.server_now()
        for mid in list(self.store.business_units):
            for de in self.store.list_des(mid):
                if de.data_retention_period_length or de.retain_until is not None:
                    self._apply(de, now)

    def _apply(self, de: DataExtension, now: datetime) -> None:
        length, unit = de.data_retention_period_length, de.data_retention_period
        if de.retain_until is not None and now >= de.retain_until:
            self._expire(de)
            return
        if not length or unit is None:
            return
        if de.row_based_retention:
            self._delete_rows_written_before(de, _subtract(now, length, unit))
            return
        start = self._period_start.get(de.object_id, de.created_date)
        if de.reset_retention_period_on_import:
            start = max(start, self._last_write(de) or start)
        if now >= add_period(start, length, unit):
            self._expire(de)
            self._period_start[de.object_id] = now

    def _expire(self, de: DataExtension) -> None:
        """End of retention: the DE goes when so configured, else its rows."""
        if de.delete_at_end_of_retention_period:
            self.store.delete_de(mid=de.mid, customer_key=de.customer_key)
            self._period_start.pop(de.object_id, None)
        else:
            self.store.rows.truncate(de)
            if de.retain_until is not None:
                de.retain_until = None  # a date passes once

    def _delete_rows_written_before(self, de: DataExtension, cutoff: datetime) -> None:
        rows = self.store.rows
        if not rows.has_table(de):
            return
        table = quote_ident(rows.table_name(de))
        with rows.connection() as con:
            con.execute(f"DELETE FROM {table} WHERE {quote_ident(ADDED_COLUMN)} < ?", [cutoff])  # noqa: S608

    def _last_write(self, de: DataExtension) -> datetime | None:
        rows = self.store.rows
        if not rows.has_table(de):
            return None
        table = quote_ident(rows.table_name(de))
        with rows.connection() as con:
            found = con.execute(f"SELECT max({quote_ident(ADDED_COLUMN)}) FROM {table}").fetchone()  # noqa: S608
        return found[0] if found else None


def _subtract(now: datetime, length: int, unit: RetentionUnit) -> datetime:
    """``now`` minus the period (the oldest write time a row-based DE keeps)."""
    if unit in (RetentionUnit.DAYS, RetentionUnit.WEEKS):
        return now - (add_period(now, length, unit) - now)
    return add_period(now, -length, unit)
