"""The static pre-flight check of a query activity's SQL against its target DE.

:func:`check_query_target` reads only Quarry's own stores (the metadata cache, through the
tenant context so that row-level security decides what the BU sees) and never calls MCE, so
it is fast enough to run at every edit and before every deploy: tsql validates the SQL for
``QUERY_ACTIVITY`` (MCE's own rules) and infers its output columns, then :mod:`.rules`
compares them with the target's fields and lists who already writes into the target.

Deployments call it per BU: a report with an ERROR blocks the deploy
(:attr:`~.report.PreflightReport.blocking`), one with a WARNING needs the user's
acknowledgement (:attr:`~.report.PreflightReport.needs_acknowledgement`).
"""

from __future__ import annotations

from collections.abc import Sequence

from models import TenantContext, TenantRepository
from services.errors import InvalidInput
from services.preflight.outputs import output_positions
from services.preflight.report import (
    PreflightFinding,
    PreflightReport,
    TargetInfo,
    TargetUsage,
    UpdateType,
)
from services.preflight.rules import compare_output, update_findings, usage_findings
from services.preflight.target import load_target
from services.preflight.usage import target_usages
from services.sql_toolkit import (
    THREAD_SQL_CHARS,
    Analysis,
    MetadataCatalog,
    Purpose,
    analyse_sql,
)
from tsql import Catalog

__all__ = ["check_query_target", "evaluate"]


async def check_query_target(
    ctx: TenantContext,
    *,
    sql: str,
    target_key: str,
    update_type: UpdateType,
    activity_key: str | None = None,
    catalog: Catalog | None = None,
) -> PreflightReport:
    """What MCE would refuse or fail on when ``sql`` runs as a query activity writing into
    the DE ``target_key`` with ``update_type``, in ``ctx``'s BU.

    ``activity_key`` names the activity being deployed (its own automations are then
    described as its own). Raises InvalidInput (no SQL) and NotFound (field ``targetKey``:
    no such DE visible in the BU). SQL MCE would refuse is not an exception: the report
    carries tsql's findings with their positions and ``sql_valid`` False.
    """
    if not sql.strip():
        raise InvalidInput("Write the query activity's SQL.", field="sql")
    if len(sql) > THREAD_SQL_CHARS:  # checked in the tsql thread: no transaction held open
        return await _check(ctx, sql, target_key, update_type, activity_key, catalog)
    # Every read in one transaction: one snapshot, and one BEGIN/COMMIT instead of one per read.
    async with TenantRepository(ctx).transaction():
        return await _check(ctx, sql, target_key, update_type, activity_key, catalog)


async def _check(
    ctx: TenantContext,
    sql: str,
    target_key: str,
    update_type: UpdateType,
    activity_key: str | None,
    catalog: Catalog | None,
) -> PreflightReport:
    target = await load_target(ctx, target_key)
    analysis = await analyse_sql(
        ctx, sql=sql, purpose=Purpose.QUERY_ACTIVITY, catalog=catalog or MetadataCatalog(ctx)
    )
    usages = await target_usages(ctx, target.customer_key)
    assert ctx.mid is not None  # load_target refuses a context without a BU
    return evaluate(
        sql=sql,
        analysis=analysis,
        target=target,
        update_type=update_type,
        usages=usages,
        mid=ctx.mid,
        activity_key=activity_key,
    )


def evaluate(
    *,
    sql: str,
    analysis: Analysis,
    target: TargetInfo,
    update_type: UpdateType,
    usages: Sequence[TargetUsage],
    mid: int,
    activity_key: str | None = None,
) -> PreflightReport:
    """The report from what was read (pure: no I/O). The output is compared with the target
    only when tsql could infer it; SQL MCE would refuse still gets the target's own checks
    (Update without a key) and the list of who writes into the target."""
    findings = [PreflightFinding.from_sql_finding(f) for f in analysis.findings]
    columns = analysis.columns if analysis.valid else ()
    positions = output_positions(sql, columns)
    if analysis.valid:
        findings.extend(compare_output(columns, positions, target, update_type))
    else:
        findings.extend(update_findings(target, update_type))
    findings.extend(usage_findings(usages, target, activity_key=activity_key))
    return PreflightReport.build(
        mid=mid,
        target=target,
        update_type=update_type,
        findings=findings,
        columns=analysis.columns,
        usages=tuple(usages),
        sql_valid=analysis.valid,
    )
