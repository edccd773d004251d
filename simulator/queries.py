"""Query activities: definitions with SQL validation, and their runs (tasks).

Both the SOAP layer (QueryDefinition, Perform, AsyncActivityStatus) and REST
(``/automation/v1/queries``) go through :class:`QueryActivities`, so the two surfaces
agree on validation, status and timing.

Timing (REFERENCE §2.4 AsyncActivityStatus, §5.1): a started query is ``Queued`` for
``config.query_queue_seconds``, then ``Processing`` for ``query_base_seconds`` plus
``query_seconds_per_million_rows`` per million rows it reads, then ``Complete`` or
``Error``. A run planned longer than ``query_timeout_seconds`` (30 minutes, as MCE) fails
with a timeout when the limit is reached, and the target is left as it was. Nothing runs in
the background: :meth:`QueryActivities.tick` moves every due task forward and is called by
the app before each request (and by the control API after the clock moves), so tests drive
time with the clock and never sleep. The SQL itself runs once, when the task becomes due,
against the rows as they are then.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulator.errors import ErrorCode, MceValidationError
from simulator.model import DataExtension, QueryDefinition, QueryTask
from simulator.store_rules import MAX_QUERY_KEY, UPDATE_TYPES, check_name, err

if TYPE_CHECKING:
    from simulator.clock import Clock
    from simulator.config import SimulatorConfig
    from simulator.rows import RowStore
    from simulator.sql import QueryCatalog
    from simulator.store import Store

__all__ = ["TIMEOUT_MESSAGE", "QueryActivities", "StatusReport"]

#: ErrorMsg of a run stopped by the 30-minute limit **[sim: wording]**.
TIMEOUT_MESSAGE = (
    "Query timed out: query activities are terminated after {minutes} minutes of processing."
)

#: How far before the start an untrustworthy CompletedDate lies (quirk) **[sim]**.
_EARLY_COMPLETED = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """What one AsyncActivityStatus poll shows (quirks applied)."""

    task: QueryTask
    status: str
    error_message: str
    completed_date: datetime | None


@dataclass(slots=True)
class _RunPlan:
    """What a task runs: the definition as it was when started."""

    query_text: str
    target_key: str
    update_type: str
    extra: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    """A planned failure (control API): the run ends in Error with it, its SQL not run."""


class QueryActivities:
    """Query definitions (validated against the SQL engine) and their runs."""

    def __init__(
        self,
        *,
        store: Store,
        rows: RowStore,
        views: Any,
        clock: Clock,
        config: SimulatorConfig,
    ) -> None:
        self.store = store
        self.rows = rows
        self.views = views
        self.clock = clock
        self.config = config
        self.tasks: dict[str, QueryTask] = {}
        self._plans: dict[str, _RunPlan] = {}
        self._lock = threading.RLock()
        self._catalog: QueryCatalog | None = None
        #: Exact durations (start to completion, no queueing) for the next started runs, in
        #: order (control API ``POST /__sim/tasks/plan``) **[sim]**.
        self.planned_seconds: deque[float] = deque()
        #: The outcome of each planned run, in step with ``planned_seconds``: None runs its
        #: SQL; a message makes it end in Error with that ErrorMsg at its planned time, the
        #: target untouched (control API, for errors no SQL can provoke) **[sim]**.
        self.planned_errors: deque[str | None] = deque()
        #: AsyncActivityStatus Retrieve refuses every filter operator but ``equals`` (REFERENCE
        #: has seen only ``equals``; whether MCE takes ``IN`` is not known) **[sim]**.
        self.status_filter_equals_only = False

    # ------------------------------------------------------------ engine
    @property
    def catalog(self) -> QueryCatalog:
        """What queries can see; built on first use so a bare simulator stays cheap."""
        if self._catalog is None:
            from simulator.sql import QueryCatalog  # sqlglot loads lazily

            self._catalog = QueryCatalog(
                store=self.store,
                rows=self.rows,
                views=self.views,
                now=self.clock.server_now,
                utcnow=lambda: self.clock.utcnow().replace(tzinfo=None),
            )
        return self._catalog

    def target_of(self, query: QueryDefinition) -> DataExtension | None:
        return self.store.get_de(query.mid, customer_key=query.target_key)

    def validate(
        self, *, mid: int, text: str, target: DataExtension | None, update_type: str
    ) -> list[str]:
        """Every problem MCE reports at create/validate time ([] when valid)."""
        from simulator.sql import validate_query

        return validate_query(
            self.catalog, mid=mid, text=text, target=target, update_type=update_type
        )

    def _require_valid(
        self, *, mid: int, text: str, target: DataExtension, update_type: str
    ) -> None:
        errors = self.validate(mid=mid, text=text, target=target, update_type=update_type)
        if errors:
            raise err(ErrorCode.INVALID_QUERY, errors[0])

    # ------------------------------------------------------- definitions
    def create(
        self,
        *,
        mid: int,
        name: str | None,
        query_text: str | None,
        target_key: str | None,
        customer_key: str | None = None,
        target_update_type: str = "Overwrite",
        folder_id: int | None = None,
        description: str = "",
    ) -> QueryDefinition:
        """Create a definition; the SQL is checked as MCE checks it on save."""
        with self._lock:
            check_name("Query", name)
            update_type = _update_type(target_update_type)
            if query_text and query_text.strip() and target_key:
                target = self.store.get_de(mid, customer_key=target_key)
                if target is not None:
                    self._require_valid(
                        mid=mid, text=query_text, target=target, update_type=update_type
                    )
            return self.store.create_query(
                mid=mid,
                name=name,
                query_text=query_text,
                target_key=target_key,
                customer_key=customer_key,
                target_update_type=update_type,
                folder_id=folder_id,
                description=description,
            )

    def update(
        self,
        query: QueryDefinition,
        *,
        name: str | None = None,
        query_text: str | None = None,
        target_key: str | None = None,
        target_update_type: str | None = None,
        folder_id: int | None = None,
        description: str | None = None,
        customer_key: str | None = None,
    ) -> QueryDefinition:
        """Change a definition; the result is validated as a whole before anything changes."""
        with self._lock:
            new_name = check_name("Query", name) if name is not None else query.name
            text = query_text if query_text is not None else query.query_text
            if not text.strip():
                raise err(ErrorCode.MISSING_PROPERTY, "QueryText is required.")
            key = target_key if target_key is not None else query.target_key
            target = self.store.get_de(query.mid, customer_key=key)
            if target is None:
                raise err(ErrorCode.NOT_FOUND, f"Target data extension {key} was not found.")
            update_type = (
                _update_type(target_update_type)
                if target_update_type is not None
                else query.target_update_type
            )
            folder = query.folder_id
            if folder_id not in (None, 0):
                found = self.store.get_folder(folder_id, mid=query.mid)
                if found is None or found.content_type != "queryactivity":
                    raise err(
                        ErrorCode.FOLDER_NOT_FOUND,
                        f"The folder with ID {folder_id} was not found.",
                    )
                folder = found.id
            new_key = query.customer_key
            if customer_key is not None and customer_key != query.customer_key:
                new_key = self._check_new_key(query, customer_key)
            for other in self.store.list_queries(query.mid):
                if other is not query and other.name.lower() == new_name.lower():
                    raise err(ErrorCode.DUPLICATE_NAME, f"A query named {new_name} already exists.")
            self._require_valid(mid=query.mid, text=text, target=target, update_type=update_type)
            query.name = new_name
            query.query_text = text
            query.target_key = target.customer_key
            query.target_update_type = update_type
            query.folder_id = folder
            query.customer_key = new_key
            if description is not None:
                query.description = description
            query.modified_date = self.store.now()
            return query

    def _check_new_key(self, query: QueryDefinition, key: str) -> str:
        if not key.strip():
            raise err(ErrorCode.MISSING_PROPERTY, "CustomerKey is required.")
        if len(key) > MAX_QUERY_KEY:
            raise err(
                ErrorCode.INVALID_VALUE, f"CustomerKey must be {MAX_QUERY_KEY} characters or less."
            )
        clash = self.store.get_query(query.mid, customer_key=key)
        if clash is not None and clash is not query:
            raise err(ErrorCode.DUPLICATE_KEY, f"A query with CustomerKey {key} already exists.")
        return key

    def delete(self, query: QueryDefinition) -> None:
        """Delete a definition; a run already started still finishes (it has its own plan)."""
        self.store.delete_query(mid=query.mid, object_id=query.object_id)

    # -------------------------------------------------------------- runs
    def start(self, query: QueryDefinition, *, automation_id: str | None = None) -> QueryTask:
        """Queue a run and return its task at once (REFERENCE: Perform returns a TaskID).

        A definition that is still running cannot be started again **[sim]**.
        """
        from simulator.sql import estimate_rows

        self.tick()
        with self._lock:
            if self.is_running(query):
                raise err(
                    ErrorCode.QUERY_ALREADY_RUNNING,
                    f"The query {query.name} is already running.",
                )
            now = self.clock.time()
            rows = estimate_rows(self.catalog, mid=query.mid, text=query.query_text)
            config = self.config
            run_seconds = (
                config.query_base_seconds + config.query_seconds_per_million_rows * rows / 1e6
            )
            queued_until = now + config.query_queue_seconds
            planned_error = None
            if self.planned_seconds:
                queued_until, run_seconds = now, self.planned_seconds.popleft()
                planned_error = self.planned_errors.popleft() if self.planned_errors else None
            task = QueryTask(
                task_id=self.store.new_guid(),
                query_object_id=query.object_id,
                query_key=query.customer_key,
                mid=query.mid,
                requested_at=now,
                queued_until=queued_until,
                finishes_at=queued_until + run_seconds,
                timeout_at=queued_until + config.query_timeout_seconds,
                start_date=self.clock.server_now(),
                automation_id=automation_id,
            )
            self.tasks[task.task_id] = task
            self._plans[task.task_id] = _RunPlan(
                query_text=query.query_text,
                target_key=query.target_key,
                update_type=query.target_update_type,
                error=planned_error,
            )
            return task

    def task(self, task_id: str) -> QueryTask | None:
        return self.tasks.get(task_id.strip().lower())

    def finish_in(self, task: QueryTask, seconds: float) -> None:
        """Make a running task finish exactly ``seconds`` from now (control API) **[sim]**:
        it is Processing from now on, and still fails at the 30-minute limit if that is
        earlier."""
        with self._lock:
            if not task.is_running:
                raise ValueError("the task has finished")
            now = self.clock.time()
            task.queued_until = min(task.queued_until, now)
            task.finishes_at = now + seconds

    def is_running(self, query: QueryDefinition) -> bool:
        return any(t.is_running for t in self._snapshot() if t.query_object_id == query.object_id)

    def last_task(self, query: QueryDefinition) -> QueryTask | None:
        runs = [t for t in self._snapshot() if t.query_object_id == query.object_id]
        return max(runs, key=lambda t: t.requested_at) if runs else None

    def has_due(self) -> bool:
        """Whether :meth:`tick` has anything to do now (cheap; called before each request)."""
        now = self.clock.time()
        return any(_next_event(t) <= now for t in self._snapshot() if t.is_running)

    def _snapshot(self) -> tuple[QueryTask, ...]:
        """The tasks now: other threads add tasks while requests poll (one C-level copy,
        so no "dictionary changed size during iteration")."""
        return tuple(self.tasks.values())

    def tick(self) -> None:
        """Move every due task forward; runs the SQL of tasks whose processing is over."""
        with self._lock:
            now = self.clock.time()
            for task in sorted(self.tasks.values(), key=lambda t: t.requested_at):
                if task.is_running:
                    self._advance(task, now)

    def _advance(self, task: QueryTask, now: float) -> None:
        if now < task.queued_until:
            return
        task.status = "Processing"
        if task.finishes_at > task.timeout_at:
            if now >= task.timeout_at:
                minutes = round(self.config.query_timeout_seconds / 60)
                self._finish(task, task.timeout_at, error=TIMEOUT_MESSAGE.format(minutes=minutes))
            return
        if now >= task.finishes_at:
            self._execute(task)

    def _execute(self, task: QueryTask) -> None:
        """Run the task's SQL holding the store's lock, so its target can be neither
        deleted nor altered between compiling and writing (those wait for the run)."""
        with self.store.locked():
            self._execute_locked(task)

    def _execute_locked(self, task: QueryTask) -> None:
        from simulator.sql import SqlError, run_query

        plan = self._plans[task.task_id]
        if plan.error is not None:
            self._finish(task, task.finishes_at, error=plan.error)
            return
        target = self.store.get_de(task.mid, customer_key=plan.target_key)
        if target is None:
            self._finish(task, task.finishes_at, error=f"Invalid object name '{plan.target_key}'.")
            return
        try:
            task.rows_written = run_query(
                self.catalog,
                mid=task.mid,
                text=plan.query_text,
                target=target,
                update_type=plan.update_type,
            )
        except SqlError as exc:
            self._finish(task, task.finishes_at, error=exc.message)
            return
        self._finish(task, task.finishes_at, error=None)

    def _finish(self, task: QueryTask, at: float, *, error: str | None) -> None:
        task.status = "Error" if error else "Complete"
        task.error_message = error or ""
        task.completed_date = self._server_time(at)
        task.completed_at = at
        task.visible_at = at + self.config.quirk_rows_visible_after_seconds
        task.polls = 0

    def _server_time(self, at: float) -> datetime:
        return self.clock.server_now() - timedelta(seconds=self.clock.time() - at)

    # ---------------------------------------------------------- polling
    def poll(self, task: QueryTask) -> StatusReport:
        """One AsyncActivityStatus read of ``task``, with the switched-on quirks applied."""
        with self._lock:
            status, completed = task.status, task.completed_date
            if not task.is_running and task.polls < self.config.quirk_status_lag_polls:
                status = "Queued"
            if not task.is_running:
                task.polls += 1
            if self.config.quirk_early_completed_date and completed is None:
                completed = task.start_date - _EARLY_COMPLETED
            error = task.error_message if status == "Error" else ""
            return StatusReport(
                task=task, status=status, error_message=error, completed_date=completed
            )

    def rows_hidden(self, de: DataExtension) -> bool:
        """Whether the target's rows are not yet readable after a run (quirk)."""
        if self.config.quirk_rows_visible_after_seconds <= 0:
            return False
        now = self.clock.time()
        for task in self._snapshot():
            plan = self._plans.get(task.task_id)
            if (
                plan is not None
                and task.status == "Complete"
                and plan.target_key.lower() == de.customer_key.lower()
                and now < task.visible_at
            ):
                return True
        return False


def _next_event(task: QueryTask) -> float:
    if task.status == "Queued":
        return task.queued_until
    return min(task.finishes_at, task.timeout_at)


def _update_type(value: str) -> str:
    update_type = UPDATE_TYPES.get(value.strip().lower())
    if update_type is None:
        raise MceValidationError(ErrorCode.INVALID_VALUE, f"TargetUpdateType {value} is not valid.")
    return update_type
