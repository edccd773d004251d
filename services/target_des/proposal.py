"""``proposeTargetDataExtension``: a DE that fits a query's output, each choice with a reason.

Read-only: the SQL is checked as a Query Activity (tsql, ``QUERY_ACTIVITY``) against the BU's
metadata cache, its output columns become fields (:mod:`~services.target_des.field_types`),
a primary key is suggested (:mod:`~services.target_des.keys`), the name and customer key are
made unique among the BU's DEs in the cache, the folder is where the query's own source DE
lives (else the BU's root DE folder), a subscriber key column suggests a sendable DE, and the
retention options are listed. SQL MCE would refuse gives findings and no proposal; nothing
here calls MCE or writes anything.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from uuid import UUID

from models import TenantContext
from services.errors import NotFound, RateLimited
from services.metadata.queries import FolderInfo
from services.sql_offload import RelayedCatalog, in_tsql_thread, run_coroutine
from services.sql_toolkit import THREAD_SQL_CHARS, catalog_for
from services.target_des import bu_cache
from services.target_des.field_types import ProposedField, propose_field
from services.target_des.keys import KeySuggestion, suggest_key
from services.target_des.model import (
    FieldType,
    Issue,
    IssueSeverity,
    RetentionInput,
    RetentionMode,
    RetentionUnit,
    SendableInput,
    SendableRelationship,
    TargetDeInput,
)
from services.target_des.naming import (
    check_data_extension_name,
    check_field_name,
    key_from_name,
    key_variant,
    name_variant,
    unique_key,
    unique_name,
)
from tsql import (
    Analysis,
    Catalog,
    Column,
    Finding,
    Purpose,
    TableName,
    data_view,
    is_data_view_name,
    parse,
    source_tables,
    validate_cached,
)

__all__ = [
    "Proposal",
    "ProposalOutcome",
    "ProposedKey",
    "ProposedRetention",
    "ProposedSendable",
    "RetentionOption",
    "propose_target_data_extension",
]

#: How many numbered variants of a name (``Orders Results 2``...) are checked at once.
_VARIANTS = 50
#: Output columns named like this hold subscriber keys (compared without case or spaces).
_SUBSCRIBER_KEY_NAMES = ("subscriberkey", "contactkey")


@dataclass(frozen=True, slots=True)
class ProposedKey:
    columns: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class ProposedSendable:
    """``enabled``: the DE should be sendable on ``field``, related to ``relationship``."""

    enabled: bool
    field: str | None
    relationship: SendableRelationship | None
    reason: str


@dataclass(frozen=True, slots=True)
class RetentionOption:
    setting: RetentionInput | None
    """None: no retention (rows stay until the query replaces them)."""
    reason: str


@dataclass(frozen=True, slots=True)
class ProposedRetention:
    suggested: RetentionInput | None
    reason: str
    options: tuple[RetentionOption, ...]


@dataclass(frozen=True, slots=True)
class Proposal:
    mid: int
    name: str
    name_reason: str
    customer_key: str
    customer_key_reason: str
    folder: FolderInfo | None
    folder_reason: str
    fields: tuple[ProposedField, ...]
    primary_key: ProposedKey
    sendable: ProposedSendable
    retention: ProposedRetention
    warnings: tuple[Issue, ...]

    def as_input(self) -> TargetDeInput:
        """What ``createTargetDataExtension`` takes to create the proposed DE as it is."""
        sendable = None
        if self.sendable.enabled and self.sendable.field and self.sendable.relationship:
            sendable = SendableInput(self.sendable.field, self.sendable.relationship)
        return TargetDeInput(
            name=self.name,
            customer_key=self.customer_key,
            fields=tuple(field.as_input() for field in self.fields),
            folder_id=self.folder.id if self.folder else None,
            sendable=sendable,
            retention=self.retention.suggested,
        )


@dataclass(frozen=True, slots=True)
class ProposalOutcome:
    """The proposal (None when the SQL or the request cannot give one), the SQL's findings,
    and what stopped it (``issues``, each naming the argument at fault)."""

    proposal: Proposal | None
    findings: tuple[Finding, ...] = ()
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class _Checked:
    analysis: Analysis
    key: KeySuggestion
    sources: tuple[TableName, ...]
    """Each table the query reads, the outer query's first (:func:`tsql.source_tables`)."""


