"""Journeys, jobs and sends: the staging tables every tracking view is cut from.

A send is one (job, subscriber) pair. Its fate (bounced, how many opens and clicks, an
unsubscribe, a complaint, a forward) is decided once, in the ``sends`` staging table, so
``_Sent``, ``_Open``, ``_Click``, ... are projections that cannot disagree. Every fourth job
is a journey email: its ``TriggererSendDefinitionObjectID`` is the ``JourneyActivityObjectID``
of an email activity of a published journey version, and its sends trickle in over up to
60 days instead of arriving within minutes.
"""

from __future__ import annotations

from simulator.dataviews.catalog import ACTIVITY_TEMPLATE, CAMPAIGNS, JOURNEY_NAMES
from simulator.dataviews.plan import BuPlan
from simulator.dataviews.sql import lit, seconds, text_list, ts

__all__ = ["send_staging", "send_views"]

_DAY = 86_400
_HOUR = 3_600
#: Percent of sends to good addresses that bounce anyway (soft, block, technical) **[sim]**.
SOFT_BOUNCE_PERCENT = 1.0
UNSUB_PERCENT = 0.6
COMPLAINT_PERCENT = 0.08
FTAF_PERCENT = 0.3
#: Journey sends arrive over at most this many days after the job starts.
JOURNEY_SPREAD_DAYS = 60
#: Batch jobs are spread evenly over this many days, starting six months ago.
_BATCH_SPAN_DAYS = 177


def send_staging(plan: BuPlan) -> list[str]:
    """Statements creating ``acts``, ``jobs``, ``sends`` and ``unsubs`` (needs ``subs``)."""
    return [_activities(plan), _jobs(plan), _sends(plan), *_unsubscribes(plan)]


def _activities(plan: BuPlan) -> str:
    rng, start = plan.rng, ts(plan.start)
    types = text_list(t for t, _ in ACTIVITY_TEMPLATE)
    suffixes = text_list(s for _, s in ACTIVITY_TEMPLATE)
    names = text_list(JOURNEY_NAMES)
    n_names = len(JOURNEY_NAMES)
    published = f"created + {seconds(rng.between('published', _HOUR, 3 * _DAY, 'j', 'v'))}"
    return f"""
        CREATE TEMP TABLE {plan.staging("acts")} AS
        WITH journey AS (
            SELECT
                j, 1 + {rng.pick("versions", 3, "j")} AS n_versions,
                {start} + {seconds(rng.pick("born", 20 * _DAY, "j"))} AS born,
                {names}[1 + j % {n_names}]
                    || CASE WHEN j >= {n_names} THEN ' ' || (j // {n_names} + 1) ELSE '' END
                    AS journey_name
            FROM range({plan.size.journeys}) AS t(j)
        ), version AS (
            SELECT
                journey.*, v, born + to_days((v * 25)::INTEGER) AS created,
                CASE WHEN v = n_versions - 1 AND j % 4 = 3 AND n_versions > 1 THEN 'Draft'
                     WHEN v = n_versions - 1 OR (v = n_versions - 2 AND j % 4 = 3) THEN 'Running'
                     ELSE 'Finished' END AS status
            FROM journey CROSS JOIN range(3) AS r(v)
            WHERE v < n_versions
        )
        SELECT
            version.*, a, {types}[a + 1] AS activity_type,
            journey_name || ' - ' || {suffixes}[a + 1] AS activity_name,
            CASE WHEN status <> 'Draft' THEN {published} END AS published,
            {rng.guid("journey", "j")} AS journey_id,
            {rng.guid("version", "j", "v")} AS version_id,
            {rng.guid("activity", "j", "v", "a")} AS activity_id,
            {rng.guid("activity-object", "j", "v", "a")} AS activity_object_id,
            {rng.guid("send-definition-key", "j", "v", "a")} AS send_definition_key
        FROM version CROSS JOIN range({len(ACTIVITY_TEMPLATE)}) AS r(a)
    """  # noqa: S608 - built from numbers and escaped literals


