"""The query activity of one BU's deployment: created, or updated in place after a drift check.

The activity is found by its CustomerKey (REST ``/automation/v1/queries``, REFERENCE §4.4).

* Absent: it is created (flat REST body, in the folder the path named) with
  ``create_or_find``: the target row records that a create was sent first, and a lost answer
  is confirmed by key before anything is sent again, so a retry never makes a second one.
* Present: when MCE's SQL, target and update type already are what this deployment deploys
  (a retry after a later step failed, or an unchanged re-deploy), nothing is written unless
  the name, description or folder moved. Otherwise its state in MCE is compared with the
  baseline, what Quarry last deployed there successfully (services/deploy/drift.py): a
  difference stops this BU as DRIFTED with a unified SQL diff, unless ``force``. An activity
  with the key that Quarry never deployed in the BU counts as drift too (``unmanaged``):
  deploying would overwrite someone else's work. Then it is PATCHed in place: same id, so
  automations that run it keep running it.
"""

from __future__ import annotations

from dataclasses import dataclass

from client.bridge import MceBridge
from client.rest.queries import QueryActivity
from client.rest.queries import UpdateType as RestUpdateType
from models.deployments import UpdateType
from services.deploy.drift import ActivityState, Drift, find_drift

__all__ = [
    "ActivityOutcome",
    "DesiredActivity",
    "check_drift",
    "create_activity",
    "current_state",
    "rest_update_type",
    "update_activity",
]

_REST_TYPES = {
    UpdateType.OVERWRITE: RestUpdateType.OVERWRITE,
    UpdateType.APPEND: RestUpdateType.APPEND,
    UpdateType.UPDATE: RestUpdateType.UPDATE,
}


def rest_update_type(update_type: UpdateType) -> RestUpdateType:
    return _REST_TYPES[update_type]


@dataclass(frozen=True)
class DesiredActivity:
    """What the deployment wants the activity to be in this BU."""

    key: str
    name: str
    description: str
    sql: str
    target_key: str
    update_type: UpdateType
    folder_id: int

    @property
    def state(self) -> ActivityState:
        return ActivityState(self.sql, self.target_key, self.update_type.value)


@dataclass(frozen=True)
class ActivityOutcome:
    object_id: str
    created: bool
    changed: bool


def current_state(activity: QueryActivity) -> ActivityState:
    """The activity as MCE has it now, in the terms of :class:`ActivityState`."""
    return ActivityState(
        activity.query_text, activity.target_key, activity.update_type.name.title()
    )


def check_drift(
    existing: QueryActivity, desired: DesiredActivity, baseline: ActivityState | None
) -> Drift | None:
    """Drift of ``existing`` from ``baseline`` (None: Quarry never deployed it here), or None
    when MCE already holds what is being deployed or what was last deployed."""
    current = current_state(existing)
    if find_drift(deployed=desired.state, current=current) is None:
        return None  # already ours: nothing anyone could lose
    if baseline is None:
        found = find_drift(deployed=desired.state, current=current)
        assert found is not None
        return Drift(
            changes=("unmanaged", *found.changes),
            sql_diff=found.sql_diff,
            deployed=desired.state,
            current=current,
        )
    return find_drift(deployed=baseline, current=current)


async def create_activity(bridge: MceBridge, desired: DesiredActivity) -> ActivityOutcome:
    made = await bridge.queries.create_or_find(
        name=desired.name,
        key=desired.key,
        query_text=desired.sql,
        target_key=desired.target_key,
        category_id=desired.folder_id,
        update_type=rest_update_type(desired.update_type),
        description=desired.description,
    )
    return ActivityOutcome(object_id=made.id, created=True, changed=True)


async def update_activity(
    bridge: MceBridge, existing: QueryActivity, desired: DesiredActivity
) -> ActivityOutcome:
    """PATCH what differs (an idempotent call); nothing when nothing differs."""
    changes: dict[str, object] = {}
    if find_drift(deployed=desired.state, current=current_state(existing)) is not None:
        rest_type = rest_update_type(desired.update_type)
        changes.update(
            queryText=desired.sql,
            targetKey=desired.target_key,
            targetUpdateTypeId=int(rest_type),
            targetUpdateTypeName=desired.update_type.value,
        )
    if existing.name != desired.name:
        changes["name"] = desired.name
    if (existing.description or "") != desired.description:
        changes["description"] = desired.description
    if existing.category_id != desired.folder_id:
        changes["categoryId"] = desired.folder_id
    if not changes:
        return ActivityOutcome(object_id=existing.id, created=False, changed=False)
    updated = await bridge.queries.update(existing.id, **changes)
    return ActivityOutcome(object_id=updated.id, created=False, changed=True)
