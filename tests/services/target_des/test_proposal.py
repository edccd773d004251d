"""Proposals from real SQL against a metadata cache filled by real syncs of the simulator:
joins (a source's key carried through), aggregates (GROUP BY keys), data views (no key, their
retention), expressions, ``SELECT *``; names and keys unique in the BU; the folder a source
lives in; sendable on a subscriber key; SQL MCE would refuse gives findings, never a
proposal; a BU the user is not a member of is refused."""

from __future__ import annotations

from typing import Any

import pytest

from services.target_des import (
    FieldType,
    SendableRelationship,
    propose_target_data_extension,
)
from services.target_des.proposal import Proposal
from simulator.state import Simulator
from tests.services.target_des.conftest import Synced

pytestmark = pytest.mark.usefixtures("db")


async def _proposal(synced: Synced, sql: str, **kw: Any) -> Proposal:
    outcome = await synced.propose(sql, **kw)
    assert outcome.issues == (), outcome.issues
    assert outcome.proposal is not None
    return outcome.proposal


def _shape(proposal: Proposal) -> list[tuple[object, ...]]:
    return [
        (f.name, f.field_type, f.length, f.precision, f.scale, f.nullable, f.is_primary_key)
        for f in proposal.fields
    ]


async def test_a_join_carries_the_orders_key_and_is_sendable_on_the_subscriber_key(
    synced: Synced,
) -> None:
    sql = (
        "SELECT o.OrderID, o.Amount, s.EmailAddress, s.SubscriberKey, s.FirstName"
        " FROM Orders o JOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey"
        " WHERE o.Status = 'paid'"
    )
    proposal = await _proposal(synced, sql)
    assert _shape(proposal) == [
        ("OrderID", FieldType.NUMBER, None, None, None, False, True),
        ("Amount", FieldType.DECIMAL, None, 12, 2, True, False),
        ("EmailAddress", FieldType.EMAIL_ADDRESS, 254, None, None, False, False),
        ("SubscriberKey", FieldType.TEXT, 254, None, None, False, False),
        ("FirstName", FieldType.TEXT, 100, None, None, True, False),
    ]
    assert proposal.primary_key.columns == ("OrderID",)
    assert "Orders" in proposal.primary_key.reason and "Subscribers" in proposal.primary_key.reason
    assert proposal.sendable.enabled and proposal.sendable.field == "SubscriberKey"
    assert proposal.sendable.relationship is SendableRelationship.SUBSCRIBER_KEY
    assert proposal.name == "Orders Results" and proposal.customer_key == "Orders_Results"
    assert proposal.folder is not None and proposal.folder.name == "Sales"  # where Orders lives
    assert "Orders" in proposal.folder_reason
    assert all(f.reason for f in proposal.fields) and proposal.name_reason
    assert proposal.retention.suggested is None and len(proposal.retention.options) == 4
    assert proposal.warnings == ()


async def test_a_left_join_keeps_no_key_because_the_optional_side_may_be_null(
    synced: Synced,
) -> None:
    sql = (
        "SELECT s.SubscriberKey, o.OrderID FROM Subscribers s"
        " LEFT JOIN Orders o ON o.SubscriberKey = s.SubscriberKey"
    )
    proposal = await _proposal(synced, sql)
    assert proposal.primary_key.columns == ()
    assert "outer join" in proposal.primary_key.reason
    assert [f.nullable for f in proposal.fields] == [False, True]


async def test_an_aggregate_is_keyed_by_its_group_and_named_a_summary(synced: Synced) -> None:
    sql = (
        "SELECT SubscriberKey, COUNT(*) AS OrderCount, SUM(Amount) AS Total,"
        " MAX(OrderDate) AS LastOrder FROM Orders GROUP BY SubscriberKey"
    )
    proposal = await _proposal(synced, sql)
    assert proposal.primary_key.columns == ("SubscriberKey",)
    assert proposal.primary_key.reason == "One row per GROUP BY group."
    shape = {f.name: (f.field_type, f.nullable, f.is_primary_key) for f in proposal.fields}
    assert shape["SubscriberKey"] == (FieldType.TEXT, False, True)
    assert shape["OrderCount"][0] is FieldType.NUMBER and shape["OrderCount"][1] is False
    assert shape["Total"][0] is FieldType.DECIMAL
    assert shape["LastOrder"][0] is FieldType.DATE
    assert proposal.name == "Orders Summary"
    grouped_elsewhere = await _proposal(
        synced, "SELECT Status, COUNT(*) AS N FROM Orders GROUP BY Status, SubscriberKey"
    )
    assert grouped_elsewhere.primary_key.columns == ()
    assert "SubscriberKey" in grouped_elsewhere.primary_key.reason


async def test_data_views_have_no_key_and_their_retention_is_explained(synced: Synced) -> None:
    sql = (
        "SELECT s.SubscriberKey, s.EventDate, j.EmailName FROM _Sent s"
        " JOIN _Job j ON j.JobID = s.JobID"
    )
    proposal = await _proposal(synced, sql)
    assert proposal.primary_key.columns == ()
    assert "data view" in proposal.primary_key.reason
    assert [(f.name, f.field_type, f.length) for f in proposal.fields] == [
        ("SubscriberKey", FieldType.TEXT, 254),
        ("EventDate", FieldType.DATE, None),
        ("EmailName", FieldType.TEXT, 100),
    ]
    assert proposal.name == "Sent Results"
    assert proposal.folder is not None and proposal.folder.name == "Data Extensions"
    assert "six months" in proposal.retention.reason
    assert proposal.sendable.enabled  # SubscriberKey

    grouped = await _proposal(
        synced, "SELECT o.SubscriberKey, COUNT(*) AS Opens FROM _Open o GROUP BY o.SubscriberKey"
    )
    assert grouped.primary_key.columns == ("SubscriberKey",)
    # The data view's SubscriberKey may be NULL as far as the catalogue knows: said plainly.
    assert [w.code for w in grouped.warnings] == ["KEY_MAY_BE_NULL"]


