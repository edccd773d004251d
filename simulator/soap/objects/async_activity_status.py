"""``AsyncActivityStatus``: the status of a performed query, by TaskID (REFERENCE §2.4).

REFERENCE describes the results as ObjectExtension-style (``Properties/Property{Name,Value}``)
and has no captured response; the WSDL has no ``AsyncActivityStatus`` type. So each result is
written as ``xsi:type="ObjectExtension"`` with ``Type`` = ``AsyncActivityStatus`` **[sim]**, which
a WSDL-strict client can read. Values are strings, dates in MCE's ``M/D/YYYY h:mm:ss AM`` server
time. Only the properties MCE documents as filterable can be filtered on. Each rendered result is
one poll: the quirks switched on in the config (a status that lags, an early CompletedDate)
apply per poll, through ``sim.queries.poll``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from simulator.model import QueryTask
from simulator.soap.filters import ComplexFilter, Filter, FilterError
from simulator.soap.objects.base import ObjectHandler, register
from simulator.soap.objects.data_extension import us_datetime
from simulator.soap.objects.schema import Prop, Renderer
from simulator.soap.serialize import escape

if TYPE_CHECKING:
    from simulator.queries import QueryActivities, StatusReport
    from simulator.soap.context import CallContext

__all__ = ["AsyncActivityStatusHandler"]


class _Candidate:
    """A task and the service that polls it (handlers are shared by every simulator)."""

    __slots__ = ("queries", "task")

    def __init__(self, queries: QueryActivities, task: QueryTask) -> None:
        self.queries = queries
        self.task = task


def _date(value: datetime | None) -> str:
    return us_datetime(value) or ""


def _processing_message(report: StatusReport) -> str:
    if report.status == "Error":
        return report.error_message
    return report.status


#: Every property REFERENCE lists, in the order results carry them.
_VALUES: dict[str, Callable[[StatusReport], str]] = {
    "ParentInteractionObjectID": lambda r: r.task.query_object_id,
    "ParentTaskID": lambda r: r.task.task_id,
    "Program": lambda _r: "QueryDefinition",
    "ProcessID": lambda _r: "",
    "StepID": lambda _r: "",
    "StepTaskID": lambda _r: "",
    "StepName": lambda _r: "",
    "InteractionID": lambda r: r.task.query_object_id,
    "ClientID": lambda r: str(r.task.mid),
    "TaskID": lambda r: r.task.task_id,
    "ActionType": lambda _r: "Start",
    "Type": lambda _r: "QueryDefinition",
    "AsyncAction": lambda _r: "Perform",
    "AsyncSubAction": lambda _r: "Start",
    "Status": lambda r: r.status,
    "ProcessedCount": lambda r: str(r.task.rows_written),
    "TotalCount": lambda r: str(r.task.rows_written),
    "DuplicateCount": lambda _r: "0",
    "ErrorCount": lambda r: "1" if r.status == "Error" else "0",
    "CustomerKey": lambda r: r.task.query_key,
    "ErrorMsg": lambda r: r.error_message,
    "ScheduledTime": lambda r: _date(r.task.start_date),
    "StartDate": lambda r: _date(r.task.start_date),
    "StartTime": lambda r: _date(r.task.start_date),
    "CompletedDate": lambda r: _date(r.completed_date),
    "EndTime": lambda r: _date(r.completed_date),
    "StatusMessage": _processing_message,
}

#: Filterable properties (REFERENCE: only these), read from the task without polling it.
_FILTERS: dict[str, Callable[[Any], Any]] = {
    "ParentInteractionObjectID": lambda c: c.task.query_object_id,
    "TaskID": lambda c: c.task.task_id,
    "StartTime": lambda c: c.task.start_date,
    "EndTime": lambda c: c.task.completed_date,
    "ClientID": lambda c: c.task.mid,
    "QueryAllChildren": lambda _c: None,
}


#: What a status Retrieve with another operator than ``equals`` answers when the simulator is
#: told MCE takes only ``equals`` there **[sim: wording]**.
EQUALS_ONLY_MESSAGE = "The Filter operator {operator} is not supported for AsyncActivityStatus."


def _operators(flt: Filter) -> set[str]:
    if isinstance(flt, ComplexFilter):
        return {op for part in flt.operands for op in _operators(part)}
    return {flt.operator}


class AsyncActivityStatusHandler(ObjectHandler):
    object_type = "AsyncActivityStatus"
    operations = frozenset({"Retrieve"})
    schema: ClassVar[tuple[Prop, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.retrievable = frozenset(_VALUES)
        self.filter_getters.update(_FILTERS)

    def candidates(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None = None
    ) -> Iterable[_Candidate]:
        queries: QueryActivities = ctx.sim.queries
        if queries.status_filter_equals_only and flt is not None:
            others = sorted(_operators(flt) - {"equals"})
            if others:
                raise FilterError(EQUALS_ONLY_MESSAGE.format(operator=others[0]))
        wanted = set(mids)
        for task in list(queries.tasks.values()):
            if task.mid in wanted:
                yield _Candidate(queries, task)

    def renderer(self, properties: Iterable[str], *, element: str = "Results") -> Renderer:
        names = [n for n in _VALUES if n in set(properties)] or list(_VALUES)
        head = (
            f'<{element} xsi:type="ObjectExtension"><PartnerKey xsi:nil="true" />'
            '<ObjectID xsi:nil="true" /><Type>AsyncActivityStatus</Type><Properties>'
        )
        tail = f"</Properties></{element}>"

        def render(candidate: _Candidate) -> str:
            report = candidate.queries.poll(candidate.task)
            out = [head]
            for name in names:
                value = escape(_VALUES[name](report))
                out.append(f"<Property><Name>{name}</Name><Value>{value}</Value></Property>")
            out.append(tail)
            return "".join(out)

        return render


register(AsyncActivityStatusHandler)
