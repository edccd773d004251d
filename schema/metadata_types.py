"""Metadata types that are not nodes: data views, highlight ranges and sync progress."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.sql import SqlFieldType
from services.metadata.progress import SharedStatus, SyncPhase, SyncProgress, SyncState
from tsql.dataviews import DataView

__all__ = ["DataViewType", "MetadataSyncProgress", "TextRange"]


@strawberry.type(description="Characters start (inclusive) to end (exclusive), in code points.")
class TextRange:
    start: int
    end: int


@strawberry.type(name="DataViewColumn", description="A column of a system data view.")
class DataViewColumn:
    name: str
    field_type: SqlFieldType
    max_length: int | None
    nullable: bool


@strawberry.type(name="DataView", description="A Marketing Cloud system data view (_Sent, ...).")
class DataViewType:
    name: str
    description: str
    retention: str | None = strawberry.field(description="How far back it reaches.")
    columns: list[DataViewColumn]

    @classmethod
    def from_domain(cls, view: DataView) -> DataViewType:
        return cls(
            name=view.name,
            description=view.description,
            retention=view.retention,
            columns=[
                DataViewColumn(
                    name=column.name,
                    field_type=SqlFieldType(column.field_type.value),
                    max_length=column.max_length,
                    nullable=column.nullable,
                )
                for column in view.columns
            ],
        )


@strawberry.enum(description="Where a metadata sync stands.")
class MetadataSyncState(Enum):
    RUNNING = SyncState.RUNNING.value
    COMPLETE = SyncState.COMPLETE.value
    FAILED = strawberry.enum_value(SyncState.FAILED.value, description="See `message`.")
    NEEDS_SIGN_IN = strawberry.enum_value(
        SyncState.NEEDS_SIGN_IN.value,
        description="Nobody who can act for the BU has a usable sign-in: sign in again.",
    )


@strawberry.enum(description="What a running sync is fetching.")
class MetadataSyncPhase(Enum):
    QUEUED = SyncPhase.QUEUED.value
    FOLDERS = SyncPhase.FOLDERS.value
    DATA_EXTENSIONS = SyncPhase.DATA_EXTENSIONS.value
    FIELDS = SyncPhase.FIELDS.value
    QUERY_ACTIVITIES = SyncPhase.QUERY_ACTIVITIES.value
    AUTOMATIONS = SyncPhase.AUTOMATIONS.value
    SHARED_DATA_EXTENSIONS = SyncPhase.SHARED_DATA_EXTENSIONS.value
    DELETIONS = SyncPhase.DELETIONS.value
    DONE = SyncPhase.DONE.value


@strawberry.type(
    description="The parent BU's shared data extensions as your BU sees them: `state` is null"
    " while they were never synced, and `reason` says why (e.g. nobody who can reach the"
    " parent BU has signed in)."
)
class SharedMetadataStatus:
    parent_mid: str
    state: MetadataSyncState | None
    reason: str
    message: str
    synced_at: datetime | None

    @classmethod
    def from_domain(cls, shared: SharedStatus) -> SharedMetadataStatus:
        return cls(
            parent_mid=str(shared.parent_mid),
            state=None if shared.state is None else MetadataSyncState(shared.state.value),
            reason=shared.reason,
            message=shared.message,
            synced_at=shared.synced_at,
        )


@strawberry.type(description="A BU's metadata sync: totals are null until known.")
class MetadataSyncProgress:
    mid: str
    state: MetadataSyncState
    phase: MetadataSyncPhase | None
    full: bool
    folders_done: int
    folders_total: int | None
    data_extensions_done: int
    data_extensions_total: int | None
    fields_done: int
    query_activities_done: int
    query_activities_total: int | None
    automations_done: int
    automations_total: int | None
    message: str
    reason: str
    started_at: datetime | None
    finished_at: datetime | None
    last_success_at: datetime | None
    shared: SharedMetadataStatus | None

    @classmethod
    def from_domain(cls, progress: SyncProgress) -> MetadataSyncProgress:
        return cls(
            mid=str(progress.mid),
            state=MetadataSyncState(progress.state.value),
            phase=None if progress.phase is None else MetadataSyncPhase(progress.phase.value),
            full=progress.full,
            folders_done=progress.folders_done,
            folders_total=progress.folders_total,
            data_extensions_done=progress.data_extensions_done,
            data_extensions_total=progress.data_extensions_total,
            fields_done=progress.fields_done,
            query_activities_done=progress.query_activities_done,
            query_activities_total=progress.query_activities_total,
            automations_done=progress.automations_done,
            automations_total=progress.automations_total,
            message=progress.message,
            reason=progress.reason,
            started_at=progress.started_at,
            finished_at=progress.finished_at,
            last_success_at=progress.last_success_at,
            shared=None
            if progress.shared is None
            else SharedMetadataStatus.from_domain(progress.shared),
        )