def _jobs(plan: BuPlan) -> str:
    rng, start, now = plan.rng, ts(plan.start), ts(plan.now)
    n_jobs = plan.size.jobs
    span = _BATCH_SPAN_DAYS * _DAY
    users = "[" + ", ".join(str(u) for u in plan.user_ids) + "]"
    return f"""
        CREATE TEMP TABLE {plan.staging("jobs")} AS
        WITH email AS (
            SELECT
                row_number() OVER (ORDER BY j, v, a) - 1 AS slot, count(*) OVER () AS slots,
                activity_object_id, send_definition_key, activity_name, published
            FROM {plan.staging("acts")}
            WHERE activity_type = 'EMAILV2' AND status <> 'Draft'
        ), job AS (
            SELECT
                n, n % 4 = 3 AS journey, n // 4 AS journey_no, {plan.job_id_base} + n AS job_id,
                {start} + {seconds(f"n * {span} // {n_jobs}")}
                    + {seconds(rng.pick("sched", 12 * _HOUR, "n"))} AS batch_sched
            FROM range({n_jobs}) AS t(n)
        ), timed AS (
            SELECT
                job.*, email.*,
                CASE WHEN journey
                    THEN email.published + {seconds(rng.between("jsched", _HOUR, 2 * _DAY, "n"))}
                    ELSE batch_sched END AS sched
            FROM job LEFT JOIN email ON journey AND email.slot = job.journey_no % email.slots
        )
        SELECT
            n, job_id, journey, sched,
            sched + {seconds(rng.between("pickup", 30, 300, "n"))} AS pickup,
            CASE WHEN journey THEN {JOURNEY_SPREAD_DAYS} * {_DAY}
                ELSE {rng.between("duration", 5 * 60, 40 * 60, "n")} END AS planned_spread,
            CASE WHEN NOT journey AND n % 3 = 1
                THEN {plan.list_id_base + 1} ELSE {plan.list_id_base} END AS list_id,
            CASE WHEN journey THEN {rng.between("journey-audience", 4, 12, "n")}
                ELSE {rng.between("audience", 20, 55, "n")} END AS audience_pct,
            {rng.between("open-rate", 18, 45, "n")} AS open_pct,
            {rng.between("click-rate", 10, 35, "n")} AS click_pct,
            {rng.between("links", 3, 5, "n")} AS n_links,
            {rng.pick("campaign", len(CAMPAIGNS), "n")} AS campaign,
            {users}[1 + {rng.pick("user", len(plan.user_ids), "n")}] AS user_id,
            CASE WHEN journey THEN activity_object_id END AS tsd_object,
            CASE WHEN journey THEN send_definition_key END AS tsd_key,
            activity_name
        FROM timed
        WHERE sched < {now}
    """  # noqa: S608


def _sends(plan: BuPlan) -> str:
    rng, now = plan.rng, ts(plan.now)
    key = ("job_id", "sid")
    first_open = (
        f"CASE WHEN {rng.chance('quick-open', 50, *key)} "
        f"THEN {rng.between('open-after', 60, 3 * _HOUR, *key)} "
        f"ELSE {rng.between('open-later', 3 * _HOUR, 5 * _DAY, *key)} END"
    )
    opens = f"{rng.pick('opens', 20, *key)}"
    return f"""
        CREATE TEMP TABLE {plan.staging("sends")} AS
        WITH pair AS (
            SELECT
                j.job_id, j.n AS job_no, j.journey, j.list_id, j.pickup, j.open_pct,
                j.click_pct, j.n_links, j.tsd_object, j.tsd_key,
                s.sid, s.skey, s.domain, s.email, s.bad,
                {rng.pick("sent-after", "spread + 1", "j.job_id", "s.sid")} AS offset_s
            FROM (
                SELECT *, least(planned_spread, epoch({now})::BIGINT - epoch(pickup)::BIGINT)
                    AS spread
                FROM {plan.staging("jobs")}
            ) AS j
            CROSS JOIN {plan.staging("subs")} AS s
            WHERE s.joined <= j.sched
              AND (j.list_id = {plan.list_id_base} OR s.in_news)
              AND {rng.chance("audience", "j.audience_pct", "j.job_id", "s.sid")}
        ), fate AS (
            SELECT
                *,
                pickup + {seconds("offset_s")} AS sent_at,
                1 + offset_s // CASE WHEN journey THEN {_DAY} ELSE 600 END AS batch_id,
                bad OR {rng.chance("bounce", SOFT_BOUNCE_PERCENT, *key)} AS bounced
            FROM pair
        ), opened AS (
            SELECT
                *,
                CASE WHEN bounced OR NOT {rng.chance("open", "open_pct", *key)} THEN 0
                     WHEN {opens} < 12 THEN 1 WHEN {opens} < 17 THEN 2
                     WHEN {opens} < 19 THEN 3 ELSE 4 END AS n_opens
            FROM fate
        )
        SELECT
            * EXCLUDE (offset_s, pickup, open_pct),
            CASE WHEN n_opens > 0
                THEN least(sent_at + {seconds(first_open)}, {now}) END AS first_open,
            CASE WHEN n_opens > 0 AND {rng.chance("click", "click_pct", *key)}
                THEN 1 + {rng.pick("clicks", 3, *key)} ELSE 0 END AS n_clicks,
            NOT bounced AND {rng.chance("unsub", UNSUB_PERCENT, *key)} AS unsub_candidate,
            NOT bounced AND {rng.chance("complaint", COMPLAINT_PERCENT, *key)} AS complained,
            n_opens > 0 AND {rng.chance("ftaf", FTAF_PERCENT, *key)} AS forwarded,
            CASE WHEN bad THEN {rng.pick("hard", 2, "sid")}
                ELSE 2 + {rng.pick("soft", 4, *key)} END AS bounce_kind
        FROM opened
    """  # noqa: S608


