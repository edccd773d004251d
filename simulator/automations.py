"""Automations: ordered steps of query activities, and their runs (REFERENCE §4.5, §2.4).

A run starts every query activity of a step together through :class:`QueryActivities`
(so timing, status, the 30-minute limit and failures are those of query runs), waits
until all of them are finished, then starts the next step. The first failed activity
stops the run: later steps never start and the automation's ``statusId`` becomes Error
(-1) **[sim]**; a run that completes puts it back to its resting status (Ready, or
Paused for a scheduled one). Like query runs, nothing moves in the background:
:meth:`Automations.tick` advances due runs and ``Simulator.tick`` calls it before each
request, so tests drive runs with the clock.

Only query activities (``objectTypeId`` 300) are supported. Schedules are stored and
echoed but never fire **[sim]**: API-created schedules start paused (statusId 4), as
REFERENCE §4.5 observed, so only ``runallonce`` (REST) and Perform (SOAP) start a run.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from simulator.errors import ErrorCode, MceValidationError
from simulator.store_rules import check_name, err

if TYPE_CHECKING:
    from simulator.clock import Clock
    from simulator.queries import QueryActivities
    from simulator.store import Store

__all__ = [
    "QUERY_OBJECT_TYPE",
    "ActivitySpec",
    "Automation",
    "AutomationActivity",
    "AutomationRun",
    "AutomationStatus",
    "AutomationStep",
    "Automations",
]

#: ``objectTypeId`` of a query activity in automation steps (REFERENCE §4.5, MCDEV).
QUERY_OBJECT_TYPE = 300


class AutomationStatus(enum.IntEnum):
    """MCE's automation ``statusId`` values (names as the WSDL's AutomationStatus)."""

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

    @property
    def wire_name(self) -> str:
        """``AwaitingTrigger``: the WSDL enum spelling."""
        return "".join(part.capitalize() for part in self.name.split("_"))


@dataclass(frozen=True, slots=True)
class ActivitySpec:
    """An activity as a client sends it; ``name``/``display_order`` default when ``None``."""

    activity_object_id: str
    object_type_id: int
    name: str | None = None
    display_order: int | None = None


@dataclass(slots=True)
class AutomationActivity:
    id: str
    name: str
    activity_object_id: str
    object_type_id: int
    display_order: int


@dataclass(slots=True)
class AutomationStep:
    activities: list[AutomationActivity]
    name: str = ""


@dataclass(slots=True)
class AutomationRun:
    """One run: the steps as they were at start, and the tasks of the current step."""

    instance_id: str
    steps: list[AutomationStep]
    start_date: datetime
    step_index: int = 0
    task_ids: list[str] = field(default_factory=list)
    status: str = "Running"
    error_message: str = ""
    completed_date: datetime | None = None

    @property
    def is_running(self) -> bool:
        return self.status == "Running"


@dataclass(slots=True)
class Automation:
    object_id: str
    legacy_id: str
    customer_key: str
    name: str
    mid: int
    description: str
    category_id: int | None
    steps: list[AutomationStep]
    schedule: dict[str, Any] | None
    status_id: AutomationStatus
    created_date: datetime
    modified_date: datetime
    last_run_time: datetime | None = None
    last_run_instance_id: str | None = None
    runs: list[AutomationRun] = field(default_factory=list)

    @property
    def resting_status(self) -> AutomationStatus:
        """The status outside runs: Paused when scheduled (REFERENCE §4.5), else Ready [sim]."""
        return AutomationStatus.PAUSED if self.schedule is not None else AutomationStatus.READY

    @property
    def current_run(self) -> AutomationRun | None:
        run = self.runs[-1] if self.runs else None
        return run if run is not None and run.is_running else None


class Automations:
    """Automation definitions of every BU and the runner of their runs."""

    def __init__(self, *, store: Store, queries: QueryActivities, clock: Clock) -> None:
        self.store = store
        self.queries = queries
        self.clock = clock
        self.automations: dict[str, Automation] = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------- definitions
    def list_in(self, mid: int) -> list[Automation]:
        return [a for a in self.automations.values() if a.mid == mid]

    def get(self, mid: int, *, object_id: str) -> Automation | None:
        found = self.automations.get(object_id.strip().lower())
        return found if found is not None and found.mid == mid else None

    def create(
        self,
        *,
        mid: int,
        name: str | None,
        customer_key: str | None = None,
        description: str = "",
        category_id: int | None = None,
        steps: Sequence[Sequence[ActivitySpec]] = (),
        schedule: dict[str, Any] | None = None,
    ) -> Automation:
        """Create an automation; every activity must be a query of this BU.

        Raises :class:`MceValidationError`: missing name, duplicate name or key in the BU
        **[sim]**, an activity type other than 300, an unknown query.
        """
        with self._lock:
            self.store.require_business_unit(mid)
            name = check_name("Automation", name)
            oid = self.store.new_guid()
            key = customer_key or oid
            self._check_unique(mid, name=name, key=key, other=None)
            now = self.store.now()
            automation = Automation(
                object_id=oid,
                legacy_id=self.store.new_guid().upper(),
                customer_key=key,
                name=name,
                mid=mid,
                description=description,
                category_id=category_id,
                steps=self._build_steps(mid, steps),
                schedule=dict(schedule) if schedule is not None else None,
                status_id=AutomationStatus.READY,
                created_date=now,
                modified_date=now,
            )
            automation.status_id = automation.resting_status
            self.automations[oid] = automation
            return automation

    def update(
        self,
        automation: Automation,
        *,
        name: str | None = None,
        customer_key: str | None = None,
        description: str | None = None,
        category_id: int | None = None,
        steps: Sequence[Sequence[ActivitySpec]] | None = None,
        schedule: dict[str, Any] | None = None,
    ) -> Automation:
        """Change what is given; a run in progress keeps the steps it started with."""
        with self._lock:
            new_name = check_name("Automation", name) if name is not None else automation.name
            new_key = customer_key if customer_key is not None else automation.customer_key
            if not new_key.strip():
                raise err(ErrorCode.MISSING_PROPERTY, "Automation key is required.")
            self._check_unique(automation.mid, name=new_name, key=new_key, other=automation)
            new_steps = self._build_steps(automation.mid, steps) if steps is not None else None
            automation.name = new_name
            automation.customer_key = new_key
            if description is not None:
                automation.description = description
            if category_id is not None:
                automation.category_id = category_id
            if new_steps is not None:
                automation.steps = new_steps
            if schedule is not None:
                automation.schedule = dict(schedule)
                if automation.current_run is None:
                    automation.status_id = automation.resting_status
            automation.modified_date = self.store.now()
            return automation

    def delete(self, automation: Automation) -> None:
        """Forget the automation; query runs already started still finish."""
        with self._lock:
            self.automations.pop(automation.object_id, None)

    def _check_unique(self, mid: int, *, name: str, key: str, other: Automation | None) -> None:
        for existing in self.list_in(mid):
            if existing is other:
                continue
            if existing.customer_key.lower() == key.lower():
                raise err(ErrorCode.DUPLICATE_KEY, f"An automation with key {key} already exists.")
            if existing.name.lower() == name.lower():
                raise err(ErrorCode.DUPLICATE_NAME, f"An automation named {name} already exists.")

    def _build_steps(
        self, mid: int, steps: Sequence[Sequence[ActivitySpec]]
    ) -> list[AutomationStep]:
        built: list[AutomationStep] = []
        for number, specs in enumerate(steps, start=1):
            activities: list[AutomationActivity] = []
            for order, spec in enumerate(specs, start=1):
                if spec.object_type_id != QUERY_OBJECT_TYPE:
                    raise err(
                        ErrorCode.INVALID_VALUE,
                        f"Activity type {spec.object_type_id} is not supported: only query "
                        f"activities ({QUERY_OBJECT_TYPE}) can be automated here.",
                    )
                query = self.store.get_query(mid, object_id=spec.activity_object_id)
                if query is None:
                    raise err(
                        ErrorCode.NOT_FOUND,
                        f"Query definition {spec.activity_object_id} was not found.",
                    )
                activities.append(
                    AutomationActivity(
                        id=self.store.new_guid(),
                        name=spec.name or query.name,
                        activity_object_id=query.object_id,
                        object_type_id=spec.object_type_id,
                        display_order=spec.display_order or order,
                    )
                )
            built.append(AutomationStep(activities=activities, name=f"Step {number}"))
        return built

    # -------------------------------------------------------------- runs
    def start(self, automation: Automation) -> AutomationRun:
        """Run the automation once, now; returns the run (its first step is started).

        Raises :class:`MceValidationError` when a run is still in progress **[sim]**.
        """
        self.queries.tick()
        with self._lock:
            self._advance_all()
            if automation.current_run is not None:
                raise MceValidationError(
                    ErrorCode.QUERY_ALREADY_RUNNING,
                    f"The automation {automation.name} is already running.",
                )
            now = self.store.now()
            run = AutomationRun(
                instance_id=self.store.new_guid(),
                steps=list(automation.steps),
                start_date=now,
            )
            automation.runs.append(run)
            automation.status_id = AutomationStatus.RUNNING
            automation.last_run_time = now
            automation.last_run_instance_id = run.instance_id
            self._start_step(automation, run)
            return run

    def has_due(self) -> bool:
        """Whether a run's current step is over (cheap; called before each request).

        Lock-free on purpose: it runs on the event loop before every request, while a tick in a
        worker thread may hold the lock for as long as a query takes. It reads a snapshot.
        """
        return any(self._step_over(a, run) for a, run in self._running())

    def tick(self) -> None:
        """Advance every run whose step is over; loops so that zero-length steps chain."""
        with self._lock:
            while self._advance_all():
                self.queries.tick()

    def _running(self) -> list[tuple[Automation, AutomationRun]]:
        pairs = []
        for automation in list(self.automations.values()):
            run = automation.current_run
            if run is not None:
                pairs.append((automation, run))
        return pairs

    def _step_over(self, automation: Automation, run: AutomationRun) -> bool:
        tasks = [self.queries.task(task_id) for task_id in run.task_ids]
        return all(t is None or not t.is_running for t in tasks)

    def _advance_all(self) -> bool:
        """Finish or move on every run whose step is over; whether anything changed."""
        changed = False
        for automation, run in self._running():
            if not self._step_over(automation, run):
                continue
            changed = True
            failed = [
                task
                for task_id in run.task_ids
                if (task := self.queries.task(task_id)) is not None and task.status == "Error"
            ]
            if failed:
                self._finish(automation, run, error=failed[0].error_message or "Error")
                continue
            run.step_index += 1
            self._start_step(automation, run)
        return changed

    def _start_step(self, automation: Automation, run: AutomationRun) -> None:
        """Start every activity of the current step together; none left → complete."""
        run.task_ids = []
        if run.step_index >= len(run.steps):
            self._finish(automation, run, error=None)
            return
        for activity in run.steps[run.step_index].activities:
            query = self.store.get_query(automation.mid, object_id=activity.activity_object_id)
            if query is None:
                message = f"Query definition {activity.activity_object_id} was not found."
                self._finish(automation, run, error=message)
                return
            try:
                task = self.queries.start(query, automation_id=automation.object_id)
            except MceValidationError as exc:
                self._finish(automation, run, error=exc.message)
                return
            run.task_ids.append(task.task_id)

    def _finish(self, automation: Automation, run: AutomationRun, *, error: str | None) -> None:
        run.status = "Error" if error else "Complete"
        run.error_message = error or ""
        run.completed_date = self.store.now()
        automation.status_id = AutomationStatus.ERROR if error else automation.resting_status
