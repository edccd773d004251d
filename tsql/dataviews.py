"""MCE's system data views (REFERENCE §5.2): columns, types, retention and join keys.

tsql owns this catalogue; a caller's :class:`~tsql.catalog.Catalog` answers only for DEs, and for
``_EnterpriseAttribute``'s per-account profile attributes (:func:`resolve_data_view`).

Column lists are kept in REFERENCE's compact notation so a reader can check them against the
table there line by line: ``T254`` Text(254), ``N`` Number, ``D`` Date, ``B`` Boolean, ``E``
EmailAddress, ``P`` Phone, ``Dec`` Decimal. A bare ``T`` is Text whose length REFERENCE does not
state: ``max_length`` None and a note say so rather than guessing. A ``?`` marks the two columns
REFERENCE lists with no type at all (``_ChatMessagingSubscription``'s opt-in/out status ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from tsql.catalog import Catalog
from tsql.types import Column, FieldType, Table, TableKind, TableName

__all__ = [
    "DATA_VIEWS",
    "SIX_MONTHS",
    "DataView",
    "JoinKey",
    "data_view",
    "data_view_key",
    "is_data_view_name",
    "resolve_data_view",
]

#: Retention of the tracking views (REFERENCE §5.2, "retained for six months").
SIX_MONTHS = "six months"

_LENGTH_UNSTATED = "REFERENCE states no length for this Text column."
_TYPE_UNSTATED = "REFERENCE states no type for this column; Text is assumed."


@dataclass(frozen=True, slots=True)
class JoinKey:
    """How a view usually joins another: ``columns`` here equal ``other_columns`` there."""

    other_view: str
    columns: tuple[str, ...]
    other_columns: tuple[str, ...]
    note: str = ""

    def condition(self, view: str) -> str:
        """The ON condition from ``view`` to the other view, e.g. ``_Sent.JobID = _Job.JobID``."""
        return " AND ".join(
            f"{view}.{mine} = {self.other_view}.{theirs}"
            for mine, theirs in zip(self.columns, self.other_columns, strict=True)
        )


@dataclass(frozen=True, slots=True)
class DataView:
    """One system data view. ``retention`` is None where REFERENCE states none."""

    name: str
    description: str
    retention: str | None
    join_keys: tuple[JoinKey, ...]
    columns: tuple[Column, ...]

    def table(self) -> Table:
        """The view as a :class:`Table` (kind DATA_VIEW) that lookups and inference use."""
        extra = {"retention": self.retention} if self.retention else {}
        return Table(
            name=self.name,
            kind=TableKind.DATA_VIEW,
            columns=self.columns,
            description=self.description,
            extra=extra,
        )


_CODES: Mapping[str, FieldType] = {
    "T": FieldType.TEXT,
    "N": FieldType.NUMBER,
    "D": FieldType.DATE,
    "B": FieldType.BOOLEAN,
    "E": FieldType.EMAIL_ADDRESS,
    "P": FieldType.PHONE,
    "Dec": FieldType.DECIMAL,
}

_EVENT_IDS = "AccountID N, OYBAccountID N, JobID N, ListID N, BatchID N, SubscriberID N"
_TRIGGERED = "TriggererSendDefinitionObjectID T36, TriggeredSendCustomerKey T36"
_OPEN = f"{_EVENT_IDS}, SubscriberKey T254, EventDate D, Domain T128, IsUnique B, {_TRIGGERED}"
_UNSUBSCRIBE = f"{_EVENT_IDS}, SubscriberKey T254, EventDate D, IsUnique B, Domain T128"

#: (name, description, tracking?, columns in REFERENCE's order).
_VIEWS: tuple[tuple[str, str, bool, str], ...] = (
    (
        "_Sent",
        "One row per email sent to a subscriber.",
        True,
        f"{_EVENT_IDS}, SubscriberKey T254, EventDate D, Domain T128, {_TRIGGERED}",
    ),
    ("_Open", "One row per email open (IsUnique marks the first).", True, _OPEN),
    (
        "_Click",
        "One row per link click in an email (IsUnique marks the first per link).",
        True,
        f"{_OPEN}, URL T900, LinkName T1024, LinkContent T",
    ),
    (
        "_Bounce",
        "One row per bounced email, with the bounce category and SMTP reason.",
        True,
        f"{_EVENT_IDS}, SubscriberKey T254, EventDate D, Domain T128, BounceCategoryID N, "
        "BounceCategory T50, BounceSubcategoryID N, BounceSubcategory T50, BounceTypeID N, "
        "BounceType T50, SMTPBounceReason T4000, SMTPMessage T4000, SMTPCode N, IsUnique B, "
        f"{_TRIGGERED}",
    ),
    ("_Unsubscribe", "One row per unsubscribe from an email send.", True, _UNSUBSCRIBE),
    ("_Complaint", "One row per spam complaint about an email send.", True, _UNSUBSCRIBE),
    (
        "_FTAF",
        "One row per forward-to-a-friend of an email.",
        True,
        f"{_EVENT_IDS}, SubscriberKey T, TransactionTime D, Domain T, IsUnique B, "
        "TriggererSendDefinitionObjectID T, TriggeredSendCustomerKey T36",
    ),
    (
        "_BusinessUnitUnsubscribes",
        "Subscribers unsubscribed from a business unit (rather than from every BU).",
        False,
        "BusinessUnitID N, UnsubDateUTC D, UnsubReason T100, SubscriberID N, SubscriberKey T254",
    ),
    (
        "_Job",
        "One row per email send job: the email, its sender, schedule and send settings.",
        False,
        "AccountID N, AccountUserID N, JobID N, EmailID N, FromName T130, FromEmail E, "
        "SchedTime D, PickupTime D, DeliveredTime D, TriggererSendDefinitionObjectID T36, "
        "TriggeredSendCustomerKey T36, EventID T50, IsMultipart B, JobType T50, JobStatus T50, "
        "ModifiedBy N, ModifiedDate D, EmailName T100, EmailSubject T200, IsWrapped B, "
        "TestEmailAddr E, Category T100, BccEmail E, OriginalSchedTime D, CreatedDate D, "
        "CharacterSet T30, IPAddress T50, SalesForceTotalSubscriberCount N, "
        "SalesForceErrorSubscriberCount N, SendType T128, DynamicEmailSubject T, "
        "SuppressTracking B, SendClassificationType T32, SendClassification T36, "
        "ResolveLinksWithCurrentData B, EmailSendDefinition T36, DeduplicateByEmail B",
    ),
    (
        "_Subscribers",
        "Every subscriber of the account (All Subscribers) with status and email address.",
        False,
        "SubscriberID N, SubscriberKey T254, DateUndeliverable D, DateJoined D, "
        "DateUnsubscribed D, Domain T254, EmailAddress E, BounceCount N, SubscriberType T100, "
        "Status T12, Locale T",
    ),
    (
        "_ListSubscribers",
        "One row per subscriber per list, with the subscriber's status on that list.",
        False,
        "SubscriberID N, SubscriberKey T254, AddedBy N, AddMethod T17, CreatedDate D, "
        "DateUnsubscribed D, EmailAddress T, ListID N, ListName T50, ListType T16, Status T12, "
        "SubscriberType T100",
    ),
    (
        "_EnterpriseAttribute",
        "Profile attributes of each subscriber: _SubscriberID plus one column per attribute "
        "the account defines.",
        False,
        "_SubscriberID N",
    ),
    (
        "_Journey",
        "One row per Journey Builder journey version.",
        False,
        "VersionID T36, JourneyID T36, JourneyName T200, VersionNumber N, CreatedDate D, "
        "LastPublishedDate D, ModifiedDate D, JourneyStatus T100",
    ),
    (
        "_JourneyActivity",
        "One row per activity of a journey version.",
        False,
        "VersionID T36, ActivityID T36, ActivityName T200, ActivityExternalKey T200, "
        "JourneyActivityObjectID T36, ActivityType T512",
    ),
    (
        "_AutomationInstance",
        "One row per run of an Automation Studio automation.",
        False,
        "MemberID N, AutomationName T400, AutomationCustomerKey T, AutomationDescription T400, "
        "AutomationType T50, AutomationNotificationRecipient_Complete T500, "
        "AutomationNotificationRecipient_Error T500, AutomationNotificationRecipient_Skip T500, "
        "AutomationStepCount N, AutomationInstanceID T50, AutomationInstanceIsRunOnce B, "
        "FilenameFromTrigger T4000, AutomationInstanceScheduledTime_UTC D, "
        "AutomationInstanceStartTime_UTC D, AutomationInstanceEndTime_UTC D, "
        "AutomationInstanceStatus T400, AutomationInstanceActivityErrorDetails T4000",
    ),
    (
        "_AutomationActivityInstance",
        "One row per activity run within an automation run.",
        False,
        "MemberID N, AutomationName T400, AutomationCustomerKey T400, AutomationInstanceID T50, "
        "ActivityType N, ActivityName T400, ActivityDescription T400, ActivityCustomerKey T400, "
        "ActivityInstanceStep T50, ActivityInstanceID T50, ActivityInstanceStartTime_UTC D, "
        "ActivityInstanceEndTime_UTC D, ActivityInstanceStatus T256, "
        "ActivityInstanceStatusDetails T4000",
    ),
    (
        "_SurveyResponse",
        "One row per answer to a survey question.",
        False,
        f"{_EVENT_IDS}, SubscriberKey T, EventDate D, Domain T, SurveyID N, SurveyName T, "
        "IsUnique N, QuestionID N, QuestionName T, Question T, AnswerID N, AnswerName T, "
        "Answer T, AnswerData T",
    ),
    (
        "_SocialNetworkImpressions",
        "Views of content shared to social networks from emails.",
        False,
        "JobID N, ListID N, RegionTitle T, RegionDescription T, RegionHTML T, ContentRegionID N, "
        "SocialSharingSiteID N, SiteName T, CountryCode T, ReferringURL T, IPAddress T50, "
        "TransactionTime D, PublishedSocialContentStatusID T, ShortCode T, PublishTime D",
    ),
    (
        "_SocialNetworkTracking",
        "Shares of email content to social networks by subscribers.",
        False,
        "SubscriberID N, SubscriberKey E, ListID N, BatchID N, SocialSharingSiteID N, "
        "SiteName T, CountryCode T, PublishedSocialContentID T, RegionTitle T, "
        "RegionDescription T, RegionHTML T, ContentRegionID T, OYBMemberID N, "
        "TransactionTime D, IsUnique B, Domain T, PublishedSocialContentStatusID T, "
        "ShortCode T, PublishTime D",
    ),
    (
        "_Coupon",
        "Coupons defined in the account.",
        False,
        "Name T, ExternalKey T, Description T, BeginDate D, ExpirationDate D",
    ),
    (
        "_SMSMessageTracking",
        "One row per SMS message sent or received (MobileConnect).",
        False,
        "Mobile P, SubscriberKey T, SubscriberID N, MobileMessageTrackingID N, EID N, MID N, "
        "MessageID N, KeywordID T, CodeID T, ConversationID T, CampaignID N, Sent B, "
        "Delivered B, Undelivered B, Outbound B, Inbound B, CreateDateTime D, "
        "ModifiedDateTime D, ActionDateTime D, MessageText T, IsTest B, "
        "MobileMessageRecurrenceID N, ResponseToMobileMessageTrackingID N, IsValid B, "
        "InvalidationCode N, SendID N, SendSplitID N, SendSegmentID N, SendJobID N, "
        "SendGroupID N, SendPersonID N, SMSStandardStatusCodeId N, Description T, Name T, "
        "ShortCode T, SharedKeyword T, Ordinal N, FromName T, JBActivityID T, "
        "JBDefinitionID T, SMSJobID T, SMSBatchID N",
    ),
    (
        "_SMSSubscriptionLog",
        "Changes to mobile numbers' SMS subscriptions (opt-ins and opt-outs).",
        False,
        "MobileNumber P, SubscriberKey T, LogDate D, MobileSubscriptionID N, "
        "SubscriptionDefinitionID T, OptOutStatusID N, OptOutMethodID N, OptOutDate D, "
        "OptInStatusID N, OptInMethodID N, OptInDate D, Source N, CreatedDate D, "
        "ModifiedDate D",
    ),
    (
        "_UndeliverableSms",
        "Mobile numbers SMS messages could not be delivered to.",
        False,
        "MobileNumber P, Undeliverable B, BounceCount N, FirstBounceDate D, HoldDate D",
    ),
    (
        "_MobileAddress",
        "Mobile numbers of contacts (MobileConnect contact data).",
        False,
        "_MobileNumber T15, _ContactID T, _Status T, _Source T, _SourceObjectId T200, "
        "_Priority T, _Channel T20, _CarrierID T, _CountryCode T2, _CreatedDate D, "
        "_CreatedBy T, _ModifiedDate D, _ModifiedBy T, _City T200, _State T200, _ZipCode T20, "
        "_FirstName T100, _LastName T100, _UTCOffset N, _IsHonorDST B",
    ),
    (
        "_MobileSubscription",
        "SMS subscriptions of mobile numbers.",
        False,
        "_MobileNumber T15, _SubscriptionDefinitionID T200, _OptOutStatusID T, "
        "_OptOutMethodID T, _OptOutDate D, _OptInStatusID T, _OptInMethodID T, _OptInDate D, "
        "_Source T, _CreatedDate D, _SourceObjectId T200, _CreatedBy T, _ModifiedDate D, "
        "_ModifiedBy T",
    ),
    (
        "_ChatMessagingSubscription",
        "Chat messaging (e.g. WhatsApp) subscriptions of mobile numbers.",
        False,
        "_MobileNumber T254, _ChannelId T50, _ChannelType T20, _OptOutStatusID ?, "
        "_OptOutMethodID T, _OptOutDate D, _OptinStatusID ?, _OptinMethodID T, _OptinDate D, "
        "_Source T, _SourceObjectId T200, _CreatedDate D, _CreatedBy T, _ModifiedDate D, "
        "_ModifiedBy T",
    ),
    (
        "_PushAddress",
        "Push notification devices of contacts (MobilePush).",
        False,
        "_DeviceID T200, _ContactID T, _APID T38, _Status T, _Source T, _SourceObjectId T200, "
        "_Platform T100, _PlatformVersion T100, _Alias T100, _OptOutStatusID T, "
        "_OptOutMethodID T, _OptOutDate D, _OptInStatusID T, _OptInMethodID T, _OptInDate D, "
        "_Channel T20, _CreatedDate D, _CreatedBy T, _ModifiedDate D, _ModifiedBy T, "
        "_City T200, _State T200, _ZipCode T20, _FirstName T100, _LastName T100, "
        "_UTCOffset Dec, _IsHonorDST B, _SystemToken T4000, _ProviderToken T200, _Badge N, "
        "_LocationEnabled B, _TimeZone T50, _Device T100, _HardwareId T100, _DeviceType T20",
    ),
    (
        "_PushTag",
        "Tags attached to push devices.",
        False,
        "_DeviceID T200, _APID T38, _Value T128, _CreatedDate D, _CreatedBy T, "
        "_ModifiedDate D, _ModifiedBy T",
    ),
    (
        "_MobileLineAddressContactSubscriptionView",
        "Subscriptions of contacts' mobile addresses (MobileConnect).",
        False,
        "ContactID N, ContactKey T, ChannelID T, AddressID T, IsActive N, CreatedDate D, "
        "ModifiedDate D",
    ),
    (
        "_MobileLineOrphanContactView",
        "Mobile addresses whose contact no longer exists.",
        False,
        "ContactID N, ContactKey T, AddressID T, CreatedDate D",
    ),
)

_EVENT_VIEWS = ("_Sent", "_Open", "_Click", "_Bounce", "_Unsubscribe", "_Complaint", "_FTAF")
_SEND_MATCH = ("JobID", "ListID", "BatchID", "SubscriberID")


def _join_keys(view: str, column_names: frozenset[str]) -> tuple[JoinKey, ...]:
    """REFERENCE's join keys (events to ``_Job`` by JobID, to ``_Subscribers`` by SubscriberID,
    to the matching ``_Sent`` row by JobID+ListID+BatchID+SubscriberID), plus the id columns
    that views plainly share (VersionID, AutomationInstanceID)."""
    keys: list[JoinKey] = []
    if view in _EVENT_VIEWS or view == "_SurveyResponse":
        keys.append(JoinKey("_Job", ("JobID",), ("JobID",), "the email send the event belongs to"))
        if view != "_Sent":
            keys.append(
                JoinKey("_Sent", _SEND_MATCH, _SEND_MATCH, "the exact send the event followed")
            )
    if "subscriberid" in column_names and view != "_Subscribers":
        keys.append(JoinKey("_Subscribers", ("SubscriberID",), ("SubscriberID",), "subscriber"))
    if view == "_Subscribers":
        keys.append(JoinKey("_EnterpriseAttribute", ("SubscriberID",), ("_SubscriberID",)))
    if view == "_EnterpriseAttribute":
        keys.append(JoinKey("_Subscribers", ("_SubscriberID",), ("SubscriberID",), "subscriber"))
    if view == "_Job":
        keys.append(JoinKey("_Sent", ("JobID",), ("JobID",), "the job's sends"))
    if view == "_JourneyActivity":
        keys.append(JoinKey("_Journey", ("VersionID",), ("VersionID",), "the journey version"))
    if view == "_Journey":
        keys.append(JoinKey("_JourneyActivity", ("VersionID",), ("VersionID",)))
    if view == "_AutomationActivityInstance":
        keys.append(
            JoinKey("_AutomationInstance", ("AutomationInstanceID",), ("AutomationInstanceID",))
        )
    if view == "_AutomationInstance":
        keys.append(
            JoinKey(
                "_AutomationActivityInstance",
                ("AutomationInstanceID",),
                ("AutomationInstanceID",),
            )
        )
    return tuple(keys)


def _columns(notation: str) -> tuple[Column, ...]:
    columns: list[Column] = []
    for item in notation.split(","):
        name, code = item.split()
        if code == "?":
            columns.append(Column(name, FieldType.TEXT, type_known=False, note=_TYPE_UNSTATED))
            continue
        letters = code.rstrip("0123456789")
        digits = code[len(letters) :]
        field_type = _CODES[letters]
        if field_type is FieldType.TEXT and not digits:
            columns.append(Column(name, field_type, note=_LENGTH_UNSTATED))
        else:
            columns.append(
                Column(
                    name,
                    field_type,
                    max_length=int(digits) if digits else None,
                    system_generated=_is_system_date(name, field_type),
                )
            )
    return tuple(columns)


def _is_system_date(name: str, field_type: FieldType) -> bool:
    """A data view's dates are MCE's system time (CST), except those it names as UTC
    (``UnsubDateUTC``)."""
    return field_type is FieldType.DATE and "utc" not in name.casefold()


def _build() -> Mapping[str, DataView]:
    views: dict[str, DataView] = {}
    for name, description, tracking, notation in _VIEWS:
        columns = _columns(notation)
        folded = frozenset(column.name.casefold() for column in columns)
        views[name.casefold()] = DataView(
            name=name,
            description=description,
            retention=SIX_MONTHS if tracking else None,
            join_keys=_join_keys(name, folded),
            columns=columns,
        )
    return MappingProxyType(views)


#: Every data view REFERENCE §5.2 lists, keyed by casefolded name (``"_sent"``).
DATA_VIEWS: Mapping[str, DataView] = _build()
_TABLES: Mapping[str, Table] = MappingProxyType(
    {key: view.table() for key, view in DATA_VIEWS.items()}
)


def data_view_key(name: str) -> str:
    """The :data:`DATA_VIEWS` key for a name as written: ``ENT.``, brackets and case removed
    (``ENT.[_Sent]`` -> ``_sent``). Data views are per-MID; ``ENT.`` names the parent's."""
    text = name.strip()
    if text[:4].casefold() == "ent.":
        text = text[4:].strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].replace("]]", "]")
    return text.casefold()