async def test_expressions_are_typed_with_reasons(synced: Synced) -> None:
    sql = (
        "SELECT SubscriberKey, UPPER(FirstName) + ' ' + LastName AS FullName,"
        " DATEADD(day, 30, BirthDate) AS FollowUp,"
        " CAST(LoyaltyPoints AS DECIMAL(10, 2)) AS Points,"
        " CASE WHEN OptIn = 1 THEN 'yes' ELSE 'no' END AS Opted,"
        " LEN(EmailAddress) AS EmailLength, 1 AS One"
        " FROM Subscribers"
    )
    proposal = await _proposal(synced, sql)
    shape = {f.name: (f.field_type, f.precision, f.scale) for f in proposal.fields}
    assert shape["FullName"][0] is FieldType.TEXT
    assert shape["FollowUp"][0] is FieldType.DATE
    assert shape["Points"] == (FieldType.DECIMAL, 10, 2)
    assert shape["Opted"][0] is FieldType.TEXT
    assert shape["EmailLength"][0] is FieldType.NUMBER
    assert shape["One"][0] is FieldType.NUMBER
    assert proposal.primary_key.columns == ("SubscriberKey",)
    by_name = {f.name: f for f in proposal.fields}
    assert by_name["FullName"].length == 201  # 100 + 1 + 100
    assert (by_name["Opted"].length, by_name["Opted"].nullable) == (3, False)
    assert by_name["Points"].reason == "Decimal(10, 2) as inferred; may be NULL"
    assert all(f.reason for f in proposal.fields)


async def test_select_star_proposes_the_source_fields_and_key(
    synced: Synced, sim: Simulator
) -> None:
    proposal = await _proposal(synced, "SELECT * FROM Orders")
    orders = next(d for d in sim.store.list_des(synced.parent) if d.name == "Orders")
    expected = [f.name for f in sorted(orders.fields, key=lambda f: f.ordinal)]
    assert [f.name for f in proposal.fields] == expected
    assert proposal.primary_key.columns == ("OrderID",)
    by_name = {f.name: f for f in proposal.fields}
    assert by_name["Currency"].length == 3 and by_name["Status"].length == 20
    assert not proposal.sendable.enabled or proposal.sendable.field == "SubscriberKey"


async def test_names_and_keys_are_unique_in_the_bu(synced: Synced) -> None:
    taken = await _proposal(synced, "SELECT OrderID FROM Orders", name="Orders")
    assert taken.name == "Orders 2"
    assert "'Orders' is taken" in taken.name_reason
    assert taken.customer_key == "Orders_2"
    free = await _proposal(synced, "SELECT OrderID FROM Orders", name="Order Export")
    assert (free.name, free.customer_key, free.name_reason.startswith("As asked")) == (
        "Order Export",
        "Order_Export",
        True,
    )
    reserved = await synced.propose("SELECT OrderID FROM Orders", name="QRY__mine")
    assert reserved.proposal is None
    assert [(i.code, i.field) for i in reserved.issues] == [("NAME_RESERVED", "name")]


async def test_sql_mce_would_refuse_gives_findings_and_no_proposal(synced: Synced) -> None:
    for sql, code in (
        ("SELECT OrderID FROM NoSuchTable", "UNKNOWN_TABLE"),
        ("SELECT FROM", "SYNTAX_ERROR"),
        ("SELECT OrderID FROM Orders; SELECT 1", "SEMICOLON"),
        ("SELECT OrderID FROM Orders ORDER BY OrderID", "ORDER_BY_WITHOUT_TOP"),
        ("", "EMPTY_SQL"),
        ("\x00\xff" * 10, "SYNTAX_ERROR"),
    ):
        outcome = await synced.propose(sql)
        assert outcome.proposal is None, sql
        assert [(i.code, i.field) for i in outcome.issues] == [("INVALID_SQL", "sql")], sql
        assert code in {f.code for f in outcome.findings}, (sql, outcome.findings)


async def test_a_child_bu_is_proposed_from_its_own_cache(synced: Synced) -> None:
    proposal = await _proposal(synced, "SELECT OrderID, Status FROM Orders", mid=synced.us)
    assert proposal.mid == synced.us
    assert proposal.folder is not None and proposal.folder.mid == synced.us
    assert proposal.folder.name == "Sales"


async def test_a_bu_the_user_is_not_a_member_of_is_refused(synced: Synced) -> None:
    eve = synced.tenant.user("eve.europe")  # EU only
    outcome = await propose_target_data_extension(
        synced.tenant.tenant_id, user_id=eve.id, mid=synced.parent, sql="SELECT 1 AS x"
    )
    assert outcome.proposal is None
    assert [(i.code, i.field) for i in outcome.issues] == [("NOT_FOUND", "mid")]
    other_tenant = await propose_target_data_extension(
        synced.tenant.tenant_id + 1, user_id=synced.member.user.id, mid=synced.parent,
        sql="SELECT 1 AS x",
    )  # fmt: skip
    assert [(i.code, i.field) for i in other_tenant.issues] == [("NOT_FOUND", "mid")]
