"""Query Activities over REST: ``/automation/v1/queries`` (REFERENCE §4.4).

Create and start are not idempotent: after :class:`~client.errors.OutcomeUnknown` the
caller looks first (:meth:`QueryActivities.find_by_key`, :meth:`QueryActivities.is_running`)
instead of sending again; :meth:`QueryActivities.start_or_confirm` does that for starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from urllib.parse import quote

from client.errors import MceUnavailable, MceValidationError, OutcomeUnknown
from client.rest.api import RestClient

__all__ = [
    "QueryActivities",
    "QueryActivity",
    "QueryPage",
    "QueryStart",
    "QueryValidation",
    "UpdateType",
]

_BASE = "automation/v1/queries"
MAX_QUERY_PAGE_SIZE = 25
_ALREADY_RUNNING = 30002
"""REST errorcode (409 Invalid State Transition) for a start while a run is in progress."""


class UpdateType(IntEnum):
    """``targetUpdateTypeId``: how the query writes its target DE."""

    OVERWRITE = 0
    UPDATE = 1
    APPEND = 2


@dataclass(frozen=True, slots=True)
class QueryActivity:
    id: str
    key: str
    name: str
    description: str
    query_text: str
    target_key: str
    target_name: str
    update_type: UpdateType
    category_id: int | None
    validated_query_text: str | None = None


@dataclass(frozen=True, slots=True)
class QueryPage:
    count: int
    page: int
    items: list[QueryActivity]


@dataclass(frozen=True, slots=True)
class QueryStart:
    """A query that is running after :meth:`QueryActivities.start_or_confirm`.

    ``recovered`` is true when no start of ours was confirmed: the answer was lost and
    ``isrunning`` (or MCE's "already running" refusal) showed a run in progress, so
    nothing was sent again.
    """

    query_id: str
    recovered: bool = False


@dataclass(frozen=True, slots=True)
class QueryValidation:
    valid: bool
    errors: list[str]
    warnings: list[str]


class QueryActivities:
    """CRUD, start, isrunning and validate for the REST client's BU."""

    def __init__(self, rest: RestClient) -> None:
        self._rest = rest

    async def list(
        self, *, page: int = 1, page_size: int = MAX_QUERY_PAGE_SIZE, filter: str | None = None
    ) -> QueryPage:
        params = {"$page": str(page), "$pageSize": str(min(page_size, MAX_QUERY_PAGE_SIZE))}
        if filter:
            params["$filter"] = filter
        body = await self._rest.json(
            operation="rest.queries.list", method="GET", path=_BASE, params=params, idempotent=True
        )
        items = _mapping(body).get("items") or []
        return QueryPage(
            count=int(_mapping(body).get("count") or 0),
            page=int(_mapping(body).get("page") or page),
            items=[_query(item) for item in items if isinstance(item, Mapping)],
        )

    async def find_by_key(self, key: str) -> QueryActivity | None:
        """The query with CustomerKey ``key``, or None (how to check after OutcomeUnknown)."""
        escaped = key.replace("'", "''")
        found = await self.list(filter=f"key eq '{escaped}'")
        return next((q for q in found.items if q.key.lower() == key.lower()), None)

    async def get(self, query_id: str) -> QueryActivity:
        body = await self._rest.json(
            operation="rest.queries.get", method="GET", path=_item(query_id), idempotent=True
        )
        return _query(_mapping(body))

    async def create(
        self,
        *,
        name: str,
        key: str,
        query_text: str,
        target_key: str,
        category_id: int,
        update_type: UpdateType = UpdateType.OVERWRITE,
        description: str = "",
    ) -> QueryActivity:
        """Create (flat body); never resent after a lost answer: see :meth:`create_or_find`."""
        body = {
            "name": name,
            "key": key,
            "description": description,
            "queryText": query_text,
            "targetKey": target_key,
            "targetUpdateTypeId": int(update_type),
            "targetUpdateTypeName": update_type.name.title(),
            "categoryId": category_id,
        }
        answer = await self._rest.json(
            operation="rest.queries.create", method="POST", path=_BASE, body=body, idempotent=False
        )
        return _query(_mapping(answer))

    async def create_or_find(
        self,
        *,
        name: str,
        key: str,
        query_text: str,
        target_key: str,
        category_id: int,
        update_type: UpdateType = UpdateType.OVERWRITE,
        description: str = "",
    ) -> QueryActivity:
        """:meth:`create`, safe after a lost answer: on :class:`OutcomeUnknown` the query is
        looked up by ``key`` first and created again only if absent; a second create refused
        because the key exists by then (MCE finished the first late) ends in one more lookup.
        """
        fields: dict[str, Any] = {
            "name": name,
            "key": key,
            "query_text": query_text,
            "target_key": target_key,
            "category_id": category_id,
            "update_type": update_type,
            "description": description,
        }
        try:
            return await self.create(**fields)
        except OutcomeUnknown:
            pass
        found = await self.find_by_key(key)
        if found is not None:
            return found
        try:
            return await self.create(**fields)
        except MceValidationError:
            found = await self.find_by_key(key)
            if found is None:
                raise
            return found

    async def update(self, query_id: str, **changes: Any) -> QueryActivity:
        """PATCH the given REST fields (``queryText``, ``targetKey``, ...); idempotent."""
        answer = await self._rest.json(
            operation="rest.queries.update",
            method="PATCH",
            path=_item(query_id),
            body=changes,
            idempotent=True,
        )
        return _query(_mapping(answer))

    async def delete(self, query_id: str) -> None:
        await self._rest.request(
            operation="rest.queries.delete", method="DELETE", path=_item(query_id), idempotent=True
        )

    async def start(self, query_id: str) -> None:
        """Run the query (empty body: MCE ignores a start with a JSON body).

        Not idempotent: after ``OutcomeUnknown`` ask :meth:`is_running` before starting again.
        """
        await self._rest.request(
            operation="rest.queries.start",
            method="POST",
            path=f"{_item(query_id)}/actions/start/",
            raw_body=b"",
            idempotent=False,
        )

    async def start_or_confirm(self, query_id: str) -> QueryStart:
        """Start the query; when the answer is lost, ask ``isrunning`` before anything else.

        Running: the lost start (or one already in progress) is the run, nothing is resent.
        Not running: MCE queues every run for seconds, so the lost start never reached
        it, and the query is started once more; a second lost answer raises
        :class:`OutcomeUnknown`. Also the recovery after SOAP Perform's ``OutcomeUnknown``
        (the ObjectID is the ``queryDefinitionId``): call :meth:`confirm_started`.
        """
        try:
            await self.start(query_id)
        except OutcomeUnknown:
            return await self.confirm_started(query_id)
        return QueryStart(query_id)

    async def confirm_started(self, query_id: str) -> QueryStart:
        """After a start whose answer was lost: start only if no run is in progress."""
        if await self.is_running(query_id):
            return QueryStart(query_id, recovered=True)
        try:
            await self.start(query_id)
        except MceValidationError as error:
            if error.mce_code != _ALREADY_RUNNING:
                raise
            return QueryStart(query_id, recovered=True)
        return QueryStart(query_id)

    async def is_running(self, query_id: str) -> bool:
        body = await self._rest.json(
            operation="rest.queries.isrunning",
            method="GET",
            path=f"{_item(query_id)}/actions/isrunning/",
            idempotent=True,
        )
        return _mapping(body).get("isRunning") is True

    async def validate(self, query_text: str, *, target_key: str | None = None) -> QueryValidation:
        """MCE's syntax check; no side effects."""
        payload: dict[str, Any] = {"Text": query_text}
        if target_key:
            payload["targetKey"] = target_key
        body = _mapping(
            await self._rest.json(
                operation="rest.queries.validate",
                method="POST",
                path=f"{_BASE}/actions/validate/",
                body=payload,
                idempotent=True,
            )
        )
        return QueryValidation(
            valid=body.get("queryValid") is True,
            errors=_messages(body.get("errors")),
            warnings=_messages(body.get("warnings")),
        )


def _item(query_id: str) -> str:
    return f"{_BASE}/{quote(query_id, safe='')}"


def _mapping(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise MceUnavailable("Marketing Cloud returned an unreadable answer.")
    return body


def _query(item: Mapping[str, Any]) -> QueryActivity:
    try:
        update_type = UpdateType(int(item.get("targetUpdateTypeId") or 0))
        category = item.get("categoryId")
        return QueryActivity(
            id=str(item["queryDefinitionId"]),
            key=str(item.get("key") or ""),
            name=str(item.get("name") or ""),
            description=str(item.get("description") or ""),
            query_text=str(item.get("queryText") or ""),
            target_key=str(item.get("targetKey") or ""),
            target_name=str(item.get("targetName") or ""),
            update_type=update_type,
            category_id=int(category) if category is not None else None,
            validated_query_text=item.get("validatedQueryText"),
        )
    except (KeyError, TypeError, ValueError):
        raise MceUnavailable("Marketing Cloud returned an unreadable query definition.") from None


def _messages(items: object) -> list[str]:
    if not isinstance(items, Sequence) or isinstance(items, str):
        return []
    out = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("message"), str):
            out.append(item["message"])
        elif isinstance(item, str):
            out.append(item)
    return out
