"""The data view catalogue against REFERENCE §5.2: names, types, lengths, retention, joins."""

from __future__ import annotations

import pytest

from simulator.dataviews.specs import SPECS
from tsql.catalog import EmptyCatalog, MemoryCatalog
from tsql.dataviews import (
    DATA_VIEWS,
    SIX_MONTHS,
    data_view,
    data_view_key,
    is_data_view_name,
    resolve_data_view,
)
from tsql.types import Column, FieldType, Table, TableKind, TableName

#: Every view REFERENCE §5.2's table lists.
REFERENCE_VIEWS = {
    "_Sent", "_Open", "_Click", "_Bounce", "_Unsubscribe", "_Complaint", "_FTAF",
    "_BusinessUnitUnsubscribes", "_Job", "_Subscribers", "_ListSubscribers",
    "_EnterpriseAttribute", "_Journey", "_JourneyActivity", "_AutomationInstance",
    "_AutomationActivityInstance", "_SurveyResponse", "_SocialNetworkImpressions",
    "_SocialNetworkTracking", "_Coupon", "_SMSMessageTracking", "_SMSSubscriptionLog",
    "_UndeliverableSms", "_MobileAddress", "_MobileSubscription", "_ChatMessagingSubscription",
    "_PushAddress", "_PushTag", "_MobileLineAddressContactSubscriptionView",
    "_MobileLineOrphanContactView",
}  # fmt: skip


def test_every_reference_view_is_catalogued_under_its_casefolded_name() -> None:
    assert {view.name for view in DATA_VIEWS.values()} == REFERENCE_VIEWS
    for key, view in DATA_VIEWS.items():
        assert key == view.name.casefold()
        assert view.description
        assert view.columns


@pytest.mark.parametrize(
    ("view", "column", "field_type", "length"),
    [
        ("_Sent", "SubscriberKey", FieldType.TEXT, 254),
        ("_Sent", "EventDate", FieldType.DATE, None),
        ("_Sent", "TriggeredSendCustomerKey", FieldType.TEXT, 36),
        ("_Open", "IsUnique", FieldType.BOOLEAN, None),
        ("_Click", "URL", FieldType.TEXT, 900),
        ("_Click", "LinkName", FieldType.TEXT, 1024),
        ("_Bounce", "SMTPBounceReason", FieldType.TEXT, 4000),
        ("_Bounce", "SMTPCode", FieldType.NUMBER, None),
        ("_Job", "FromEmail", FieldType.EMAIL_ADDRESS, None),
        ("_Job", "FromName", FieldType.TEXT, 130),
        ("_Subscribers", "Domain", FieldType.TEXT, 254),
        ("_Subscribers", "Status", FieldType.TEXT, 12),
        ("_SMSMessageTracking", "Mobile", FieldType.PHONE, None),
        ("_PushAddress", "_UTCOffset", FieldType.DECIMAL, None),
        ("_SurveyResponse", "IsUnique", FieldType.NUMBER, None),
        ("_SocialNetworkTracking", "SubscriberKey", FieldType.EMAIL_ADDRESS, None),
        ("_AutomationInstance", "AutomationNotificationRecipient_Skip", FieldType.TEXT, 500),
        ("_MobileAddress", "_CountryCode", FieldType.TEXT, 2),
    ],
)
def test_columns_carry_reference_types_and_lengths(
    view: str, column: str, field_type: FieldType, length: int | None
) -> None:
    table = data_view(view)
    assert table is not None
    found = table.column(column)
    assert found is not None
    assert (found.field_type, found.max_length) == (field_type, length)
    assert found.type_known


def test_columns_keep_reference_order() -> None:
    names = [column.name for column in DATA_VIEWS["_unsubscribe"].columns]
    assert names == [
        "AccountID", "OYBAccountID", "JobID", "ListID", "BatchID", "SubscriberID",
        "SubscriberKey", "EventDate", "IsUnique", "Domain",
    ]  # fmt: skip
    assert [c.name for c in DATA_VIEWS["_complaint"].columns] == names
    click = [column.name for column in DATA_VIEWS["_click"].columns]
    assert click[: len(DATA_VIEWS["_open"].columns)] == [
        column.name for column in DATA_VIEWS["_open"].columns
    ]
    assert click[-3:] == ["URL", "LinkName", "LinkContent"]


def test_text_without_a_stated_length_says_so() -> None:
    content = DATA_VIEWS["_click"].columns[-1]
    assert content.name == "LinkContent"
    assert content.max_length is None
    assert content.note is not None and "length" in content.note
    stated = DATA_VIEWS["_click"].columns[-2]
    assert stated.note is None


def test_columns_reference_gives_no_type_are_marked_unknown() -> None:
    view = DATA_VIEWS["_chatmessagingsubscription"]
    unknown = [column.name for column in view.columns if not column.type_known]
    assert unknown == ["_OptOutStatusID", "_OptinStatusID"]


