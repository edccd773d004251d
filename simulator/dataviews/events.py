"""Tracking views cut from the ``sends`` staging table: ``_Sent``, ``_Open``, ``_Click``,
``_Bounce``, ``_Unsubscribe``, ``_Complaint`` and ``_FTAF``.

Every event row carries the keys of its send (JobID, ListID, BatchID, SubscriberID,
SubscriberKey) and a date at or after it, capped at "now". Opens start at the send's
``first_open`` (the one ``IsUnique`` open); clicks come at or after it. ``IsUnique`` of a
click marks the first click on each URL of a send **[sim]**.
"""

from __future__ import annotations

from simulator.dataviews.catalog import BOUNCES, LINKS
from simulator.dataviews.plan import BuPlan
from simulator.dataviews.sql import lit, seconds, text_list, ts

__all__ = ["event_views"]

_DAY = 86_400
_HOUR = 3_600
_KEY = ("job_id", "sid")


def _send_columns(plan: BuPlan, date: str, *, date_column: str = "EventDate") -> str:
    return (
        f"{plan.mid} AS AccountID, NULL AS OYBAccountID, job_id AS JobID, list_id AS ListID, "
        f"batch_id AS BatchID, sid AS SubscriberID, skey AS SubscriberKey, "
        f"{date} AS {date_column}, domain AS Domain"
    )


_TRIGGERED = "tsd_object AS TriggererSendDefinitionObjectID, tsd_key AS TriggeredSendCustomerKey"


def event_views(plan: BuPlan) -> dict[str, str]:
    """SELECTs of the tracking views (they read ``sends`` and ``unsubs``)."""
    return {
        "_Sent": _sent(plan),
        "_Open": _opens(plan),
        "_Click": _clicks(plan),
        "_Bounce": _bounces(plan),
        "_Unsubscribe": _unsubscribes(plan),
        "_Complaint": _complaints(plan),
        "_FTAF": _forwards(plan),
    }


def _later(plan: BuPlan, base: str, tag: str, low: int, high: int, *exprs: str) -> str:
    """``base`` plus a seeded delay in ``[low, high]`` seconds, never after "now"."""
    delay = plan.rng.between(tag, low, high, *exprs)
    return f"least({base} + {seconds(delay)}, {ts(plan.now)})"


def _sent(plan: BuPlan) -> str:
    return f"""
        SELECT {_send_columns(plan, "sent_at")}, {_TRIGGERED}
        FROM {plan.staging("sends")}
    """  # noqa: S608 - built from numbers and escaped literals


def _opens(plan: BuPlan) -> str:
    reopen = _later(plan, "first_open", "reopen", 60, 7 * _DAY, *_KEY, "k")
    date = f"CASE WHEN k = 0 THEN first_open ELSE {reopen} END"
    return f"""
        SELECT {_send_columns(plan, date)}, k = 0 AS IsUnique, {_TRIGGERED}
        FROM {plan.staging("sends")} CROSS JOIN range(4) AS r(k)
        WHERE k < n_opens
    """  # noqa: S608


def _clicks(plan: BuPlan) -> str:
    rng = plan.rng
    names, paths = text_list(n for n, _ in LINKS), text_list(p for _, p in LINKS)
    site = lit(f"https://www.{plan.email_domain}")
    clicked = _later(plan, "first_open", "click-after", 5, 2 * _HOUR, *_KEY, "k")
    href = f"{site} || {paths}[link + 1] || '?utm_source=email&utm_campaign='"
    return f"""
        WITH click AS (
            SELECT
                *,
                (job_no + {rng.pick("link", "n_links", *_KEY, "k")}) % {len(LINKS)} AS link,
                {clicked} AS clicked_at
            FROM {plan.staging("sends")} CROSS JOIN range(3) AS r(k)
            WHERE k < n_clicks
        )
        SELECT
            {_send_columns(plan, "clicked_at")},
            row_number() OVER (PARTITION BY job_id, sid, link ORDER BY clicked_at, k) = 1
                AS IsUnique,
            {_TRIGGERED},
            {href} || job_id AS URL, {names}[link + 1] AS LinkName,
            {href} || '%%jobid%%' AS LinkContent
        FROM click
    """  # noqa: S608


def _bounces(plan: BuPlan) -> str:
    catalog = ", ".join(
        "(" + ", ".join(str(v) if isinstance(v, int) else lit(v) for v in (kind, *row)) + ")"
        for kind, row in enumerate(BOUNCES)
    )
    immediate = _later(plan, "sent_at", "bounce-now", 1, 600, *_KEY)
    delayed = _later(plan, "sent_at", "bounce-later", _HOUR, 72 * _HOUR, *_KEY)
    reason = "replace(replace(b.reason, '{email}', s.email), '{domain}', s.domain)"
    return f"""
        SELECT
            {_send_columns(plan, f"CASE WHEN b.type_id = 1 THEN {immediate} ELSE {delayed} END")},
            b.category_id AS BounceCategoryID, b.category AS BounceCategory,
            b.subcategory_id AS BounceSubcategoryID, b.subcategory AS BounceSubcategory,
            b.type_id AS BounceTypeID, b.type AS BounceType,
            {reason} AS SMTPBounceReason, 'smtp;' || {reason} AS SMTPMessage,
            b.smtp_code AS SMTPCode, true AS IsUnique, {_TRIGGERED}
        FROM {plan.staging("sends")} AS s
        JOIN (VALUES {catalog}) AS b(
            kind, category_id, category, subcategory_id, subcategory, type_id, type,
            smtp_code, reason
        ) ON b.kind = s.bounce_kind
        WHERE s.bounced
    """  # noqa: S608


def _unsubscribes(plan: BuPlan) -> str:
    return f"""
        SELECT {_send_columns(plan, "unsub_at")}, true AS IsUnique
        FROM {plan.staging("unsubs")}
    """  # noqa: S608


def _complaints(plan: BuPlan) -> str:
    date = _later(plan, "sent_at", "complaint-after", _HOUR, 3 * _DAY, *_KEY)
    return f"""
        SELECT {_send_columns(plan, date)}, true AS IsUnique
        FROM {plan.staging("sends")}
        WHERE complained
    """  # noqa: S608


def _forwards(plan: BuPlan) -> str:
    date = _later(plan, "first_open", "forward-after", 60, _DAY, *_KEY)
    return f"""
        SELECT {_send_columns(plan, date, date_column="TransactionTime")}, true AS IsUnique,
            {_TRIGGERED}
        FROM {plan.staging("sends")}
        WHERE forwarded
    """  # noqa: S608
