"""Who already writes into a target: the BU's query activities targeting it, and the
automations that run them, from the metadata cache's automation links (no MCE call).

A deploy into a target that an automation's activity also fills changes what that automation
produces (an Overwrite of either empties the other's rows; a changed target breaks both), so
the check names them. Only the checked BU's own activities are seen (row-level security): a
parent's shared DE may also be written from its other children, which this BU cannot list.
"""

from __future__ import annotations

from models import TenantContext, TenantRepository
from services.metadata import queries
from services.preflight.report import AutomationUse, TargetUsage

__all__ = ["target_usages"]

_WRITERS_SQL = (
    "SELECT object_id, customer_key, name, update_type FROM mce_query_activities"
    " WHERE lower(target_key) = lower($1) AND mid = quarry_current_mid()"
    " AND NOT is_quarry_asset ORDER BY lower(name), customer_key"
)


async def target_usages(ctx: TenantContext, target_key: str) -> tuple[TargetUsage, ...]:
    """The BU's query activities writing into ``target_key``, each with its automations."""
    if ctx.mid is None:
        return ()
    rows = await TenantRepository(ctx).fetch(_WRITERS_SQL, [target_key])
    if not rows:
        return ()
    keys = [(ctx.mid, str(row["object_id"])) for row in rows]
    automations = await queries.automations_by_query(ctx, keys)
    return tuple(
        TargetUsage(
            activity_key=row["customer_key"],
            activity_name=row["name"],
            update_type=row["update_type"],
            automations=tuple(
                AutomationUse(name=a.name, status=a.status) for a in automations.get(key, [])
            ),
        )
        for row, key in zip(rows, keys, strict=True)
    )
