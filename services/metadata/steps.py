"""The steps of one BU's sync: folders, DEs with their fields, query activities, automations,
and the deletion checks. Each step streams MCE's pages into Postgres; memory holds one batch
(at most :data:`FIELD_BATCH` DEs with their fields, or one page of other objects), whatever
the BU's size.

DEs and fields are pipelined: while one batch of DEs and fields is written, the next is
fetched (a queue of :data:`QUEUE_DEPTH` batches), so a sync costs little more than its MCE
calls (the benchmark's ``sync_over_fetch``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from client.bridge import MceBridge
from client.errors import NotFound as MceNotFound
from client.rest.automations import QUERY_ACTIVITY, Automation
from client.soap import DataExtension
from client.soap.operations import FIELD_KEYS_PER_CALL
from models import TenantRepository
from services.metadata import cache
from services.metadata.context import BuScope
from services.metadata.progress import SyncPhase
from services.metadata.rows import (
    CACHED_FOLDER_TYPES,
    SHARED_FOLDER_TYPES,
    data_extension_row,
    field_row,
    folder_row,
    from_mce_time,
    query_activity_row,
)
from services.metadata.state import ProgressSink

__all__ = ["FIELD_BATCH", "SyncRun"]

FIELD_BATCH = FIELD_KEYS_PER_CALL
"""DEs per batch: one ``IN`` filter of DE keys for their fields (the client's limit)."""
QUEUE_DEPTH = 2
PAGE = 2500
"""Rows per write for objects without fields (one Retrieve page)."""
MAX_MISSING = 2000
"""Listed objects missing from the cache that an incremental sync fetches one by one; beyond
this the next sync is made full."""
AUTOMATION_DETAILS_AT_ONCE = 4

T = TypeVar("T")


async def batches(source: AsyncIterator[T], size: int) -> AsyncIterator[list[T]]:
    batch: list[T] = []
    async for item in source:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class SyncRun:
    """One sync of one BU (or of a parent's shared DEs): where it writes, what it reads."""

    bridge: MceBridge
    scope: BuScope
    recorder: ProgressSink
    generation: int
    since: datetime | None
    """Naive MCE time of the previous complete sync's start (None: a full sync)."""
    heartbeat: Callable[[], Awaitable[None]]

    needs_full: bool = False
    """Set when an incremental sync found more uncached objects than it fetches one by one:
    the next sync is then full."""

    @property
    def full(self) -> bool:
        return self.since is None

    def _take_missing(self, absent: set[str], already: int) -> list[str]:
        room = max(MAX_MISSING - already, 0)
        if len(absent) > room:
            self.needs_full = True
        return sorted(absent)[:room]

    # ------------------------------------------------------------------ folders
    async def folders(self, *, content_types: Sequence[str] = CACHED_FOLDER_TYPES) -> set[int]:
        """Every folder of these types (one listing: changes and deletions at once; folders
        are few), then the deletion of cached ones it did not name. Returns the ids of the
        shared DE folders (their DEs are written as shared)."""
        shared_only = set(content_types) <= set(SHARED_FOLDER_TYPES)
        await self.recorder.publish(SyncPhase.FOLDERS)
        shared: set[int] = set()
        source = self.bridge.soap.folders(content_types=list(content_types))
        async for page in batches(source, PAGE):
            rows = [folder_row(f) for f in page if f.id is not None]
            shared.update(row[0] for row in rows if row[7])
            written = await cache.upsert_folders(
                self.scope, rows, generation=self.generation, children_loaded=False
            )
            self.recorder.add("folders_done", written)
            await self.recorder.publish()
            await self.heartbeat()
        self.recorder.set("folders_total", self.recorder.counters.get("folders_done", 0))
        await cache.delete_unseen(
            self.scope,
            "mce_folders",
            generation=self.generation,
            shared_only=shared_only,
            content_types=content_types,
        )
        return shared

    async def mark_folders_loaded(self) -> None:
        """After a complete sync every cached folder's children are cached too."""
        await self.scope_fetch(
            "UPDATE mce_folders SET children_loaded = true WHERE tenant_id = $1 AND mid = $2"
            " AND seen_generation >= $3 AND NOT children_loaded",
            [self.scope.tenant_id, self.scope.mid, self.generation],
        )

    async def scope_fetch(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        return await TenantRepository(self.scope.ctx).fetch(sql, params)

    # ------------------------------------------------------------------ DEs and fields
    async def data_extensions(
        self, source: AsyncIterator[DataExtension], *, shared_folders: set[int], all_shared: bool
    ) -> None:
        """Stream ``source``'s DEs with their fields into the cache, batch by batch."""
        await self.recorder.publish(SyncPhase.DATA_EXTENSIONS)
        queue: asyncio.Queue[tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]] | None]
        queue = asyncio.Queue(maxsize=QUEUE_DEPTH)

        async def produce() -> None:
            async for batch in batches(source, FIELD_BATCH):
                queue_item = await self._with_fields(batch, shared_folders, all_shared)
                await queue.put(queue_item)
            await queue.put(None)

        producer = asyncio.create_task(produce())
        try:
            while True:
                item = await self._next(queue, producer)
                if item is None:
                    break
                des, fields_by_key = item
                written, fields = await cache.write_data_extensions(
                    self.scope, des, fields_by_key, generation=self.generation
                )
                self.recorder.add("data_extensions_done", written)
                self.recorder.add("fields_done", fields)
                await self.recorder.publish()
                await self.heartbeat()
            await producer
        finally:
            if not producer.done():
                producer.cancel()
                await asyncio.gather(producer, return_exceptions=True)

    @staticmethod
    async def _next(queue: asyncio.Queue[T], producer: asyncio.Task[None]) -> T:
        """The next batch, or the producer's error as soon as it fails."""
        if producer.done() or not queue.empty():
            if producer.done() and queue.empty():
                producer.result()  # raises its error; a clean end left None in the queue
            return await queue.get()
        getter = asyncio.ensure_future(queue.get())
        await asyncio.wait({getter, producer}, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        await asyncio.gather(getter, return_exceptions=True)
        producer.result()
        return await queue.get()

    async def _with_fields(
        self, batch: list[DataExtension], shared_folders: set[int], all_shared: bool
    ) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        des = [
            data_extension_row(de, is_shared=all_shared or (de.category_id or 0) in shared_folders)
            for de in batch
            if de.customer_key
        ]
        fields_by_key: dict[str, list[dict[str, Any]]] = {}
        keys = [row["customer_key"] for row in des]
        if keys:
            async for field in self.bridge.soap.data_extension_fields(keys):
                key = (field.data_extension_key or "").lower()
                fields_by_key.setdefault(key, []).append(field_row(field))
        return des, fields_by_key

    async def data_extension_deletions(self, *, shared_folders: set[int]) -> None:
        """Full sync: the listing was complete, so DEs it did not stamp are gone.
        Incremental: a key-only listing stamps what still exists and names what the cache
        lacks (fetched now); then the unstamped are deleted."""
        await self.recorder.publish(SyncPhase.DELETIONS)
        if not self.full:
            missing: list[str] = []
            source = self.bridge.soap.data_extension_keys()
            async for page in batches(source, PAGE):
                keys = [k.customer_key for k in page if k.customer_key]
                absent = await cache.stamp_keys(
                    self.scope, "mce_data_extensions", keys, generation=self.generation
                )
                missing.extend(self._take_missing(absent, len(missing)))
                await self.heartbeat()
            for key in missing:
                found = self.bridge.soap.data_extensions(customer_key=key)
                await self.data_extensions(found, shared_folders=shared_folders, all_shared=False)
        self.recorder.set(
            "data_extensions_total", self.recorder.counters.get("data_extensions_done", 0)
        )
        await cache.delete_unseen(self.scope, "mce_data_extensions", generation=self.generation)

    # ------------------------------------------------------------------ query activities
    async def query_activities(self) -> None:
        await self.recorder.publish(SyncPhase.QUERY_ACTIVITIES)
        source = self.bridge.soap.query_definitions(modified_since=self.since)
        await self.write_queries(source)
        if not self.full:
            missing: list[str] = []
            async for page in batches(self.bridge.soap.query_definition_keys(), PAGE):
                keys = [k.customer_key for k in page if k.customer_key]
                absent = await cache.stamp_keys(
                    self.scope, "mce_query_activities", keys, generation=self.generation
                )
                missing.extend(self._take_missing(absent, len(missing)))
            for key in missing:
                await self.write_queries(self.bridge.soap.query_definitions(customer_key=key))
        await cache.delete_unseen(self.scope, "mce_query_activities", generation=self.generation)
        self.recorder.set(
            "query_activities_total", self.recorder.counters.get("query_activities_done", 0)
        )

    async def write_queries(self, source: AsyncIterator[Any]) -> None:
        async for page in batches(source, PAGE):
            written = await cache.write_query_activities(
                self.scope,
                [query_activity_row(q) for q in page if q.customer_key],
                generation=self.generation,
            )
            self.recorder.add("query_activities_done", written)
            await self.recorder.publish()
            await self.heartbeat()

    # ------------------------------------------------------------------ automations
    async def automations(self) -> None:
        """The automation list, then one detail call per automation (REFERENCE §4.5) for
        the query activities it runs: all of them in a full sync, new ones in an incremental
        one (MCE's list has no modified date; the scheduled daily full sync refreshes the
        rest)."""
        await self.recorder.publish(SyncPhase.AUTOMATIONS)
        known: set[str] = set()
        if not self.full:
            rows = await self.scope_fetch(
                "SELECT automation_id FROM mce_automations WHERE tenant_id = $1 AND mid = $2",
                [self.scope.tenant_id, self.scope.mid],
            )
            known = {row["automation_id"] for row in rows}
        limit = asyncio.Semaphore(AUTOMATION_DETAILS_AT_ONCE)

        async def detail(automation_id: str) -> Automation | None:
            async with limit:
                try:
                    return await self.bridge.automations.get(automation_id)
                except MceNotFound:  # deleted between the list and the detail
                    return None

        total = 0
        async for page in self.bridge.automations.list():
            total = page.count
            ids = [a.id for a in page.items]
            await cache.stamp_keys(
                self.scope, "mce_automations", [i for i in ids if i in known],
                generation=self.generation,
            )  # fmt: skip
            details = await asyncio.gather(*(detail(i) for i in ids if i not in known))
            for automation in details:
                if automation is not None:
                    await self._write_automation(automation)
            self.recorder.add("automations_done", len(ids))
            await self.recorder.publish()
            await self.heartbeat()
        self.recorder.set("automations_total", total)
        await cache.delete_unseen(self.scope, "mce_automations", generation=self.generation)

    async def _write_automation(self, automation: Automation) -> None:
        activities = [
            (activity.activity_object_id, activity.name, step.step, activity.display_order)
            for step in automation.steps
            for activity in step.activities
            if activity.object_type_id == QUERY_ACTIVITY and activity.activity_object_id
        ]
        await cache.write_automation(
            self.scope,
            {
                "automation_id": automation.id,
                "customer_key": automation.key or None,
                "name": (automation.name or "")[:200],
                "description": automation.description or "",
                "status": automation.status.name if automation.status is not None else None,
                "folder_id": automation.category_id,
                "last_run_at": from_mce_time(automation.last_run_time),
            },
            activities,
            generation=self.generation,
        )
