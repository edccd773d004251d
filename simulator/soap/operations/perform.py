"""``Perform`` with ``Action=start``: run query definitions (and automations) (REFERENCE §2.4).

A QueryDefinition must be named by its ``ObjectID`` (REFERENCE: "must use the ObjectID"); the
answer comes at once with the run's TaskID under ``Result/Task/ID``, to be polled through
``AsyncActivityStatus``. The action is matched case-insensitively (``Start`` in the docs,
``start`` in the wild). An ``Automation`` definition starts a run of its steps, answered with
MCE's ``Performed Activity``. Each definition gets its own ``Result``; ``PerformResult`` requires
``Object`` and ``Task``, so both are written on errors too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lxml import etree

from simulator.errors import ErrorCode, MceValidationError
from simulator.soap.envelope import SoapClientError
from simulator.soap.namespaces import PARTNER_NS
from simulator.soap.objects.reader import ObjectReader
from simulator.soap.serialize import escape, new_request_id, partner_element

if TYPE_CHECKING:
    from simulator.soap.context import CallContext

__all__ = ["perform_object_type", "run_perform"]

_P = f"{{{PARTNER_NS}}}"


class _Outcome:
    """One ``Result`` of a perform."""

    __slots__ = ("error_code", "message", "object_id", "object_type", "ok", "task_id")

    def __init__(
        self,
        *,
        ok: bool,
        message: str,
        object_type: str,
        object_id: str | None,
        task_id: str | None = None,
        error_code: int | None = None,
    ) -> None:
        self.ok = ok
        self.message = message
        self.object_type = object_type
        self.object_id = object_id
        self.task_id = task_id
        self.error_code = error_code

    @property
    def status_code(self) -> str:
        return "OK" if self.ok else "Error"


def _definitions(body: etree._Element) -> list[ObjectReader]:
    found = body.findall(f"{_P}Definitions/{_P}Definition")
    if not found:
        raise SoapClientError("PerformRequestMsg requires at least one Definitions/Definition.")
    return [ObjectReader(el) for el in found]


def perform_object_type(_sim: Any, body: etree._Element) -> str:
    """Type of the first definition (names the call for stats and fault rules)."""
    first = body.find(f"{_P}Definitions/{_P}Definition")
    if first is None:
        return "Unknown"
    return ObjectReader(first).xsi_type or "APIObject"


def _start_query(ctx: CallContext, obj: ObjectReader) -> _Outcome:
    object_id = obj.text("ObjectID")
    if not object_id:
        raise MceValidationError(
            ErrorCode.MISSING_PROPERTY, "QueryDefinition ObjectID is required to perform it."
        )
    mid = ctx.target_mid(obj.client_id())
    query = ctx.store.get_query(mid, object_id=object_id)
    if query is None:
        raise MceValidationError(
            ErrorCode.NOT_FOUND, f"Query definition {object_id} was not found."
        )
    task = ctx.sim.queries.start(query)
    return _Outcome(
        ok=True,
        message="QueryDefinition perform called successfully",
        object_type="QueryDefinition",
        object_id=query.object_id,
        task_id=task.task_id,
    )


def _start_automation(ctx: CallContext, obj: ObjectReader) -> _Outcome:
    automations = ctx.sim.automations
    object_id = obj.text("ObjectID")
    if not object_id:
        raise MceValidationError(
            ErrorCode.MISSING_PROPERTY, "Automation ObjectID is required to perform it."
        )
    mid = ctx.target_mid(obj.client_id())
    automation = automations.get(mid, object_id=object_id)
    if automation is None:
        raise MceValidationError(ErrorCode.NOT_FOUND, f"Automation {object_id} was not found.")
    run = automations.start(automation)
    return _Outcome(
        ok=True,
        message="Performed Activity",
        object_type="Automation",
        object_id=automation.object_id,
        task_id=run.instance_id,
    )


_STARTERS: dict[str, Callable[[CallContext, ObjectReader], _Outcome]] = {
    "QueryDefinition": _start_query,
    "Automation": _start_automation,
}


def _perform_one(ctx: CallContext, action: str, obj: ObjectReader) -> _Outcome:
    kind = obj.xsi_type or "APIObject"
    starter = _STARTERS.get(kind)
    if ctx.denied is not None:
        return _Outcome(
            ok=False, message=ctx.denied, object_type=kind, object_id=obj.text("ObjectID")
        )
    try:
        if starter is None:
            raise MceValidationError(
                ErrorCode.INVALID_VALUE, f"Perform is not supported for object type {kind}."
            )
        if action.lower() != "start":
            raise MceValidationError(
                ErrorCode.INVALID_VALUE, f"Action {action or '(none)'} is not supported for {kind}."
            )
        return starter(ctx, obj)
    except MceValidationError as exc:
        return _Outcome(
            ok=False,
            message=exc.message,
            object_type=kind,
            object_id=obj.text("ObjectID"),
            error_code=exc.code,
        )


def _result_xml(outcome: _Outcome) -> str:
    object_id = (
        f"<ObjectID>{escape(outcome.object_id)}</ObjectID>"
        if outcome.object_id
        else '<ObjectID xsi:nil="true" />'
    )
    task = [f"<StatusCode>{outcome.status_code}</StatusCode>"]
    task.append(f"<StatusMessage>{escape('OK' if outcome.ok else outcome.message)}</StatusMessage>")
    if outcome.error_code is not None:
        task.append(f"<ErrorCode>{outcome.error_code}</ErrorCode>")
    if outcome.task_id:
        task.append(f"<ID>{escape(outcome.task_id)}</ID>")
        task.append(f"<InteractionObjectID>{escape(outcome.object_id or '')}</InteractionObjectID>")
    parts = [
        "<Result>",
        f"<StatusCode>{outcome.status_code}</StatusCode>",
        f"<StatusMessage>{escape(outcome.message)}</StatusMessage>",
    ]
    if outcome.error_code is not None:
        parts.append(f"<ErrorCode>{outcome.error_code}</ErrorCode>")
    parts.append(
        f'<Object xsi:type="{outcome.object_type}"><PartnerKey xsi:nil="true" />'
        f'<ModifiedDate xsi:nil="true" />{object_id}</Object>'
    )
    parts.append(f"<Task>{''.join(task)}</Task>")
    parts.append("</Result>")
    return "".join(parts)


def run_perform(ctx: CallContext, body: etree._Element) -> str:
    """Answer a ``PerformRequestMsg`` with a ``PerformResponseMsg`` body element."""
    action = (body.findtext(f"{_P}Action") or "").strip()
    outcomes = [_perform_one(ctx, action, obj) for obj in _definitions(body)]
    results = "".join(_result_xml(o) for o in outcomes)
    succeeded = sum(1 for o in outcomes if o.ok)
    status = "OK" if succeeded == len(outcomes) else "Error" if not succeeded else "Has Errors"
    inner = (
        f"<Results>{results}</Results><OverallStatus>{status}</OverallStatus>"
        f"<OverallStatusMessage /><RequestID>{new_request_id()}</RequestID>"
    )
    return partner_element("PerformResponseMsg", inner)
