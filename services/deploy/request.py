"""What a deployment asks for, checked before anything is recorded or sent to MCE.

:class:`DeployRequest` holds one ``deployQueryActivity`` request: the activity (name, key,
description, folder path), its SQL, target and update type, the BUs it goes to, what may be
created where missing, the optional automation and its schedule, and the client's
idempotency key. The checks here are MCE's naming and length rules (REFERENCE §2.4: a query
key is at most 36 characters; names at most 128 [sim]) and the shape of paths and schedules,
each refused as :class:`~services.errors.InvalidInput` naming the input field at fault.

:meth:`DeployRequest.request_hash` identifies the request without its idempotency key: the
same key sent again with another request is a conflict, never a silent replay of the first.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from models.deployments import UpdateType
from services.errors import InvalidInput
from tsql import MAX_SQL_CHARS

__all__ = [
    "MAX_KEY_CHARS",
    "MAX_NAME_CHARS",
    "AutomationSpec",
    "DeployRequest",
    "ScheduleSpec",
    "TargetSpec",
    "check_key",
    "check_name",
    "check_path",
    "check_request",
    "check_schedule",
]

#: A Query Activity's CustomerKey (REFERENCE §2.4, "confirmed max length").
MAX_KEY_CHARS = 36
#: Names of activities, DEs, folders and automations [sim: the simulator's limit].
MAX_NAME_CHARS = 128
#: A DE's CustomerKey [sim].
MAX_DE_KEY_CHARS = 200
MAX_DESCRIPTION_CHARS = 500
MAX_IDEMPOTENCY_KEY_CHARS = 200
MAX_PATH_DEPTH = 10
MAX_PRIMARY_KEY_FIELDS = 10

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RRULE_PART = re.compile(r"^[A-Z]+=[A-Z0-9,+-]+$")
_FREQUENCIES = frozenset({"MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"})


def _text(value: str, *, field: str, what: str, most: int, empty_ok: bool = False) -> str:
    if _CONTROL.search(value):
        raise InvalidInput(f"{what} cannot hold control characters.", field=field)
    if not value.strip():
        if empty_ok:
            return ""
        raise InvalidInput(f"{what} is required.", field=field)
    if value != value.strip():
        raise InvalidInput(f"{what} cannot start or end with spaces.", field=field)
    if len(value) > most:
        raise InvalidInput(f"{what} is at most {most} characters.", field=field)
    return value


def check_name(value: str, *, field: str, what: str = "The name") -> str:
    """A name MCE takes for an activity, DE, folder or automation."""
    return _text(value, field=field, what=what, most=MAX_NAME_CHARS)


def check_key(value: str, *, field: str, most: int = MAX_KEY_CHARS, what: str = "The key") -> str:
    """A CustomerKey (``most``: 36 for query activities and automations, 200 for DEs)."""
    return _text(value, field=field, what=what, most=most)


def check_path(value: str, *, field: str) -> tuple[str, ...]:
    """A folder path as its names, from under the root folder (``Daily/Weekly``; an empty
    path is the root itself). A leading root name (``Query/...``) is left to the resolver."""
    if _CONTROL.search(value):
        raise InvalidInput("A folder path cannot hold control characters.", field=field)
    parts = tuple(part.strip() for part in value.split("/") if part.strip())
    if len(parts) > MAX_PATH_DEPTH:
        raise InvalidInput(f"A folder path is at most {MAX_PATH_DEPTH} deep.", field=field)
    for part in parts:
        check_name(part, field=field, what="A folder name")
    return parts


@dataclass(frozen=True)
class TargetSpec:
    """The target DE, found by ``key`` in each BU (in the parent BU when ``shared``), and
    created where missing when ``create`` (named ``name``, in ``folder_path``, with
    ``primary_key`` as its key fields)."""

    key: str
    name: str | None = None
    folder_path: tuple[str, ...] = ()
    shared: bool = False
    create: bool = False
    primary_key: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "folderPath": list(self.folder_path),
            "shared": self.shared,
            "create": self.create,
            "primaryKey": list(self.primary_key),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TargetSpec:
        return cls(
            key=str(data["key"]),
            name=data.get("name"),
            folder_path=tuple(data.get("folderPath") or ()),
            shared=bool(data.get("shared")),
            create=bool(data.get("create")),
            primary_key=tuple(data.get("primaryKey") or ()),
        )


@dataclass(frozen=True)
class ScheduleSpec:
    """When the automation should run: from ``start`` (an aware time), by ``recurrence``
    (an iCal RRULE such as ``FREQ=DAILY;INTERVAL=1``), in MCE's numeric ``time_zone_id``."""

    start: datetime
    recurrence: str
    time_zone_id: int
    end: datetime | None = None

    def mce_schedule(self) -> dict[str, Any]:
        """``startSource.schedule`` as MCE's REST API takes it (REFERENCE §4.5)."""
        body: dict[str, Any] = {
            "startDate": self.start.isoformat(),
            "icalRecur": self.recurrence,
            "timezoneId": self.time_zone_id,
        }
        if self.end is not None:
            body["endDate"] = self.end.isoformat()
        return body

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "recurrence": self.recurrence,
            "timeZoneId": self.time_zone_id,
            "end": None if self.end is None else self.end.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScheduleSpec:
        end = data.get("end")
        return cls(
            start=datetime.fromisoformat(str(data["start"])),
            recurrence=str(data["recurrence"]),
            time_zone_id=int(data["timeZoneId"]),
            end=None if end is None else datetime.fromisoformat(str(end)),
        )


