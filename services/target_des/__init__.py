"""The target DE wizard (issue 15): propose a data extension that fits a query's output, and
create it in MCE once, checked first, recorded and audited (docs/deploy.md, "Target DE
wizard").

- :func:`propose_target_data_extension` (:mod:`.proposal`): read-only, from the metadata cache;
- :func:`create_target_data_extension` (:mod:`.create`): idempotent by a client's key;
- the rules: :mod:`.naming`, :mod:`.field_types`, :mod:`.rules`; the key: :mod:`.keys`;
- the cache reads: :mod:`.bu_cache`; the request records: :mod:`.requests` (answers kept as
  :mod:`.recorded` JSON); what is sent to MCE and what its answers mean: :mod:`.mce_shapes`.
"""

from services.target_des.create import (
    DEFAULT_LEASE,
    CreationOutcome,
    create_target_data_extension,
)
from services.target_des.model import (
    CreatedDataExtension,
    FieldInput,
    FieldType,
    Issue,
    IssueSeverity,
    RetentionInput,
    RetentionMode,
    RetentionUnit,
    RuleSource,
    SendableInput,
    SendableRelationship,
    TargetDeInput,
)
from services.target_des.proposal import (
    Proposal,
    ProposalOutcome,
    ProposedKey,
    ProposedRetention,
    ProposedSendable,
    RetentionOption,
    propose_target_data_extension,
)

__all__ = [
    "DEFAULT_LEASE",
    "CreatedDataExtension",
    "CreationOutcome",
    "FieldInput",
    "FieldType",
    "Issue",
    "IssueSeverity",
    "Proposal",
    "ProposalOutcome",
    "ProposedKey",
    "ProposedRetention",
    "ProposedSendable",
    "RetentionInput",
    "RetentionMode",
    "RetentionOption",
    "RetentionUnit",
    "RuleSource",
    "SendableInput",
    "SendableRelationship",
    "TargetDeInput",
    "create_target_data_extension",
    "propose_target_data_extension",
]
