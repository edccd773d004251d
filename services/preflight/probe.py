"""Starting a probe: the static check, then the measuring SQL as a run of the runs engine.

A probe measures on the real data what the static check cannot know (:mod:`.probe_sql`). It
is an ordinary run of its user in its BU (services/runs/start.py: the same checks, limits,
shells, events and results window), started with the measuring SQL, whose first line says it
is a probe; its record (:mod:`.probe_store`) marks the run as a probe for ``runEvents``, which
then carries the probe's report (:mod:`.probe_report`). The user's SQL must be one MCE accepts
as a query activity (otherwise there is nothing to measure: the static report says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis

from models import TenantContext
from services.errors import InvalidInput, QuarryError
from services.job_queue import JobQueue
from services.preflight.outputs import output_positions
from services.preflight.probe_sql import build_probe_sql
from services.preflight.probe_store import ProbeRecord, save_record
from services.preflight.report import PreflightReport, UpdateType
from services.preflight.static import check_query_target
from services.runs.config import RunConfig
from services.runs.start import start_run
from services.runs.store import RunInfo
from tsql import MAX_SQL_CHARS, Finding

__all__ = ["ProbeNotRunnable", "ProbeOutcome", "start_probe"]


class ProbeNotRunnable(QuarryError):
    """The measuring SQL could not be run (too long or too deep once the query is read three
    times, say): the message says why."""

    code = "PROBE_NOT_RUNNABLE"


@dataclass(frozen=True)
class ProbeOutcome:
    """The static report, and the probe's run (None when the SQL cannot be probed: the
    report's findings say why). ``joined``: the same probe was already running."""

    report: PreflightReport
    run: RunInfo | None = None
    joined: bool = False


async def start_probe(
    ctx: TenantContext,
    *,
    user_id: UUID,
    sql: str,
    target_key: str,
    update_type: UpdateType,
    jobs: JobQueue,
    redis: Redis,
    api_token_id: UUID | None = None,
    config: RunConfig | None = None,
) -> ProbeOutcome:
    """Check ``sql`` against the target, then start its probe as ``user_id`` in ``ctx``'s BU.

    Raises InvalidInput (no SQL), NotFound (``targetKey``), ProbeNotRunnable, and the runs
    engine's RunLimitReached.
    """
    report = await check_query_target(ctx, sql=sql, target_key=target_key, update_type=update_type)
    if not report.sql_valid:
        return ProbeOutcome(report=report)
    positions = output_positions(sql, report.columns)
    probe = build_probe_sql(
        sql, columns=report.columns, positions=positions, target=report.target,
        update_type=update_type,
    )  # fmt: skip
    if len(probe.text) > MAX_SQL_CHARS:
        raise InvalidInput(
            "The query is too long to probe: the probe reads it three times and would pass"
            f" the {MAX_SQL_CHARS:,}-character limit.",
            field="sql",
        )
    outcome = await start_run(
        ctx, user_id=user_id, sql=probe.text, api_token_id=api_token_id, jobs=jobs,
        redis=redis, config=config,
    )  # fmt: skip
    if outcome.run is None:
        raise ProbeNotRunnable(_why(outcome.blocking), field="sql")
    assert ctx.mid is not None  # the static check refuses a context without a BU
    await save_record(
        redis,
        ProbeRecord(
            tenant_id=ctx.tenant_id,
            mid=ctx.mid,
            user_id=user_id,
            run_id=outcome.run.id,
            target_key=report.target.customer_key,
            target_name=report.target.name,
            update_type=update_type,
            measures=probe.measures,
        ),
    )
    return ProbeOutcome(report=report, run=outcome.run, joined=outcome.joined)


def _why(findings: tuple[Finding, ...]) -> str:
    first = findings[0].message if findings else "it was refused"
    return f"The probe of this query cannot run: {first}"
