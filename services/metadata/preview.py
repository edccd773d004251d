"""A DE's first rows and its row count, read through from MCE as the viewer.

Both go to the rowset endpoint (REFERENCE §4.1) with a token of the viewer for the BU they
are working in (:func:`services.mce_bridges.bridge_for_user`): a parent's shared DE is read
from the child BU too (a child's token reads its parent's shared DEs by key), so MCE checks
the viewer's own rights. Rows are converted to typed values by the DE's cached fields and
handed back; they are never written anywhere (DESIGN.md: results are pass-through). The
count is the rowset's ``count``, cached on the DE with when it was counted
(:func:`services.metadata.queries.record_row_count`).

MCE's failures become public errors whose messages say what to do: ``NEEDS_SIGN_IN`` when
the viewer's token lineage is gone, ``FORBIDDEN`` when MCE refuses the viewer, ``NOT_FOUND``
when MCE no longer has the DE, ``MCE_UNAVAILABLE`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from client.bridge import MceBridge
from client.endpoints import EndpointPolicy
from client.errors import AccessDenied, MceError, ReauthRequired
from client.errors import NotFound as MceNotFound
from client.errors import PermissionDenied as McePermissionDenied
from client.tokens import TokenProvider
from client.values import Value, field_specs
from models import TenantContext
from services.errors import NotFound, PermissionDenied, QuarryError
from services.mce_bridges import bridge_for_user
from services.metadata.queries import DataExtensionInfo, FieldInfo, record_row_count

__all__ = [
    "MAX_PREVIEW_ROWS",
    "MceAccess",
    "MceCallFailed",
    "RowCount",
    "RowPreview",
    "count_rows",
    "preview_rows",
    "viewer_bridge",
]

#: The most rows a preview reads (one rowset page holds 2,500; a preview is a peek).
MAX_PREVIEW_ROWS = 100


class MceCallFailed(QuarryError):
    """MCE could not answer; ``code`` says whether signing in again or waiting helps."""

    code = "MCE_UNAVAILABLE"


@dataclass(frozen=True)
class MceAccess:
    """What reaching MCE as a user needs: the process's HTTP pool, its token provider (the
    wallet's) and the endpoint policy (MCE's hosts, or the simulator's in development)."""

    http: httpx.AsyncClient
    tokens: TokenProvider
    policy: EndpointPolicy


@dataclass(frozen=True, slots=True)
class RowCount:
    count: int
    counted_at: datetime


@dataclass(frozen=True, slots=True)
class RowPreview:
    """The first rows of a DE, typed; ``fields`` in MCE's order, each row a value per field."""

    fields: list[FieldInfo]
    rows: list[list[Value]]
    total_rows: int


async def viewer_bridge(ctx: TenantContext, *, access: MceAccess) -> MceBridge:
    """A bridge acting as ``ctx``'s user in ``ctx``'s BU."""
    if ctx.user_id is None or ctx.mid is None:
        raise PermissionDenied("Reading from Marketing Cloud needs a signed-in user in a BU.")
    return await bridge_for_user(
        ctx,
        user_id=ctx.user_id,
        mid=ctx.mid,
        http=access.http,
        tokens=access.tokens,
        policy=access.policy,
    )


def _public(error: MceError) -> QuarryError:
    if isinstance(error, ReauthRequired):
        return MceCallFailed(
            "Marketing Cloud needs you to sign in again before Quarry can read this.",
            code="NEEDS_SIGN_IN",
        )
    if isinstance(error, AccessDenied | McePermissionDenied):
        return PermissionDenied("Marketing Cloud does not let you read this data extension.")
    if isinstance(error, MceNotFound):
        return NotFound("Marketing Cloud no longer has this data extension.")
    return MceCallFailed(f"Marketing Cloud could not answer: {error.message}")


async def preview_rows(
    ctx: TenantContext,
    *,
    access: MceAccess,
    data_extension: DataExtensionInfo,
    fields: Sequence[FieldInfo],
    first: int,
) -> RowPreview:
    """The first ``first`` rows of ``data_extension`` (1 to :data:`MAX_PREVIEW_ROWS`)."""
    bridge = await viewer_bridge(ctx, access=access)
    specs = field_specs((field.name, field.field_type) for field in fields)
    try:
        page = await bridge.rowsets(data_extension.customer_key, specs, page_size=first).page(1)
    except MceError as exc:
        raise _public(exc) from None
    ordered = list(fields)
    rows = [[row.get(field.name) for field in ordered] for row in page.rows[:first]]
    return RowPreview(fields=ordered, rows=rows, total_rows=page.count)


async def count_rows(
    ctx: TenantContext, *, access: MceAccess, data_extension: DataExtensionInfo
) -> RowCount:
    """Count the DE's rows now (one rowset call for one row) and cache the count."""
    bridge = await viewer_bridge(ctx, access=access)
    try:
        page = await bridge.rowsets(data_extension.customer_key, (), page_size=1).page(1)
    except MceError as exc:
        raise _public(exc) from None
    counted = RowCount(count=page.count, counted_at=datetime.now(UTC))
    await record_row_count(
        ctx, data_extension=data_extension, count=counted.count, counted_at=counted.counted_at
    )
    return counted
