"""Pre-flight for a deployment: each target BU's static check, before anything is recorded.

Per BU, in that BU's context (its metadata cache, its parent's shared DEs as ``ENT.``),
helper P's :func:`services.preflight.static.check_query_target` validates the SQL for
``QUERY_ACTIVITY`` (MCE's own rules, tsql) and compares its output with the target's fields
and the update type. A target the cache lacks is fetched from MCE as the user first (lazy
loading), when the process can reach MCE. A target that is still missing is an error, unless
the deployment creates it: then the SQL alone is checked, and the fields the DE will get are
the query's inferred output (``columns``).

ERROR findings block the deployment; WARNING findings block it until the request says
``acknowledgeWarnings``. Every finding is kept with its BU on the deployment's record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from models import TenantContext
from models.deployments import UpdateType
from services.deploy.request import DeployRequest
from services.errors import NotFound
from services.metadata.lazy import LazyDeps, ensure_data_extension
from services.metadata.preview import MceAccess
from services.preflight.report import PreflightFinding
from services.preflight.report import UpdateType as PreflightUpdateType
from services.preflight.static import check_query_target
from services.sql_toolkit import Column, Purpose, Severity, analyse_sql

__all__ = ["TARGET_NOT_FOUND", "BuCheck", "check_business_unit", "finding_json"]

TARGET_NOT_FOUND = "TARGET_NOT_FOUND"
TARGET_WILL_BE_CREATED = "TARGET_WILL_BE_CREATED"
PRIMARY_KEY_NOT_IN_OUTPUT = "PRIMARY_KEY_NOT_IN_OUTPUT"


@dataclass(frozen=True)
class BuCheck:
    """One BU's pre-flight: its findings, and the query's output columns (the fields of a
    target the deployment creates)."""

    mid: int
    findings: tuple[PreflightFinding, ...]
    columns: tuple[Column, ...]
    target_exists: bool

    @property
    def errors(self) -> tuple[PreflightFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[PreflightFinding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)


def finding_json(mid: int, finding: PreflightFinding) -> dict[str, Any]:
    """A finding as the deployment's record keeps it, with its BU."""
    return {"mid": mid, **finding.as_json()}


async def check_business_unit(
    ctx: TenantContext,
    request: DeployRequest,
    *,
    user_id: UUID,
    access: MceAccess | None,
) -> BuCheck:
    """The pre-flight of ``request`` in ``ctx``'s BU (a member context: see
    :func:`services.preflight.scope.member_context`)."""
    assert ctx.mid is not None
    update_type = PreflightUpdateType(request.update_type.value)
    try:
        report = await _report(ctx, request, update_type, user_id=user_id, access=access)
    except NotFound:
        return await _missing_target(ctx, request)
    return BuCheck(
        mid=ctx.mid, findings=report.findings, columns=report.columns, target_exists=True
    )


async def _report(
    ctx: TenantContext,
    request: DeployRequest,
    update_type: PreflightUpdateType,
    *,
    user_id: UUID,
    access: MceAccess | None,
) -> Any:
    check = check_query_target(
        ctx,
        sql=request.sql,
        target_key=request.target.key,
        update_type=update_type,
        activity_key=request.key,
    )
    try:
        return await check
    except NotFound:
        if access is None or ctx.mid is None:
            raise
    # The cache may not hold the target yet: fetch it from MCE as the user, then check.
    await _load_target(ctx, request, user_id=user_id, access=access)
    return await check_query_target(
        ctx,
        sql=request.sql,
        target_key=request.target.key,
        update_type=update_type,
        activity_key=request.key,
    )


async def _load_target(
    ctx: TenantContext, request: DeployRequest, *, user_id: UUID, access: MceAccess
) -> None:
    assert ctx.mid is not None
    deps = LazyDeps(http=access.http, tokens=access.tokens, policy=access.policy)
    try:
        await ensure_data_extension(
            ctx, mid=ctx.mid, user_id=user_id, deps=deps, key=request.target.key
        )
    except Exception:
        return


async def _missing_target(ctx: TenantContext, request: DeployRequest) -> BuCheck:
    assert ctx.mid is not None
    analysis = await analyse_sql(ctx, sql=request.sql, purpose=Purpose.QUERY_ACTIVITY)
    findings = [PreflightFinding.from_sql_finding(f) for f in analysis.findings]
    if not request.target.create:
        findings.insert(
            0,
            PreflightFinding(
                code=TARGET_NOT_FOUND,
                severity=Severity.ERROR,
                message=f"No data extension with the key {request.target.key!r} in this"
                " business unit (nor shared with it). Ask for it to be created, or refresh"
                " the metadata if it was created a moment ago.",
            ),
        )
    else:
        findings.append(
            PreflightFinding(
                code=TARGET_WILL_BE_CREATED,
                severity=Severity.INFO,
                message=f"The data extension {request.target.key!r} will be created with a"
                " field for each output column.",
            )
        )
        findings.extend(_key_findings(request, analysis.columns))
    return BuCheck(
        mid=ctx.mid,
        findings=tuple(findings),
        columns=analysis.columns if analysis.valid else (),
        target_exists=False,
    )


def _key_findings(request: DeployRequest, columns: Sequence[Column]) -> list[PreflightFinding]:
    names = {c.name.casefold() for c in columns}
    missing = [k for k in request.target.primary_key if k.casefold() not in names]
    found: list[PreflightFinding] = [
        PreflightFinding(
            code=PRIMARY_KEY_NOT_IN_OUTPUT,
            severity=Severity.ERROR,
            column=name,
            message=f"{name!r} is named as a key field but the query has no such column.",
        )
        for name in missing
    ]
    if request.update_type is UpdateType.UPDATE and not request.target.primary_key:
        found.append(
            PreflightFinding(
                code="UPDATE_WITHOUT_PRIMARY_KEY",
                severity=Severity.ERROR,
                message="Update (upsert) needs a primary key on the target: name its fields.",
            )
        )
    return found
