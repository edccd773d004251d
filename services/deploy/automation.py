"""The automation holding a deployed activity (REST ``/automation/v1/automations``, §4.5).

A deployment may ask for a new automation with the activity as its one step, and a schedule.
MCE stores the schedule as its API takes it (``startSource.schedule``: start, iCal
recurrence, numeric time zone) but leaves schedules created through the API **paused**
(``statusId`` 4, REFERENCE §4.5, observed by MCECLI): someone has to activate the schedule in
Automation Studio before it runs. The outcome says so (:data:`PAUSED_NOTE`), and so does the
GraphQL payload.

The automation is found by its key first. One that already runs this activity is kept as it
is (a re-deployment updates the activity in place, so its id, and the automation's step, do
not change); one with the key that does not run it is a conflict, never silently changed.
A create whose answer was lost is confirmed by key before it is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from client.bridge import MceBridge
from client.errors import MceValidationError, OutcomeUnknown
from client.rest.automations import AutomationStatus
from services.deploy.request import AutomationSpec

__all__ = ["PAUSED_NOTE", "AutomationConflict", "AutomationOutcome", "ensure_automation"]

PAUSED_NOTE = (
    "Marketing Cloud keeps schedules created through its API paused: open the automation in"
    " Automation Studio and activate its schedule before it runs."
)


class AutomationConflict(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"An automation with the key {key!r} exists in this business unit and does not run"
            " this activity; choose another key."
        )
        self.message = str(self)


@dataclass(frozen=True)
class AutomationOutcome:
    id: str
    key: str
    status_id: int | None
    created: bool

    @property
    def paused(self) -> bool:
        return self.status_id == int(AutomationStatus.PAUSED)


async def _existing(
    bridge: MceBridge, spec: AutomationSpec, activity_id: str
) -> AutomationOutcome | None:
    summary = await bridge.automations.find_by_key(spec.key)
    if summary is None:
        return None
    detail = await bridge.automations.get(summary.id)
    runs_it = any(
        activity.activity_object_id.casefold() == activity_id.casefold()
        for step in detail.steps
        for activity in step.activities
    )
    if not runs_it:
        raise AutomationConflict(spec.key)
    return AutomationOutcome(
        id=detail.id, key=detail.key or spec.key, status_id=detail.status_id, created=False
    )


async def ensure_automation(
    bridge: MceBridge, spec: AutomationSpec, *, activity_id: str, create_sent: bool
) -> AutomationOutcome:
    """The automation ``spec`` running ``activity_id`` in ``bridge``'s BU, made if absent.

    ``create_sent``: a create was sent before (a retried BU): look before creating.
    """
    found = await _existing(bridge, spec, activity_id)
    if found is not None:
        # Made by an earlier attempt of this deployment (its answer lost), or kept as it is.
        return replace(found, created=create_sent)
    schedule = None if spec.schedule is None else spec.schedule.mce_schedule()
    try:
        made = await bridge.automations.create(
            name=spec.name,
            key=spec.key,
            description=spec.description,
            steps=[[activity_id]],
            schedule=schedule,
        )
    except (OutcomeUnknown, MceValidationError):
        found = await _existing(bridge, spec, activity_id)
        if found is None:
            raise
        return AutomationOutcome(found.id, found.key, found.status_id, created=True)
    return AutomationOutcome(id=made.id, key=made.key, status_id=made.status_id, created=True)