async def propose_target_data_extension(
    tenant_id: int, *, user_id: UUID, mid: int, sql: str, name: str | None = None
) -> ProposalOutcome:
    """A target DE for ``sql``'s output in BU ``mid`` (one the user belongs to)."""
    if not await bu_cache.is_member(tenant_id, user_id=user_id, mid=mid):
        return ProposalOutcome(None, issues=(_not_member(),))
    try:
        ctx = await bu_cache.bu_context(tenant_id, mid, user_id=user_id)
    except NotFound:
        return ProposalOutcome(None, issues=(_not_member(),))
    try:
        checked = await _check(ctx.tenant_id, user_id, sql, catalog_for(ctx))
    except RateLimited as exc:
        return ProposalOutcome(None, issues=(Issue("RATE_LIMITED", "sql", exc.message),))
    analysis = checked.analysis
    if not analysis.valid or not analysis.columns:
        message = (
            "Marketing Cloud would refuse this SQL as a query activity: see the findings."
            if not analysis.valid
            else "The query has no output columns."
        )
        return ProposalOutcome(
            None, findings=analysis.findings, issues=(Issue("INVALID_SQL", "sql", message),)
        )
    given = (name or "").strip() or None
    if given is not None:
        refused = [issue for issue in check_data_extension_name(given, taken=()) if issue.blocking]
        if refused:
            return ProposalOutcome(None, findings=analysis.findings, issues=tuple(refused))
    return ProposalOutcome(
        await _proposal(ctx.mid or mid, ctx, checked, given), findings=analysis.findings
    )


def _not_member() -> Issue:
    return Issue("NOT_FOUND", "mid", "You are not a member of that business unit.")


async def _check(tenant_id: int, user_id: UUID, sql: str, catalog: Catalog) -> _Checked:
    """Validation, the key and the sources in one pass over the SQL (in the tsql thread for
    long texts, as every SQL check is)."""

    async def check(catalog: Catalog) -> _Checked:
        analysis = await validate_cached(sql, purpose=Purpose.QUERY_ACTIVITY, catalog=catalog)
        if not analysis.valid:
            return _Checked(analysis, KeySuggestion((), "", "NONE"), ())
        parsed = parse(sql)
        key = await suggest_key(parsed, catalog=catalog)
        return _Checked(analysis, key, source_tables(parsed.statement))

    if len(sql) <= THREAD_SQL_CHARS:
        return await check(catalog)
    relayed = RelayedCatalog(catalog, asyncio.get_running_loop())
    return await in_tsql_thread(
        (tenant_id, user_id), functools.partial(run_coroutine, check, relayed)
    )


async def _proposal(mid: int, ctx: TenantContext, checked: _Checked, given: str | None) -> Proposal:
    columns = checked.analysis.columns
    key, key_warnings = _key(checked.key, columns)
    key_names = {c.casefold() for c in key.columns}
    fields = tuple(propose_field(c, primary_key=c.name.casefold() in key_names) for c in columns)
    warnings: list[Issue] = list(key_warnings)
    for index, column in enumerate(columns):
        warnings += check_field_name(column.name, field=f"fields.{index}.name")
        if not column.type_known:
            warnings.append(
                Issue(
                    "TYPE_NOT_KNOWN",
                    f"fields.{index}.fieldType",
                    f"The type of '{column.name}' could not be inferred"
                    f" ({column.note or 'no reason given'}): check the proposed Text field.",
                    IssueSeverity.WARNING,
                )
            )
    base = given or _derived_name(checked)
    names = [name_variant(base, n) for n in range(1, _VARIANTS + 1)]
    taken_names = await bu_cache.taken_names(ctx, names=names, keys=[])
    name = unique_name(base, taken_names.names)
    if given is None:
        name_reason = "Named after what the query reads"
    elif name == given:
        name_reason = "As asked"
    else:
        name_reason = f"'{given}' is taken in this business unit"
    name_reason += "; unique in this business unit." if name != base else "; free in this BU."
    key_base = key_from_name(name)
    keys = [key_variant(key_base, n) for n in range(1, _VARIANTS + 1)]
    taken_keys = await bu_cache.taken_names(ctx, names=[], keys=keys)
    customer_key = unique_key(key_base, taken_keys.keys)
    key_reason = (
        "From the name: letters, digits, '_' and '-', at most 36 characters (keys used in"
        " scripts are best kept short), unique in this business unit."
    )
    folder, folder_reason = await _folder(ctx, checked)
    return Proposal(
        mid=mid,
        name=name,
        name_reason=name_reason,
        customer_key=customer_key,
        customer_key_reason=key_reason,
        folder=folder,
        folder_reason=folder_reason,
        fields=fields,
        primary_key=key,
        sendable=_sendable(fields),
        retention=_retention(checked),
        warnings=tuple(warnings),
    )


