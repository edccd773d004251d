"""The target DE wizard's vocabulary: what a caller asks for, what it is told, and why.

Plain frozen dataclasses, so the resolvers, the deploy service and the tests build them by
hand. Every rule the wizard applies reports an :class:`Issue` naming the input field at fault
(``fields.3.length``), its severity and where the rule comes from: REFERENCE (MCE's recorded
behaviour: an ERROR, refused before MCE is called), the simulator alone (``[sim]`` in
docs/deploy.md: a WARNING, because real MCE may accept it) or Quarry's own contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from tsql import FieldType

__all__ = [
    "CreatedDataExtension",
    "FieldInput",
    "FieldType",
    "Issue",
    "IssueSeverity",
    "RetentionInput",
    "RetentionMode",
    "RetentionUnit",
    "RuleSource",
    "SendableInput",
    "SendableRelationship",
    "TargetDeInput",
]


class IssueSeverity(StrEnum):
    ERROR = "ERROR"
    """Blocks the create: MCE would refuse it, or the input makes no sense."""
    WARNING = "WARNING"
    """The create goes ahead; MCE may refuse it (its message then comes back as an error)."""


class RuleSource(StrEnum):
    REFERENCE = "REFERENCE"
    SIMULATOR = "SIMULATOR"
    QUARRY = "QUARRY"


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with the input. ``field`` is the input path at fault (None: the whole)."""

    code: str
    field: str | None
    message: str
    severity: IssueSeverity = IssueSeverity.ERROR
    source: RuleSource = RuleSource.QUARRY

    @property
    def blocking(self) -> bool:
        return self.severity is IssueSeverity.ERROR


class RetentionUnit(StrEnum):
    """MCE's ``DataRetentionPeriod`` (REFERENCE §2.4)."""

    DAYS = "Days"
    WEEKS = "Weeks"
    MONTHS = "Months"
    YEARS = "Years"


class RetentionMode(StrEnum):
    """What happens at the end of the period: the three combinations of MCE's
    ``RowBasedRetention`` and ``DeleteAtEndOfRetentionPeriod`` that mean something."""

    ROWS = "ROWS"
    """Each row is deleted once it is older than the period (row-based retention)."""
    ALL_ROWS = "ALL_ROWS"
    """Every row is deleted at the end of the period; the DE stays."""
    DATA_EXTENSION = "DATA_EXTENSION"
    """The DE itself is deleted at the end of the period."""


class SendableRelationship(StrEnum):
    """The subscriber attribute a sendable DE's field holds (``SendableSubscriberField``)."""

    SUBSCRIBER_KEY = "Subscriber Key"
    EMAIL_ADDRESS = "Email Address"


@dataclass(frozen=True, slots=True)
class FieldInput:
    """One field to create. ``length`` is for Text, EmailAddress, Phone and Locale;
    ``precision``/``scale`` for Decimal. ``is_required`` None: required when it is a
    primary key, else not."""

    name: str
    field_type: FieldType
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    is_required: bool | None = None
    is_primary_key: bool = False
    default_value: str | None = None

    @property
    def required(self) -> bool:
        return self.is_primary_key if self.is_required is None else self.is_required


@dataclass(frozen=True, slots=True)
class SendableInput:
    field: str
    relationship: SendableRelationship = SendableRelationship.SUBSCRIBER_KEY


@dataclass(frozen=True, slots=True)
class RetentionInput:
    length: int
    unit: RetentionUnit
    mode: RetentionMode
    reset_on_import: bool = False


@dataclass(frozen=True, slots=True)
class TargetDeInput:
    """A target DE to create in one BU.

    ``customer_key`` None: derived from the name (unique in the BU, at most 36 characters).
    The folder is named by its metadata cache id (``folder_id``, what GraphQL's ``Folder.id``
    carries) or by MCE's DataFolder ID (``category_id``); neither: the BU's root "Data
    Extensions" folder.
    """

    name: str
    fields: tuple[FieldInput, ...]
    customer_key: str | None = None
    description: str | None = None
    folder_id: UUID | None = None
    category_id: int | None = None
    sendable: SendableInput | None = None
    retention: RetentionInput | None = None


@dataclass(frozen=True, slots=True)
class CreatedDataExtension:
    """A target DE that exists in MCE, as it was created (and recorded in the cache)."""

    mid: int
    name: str
    customer_key: str
    object_id: str | None
    category_id: int | None
    description: str
    fields: tuple[FieldInput, ...]
    sendable: SendableInput | None
    retention: RetentionInput | None
    is_shared: bool = False
    cache_id: UUID | None = None
    """Its row in the metadata cache (None once the cache no longer holds it)."""
    folder_cache_id: UUID | None = None
    warnings: tuple[Issue, ...] = field(default=())
