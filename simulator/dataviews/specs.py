"""Column lists of the MCE system data views (REFERENCE §5.2), as :class:`Field` objects.

The lists are kept in REFERENCE's compact notation (``N`` Number, ``D`` Date, ``B`` Boolean,
``E`` EmailAddress, ``P`` Phone, ``Dec`` Decimal, ``T<len>`` Text) so a reader can hold them
next to the table there. Typing them as :class:`~simulator.model.Field` lets the query engine
and the wire formatter treat a data view like any DE.

Text columns REFERENCE gives no length for take the length of a same-named column of another
view (``SubscriberKey`` → 254, ``Domain`` → 128, ...), else 4000, the simulator's length of a
Text field without MaxLength **[sim]**. EmailAddress columns get 254 (the DE default).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from simulator.model import Field, FieldType

__all__ = ["SPECS", "TRACKING_VIEWS", "DataViewSpec", "find_spec"]

_EVENT = (
    "AccountID N, OYBAccountID N, JobID N, ListID N, BatchID N, SubscriberID N, "
    "SubscriberKey T254, EventDate D, Domain T128"
)
_TRIGGERED = "TriggererSendDefinitionObjectID T36, TriggeredSendCustomerKey T36"

#: REFERENCE §5.2, view by view, columns in REFERENCE's order.
_COLUMNS: dict[str, str] = {
    "_Sent": f"{_EVENT}, {_TRIGGERED}",
    "_Open": f"{_EVENT}, IsUnique B, {_TRIGGERED}",
    "_Click": f"{_EVENT}, IsUnique B, {_TRIGGERED}, URL T900, LinkName T1024, LinkContent T",
    "_Bounce": (
        f"{_EVENT}, BounceCategoryID N, BounceCategory T50, BounceSubcategoryID N, "
        "BounceSubcategory T50, BounceTypeID N, BounceType T50, SMTPBounceReason T4000, "
        f"SMTPMessage T4000, SMTPCode N, IsUnique B, {_TRIGGERED}"
    ),
    "_Unsubscribe": f"{_EVENT.replace(', Domain T128', '')}, IsUnique B, Domain T128",
    "_Complaint": f"{_EVENT.replace(', Domain T128', '')}, IsUnique B, Domain T128",
    "_FTAF": (
        "AccountID N, OYBAccountID N, JobID N, ListID N, BatchID N, SubscriberID N, "
        "SubscriberKey T, TransactionTime D, Domain T, IsUnique B, "
        "TriggererSendDefinitionObjectID T, TriggeredSendCustomerKey T36"
    ),
    "_BusinessUnitUnsubscribes": (
        "BusinessUnitID N, UnsubDateUTC D, UnsubReason T100, SubscriberID N, SubscriberKey T254"
    ),
    "_Job": (
        "AccountID N, AccountUserID N, JobID N, EmailID N, FromName T130, FromEmail E, "
        "SchedTime D, PickupTime D, DeliveredTime D, TriggererSendDefinitionObjectID T36, "
        "TriggeredSendCustomerKey T36, EventID T50, IsMultipart B, JobType T50, JobStatus T50, "
        "ModifiedBy N, ModifiedDate D, EmailName T100, EmailSubject T200, IsWrapped B, "
        "TestEmailAddr E, Category T100, BccEmail E, OriginalSchedTime D, CreatedDate D, "
        "CharacterSet T30, IPAddress T50, SalesForceTotalSubscriberCount N, "
        "SalesForceErrorSubscriberCount N, SendType T128, DynamicEmailSubject T, "
        "SuppressTracking B, SendClassificationType T32, SendClassification T36, "
        "ResolveLinksWithCurrentData B, EmailSendDefinition T36, DeduplicateByEmail B"
    ),
    "_Subscribers": (
        "SubscriberID N, SubscriberKey T254, DateUndeliverable D, DateJoined D, "
        "DateUnsubscribed D, Domain T254, EmailAddress E, BounceCount N, SubscriberType T100, "
        "Status T12, Locale T"
    ),
    "_ListSubscribers": (
        "SubscriberID N, SubscriberKey T254, AddedBy N, AddMethod T17, CreatedDate D, "
        "DateUnsubscribed D, EmailAddress T, ListID N, ListName T50, ListType T16, Status T12, "
        "SubscriberType T100"
    ),
    "_EnterpriseAttribute": "_SubscriberID N",
    "_Journey": (
        "VersionID T36, JourneyID T36, JourneyName T200, VersionNumber N, CreatedDate D, "
        "LastPublishedDate D, ModifiedDate D, JourneyStatus T100"
    ),
    "_JourneyActivity": (
        "VersionID T36, ActivityID T36, ActivityName T200, ActivityExternalKey T200, "
        "JourneyActivityObjectID T36, ActivityType T512"
    ),
}

#: Views REFERENCE says keep six months of tracking data.
TRACKING_VIEWS = frozenset(
    {"_Sent", "_Open", "_Click", "_Bounce", "_Unsubscribe", "_Complaint", "_FTAF"}
)

_CODES = {
    "N": FieldType.NUMBER,
    "D": FieldType.DATE,
    "B": FieldType.BOOLEAN,
    "E": FieldType.EMAIL_ADDRESS,
    "P": FieldType.PHONE,
    "Dec": FieldType.DECIMAL,
    "T": FieldType.TEXT,
}
_TEXT_DEFAULT = 4000
_EMAIL_LENGTH = 254
_NAMESPACE = uuid.UUID("6f1c2a52-6d0e-4c1b-9a53-2f4a8e1d7c30")


@dataclass(frozen=True, slots=True)
class DataViewSpec:
    """One data view: its canonical name (``_Sent``) and its typed columns in order.

    The :class:`Field` objects are shared by every simulator: read them, never mutate them.
    """

    name: str
    fields: list[Field]
    tracking: bool = False

    def field_named(self, name: str) -> Field | None:
        """Case-insensitive column lookup (MCE column names are case-insensitive)."""
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)


def _parse(text: str) -> list[tuple[str, str, int | None]]:
    """``"JobID N, Domain T128"`` → ``[("JobID", "N", None), ("Domain", "T", 128)]``."""
    parsed: list[tuple[str, str, int | None]] = []
    for item in text.split(","):
        name, code = item.split()
        letters = code.rstrip("0123456789")
        digits = code[len(letters) :]
        parsed.append((name, letters, int(digits) if digits else None))
    return parsed


def _build() -> dict[str, DataViewSpec]:
    parsed = {view: _parse(text) for view, text in _COLUMNS.items()}
    stated: dict[str, int] = {}  # first stated length wins: tracking views come first
    for columns in parsed.values():
        for name, code, length in columns:
            if code == "E":
                stated.setdefault(name.lower(), _EMAIL_LENGTH)
            elif code == "T" and length is not None:
                stated.setdefault(name.lower(), length)
    specs: dict[str, DataViewSpec] = {}
    for view, columns in parsed.items():
        fields = []
        for ordinal, (name, code, length) in enumerate(columns):
            field_type = _CODES[code]
            if field_type is FieldType.EMAIL_ADDRESS:
                length = _EMAIL_LENGTH
            elif field_type is FieldType.TEXT and length is None:
                length = stated.get(name.lower(), _TEXT_DEFAULT)
            fields.append(
                Field(
                    object_id=str(uuid.uuid5(_NAMESPACE, f"{view}.{name}")),
                    name=name,
                    field_type=field_type,
                    max_length=length,
                    ordinal=ordinal,
                )
            )
        specs[view.lower()] = DataViewSpec(
            name=view, fields=fields, tracking=view in TRACKING_VIEWS
        )
    return specs


#: Every data view the simulator serves, keyed by lower-cased name (``"_sent"``).
SPECS: dict[str, DataViewSpec] = _build()


def find_spec(name: str) -> DataViewSpec | None:
    """The view called ``name`` (``"_Sent"``, ``"_sent"``); ``None`` when there is none."""
    return SPECS.get(name.strip().lower())