def _unsubscribes(plan: BuPlan) -> list[str]:
    """A subscriber unsubscribes at most once (their first candidate send); later sends go."""
    rng, now = plan.rng, ts(plan.now)
    sends, unsubs = plan.staging("sends"), plan.staging("unsubs")
    after = rng.between("unsub-after", 60, 2 * _HOUR, "job_id", "sid")
    return [
        f"""
        CREATE TEMP TABLE {unsubs} AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT
                job_id, list_id, batch_id, sid, skey, domain, sent_at,
                least(coalesce(first_open, sent_at) + {seconds(after)}, {now}) AS unsub_at,
                row_number() OVER (PARTITION BY sid ORDER BY sent_at, job_id) AS rn
            FROM {sends}
            WHERE unsub_candidate
        ) WHERE rn = 1
        """,  # noqa: S608
        f"DELETE FROM {sends} AS s USING {unsubs} AS u "  # noqa: S608
        f"WHERE s.sid = u.sid AND s.sent_at > u.unsub_at",
    ]


def send_views(plan: BuPlan) -> dict[str, str]:
    """SELECTs of ``_Job``, ``_Journey`` and ``_JourneyActivity``."""
    rng, acts = plan.rng, plan.staging("acts")
    names = text_list(c[0] for c in CAMPAIGNS)
    subjects = text_list(c[1] for c in CAMPAIGNS)
    categories = text_list(c[2] for c in CAMPAIGNS)
    from_email = lit(f"news@{plan.email_domain}")
    return {
        "_Job": f"""
            SELECT
                {plan.mid} AS AccountID, user_id AS AccountUserID, job_id AS JobID,
                {plan.job_id_base // 10} + n AS EmailID, {lit(plan.bu_name)} AS FromName,
                {from_email} AS FromEmail, sched AS SchedTime, pickup AS PickupTime,
                CASE WHEN journey THEN pickup
                    ELSE pickup + {seconds("planned_spread")} END AS DeliveredTime,
                tsd_object AS TriggererSendDefinitionObjectID,
                tsd_key AS TriggeredSendCustomerKey, NULL AS EventID, true AS IsMultipart,
                CASE WHEN journey THEN 'Triggered' ELSE 'Scheduled' END AS JobType,
                'Complete' AS JobStatus, user_id AS ModifiedBy, sched AS ModifiedDate,
                CASE WHEN journey THEN activity_name
                    ELSE {names}[campaign + 1] || ' ' || strftime(sched, '%Y-%m-%d') END
                    AS EmailName,
                CASE WHEN journey THEN activity_name ELSE {subjects}[campaign + 1] END
                    AS EmailSubject,
                true AS IsWrapped, NULL AS TestEmailAddr,
                CASE WHEN journey THEN 'Journeys' ELSE {categories}[campaign + 1] END
                    AS Category,
                NULL AS BccEmail, sched AS OriginalSchedTime,
                sched - {seconds(rng.between("created", _HOUR, 7 * _DAY, "n"))} AS CreatedDate,
                'utf-8' AS CharacterSet, '13.111.' || (n % 200) || '.' || (n % 250 + 1)
                    AS IPAddress,
                NULL AS SalesForceTotalSubscriberCount, NULL AS SalesForceErrorSubscriberCount,
                CASE WHEN journey THEN 'Triggered' ELSE 'Email' END AS SendType,
                NULL AS DynamicEmailSubject, false AS SuppressTracking,
                'Marketing' AS SendClassificationType,
                'Default Commercial' AS SendClassification,
                false AS ResolveLinksWithCurrentData, tsd_key AS EmailSendDefinition,
                false AS DeduplicateByEmail
            FROM {plan.staging("jobs")}
        """,  # noqa: S608
        "_Journey": f"""
            SELECT DISTINCT
                version_id AS VersionID, journey_id AS JourneyID, journey_name AS JourneyName,
                v + 1 AS VersionNumber, created AS CreatedDate,
                published AS LastPublishedDate, coalesce(published, created) AS ModifiedDate,
                status AS JourneyStatus
            FROM {acts}
        """,  # noqa: S608
        "_JourneyActivity": f"""
            SELECT
                version_id AS VersionID, activity_id AS ActivityID,
                activity_name AS ActivityName,
                activity_type || '-' || (a + 1) AS ActivityExternalKey,
                activity_object_id AS JourneyActivityObjectID, activity_type AS ActivityType
            FROM {acts}
        """,  # noqa: S608
    }