def test_retention_is_six_months_for_tracking_views_only() -> None:
    tracking = {view.name for view in DATA_VIEWS.values() if view.retention == SIX_MONTHS}
    assert tracking == {
        "_Sent", "_Open", "_Click", "_Bounce", "_Unsubscribe", "_Complaint", "_FTAF"
    }  # fmt: skip
    assert DATA_VIEWS["_subscribers"].retention is None
    sent = data_view("_Sent")
    assert sent is not None and sent.extra == {"retention": SIX_MONTHS}


def test_join_keys_follow_reference() -> None:
    sent = DATA_VIEWS["_sent"]
    targets = {key.other_view: key for key in sent.join_keys}
    assert targets["_Job"].columns == ("JobID",)
    assert targets["_Subscribers"].columns == ("SubscriberID",)
    opens = {key.other_view: key for key in DATA_VIEWS["_open"].join_keys}
    assert opens["_Sent"].columns == ("JobID", "ListID", "BatchID", "SubscriberID")
    assert opens["_Sent"].condition("o") == (
        "o.JobID = _Sent.JobID AND o.ListID = _Sent.ListID AND o.BatchID = _Sent.BatchID "
        "AND o.SubscriberID = _Sent.SubscriberID"
    )
    journey = {key.other_view for key in DATA_VIEWS["_journeyactivity"].join_keys}
    assert journey == {"_Journey"}
    # Every join names columns that exist on both sides.
    for view in DATA_VIEWS.values():
        for key in view.join_keys:
            other = DATA_VIEWS[key.other_view.casefold()]
            assert all(view.table().column(c) for c in key.columns), (view.name, key)
            assert all(other.table().column(c) for c in key.other_columns), (view.name, key)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("_Sent", "_Sent"),
        ("_sent", "_Sent"),
        ("ENT._Sent", "_Sent"),
        ("ent.[_Open]", "_Open"),
        ("[_ListSubscribers]", "_ListSubscribers"),
        ("  _JOB ", "_Job"),
    ],
)
def test_lookup_is_case_insensitive_and_accepts_ent_and_brackets(
    written: str, expected: str
) -> None:
    table = data_view(written)
    assert table is not None
    assert table.name == expected
    assert table.kind is TableKind.DATA_VIEW
    assert is_data_view_name(written)


@pytest.mark.parametrize("name", ["Sent", "_Sends", "Subscribers", "", "ENT.", "[_Sent"])
def test_other_names_are_not_data_views(name: str) -> None:
    assert data_view(name) is None
    assert not is_data_view_name(name)


def test_data_view_key_strips_ent_and_brackets() -> None:
    assert data_view_key("ENT.[_Sent]") == "_sent"
    assert data_view_key("[a]]b]") == "a]b"


async def test_enterprise_attribute_without_account_columns_has_subscriber_id_only() -> None:
    table = await resolve_data_view("_EnterpriseAttribute", EmptyCatalog())
    assert table is not None
    assert [column.name for column in table.columns] == ["_SubscriberID"]


async def test_enterprise_attribute_merges_the_accounts_profile_attributes() -> None:
    account = Table(
        name="_EnterpriseAttribute",
        kind=TableKind.DATA_VIEW,
        columns=(
            Column("_SubscriberID", FieldType.NUMBER),
            Column("FirstName", FieldType.TEXT, max_length=100),
            Column("Birthday", FieldType.DATE),
        ),
    )
    catalog = MemoryCatalog([account])
    table = await resolve_data_view("_enterpriseattribute", catalog)
    assert table is not None
    assert [column.name for column in table.columns] == ["_SubscriberID", "FirstName", "Birthday"]
    assert table.column("firstname") == Column("FirstName", FieldType.TEXT, max_length=100)
    # ENT. asks the parent's answer first, and falls back to the BU's.
    shared = await resolve_data_view(TableName("_EnterpriseAttribute", shared=True), catalog)
    assert shared is not None and len(shared.columns) == 3
    assert await resolve_data_view("ENT._EnterpriseAttribute", catalog) == shared


async def test_resolve_other_views_ignores_the_catalogue() -> None:
    impostor = Table(name="_Sent", kind=TableKind.DATA_EXTENSION, columns=())
    table = await resolve_data_view("_Sent", MemoryCatalog([impostor]))
    assert table == data_view("_Sent")
    assert await resolve_data_view("Nope", EmptyCatalog()) is None


def test_agrees_with_the_views_the_simulator_serves() -> None:
    """Same columns, types and stated lengths as the simulator; it serves fewer views and
    gives Text columns REFERENCE states no length for a length of its own choosing."""
    assert set(SPECS) < set(DATA_VIEWS)
    for key, spec in SPECS.items():
        view = DATA_VIEWS[key]
        assert spec.name == view.name
        assert [(f.name, f.field_type.value) for f in spec.fields] == [
            (c.name, c.field_type.value) for c in view.columns
        ]
        for simulated, column in zip(spec.fields, view.columns, strict=True):
            if column.max_length is not None:
                assert simulated.max_length == column.max_length, (view.name, column.name)
        assert spec.tracking == (view.retention == SIX_MONTHS)
