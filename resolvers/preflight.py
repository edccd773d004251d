"""Pre-flight use-cases: ``checkQueryTarget``, ``probeQueryTarget`` and a probe run's state.

Any signed-in viewer may check (READ tokens too: nothing is written); probing runs SQL in MCE,
so it needs a session or a READ_WRITE token (the schema refuses READ tokens' mutations first,
and this checks again). ``mid`` names a BU the viewer is a member of (default: the one they
work in); any other MID (another tenant's, one they were never given, junk) is NOT_FOUND. A
probe runs in the viewer's current BU only: runs are visible in the BU they run in, so a
probe elsewhere could not be followed (BU_NOT_CURRENT says to switch first).
"""

from __future__ import annotations

from uuid import UUID

from redis.asyncio import Redis

from models import TenantContext
from models.runs import RunStatus
from services.authn import Authentication
from services.errors import PermissionDenied, QuarryError
from services.identity import Principal
from services.job_queue import JobQueue
from services.metadata.preview import MceAccess
from services.preflight.probe import ProbeOutcome, start_probe
from services.preflight.probe_report import ProbeState, probe_state
from services.preflight.report import PreflightReport, UpdateType
from services.preflight.scope import member_context, parse_mid
from services.preflight.static import check_query_target as static_check
from services.runs.config import RunConfig

__all__ = ["BusinessUnitNotCurrent", "check_query_target", "probe_query_target", "run_probe"]


class BusinessUnitNotCurrent(QuarryError):
    code = "BU_NOT_CURRENT"


async def _context(principal: Principal, mid: str | None) -> TenantContext:
    if mid is None:
        return principal.tenant_context()
    wanted = parse_mid(mid)
    if wanted == principal.mid:
        return principal.tenant_context()
    return await member_context(
        tenant_id=principal.tenant_id, user_id=principal.user_id, mid=wanted
    )


async def check_query_target(
    auth: Authentication,
    *,
    sql: str,
    target_key: str,
    update_type: UpdateType,
    mid: str | None,
) -> PreflightReport:
    """The static check in BU ``mid`` (default: the viewer's). Raises InvalidInput (``sql``,
    ``mid``), NotFound (``targetKey``, ``mid``)."""
    principal = auth.require_principal()
    ctx = await _context(principal, mid)
    return await static_check(ctx, sql=sql, target_key=target_key, update_type=update_type)


async def probe_query_target(
    auth: Authentication,
    *,
    sql: str,
    target_key: str,
    update_type: UpdateType,
    mid: str | None,
    jobs: JobQueue,
    redis: Redis,
    config: RunConfig | None = None,
) -> ProbeOutcome:
    """Check, then start the probe as the viewer in their BU. Raises the static check's
    errors, BusinessUnitNotCurrent, ProbeNotRunnable and RunLimitReached."""
    principal = auth.require_principal()
    if principal.read_only:
        raise PermissionDenied("This API token is read-only; mutations need READ_WRITE.")
    ctx = await _context(principal, mid)
    if ctx.mid != principal.mid:
        raise BusinessUnitNotCurrent(
            "A probe runs in the business unit you work in, where you can follow it: switch"
            " to that business unit first.",
            field="mid",
        )
    return await start_probe(
        ctx, user_id=principal.user_id, sql=sql, target_key=target_key,
        update_type=update_type, jobs=jobs, redis=redis,
        api_token_id=principal.api_token_id, config=config,
    )  # fmt: skip


async def run_probe(
    auth: Authentication, *, run_id: UUID, status: str, redis: Redis, access: MceAccess | None
) -> ProbeState | None:
    """The probe behind the viewer's run ``run_id`` as of a run event with ``status`` (None:
    the run is not a probe of theirs in this BU)."""
    principal = auth.require_principal()
    try:
        run_status = RunStatus(status)
    except ValueError:
        return None
    return await probe_state(
        principal.tenant_context(), run_id=run_id, status=run_status, redis=redis, access=access
    )
