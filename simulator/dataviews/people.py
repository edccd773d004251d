"""Subscribers and lists: ``_Subscribers``, ``_ListSubscribers``, ``_EnterpriseAttribute``,
``_BusinessUnitUnsubscribes``.

A person (key ``SUB-<n>``, SubscriberID, email) is the same in every BU of the enterprise,
as in MCE's "All Subscribers"; when they joined, their lists and their status are per BU.
Statuses follow the tracking data: an unsubscribe makes ``unsubscribed``, a bad address
that hard-bounced makes ``bounced``, three times ``held`` **[sim]** thresholds.
"""

from __future__ import annotations

from simulator.dataviews.catalog import UNSUB_REASONS
from simulator.dataviews.plan import BuPlan
from simulator.dataviews.sql import seconds, ts
from simulator.seed_data import DOMAINS, FIRST_NAMES, LAST_NAMES, LOCALES

__all__ = ["people_staging", "people_views"]

_DAY = 86_400
#: Share of bad addresses (hard bounce on every send), in percent **[sim]**.
BAD_ADDRESS_PERCENT = 2.5
HELD_AFTER_BOUNCES = 3


def people_staging(plan: BuPlan) -> list[str]:
    """The ``subs`` staging table: one row per subscriber of the BU."""
    rng, people = plan.rng, plan.people
    start = ts(plan.start)
    recent = f"{start} + {seconds(rng.pick('joined-recent', (180 - 5) * _DAY, 'i'))}"
    earlier = f"{start} - {seconds(rng.between('joined-before', _DAY, 900 * _DAY, 'i'))}"
    return [
        f"""
        CREATE TEMP TABLE {plan.staging("subs")} AS
        WITH person AS (
            SELECT
                i,
                {plan.subscriber_id_base} + i AS sid,
                'SUB-' || lpad(i::VARCHAR, 6, '0') AS skey,
                {people.choose("first", FIRST_NAMES, "i")} AS first_name,
                {people.choose("last", LAST_NAMES, "i")} AS last_name,
                {people.choose("domain", DOMAINS, "i")} AS domain,
                {people.chance("bad", BAD_ADDRESS_PERCENT, "i")} AS bad
            FROM range({plan.size.subscribers}) AS t(i)
        )
        SELECT
            i, sid, skey, domain, bad,
            regexp_replace(lower(strip_accents(first_name || '.' || last_name)), '[^a-z.]', '', 'g')
                || i || '@' || domain AS email,
            CASE WHEN {rng.chance("joined", 15, "i")} THEN {recent} ELSE {earlier} END AS joined,
            {rng.chance("newsletter", 60, "i")} AS in_news,
            CASE WHEN {rng.chance("has-locale", 30, "i")}
                THEN {people.choose("locale", LOCALES, "i")} END AS locale
        FROM person
        """  # noqa: S608 - built from numbers and escaped literals
    ]


def people_views(plan: BuPlan) -> dict[str, str]:
    """SELECTs of the people views; they read ``subs``, ``unsubs`` and ``_Bounce``."""
    rng = plan.rng
    subs, unsubs = plan.staging("subs"), plan.staging("unsubs")
    users = "[" + ", ".join(str(u) for u in plan.user_ids) + "]"
    added_by = f"{users}[1 + {rng.pick('added-by', len(plan.user_ids), 's.sid')}]"
    all_list = plan.list_id_base
    return {
        "_Subscribers": f"""
            SELECT
                s.sid AS SubscriberID, s.skey AS SubscriberKey,
                CASE WHEN s.bad AND b.n >= {HELD_AFTER_BOUNCES} THEN b.last END
                    AS DateUndeliverable,
                s.joined AS DateJoined, u.unsub_at AS DateUnsubscribed, s.domain AS Domain,
                s.email AS EmailAddress, coalesce(b.n, 0) AS BounceCount,
                'Subscriber' AS SubscriberType,
                CASE WHEN u.sid IS NOT NULL THEN 'unsubscribed'
                     WHEN s.bad AND b.n >= {HELD_AFTER_BOUNCES} THEN 'held'
                     WHEN s.bad AND b.n > 0 THEN 'bounced'
                     ELSE 'active' END AS Status,
                s.locale AS Locale
            FROM {subs} AS s
            LEFT JOIN (
                SELECT SubscriberID, count(*) AS n, max(EventDate) AS last
                FROM {plan.table("_Bounce")} GROUP BY SubscriberID
            ) AS b ON b.SubscriberID = s.sid
            LEFT JOIN {unsubs} AS u ON u.sid = s.sid
        """,  # noqa: S608
        "_ListSubscribers": f"""
            SELECT
                s.sid AS SubscriberID, s.skey AS SubscriberKey, {added_by} AS AddedBy,
                {rng.choose("add-method", ("API", "Import", "WebCollect"), "s.sid", "l.k")}
                    AS AddMethod,
                s.joined AS CreatedDate, v.DateUnsubscribed, s.email AS EmailAddress,
                {all_list} + l.k AS ListID, l.name AS ListName, 'Public' AS ListType,
                v.Status, v.SubscriberType
            FROM {subs} AS s
            JOIN {plan.table("_Subscribers")} AS v ON v.SubscriberID = s.sid
            CROSS JOIN (VALUES (0, 'All Subscribers'), (1, 'Newsletter')) AS l(k, name)
            WHERE l.k = 0 OR s.in_news
        """,  # noqa: S608
        "_EnterpriseAttribute": f"""
            SELECT sid AS _SubscriberID FROM {subs}
        """,  # noqa: S608
        "_BusinessUnitUnsubscribes": f"""
            SELECT
                {plan.mid} AS BusinessUnitID, unsub_at + INTERVAL 6 HOUR AS UnsubDateUTC,
                {rng.choose("unsub-reason", UNSUB_REASONS, "sid")} AS UnsubReason,
                sid AS SubscriberID, skey AS SubscriberKey
            FROM {unsubs}
        """,  # noqa: S608
    }
