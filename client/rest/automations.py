"""Automations over REST: ``/automation/v1/automations`` (REFERENCE §4.5).

Quarry automates only query activities (``objectTypeId`` 300), so steps are built from
query definition ids; other activity types can still be named with :class:`ActivityRef`
and MCE decides whether it accepts them. A schedule is passed through as MCE's JSON
(``startSource.schedule``) because its fields (iCal recurrence, numeric time zones) are
MCE's to interpret; MCE keeps API-created schedules paused.

Create and run-once are not idempotent: after :class:`~client.errors.OutcomeUnknown`
look first (:meth:`Automations.find_by_key`; an automation that is running has
``status`` RUNNING) instead of sending again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any
from urllib.parse import quote

from client.errors import MceUnavailable
from client.rest.api import RestClient
from client.values import MCE_SYSTEM_TIME

__all__ = [
    "QUERY_ACTIVITY",
    "ActivityRef",
    "Automation",
    "AutomationActivity",
    "AutomationPage",
    "AutomationStatus",
    "AutomationStep",
    "AutomationSummary",
    "Automations",
]

_BASE = "automation/v1/automations"
MAX_AUTOMATION_PAGE_SIZE = 25
QUERY_ACTIVITY = 300
"""``objectTypeId`` of a query activity in a step (REFERENCE §4.5)."""
_SCHEDULE_SOURCE = 1


class AutomationStatus(IntEnum):
    """MCE's ``statusId`` of an automation (names as the WSDL's AutomationStatus)."""

    ERROR = -1
    BUILDING_ERROR = 0
    BUILDING = 1
    READY = 2
    RUNNING = 3
    PAUSED = 4
    STOPPED = 5
    SCHEDULED = 6
    AWAITING_TRIGGER = 7
    INACTIVE_TRIGGER = 8


@dataclass(frozen=True, slots=True)
class ActivityRef:
    """An activity to put in a step: the object's id and MCE's type for it."""

    object_id: str
    object_type_id: int = QUERY_ACTIVITY
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AutomationActivity:
    id: str
    name: str
    activity_object_id: str
    """For a query activity, its ``queryDefinitionId`` (the SOAP ObjectID)."""
    object_type_id: int
    display_order: int


@dataclass(frozen=True, slots=True)
class AutomationStep:
    step: int
    name: str
    activities: list[AutomationActivity]


@dataclass(frozen=True, slots=True)
class Automation:
    """An automation's detail. ``status`` is ``None`` for a ``statusId`` we do not know."""

    id: str
    key: str
    name: str
    description: str
    category_id: int | None
    status_id: int | None
    status: AutomationStatus | None
    steps: list[AutomationStep]
    schedule: Mapping[str, Any] | None
    legacy_id: str | None = None
    last_run_time: datetime | None = None
    """System-generated, so converted from MCE's system time to aware UTC."""
    last_run_instance_id: str | None = None


@dataclass(frozen=True, slots=True)
class AutomationSummary:
    """A list item: what MCE returns without the steps."""

    id: str
    key: str
    name: str
    description: str
    category_id: int | None
    status: AutomationStatus | None
    scheduled: bool
    last_run_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class AutomationPage:
    count: int
    page: int
    items: list[AutomationSummary]