def check_schedule(
    *, start: datetime, recurrence: str, time_zone_id: int, end: datetime | None
) -> ScheduleSpec:
    field = "automation.schedule"
    if start.tzinfo is None or (end is not None and end.tzinfo is None):
        raise InvalidInput("Schedule times need a UTC offset.", field=field)
    if end is not None and end <= start:
        raise InvalidInput("A schedule must end after it starts.", field=field)
    parts = recurrence.strip().upper().split(";") if recurrence.strip() else []
    if not parts or len(recurrence) > 200 or not all(_RRULE_PART.match(p) for p in parts):
        raise InvalidInput(
            "The recurrence is an iCal rule such as FREQ=DAILY;INTERVAL=1.", field=field
        )
    rule = dict(part.split("=", 1) for part in parts)
    if rule.get("FREQ") not in _FREQUENCIES:
        raise InvalidInput(
            "The recurrence needs FREQ: MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY.",
            field=field,
        )
    if not 1 <= time_zone_id <= 200:
        raise InvalidInput("timeZoneId is one of MCE's time zone numbers.", field=field)
    return ScheduleSpec(start=start, recurrence=";".join(parts), time_zone_id=time_zone_id, end=end)


@dataclass(frozen=True)
class AutomationSpec:
    """A new automation holding the activity (one step), optionally scheduled."""

    name: str
    key: str
    description: str = ""
    schedule: ScheduleSpec | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "description": self.description,
            "schedule": None if self.schedule is None else self.schedule.as_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AutomationSpec:
        schedule = data.get("schedule")
        return cls(
            name=str(data["name"]),
            key=str(data["key"]),
            description=str(data.get("description") or ""),
            schedule=None
            if not isinstance(schedule, Mapping)
            else ScheduleSpec.from_json(schedule),
        )


@dataclass(frozen=True)
class DeployRequest:
    """One deployment as asked (see the module doc). ``mids`` in the order given."""

    name: str
    key: str
    sql: str
    target: TargetSpec
    update_type: UpdateType
    mids: tuple[int, ...]
    idempotency_key: str
    description: str = ""
    folder_path: tuple[str, ...] = ()
    create_missing: bool = False
    automation: AutomationSpec | None = None
    acknowledge_warnings: bool = False
    force: bool = False
    rollback_of: str | None = None

    def request_hash(self) -> str:
        """The request without its idempotency key, as a stable digest."""
        body = {
            "name": self.name,
            "key": self.key,
            "sql": self.sql,
            "target": self.target.as_json(),
            "updateType": self.update_type.value,
            "mids": list(self.mids),
            "description": self.description,
            "folderPath": list(self.folder_path),
            "createMissing": self.create_missing,
            "automation": None if self.automation is None else self.automation.as_json(),
            "acknowledgeWarnings": self.acknowledge_warnings,
            "force": self.force,
            "rollbackOf": self.rollback_of,
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def with_mids(self, mids: Sequence[int]) -> DeployRequest:
        return replace(self, mids=tuple(mids))


def check_request(request: DeployRequest, *, max_business_units: int) -> DeployRequest:
    """``request`` if every part is well formed; InvalidInput naming the first bad field."""
    check_name(request.name, field="name")
    check_key(request.key, field="key")
    _text(
        request.description,
        field="description",
        what="The description",
        most=MAX_DESCRIPTION_CHARS,
        empty_ok=True,
    )
    if not request.sql.strip():
        raise InvalidInput("Write the SQL to deploy.", field="sql")
    if len(request.sql) > MAX_SQL_CHARS:
        raise InvalidInput(f"The SQL is over {MAX_SQL_CHARS:,} characters.", field="sql")
    check_key(request.target.key, field="target.key", most=MAX_DE_KEY_CHARS)
    if request.target.name is not None:
        check_name(request.target.name, field="target.name")
    if len(request.target.primary_key) > MAX_PRIMARY_KEY_FIELDS:
        raise InvalidInput(
            f"A primary key has at most {MAX_PRIMARY_KEY_FIELDS} fields.",
            field="target.primaryKey",
        )
    for name in request.target.primary_key:
        check_name(name, field="target.primaryKey", what="A key field")
    new_target = request.target.create and request.update_type is UpdateType.UPDATE
    if new_target and not request.target.primary_key:
        raise InvalidInput(
            "Update writes by primary key: name the new target's key fields.",
            field="target.primaryKey",
        )
    _text(
        request.idempotency_key,
        field="idempotencyKey",
        what="The idempotency key",
        most=MAX_IDEMPOTENCY_KEY_CHARS,
    )
    if not request.mids:
        raise InvalidInput("Name at least one business unit.", field="mids")
    if len(request.mids) > max_business_units:
        raise InvalidInput(
            f"A deployment targets at most {max_business_units} business units.", field="mids"
        )
    if len(set(request.mids)) != len(request.mids):
        raise InvalidInput("A business unit is named twice.", field="mids")
    if request.automation is not None:
        check_name(request.automation.name, field="automation.name")
        check_key(request.automation.key, field="automation.key")
        _text(
            request.automation.description,
            field="automation.description",
            what="The description",
            most=MAX_DESCRIPTION_CHARS,
            empty_ok=True,
        )
    return request
