"""Typical marketing queries against the seeded DEs and data views, as data for reuse.

Each entry names the target DE fields it needs (name, FieldType, MaxLength or None,
primary key). Every query must validate and complete with Overwrite in any seeded BU.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.state import DataExtension, FieldSpec, Simulator

__all__ = ["CORPUS", "CorpusQuery", "TargetField", "create_target"]


@dataclass(frozen=True)
class TargetField:
    name: str
    field_type: str = "Text"
    max_length: int | None = 254
    primary_key: bool = False


@dataclass(frozen=True)
class CorpusQuery:
    name: str
    text: str
    fields: tuple[TargetField, ...]


_KEY = TargetField("SubscriberKey", primary_key=True)
_EMAIL = TargetField("EmailAddress", "EmailAddress")
_COUNT = TargetField("Total", "Number", None)

CORPUS: tuple[CorpusQuery, ...] = (
    CorpusQuery(
        "openers",
        "SELECT DISTINCT o.SubscriberKey FROM _Open o WHERE o.EventDate >= DATEADD(day, -90, "
        "GETDATE())",
        (_KEY,),
    ),
    CorpusQuery(
        "non-openers of the last send",
        "SELECT s.SubscriberKey FROM _Sent s WHERE s.JobID = (SELECT MAX(JobID) FROM _Sent) "
        "AND NOT EXISTS (SELECT 1 FROM _Open o WHERE o.JobID = s.JobID "
        "AND o.SubscriberKey = s.SubscriberKey) GROUP BY s.SubscriberKey",
        (_KEY,),
    ),
    CorpusQuery(
        "clicks per link",
        "SELECT c.LinkName, COUNT(*) AS Total, COUNT(DISTINCT c.SubscriberKey) AS Uniques "
        "FROM _Click c GROUP BY c.LinkName",
        (
            TargetField("LinkName", max_length=1024, primary_key=True),
            _COUNT,
            TargetField("Uniques", "Number", None),
        ),
    ),
    CorpusQuery(
        "latest order per subscriber (ROW_NUMBER dedup)",
        "SELECT x.SubscriberKey, x.OrderID, x.Amount FROM (SELECT o.SubscriberKey, o.OrderID, "
        "o.Amount, ROW_NUMBER() OVER (PARTITION BY o.SubscriberKey ORDER BY o.OrderDate DESC) "
        "AS rn FROM Orders o) x WHERE x.rn = 1",
        (_KEY, TargetField("OrderID", "Number", None), TargetField("Amount", "Decimal", 12)),
    ),
    CorpusQuery(
        "hard bounces",
        "SELECT b.SubscriberKey, MAX(b.EventDate) AS LastBounce FROM _Bounce b "
        "WHERE b.BounceCategory = 'Hard bounce' GROUP BY b.SubscriberKey",
        (_KEY, TargetField("LastBounce", "Date", None)),
    ),
    CorpusQuery(
        "bounce categories",
        "SELECT BounceCategory, COUNT(*) AS Total FROM _Bounce GROUP BY BounceCategory",
        (TargetField("BounceCategory", max_length=50, primary_key=True), _COUNT),
    ),
    CorpusQuery(
        "journeys and their email activities",
        "SELECT j.JourneyName, a.ActivityName, j.VersionNumber FROM _Journey j "
        "INNER JOIN _JourneyActivity a ON a.VersionID = j.VersionID",
        (
            TargetField("JourneyName", max_length=200),
            TargetField("ActivityName", max_length=200),
            TargetField("VersionNumber", "Number", None),
        ),
    ),
    CorpusQuery(
        "subscribers with birthdays next month",
        "SELECT SubscriberKey, EmailAddress, FirstName FROM Subscribers "
        "WHERE MONTH(BirthDate) = MONTH(DATEADD(month, 1, GETDATE()))",
        (_KEY, _EMAIL, TargetField("FirstName", max_length=100)),
    ),
    CorpusQuery(
        "days since last order",
        "SELECT SubscriberKey, DATEDIFF(day, MAX(OrderDate), GETDATE()) AS DaysSince "
        "FROM Orders GROUP BY SubscriberKey",
        (_KEY, TargetField("DaysSince", "Number", None)),
    ),
    CorpusQuery(
        "active subscribers minus suppression (EXCEPT)",
        "SELECT EmailAddress FROM Subscribers WHERE OptIn = 1 "
        "EXCEPT SELECT EmailAddress FROM ENT.[Shared Suppression List]",
        (TargetField("EmailAddress", "EmailAddress", primary_key=True),),
    ),
    CorpusQuery(
        "senders and openers in one list (UNION)",
        "SELECT SubscriberKey, 'sent' AS Source FROM _Sent UNION "
        "SELECT SubscriberKey, 'opened' FROM _Open",
        (TargetField("SubscriberKey"), TargetField("Source", max_length=10)),
    ),
    CorpusQuery(
        "all events (UNION ALL)",
        "SELECT SubscriberKey, EventDate, 'Open' AS EventType FROM _Open UNION ALL "
        "SELECT SubscriberKey, EventDate, 'Click' FROM _Click",
        (
            TargetField("SubscriberKey"),
            TargetField("EventDate", "Date", None),
            TargetField("EventType", max_length=10),
        ),
    ),
    CorpusQuery(
        "big spenders (IN subquery)",
        "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE SubscriberKey IN "
        "(SELECT SubscriberKey FROM Orders GROUP BY SubscriberKey HAVING SUM(Amount) > 500)",
        (_KEY, _EMAIL),
    ),
    CorpusQuery(
        "unsubscribes with their email",
        "SELECT u.SubscriberKey, j.EmailName, u.EventDate FROM _Unsubscribe u "
        "LEFT JOIN _Job j ON j.JobID = u.JobID",
        (
            TargetField("SubscriberKey"),
            TargetField("EmailName", max_length=100),
            TargetField("EventDate", "Date", None),
        ),
    ),
    CorpusQuery(
        "open rate per job",
        "SELECT s.JobID, COUNT(DISTINCT s.SubscriberKey) AS Sent, "
        "COUNT(DISTINCT o.SubscriberKey) AS Opened FROM _Sent s "
        "LEFT JOIN _Open o ON o.JobID = s.JobID AND o.SubscriberKey = s.SubscriberKey "
        "GROUP BY s.JobID",
        (
            TargetField("JobID", "Number", None, primary_key=True),
            TargetField("Sent", "Number", None),
            TargetField("Opened", "Number", None),
        ),
    ),
    CorpusQuery(
        "top 100 customers by lifetime value",
        "SELECT TOP 100 SubscriberKey, LifetimeValue FROM Subscribers ORDER BY LifetimeValue DESC",
        (_KEY, TargetField("LifetimeValue", "Decimal", 18)),
    ),
    CorpusQuery(
        "orders per month label",
        "SELECT CONVERT(VARCHAR(7), OrderDate, 120) AS OrderMonth, COUNT(*) AS Total "
        "FROM Orders GROUP BY CONVERT(VARCHAR(7), OrderDate, 120)",
        (TargetField("OrderMonth", max_length=7, primary_key=True), _COUNT),
    ),
    CorpusQuery(
        "web events with spaces in names",
        "SELECT w.[Event Type] AS EventType, COUNT(*) AS Total FROM [Web Events 2024] w "
        "WITH (NOLOCK) GROUP BY w.[Event Type]",
        (TargetField("EventType", max_length=50, primary_key=True), _COUNT),
    ),
    CorpusQuery(
        "full name and segment (CASE, +)",
        "SELECT SubscriberKey, FirstName + ' ' + ISNULL(LastName, '') AS FullName, "
        "CASE WHEN LoyaltyPoints >= 25000 THEN 'Gold' WHEN LoyaltyPoints >= 10000 "
        "THEN 'Silver' ELSE 'Bronze' END AS Tier FROM Subscribers",
        (_KEY, TargetField("FullName", max_length=201), TargetField("Tier", max_length=10)),
    ),
    CorpusQuery(
        "email domains",
        "SELECT SUBSTRING(EmailAddress, CHARINDEX('@', EmailAddress) + 1, 254) AS Domain, "
        "COUNT(*) AS Total FROM Subscribers GROUP BY SUBSTRING(EmailAddress, "
        "CHARINDEX('@', EmailAddress) + 1, 254)",
        (TargetField("Domain", primary_key=True), _COUNT),
    ),
    CorpusQuery(
        "products bought (shared DE join)",
        "SELECT p.SKU, p.ProductName, p.Price FROM ENT.[Shared Products] p "
        "WHERE p.Active = 1 AND p.Price BETWEEN 10 AND 200",
        (
            TargetField("SKU", max_length=20, primary_key=True),
            TargetField("ProductName", max_length=200),
            TargetField("Price", "Decimal", 10),
        ),
    ),
    CorpusQuery(
        "subscriber status from the All Subscribers list",
        "SELECT s.SubscriberKey, s.Status, s.EmailAddress FROM ENT._Subscribers s "
        "WHERE s.Status IN ('active', 'held')",
        (_KEY, TargetField("Status", max_length=12), _EMAIL),
    ),
)


def create_target(sim: Simulator, *, mid: int, key: str, query: CorpusQuery) -> DataExtension:
    """A DE in BU ``mid`` (name and key ``key``) with the fields ``query`` writes."""
    return sim.store.create_de(
        mid=mid,
        name=key,
        customer_key=key,
        fields=[
            FieldSpec(
                name=f.name,
                field_type=f.field_type,
                max_length=f.max_length if f.field_type != "Decimal" else None,
                precision=f.max_length if f.field_type == "Decimal" else None,
                scale=2 if f.field_type == "Decimal" else None,
                is_primary_key=f.primary_key,
            )
            for f in query.fields
        ],
    )