class Automations:
    """Create, read, list, update and run automations in the REST client's BU."""

    def __init__(self, rest: RestClient) -> None:
        self._rest = rest

    async def page(
        self,
        page: int = 1,
        *,
        page_size: int = MAX_AUTOMATION_PAGE_SIZE,
        filter: str | None = None,
    ) -> AutomationPage:
        """One page of summaries (MCE caps pages at 25); ``filter`` e.g. ``key eq 'x'``."""
        if page < 1:
            raise ValueError("pages are numbered from 1")
        size = max(1, min(page_size, MAX_AUTOMATION_PAGE_SIZE))
        params = {"$page": str(page), "$pageSize": str(size)}
        if filter:
            params["$filter"] = filter
        body = _mapping(
            await self._rest.json(
                operation="rest.automations.list",
                method="GET",
                path=_BASE,
                params=params,
                idempotent=True,
            )
        )
        items = body.get("items") or []
        if not isinstance(items, list):
            raise MceUnavailable("Marketing Cloud returned an unreadable automation list.")
        return AutomationPage(
            count=_int(body.get("count"), 0),
            page=_int(body.get("page"), page),
            items=[_summary(item) for item in items if isinstance(item, Mapping)],
        )

    async def list(
        self, *, page_size: int = MAX_AUTOMATION_PAGE_SIZE, filter: str | None = None
    ) -> AsyncIterator[AutomationPage]:
        """Every page from the first, until MCE's ``count`` is reached or a page is empty."""
        number, seen = 1, 0
        while True:
            current = await self.page(number, page_size=page_size, filter=filter)
            yield current
            seen += len(current.items)
            if not current.items or seen >= current.count:
                return
            number += 1

    async def find_by_key(self, key: str) -> AutomationSummary | None:
        """The automation with CustomerKey ``key``, or None (the check after a lost create)."""
        escaped = key.replace("'", "''")
        found = await self.page(filter=f"key eq '{escaped}'")
        return next((a for a in found.items if a.key.lower() == key.lower()), None)

    async def get(self, automation_id: str) -> Automation:
        body = await self._rest.json(
            operation="rest.automations.get",
            method="GET",
            path=_item(automation_id),
            idempotent=True,
        )
        return _automation(_mapping(body))

    async def create(
        self,
        *,
        name: str,
        key: str,
        steps: Sequence[Sequence[str | ActivityRef]],
        category_id: int | None = None,
        description: str = "",
        schedule: Mapping[str, Any] | None = None,
    ) -> Automation:
        """Create an automation whose steps run in order (a ``str`` is a query's id).

        Never resent after a lost answer: use :meth:`find_by_key`. Raises
        ``MceValidationError`` for an activity MCE refuses (unknown id, another BU's,
        a type it does not take) and for a duplicate name or key.
        """
        body: dict[str, Any] = {
            "name": name,
            "key": key,
            "description": description,
            "steps": _steps_body(steps),
        }
        if category_id is not None:
            body["categoryId"] = category_id
        if schedule is not None:
            body["startSource"] = {"typeId": _SCHEDULE_SOURCE, "schedule": dict(schedule)}
        answer = await self._rest.json(
            operation="rest.automations.create",
            method="POST",
            path=_BASE,
            body=body,
            idempotent=False,
        )
        return _automation(_mapping(answer))

    async def update(
        self,
        automation_id: str,
        *,
        name: str | None = None,
        key: str | None = None,
        description: str | None = None,
        category_id: int | None = None,
        steps: Sequence[Sequence[str | ActivityRef]] | None = None,
        schedule: Mapping[str, Any] | None = None,
    ) -> Automation:
        """PATCH what is given (``steps`` replaces every step); idempotent."""
        body: dict[str, Any] = {}
        for field, value in (
            ("name", name),
            ("key", key),
            ("description", description),
            ("categoryId", category_id),
        ):
            if value is not None:
                body[field] = value
        if steps is not None:
            body["steps"] = _steps_body(steps)
        if schedule is not None:
            body["startSource"] = {"typeId": _SCHEDULE_SOURCE, "schedule": dict(schedule)}
        answer = await self._rest.json(
            operation="rest.automations.update",
            method="PATCH",
            path=_item(automation_id),
            body=body,
            idempotent=True,
        )
        return _automation(_mapping(answer))

    async def run_once(self, automation_id: str) -> Automation:
        """Start one run now (``actions/runallonce``); returns the detail MCE sends back.

        Not idempotent: after ``OutcomeUnknown`` read the automation (:meth:`get`) and
        start again only when it is not RUNNING and its ``last_run_time`` did not move.
        """
        answer = await self._rest.json(
            operation="rest.automations.start",
            method="POST",
            path=f"{_item(automation_id)}/actions/runallonce",
            raw_body=b"",
            idempotent=False,
        )
        return _automation(_mapping(answer))


def _item(automation_id: str) -> str:
    return f"{_BASE}/{quote(automation_id, safe='')}"


