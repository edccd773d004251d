"""Plain data records of one simulated MCE enterprise.

These are deliberately dumb dataclasses: validation and indexing live in
:mod:`simulator.store`, so SOAP, REST and the seeder share one set of rules.
Dates are naive ``datetime`` values in MCE server time (CST, UTC-6, no DST),
exactly as MCE returns them on the wire.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "BusinessUnit",
    "DataExtension",
    "Enterprise",
    "Field",
    "FieldType",
    "Folder",
    "Package",
    "QueryDefinition",
    "QueryTask",
    "RetentionUnit",
    "User",
]


class FieldType(enum.StrEnum):
    """MCE ``DataExtensionFieldType`` values this simulator accepts (REFERENCE §2.4)."""

    TEXT = "Text"
    NUMBER = "Number"
    DATE = "Date"
    BOOLEAN = "Boolean"
    EMAIL_ADDRESS = "EmailAddress"
    PHONE = "Phone"
    DECIMAL = "Decimal"
    LOCALE = "Locale"

    @classmethod
    def parse(cls, value: str) -> FieldType | None:
        """Case-insensitive lookup; ``None`` for unknown names."""
        lowered = value.strip().lower()
        for member in cls:
            if member.value.lower() == lowered:
                return member
        return None


class RetentionUnit(enum.StrEnum):
    """``DataRetentionPeriod`` (DateTimeUnitOfMeasure); numeric codes in :attr:`code`."""

    DAYS = "Days"
    WEEKS = "Weeks"
    MONTHS = "Months"
    YEARS = "Years"

    @property
    def code(self) -> int:
        """The deprecated ``DataRetentionPeriodUnitOfMeasure`` number (Days=3 ... Years=6)."""
        return {"Days": 3, "Weeks": 4, "Months": 5, "Years": 6}[self.value]


@dataclass(slots=True)
class Enterprise:
    """The tenant: one MCE enterprise account. ``eid`` equals the parent BU's MID."""

    eid: int
    name: str
    tssd: str
    stack_key: str = "S7"
    region: str = "NA1"


@dataclass(slots=True)
class BusinessUnit:
    """A BU (MID). ``parent_mid`` is ``None`` only for the enterprise (parent) BU."""

    mid: int
    name: str
    parent_mid: int | None
    customer_key: str
    description: str = ""
    is_active: bool = True


@dataclass(slots=True)
class User:
    """An MCE user. ``reachable_mids`` are the BUs the user may log into."""

    id: int
    username: str
    email: str
    name: str
    locale: str
    time_zone: str
    default_mid: int
    reachable_mids: tuple[int, ...]
    is_active: bool = True


@dataclass(slots=True)
class Package:
    """An installed package's API integration.

    ``kind`` is ``"enhanced"`` (``/v2/token``) or ``"legacy"`` (JWT + ``/v1/requestToken``);
    MCE keeps the two apart, so does the simulator.
    """

    client_id: str
    client_secret: str
    name: str
    kind: str
    scopes: tuple[str, ...]
    mids: tuple[int, ...]
    home_mid: int
    redirect_uris: list[str] = field(default_factory=list)
    jwt_signing_secret: str = ""
    application_id: str = ""
    login_url: str = ""


@dataclass(slots=True)
class Folder:
    """A ``DataFolder``. Root folders have ``parent_id == 0`` and are not editable."""

    id: int
    name: str
    content_type: str
    parent_id: int
    customer_key: str
    mid: int
    is_editable: bool = True
    allow_children: bool = True
    is_active: bool = True
    description: str = ""
    object_id: str = ""
    created_date: datetime = field(default_factory=datetime.now)
    modified_date: datetime = field(default_factory=datetime.now)


@dataclass(slots=True)
class Field:
    """A ``DataExtensionField``.

    For Decimal, ``max_length`` holds the precision (MCE returns precision in MaxLength).
    ``ordinal`` is 0-based and dense within its DE.
    """

    object_id: str
    name: str
    field_type: FieldType
    max_length: int | None = None
    scale: int | None = None
    is_required: bool = False
    is_primary_key: bool = False
    default_value: str | None = None
    ordinal: int = 0
    description: str = ""

    @property
    def precision(self) -> int | None:
        """Decimal precision (an alias of ``max_length`` for Decimal fields)."""
        return self.max_length if self.field_type is FieldType.DECIMAL else None


@dataclass(slots=True)
class DataExtension:
    """A data extension (table) owned by BU ``mid``.

    ``is_shared`` DEs live in the parent BU (in a ``shared_*`` folder) and are visible
    to its children. Retention fields are stored for part 2 (retention sweeps).
    """

    object_id: str
    customer_key: str
    name: str
    mid: int
    folder_id: int
    fields: list[Field] = field(default_factory=list)
    description: str = ""
    is_sendable: bool = False
    is_testable: bool = False
    sendable_field: str | None = None
    sendable_subscriber_field: str | None = None
    is_shared: bool = False
    created_date: datetime = field(default_factory=datetime.now)
    modified_date: datetime = field(default_factory=datetime.now)
    data_retention_period_length: int | None = None
    data_retention_period: RetentionUnit | None = None
    row_based_retention: bool = False
    reset_retention_period_on_import: bool = False
    delete_at_end_of_retention_period: bool = False
    retain_until: datetime | None = None
    status: str = "Active"

    @property
    def category_id(self) -> int:
        """SOAP's name for :attr:`folder_id`."""
        return self.folder_id

    def field_named(self, name: str) -> Field | None:
        """Case-insensitive field lookup (MCE column names are case-insensitive)."""
        lowered = name.lower()
        for f in self.fields:
            if f.name.lower() == lowered:
                return f
        return None

    @property
    def primary_key(self) -> list[Field]:
        """Primary-key fields in ordinal order."""
        return [f for f in self.fields if f.is_primary_key]


@dataclass(slots=True)
class QueryDefinition:
    """A Query Activity: SQL text, a target DE (by CustomerKey) and an update type.

    Runs are :class:`QueryTask` records kept by :mod:`simulator.queries`.
    """

    object_id: str
    customer_key: str
    name: str
    mid: int
    folder_id: int
    query_text: str
    target_key: str
    target_update_type: str = "Overwrite"
    description: str = ""
    status: str = "Active"
    created_date: datetime = field(default_factory=datetime.now)
    modified_date: datetime = field(default_factory=datetime.now)


@dataclass(slots=True)
class QueryTask:
    """One run of a query definition (the TaskID that ``AsyncActivityStatus`` reports on).

    Times ``*_at`` are simulator-clock seconds; ``start_date``/``completed_date`` are naive
    server time (CST), as MCE reports them. ``status`` moves Queued → Processing →
    Complete | Error; ``finishes_at`` is planned from the rows the query reads.
    """

    task_id: str
    query_object_id: str
    query_key: str
    mid: int
    requested_at: float
    queued_until: float
    finishes_at: float
    timeout_at: float
    start_date: datetime
    status: str = "Queued"
    error_message: str = ""
    completed_date: datetime | None = None
    rows_written: int = 0
    polls: int = 0
    visible_at: float = 0.0
    automation_id: str | None = None
    completed_at: float | None = None
    """The exact instant (simulator clock) the run finished, also when the tick that
    finished it came later: what a poller's detection delay is measured from."""

    @property
    def is_running(self) -> bool:
        return self.status in ("Queued", "Processing")
