"""The target DE wizard in GraphQL: ``proposeTargetDataExtension`` (a read-only query) and
``createTargetDataExtension`` (docs/api.md, "Target DE wizard"; docs/deploy.md).

Both answer problems in the payload, never as GraphQL errors: SQL MCE would refuse comes back
as ``findings`` (with positions) and a ``userErrors`` entry on ``sql``; every rule the wizard
applies names the input field at fault (``fields.3.length``). Rules only the simulator
enforces are ``warnings``: the create goes ahead and Marketing Cloud has the last word.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import target_des as use
from resolvers.metadata import DATA_EXTENSION
from schema.context import GraphQLContext
from schema.errors import UserError
from schema.global_ids import decode_global_id, encode_global_id
from schema.metadata import Folder
from schema.sql import SqlFieldType, SqlFinding
from services.target_des import (
    CreatedDataExtension,
    CreationOutcome,
    FieldInput,
    FieldType,
    Issue,
    Proposal,
    ProposalOutcome,
    RetentionInput,
    RetentionMode,
    RetentionUnit,
    SendableInput,
    SendableRelationship,
    TargetDeInput,
)
from services.target_des.field_types import ProposedField

__all__ = ["TargetDataExtensionMutation", "TargetDataExtensionQuery"]


@strawberry.enum(description="What happens to a data extension's rows at the end of the period.")
class TargetRetentionMode(Enum):
    ROWS = strawberry.enum_value(
        RetentionMode.ROWS.value, description="Each row is deleted once older than the period."
    )
    ALL_ROWS = strawberry.enum_value(
        RetentionMode.ALL_ROWS.value, description="Every row is deleted at the period's end."
    )
    DATA_EXTENSION = strawberry.enum_value(
        RetentionMode.DATA_EXTENSION.value,
        description="The data extension itself is deleted at the period's end.",
    )


@strawberry.enum(description="The unit of a retention period.")
class TargetRetentionUnit(Enum):
    DAYS = RetentionUnit.DAYS.value
    WEEKS = RetentionUnit.WEEKS.value
    MONTHS = RetentionUnit.MONTHS.value
    YEARS = RetentionUnit.YEARS.value


@strawberry.enum(description="The subscriber attribute a sendable data extension's field holds.")
class TargetSendableRelationship(Enum):
    SUBSCRIBER_KEY = SendableRelationship.SUBSCRIBER_KEY.value
    EMAIL_ADDRESS = strawberry.enum_value(
        SendableRelationship.EMAIL_ADDRESS.value,
        description="Accepted by the simulator; Marketing Cloud's create is recorded with"
        " SUBSCRIBER_KEY only (a warning).",
    )


def _user_errors(issues: tuple[Issue, ...], *, blocking: bool) -> list[UserError]:
    return [
        UserError(code=issue.code, field=issue.field, message=issue.message)
        for issue in issues
        if issue.blocking is blocking
    ]


# ------------------------------------------------------------------ proposals
@strawberry.type(description="A field proposed for one output column, and why.")
class ProposedTargetField:
    name: str
    field_type: SqlFieldType
    length: int | None = strawberry.field(description="Text, EmailAddress, Phone, Locale.")
    precision: int | None = strawberry.field(description="Decimal only.")
    scale: int | None = strawberry.field(description="Decimal only.")
    nullable: bool = strawberry.field(description="False: required (isRequired).")
    is_primary_key: bool
    reason: str

    @classmethod
    def from_domain(cls, field: ProposedField) -> ProposedTargetField:
        return cls(
            name=field.name,
            field_type=SqlFieldType(field.field_type.value),
            length=field.length,
            precision=field.precision,
            scale=field.scale,
            nullable=field.nullable,
            is_primary_key=field.is_primary_key,
            reason=field.reason,
        )


@strawberry.type(description="The primary key proposed (empty: none), and why.")
class ProposedPrimaryKey:
    fields: list[str]
    reason: str


@strawberry.type(description="Whether the data extension should be sendable, and why.")
class ProposedSendable:
    enabled: bool
    field: str | None
    relationship: TargetSendableRelationship | None
    reason: str


@strawberry.type(description="A retention period: rows (or the data extension) deleted after it.")
class TargetRetention:
    length: int
    unit: TargetRetentionUnit
    mode: TargetRetentionMode
    reset_on_import: bool

    @classmethod
    def from_domain(cls, retention: RetentionInput | None) -> TargetRetention | None:
        if retention is None:
            return None
        return cls(
            length=retention.length,
            unit=TargetRetentionUnit(retention.unit.value),
            mode=TargetRetentionMode(retention.mode.value),
            reset_on_import=retention.reset_on_import,
        )


@strawberry.type(description="One retention choice (setting null: no retention), and why.")
class TargetRetentionOption:
    setting: TargetRetention | None
    reason: str


@strawberry.type(description="The retention proposed and the choices.")
class ProposedRetention:
    suggested: TargetRetention | None = strawberry.field(description="Null: no retention.")
    reason: str
    options: list[TargetRetentionOption]


@strawberry.type(description="A data extension that fits the query's output; each choice with why.")
class TargetDataExtensionProposal:
    mid: str = strawberry.field(description="The business unit it is proposed for.")
    name: str = strawberry.field(description="Unique among the BU's data extensions.")
    name_reason: str
    customer_key: str = strawberry.field(description="Unique in the BU, at most 36 characters.")
    customer_key_reason: str
    folder: Folder | None = strawberry.field(
        description="Where to create it (its id is createTargetDataExtension's folderId)."
    )
    folder_reason: str
    fields: list[ProposedTargetField] = strawberry.field(description="In output order.")
    primary_key: ProposedPrimaryKey
    sendable: ProposedSendable
    retention: ProposedRetention
    warnings: list[UserError] = strawberry.field(
        description="Worth a look before creating (a key column that may be NULL, a type"
        " that could not be inferred, a name only the simulator refuses)."
    )

    @classmethod
    def from_domain(cls, proposal: Proposal) -> TargetDataExtensionProposal:
        sendable = proposal.sendable
        retention = proposal.retention
        return cls(
            mid=str(proposal.mid),
            name=proposal.name,
            name_reason=proposal.name_reason,
            customer_key=proposal.customer_key,
            customer_key_reason=proposal.customer_key_reason,
            folder=None if proposal.folder is None else Folder.from_domain(proposal.folder),
            folder_reason=proposal.folder_reason,
            fields=[ProposedTargetField.from_domain(field) for field in proposal.fields],
            primary_key=ProposedPrimaryKey(
                fields=list(proposal.primary_key.columns), reason=proposal.primary_key.reason
            ),
            sendable=ProposedSendable(
                enabled=sendable.enabled,
                field=sendable.field,
                relationship=None
                if sendable.relationship is None
                else TargetSendableRelationship(sendable.relationship.value),
                reason=sendable.reason,
            ),
            retention=ProposedRetention(
                suggested=TargetRetention.from_domain(retention.suggested),
                reason=retention.reason,
                options=[
                    TargetRetentionOption(
                        setting=TargetRetention.from_domain(option.setting), reason=option.reason
                    )
                    for option in retention.options
                ],
            ),
            warnings=_user_errors(proposal.warnings, blocking=False),
        )


@strawberry.type
class TargetDataExtensionProposalPayload:
    proposal: TargetDataExtensionProposal | None = strawberry.field(
        description="Null when the SQL or the request cannot give one (see userErrors)."
    )
    findings: list[SqlFinding] = strawberry.field(
        description="What the SQL toolkit found in the SQL, checked as a query activity."
    )
    user_errors: list[UserError]

    @classmethod
    def from_domain(cls, outcome: ProposalOutcome) -> TargetDataExtensionProposalPayload:
        return cls(
            proposal=None
            if outcome.proposal is None
            else TargetDataExtensionProposal.from_domain(outcome.proposal),
            findings=[SqlFinding.from_domain(finding) for finding in outcome.findings],
            user_errors=_user_errors(outcome.issues, blocking=True),
        )


_MID = strawberry.argument(description="A business unit you belong to (default: yours).")


@strawberry.type
class TargetDataExtensionQuery:
    @strawberry.field(
        description="A data extension that fits the SQL's output, for a query activity to"
        " write into: fields, primary key, folder, sendable and retention, each with why."
        " Read-only: nothing is created."
    )
    async def propose_target_data_extension(
        self,
        info: Info[GraphQLContext, None],
        sql: str,
        name: str | None = None,
        mid: Annotated[str | None, _MID] = None,
    ) -> TargetDataExtensionProposalPayload:
        outcome = await use.propose_target_data_extension(
            info.context.authentication, sql=sql, name=name, mid=mid
        )
        return TargetDataExtensionProposalPayload.from_domain(outcome)


# ------------------------------------------------------------------ creation
@strawberry.input(description="A field to create.")
class TargetFieldInput:
    name: str
    field_type: SqlFieldType
    length: int | None = strawberry.field(
        default=None, description="Text, EmailAddress, Phone, Locale only."
    )
    precision: int | None = strawberry.field(default=None, description="Decimal only: 1 to 38.")
    scale: int | None = strawberry.field(default=None, description="Decimal only: 0 to precision.")
    is_required: bool | None = strawberry.field(
        default=None, description="Null: required when it is a primary key."
    )
    is_primary_key: bool = False
    default_value: str | None = None

    def to_domain(self) -> FieldInput:
        return FieldInput(
            name=self.name,
            field_type=FieldType(self.field_type.value),
            length=self.length,
            precision=self.precision,
            scale=self.scale,
            is_required=self.is_required,
            is_primary_key=self.is_primary_key,
            default_value=self.default_value,
        )


@strawberry.input(description="Make the data extension sendable on one of its fields.")
class TargetSendableInput:
    field: str
    relationship: TargetSendableRelationship = TargetSendableRelationship.SUBSCRIBER_KEY


@strawberry.input(description="Delete rows (or the data extension) after a period.")
class TargetRetentionInput:
    length: int
    unit: TargetRetentionUnit
    mode: TargetRetentionMode
    reset_on_import: bool = False


@strawberry.input
class CreateTargetDataExtensionInput:
    idempotency_key: str = strawberry.field(
        description="Yours, 1 to 200 characters: a retry with the same key and input is"
        " answered as the first was and never creates a second data extension."
    )
    name: str
    fields: list[TargetFieldInput]
    mid: str | None = strawberry.field(
        default=None, description="A business unit you belong to (default: yours)."
    )
    customer_key: str | None = strawberry.field(
        default=None, description="Null: derived from the name, unique in the BU."
    )
    description: str | None = None
    folder_id: strawberry.ID | None = strawberry.field(
        default=None, description="A data extension folder of the BU (null: its root)."
    )
    sendable: TargetSendableInput | None = None
    retention: TargetRetentionInput | None = None

    def to_domain(self) -> TargetDeInput:
        sendable = None
        if self.sendable is not None:
            sendable = SendableInput(
                self.sendable.field, SendableRelationship[self.sendable.relationship.name]
            )
        retention = None
        if self.retention is not None:
            retention = RetentionInput(
                length=self.retention.length,
                unit=RetentionUnit(self.retention.unit.value),
                mode=RetentionMode[self.retention.mode.name],
                reset_on_import=self.retention.reset_on_import,
            )
        return TargetDeInput(
            name=self.name,
            fields=tuple(field.to_domain() for field in self.fields),
            customer_key=self.customer_key,
            description=self.description,
            sendable=sendable,
            retention=retention,
        )


@strawberry.type(description="A field of a created target data extension.")
class TargetDataExtensionField:
    name: str
    field_type: SqlFieldType
    length: int | None
    precision: int | None
    scale: int | None
    is_required: bool
    is_primary_key: bool
    default_value: str | None


@strawberry.type(description="A target data extension created in Marketing Cloud.")
class TargetDataExtension:
    id: strawberry.ID | None = strawberry.field(
        description="Its DataExtension id (node, dataExtension), while the cache holds it."
    )
    mid: str
    name: str
    customer_key: str
    object_id: str | None = strawberry.field(description="Marketing Cloud's ObjectID.")
    description: str
    folder_id: strawberry.ID | None = strawberry.field(description="The Folder it is in.")
    shared: bool = strawberry.field(description="Created in a shared folder of the parent BU.")
    fields: list[TargetDataExtensionField]
    is_sendable: bool
    sendable_field: str | None
    sendable_relationship: TargetSendableRelationship | None
    retention: TargetRetention | None

    @classmethod
    def from_domain(cls, created: CreatedDataExtension) -> TargetDataExtension:
        sendable = created.sendable
        return cls(
            id=None
            if created.cache_id is None
            else strawberry.ID(encode_global_id(DATA_EXTENSION, str(created.cache_id))),
            mid=str(created.mid),
            name=created.name,
            customer_key=created.customer_key,
            object_id=created.object_id,
            description=created.description,
            folder_id=None
            if created.folder_cache_id is None
            else strawberry.ID(encode_global_id(use.FOLDER, str(created.folder_cache_id))),
            shared=created.is_shared,
            fields=[
                TargetDataExtensionField(
                    name=field.name,
                    field_type=SqlFieldType(field.field_type.value),
                    length=field.length,
                    precision=field.precision,
                    scale=field.scale,
                    is_required=field.required or field.is_primary_key,
                    is_primary_key=field.is_primary_key,
                    default_value=field.default_value,
                )
                for field in created.fields
            ],
            is_sendable=sendable is not None,
            sendable_field=sendable.field if sendable else None,
            sendable_relationship=None
            if sendable is None
            else TargetSendableRelationship(sendable.relationship.value),
            retention=TargetRetention.from_domain(created.retention),
        )


@strawberry.type
class CreateTargetDataExtensionPayload:
    data_extension: TargetDataExtension | None = None
    replayed: bool = strawberry.field(
        default=False,
        description="Answered from an earlier request with the same idempotency key.",
    )
    recovered: bool = strawberry.field(
        default=False,
        description="Marketing Cloud's answer to the create was lost; the data extension was"
        " found by its key instead of being created again.",
    )
    warnings: list[UserError] = strawberry.field(
        default_factory=list,
        description="Rules only the simulator enforces: the create went ahead.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_domain(cls, outcome: CreationOutcome) -> CreateTargetDataExtensionPayload:
        return cls(
            data_extension=None
            if outcome.data_extension is None
            else TargetDataExtension.from_domain(outcome.data_extension),
            replayed=outcome.replayed,
            recovered=outcome.recovered,
            warnings=_user_errors(outcome.issues, blocking=False),
            user_errors=_user_errors(outcome.issues, blocking=True),
        )


@strawberry.type
class TargetDataExtensionMutation:
    @strawberry.mutation(
        description="Create a target data extension in Marketing Cloud, as you, once per"
        " idempotencyKey: checked first (userErrors name the input field), recorded in the"
        " metadata cache as yours, audited."
    )
    async def create_target_data_extension(
        self, info: Info[GraphQLContext, None], input: CreateTargetDataExtensionInput
    ) -> CreateTargetDataExtensionPayload:
        given = input.folder_id is not None
        outcome = await use.create_target_data_extension(
            info.context.authentication,
            spec=input.to_domain(),
            folder=decode_global_id(str(input.folder_id)) if given else None,
            folder_given=given,
            mid=input.mid,
            idempotency_key=input.idempotency_key,
            access=info.context.mce,
            meta=info.context.meta,
        )
        return CreateTargetDataExtensionPayload.from_domain(outcome)