def _steps_body(steps: Sequence[Sequence[str | ActivityRef]]) -> list[dict[str, Any]]:
    out = []
    for activities in steps:
        refs = [a if isinstance(a, ActivityRef) else ActivityRef(a) for a in activities]
        out.append(
            {
                "activities": [
                    {
                        "activityObjectId": ref.object_id,
                        "objectTypeId": ref.object_type_id,
                        "displayOrder": order,
                        **({"name": ref.name} if ref.name is not None else {}),
                    }
                    for order, ref in enumerate(refs, start=1)
                ]
            }
        )
    return out


def _mapping(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise MceUnavailable("Marketing Cloud returned an unreadable answer.")
    return body


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _optional_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


_STATUS_BY_NAME = {s.name.replace("_", "").lower(): s for s in AutomationStatus}


def _status(item: Mapping[str, Any]) -> tuple[int | None, AutomationStatus | None]:
    """``statusId`` (or a numeric ``status``), else the WSDL name in ``status``."""
    for raw in (item.get("statusId"), item.get("status")):
        number = _optional_int(raw)
        if number is not None:
            try:
                return number, AutomationStatus(number)
            except ValueError:
                return number, None
    name = item.get("status")
    if isinstance(name, str):
        found = _STATUS_BY_NAME.get(name.replace(" ", "").lower())
        return (int(found), found) if found is not None else (None, None)
    return None, None


def _system_time(value: object) -> datetime | None:
    """An MCE timestamp: with an offset as given, without one in MCE's system time; UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MCE_SYSTEM_TIME)
    return moment.astimezone(UTC)


def _activity(item: Mapping[str, Any]) -> AutomationActivity:
    return AutomationActivity(
        id=str(item.get("id") or ""),
        name=str(item.get("name") or ""),
        activity_object_id=str(item.get("activityObjectId") or ""),
        object_type_id=_optional_int(item.get("objectTypeId")) or 0,
        display_order=_optional_int(item.get("displayOrder")) or 0,
    )


def _step(number: int, item: Mapping[str, Any]) -> AutomationStep:
    activities = item.get("activities") or []
    if not isinstance(activities, list):
        raise TypeError("activities")
    return AutomationStep(
        step=_optional_int(item.get("step")) or number,
        name=str(item.get("name") or ""),
        activities=[_activity(a) for a in activities if isinstance(a, Mapping)],
    )


def _automation(item: Mapping[str, Any]) -> Automation:
    try:
        status_id, status = _status(item)
        steps = item.get("steps") or []
        if not isinstance(steps, list):
            raise TypeError("steps")
        source = item.get("startSource")
        schedule = source.get("schedule") if isinstance(source, Mapping) else None
        return Automation(
            id=str(item["id"]),
            key=str(item.get("key") or ""),
            name=str(item.get("name") or ""),
            description=str(item.get("description") or ""),
            category_id=_optional_int(item.get("categoryId")),
            status_id=status_id,
            status=status,
            steps=[
                _step(number, step)
                for number, step in enumerate(steps, start=1)
                if isinstance(step, Mapping)
            ],
            schedule=schedule if isinstance(schedule, Mapping) else None,
            legacy_id=item.get("legacyId") if isinstance(item.get("legacyId"), str) else None,
            last_run_time=_system_time(item.get("lastRunTime")),
            last_run_instance_id=_text_or_none(item.get("lastRunInstanceId")),
        )
    except (KeyError, TypeError, ValueError):
        raise MceUnavailable("Marketing Cloud returned an unreadable automation.") from None


def _summary(item: Mapping[str, Any]) -> AutomationSummary:
    try:
        _, status = _status(item)
        return AutomationSummary(
            id=str(item["id"]),
            key=str(item.get("key") or ""),
            name=str(item.get("name") or ""),
            description=str(item.get("description") or ""),
            category_id=_optional_int(item.get("categoryId")),
            status=status,
            scheduled=item.get("type") == "scheduled",
            last_run_time=_system_time(item.get("lastRunTime")),
        )
    except (KeyError, TypeError, ValueError):
        raise MceUnavailable("Marketing Cloud returned an unreadable automation.") from None


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