def _derived_name(checked: _Checked) -> str:
    first = next(iter(checked.sources), None)
    if first is None:
        return "Query Results"
    source = first.name.lstrip("_") or "Query"
    suffix = "Summary" if checked.key.basis == "GROUP_BY" else "Results"
    return f"{source} {suffix}"


def _key(suggestion: KeySuggestion, columns: tuple[Column, ...]) -> tuple[ProposedKey, list[Issue]]:
    """The suggested key as fields can hold it: every column known, none Boolean."""
    if not suggestion.columns:
        reason = suggestion.reason or "No set of columns is known to be unique."
        if suggestion.basis == "ONE_ROW":
            reason += " No key is needed."
        return ProposedKey((), reason), []
    by_name = {c.name.casefold(): c for c in columns}
    chosen = [by_name.get(name.casefold()) for name in suggestion.columns]
    if any(c is None for c in chosen):
        return ProposedKey((), "The key columns could not be matched to the output."), []
    known = [c for c in chosen if c is not None]
    if any(c.field_type is FieldType.BOOLEAN for c in known):
        return ProposedKey(
            (),
            suggestion.reason + " But a Boolean field cannot be a primary key (as the"
            " simulator refuses it), so no key is proposed.",
        ), []
    warnings = [
        Issue(
            "KEY_MAY_BE_NULL",
            "primaryKey",
            f"'{c.name}' may be NULL in the output, and a NULL primary key value fails the"
            " query: filter those rows out (WHERE ... IS NOT NULL) or drop the key.",
            IssueSeverity.WARNING,
        )
        for c in known
        if c.nullable
    ]
    return ProposedKey(tuple(c.name for c in known), suggestion.reason), warnings


async def _folder(ctx: TenantContext, checked: _Checked) -> tuple[FolderInfo | None, str]:
    own = [
        table.name
        for table in checked.sources
        if not table.shared and not is_data_view_name(table.name)
    ]
    for folder in await bu_cache.source_folders(ctx, own):
        return folder, f"Where '{own[0]}', which the query reads, lives."
    root = await bu_cache.default_folder(ctx)
    if root is not None:
        return root, "The business unit's root data extension folder."
    return None, (
        "The folder list is not cached yet: Marketing Cloud puts it in the root data"
        " extension folder."
    )


def _sendable(fields: tuple[ProposedField, ...]) -> ProposedSendable:
    for field in fields:
        folded = field.name.replace(" ", "").casefold()
        if folded in _SUBSCRIBER_KEY_NAMES and field.field_type in (
            FieldType.TEXT,
            FieldType.EMAIL_ADDRESS,
        ):
            return ProposedSendable(
                True,
                field.name,
                SendableRelationship.SUBSCRIBER_KEY,
                f"'{field.name}' holds subscriber keys: relate it to Subscriber Key so the data"
                " extension can be sent to.",
            )
    return ProposedSendable(
        False, None, None, "No column holds subscriber keys, so it is not sendable."
    )


def _retention(checked: _Checked) -> ProposedRetention:
    reason = (
        "No retention: the query activity replaces or updates the rows itself, and"
        " retention would delete what it writes."
    )
    kept = sorted(
        {
            f"{view.name} keeps {view.extra['retention']} of data"
            for table in checked.sources
            if (view := data_view(table.name)) is not None and view.extra.get("retention")
        }
    )
    if kept:
        reason += (
            f" {'; '.join(kept)}: an Append target keeps older rows unless row-based retention"
            " deletes them."
        )
    options = (
        RetentionOption(None, "Rows stay until the query activity replaces them."),
        RetentionOption(
            RetentionInput(30, RetentionUnit.DAYS, RetentionMode.ROWS),
            "Each row is deleted 30 days after it was written: a rolling window for an"
            " Append target.",
        ),
        RetentionOption(
            RetentionInput(7, RetentionUnit.DAYS, RetentionMode.ALL_ROWS, reset_on_import=True),
            "All rows are deleted 7 days after the last import: staging data.",
        ),
        RetentionOption(
            RetentionInput(1, RetentionUnit.DAYS, RetentionMode.DATA_EXTENSION),
            "The data extension itself is deleted after a day: a one-off export.",
        ),
    )
    return ProposedRetention(None, reason, options)