def is_data_view_name(name: str) -> bool:
    """True when ``name`` (as written, with or without ``ENT.``/brackets) is a data view."""
    return data_view_key(name) in DATA_VIEWS


def data_view(name: str) -> Table | None:
    """The data view called ``name`` as a DATA_VIEW :class:`Table`, or None.

    ``_EnterpriseAttribute`` has only ``_SubscriberID`` here: use :func:`resolve_data_view` to
    add the account's profile attributes from the caller's catalogue.
    """
    return _TABLES.get(data_view_key(name))


async def resolve_data_view(name: str | TableName, catalog: Catalog) -> Table | None:
    """:func:`data_view`, with ``_EnterpriseAttribute``'s per-account columns merged in.

    The caller's catalogue may answer ``lookup(TableName("_EnterpriseAttribute"))`` with a
    Table whose columns are the account's profile attributes (see :class:`~tsql.catalog.Catalog`);
    they follow ``_SubscriberID``, which is always there. When it answers None only
    ``_SubscriberID`` is known.
    """
    text = name.name if isinstance(name, TableName) else name
    table = data_view(text)
    if table is None or table.name != "_EnterpriseAttribute":
        return table
    shared = name.shared if isinstance(name, TableName) else text.strip()[:4].casefold() == "ent."
    attributes = await catalog.lookup(TableName("_EnterpriseAttribute", shared=shared))
    if attributes is None and shared:
        attributes = await catalog.lookup(TableName("_EnterpriseAttribute"))
    if attributes is None:
        return table
    known = {column.name.casefold() for column in table.columns}
    merged = list(table.columns)
    for column in attributes.columns:
        if column.name.casefold() not in known:
            known.add(column.name.casefold())
            merged.append(column)
    return Table(
        name=table.name,
        kind=TableKind.DATA_VIEW,
        columns=tuple(merged),
        description=table.description,
        extra=dict(table.extra),
    )
