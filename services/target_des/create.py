"""``createTargetDataExtension``: check, create in MCE as the user, record, audit; once per key.

:func:`create_target_data_extension` is the one entry point (GraphQL's resolver and the deploy
service call it). In order:

1. the user must belong to the BU; the idempotency key is looked up in the BU's request
   records (:mod:`~services.target_des.requests`): a finished request with the same input is
   answered as it was (``replayed``), a different input under the key is refused, a request
   still in progress is refused until its lease ends, one whose attempt died is taken over;
2. a new request is checked against every rule (:mod:`~services.target_des.rules`) and the
   BU's cache (names, keys, the folder); errors stop it before anything is recorded or sent,
   so the key stays free for a corrected request;
3. the record is opened (PENDING, leased), then the DE is created in MCE with the user's own
   token for that BU (:func:`services.mce_bridges.bridge_for_user`). An attempt that takes a
   request over asks MCE for the DE by its CustomerKey first; a create whose answer is lost
   is looked up the same way (:meth:`client.soap.SoapOperations.create_or_find`), never sent
   blindly again: one DE whatever happened to an answer;
4. the DE is written to the metadata cache as the user's own (not a Quarry asset), the record
   finished with the answer, and the creation audited. MCE refusing it finishes the record as
   FAILED (a retry gets the same refusal); MCE being unreachable leaves it PENDING with its
   lease ended, so a retry carries on at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from client.errors import AccessDenied, MceError, MceValidationError, ReauthRequired
from client.errors import NotFound as MceNotFound
from client.errors import PermissionDenied as McePermissionDenied
from models import TenantContext
from services import audit
from services.audit import NO_REQUEST, Actor, ActorType, Outcome, RequestMeta
from services.errors import NotFound
from services.mce_bridges import bridge_for_user
from services.metadata import cache
from services.metadata.context import bu_scope
from services.metadata.preview import MceAccess
from services.metadata.queries import data_extension_by_key
from services.target_des import bu_cache, mce_shapes, recorded, requests
from services.target_des.model import (
    CreatedDataExtension,
    Issue,
    RetentionMode,
    TargetDeInput,
)
from services.target_des.naming import key_from_name, key_variant, unique_key
from services.target_des.requests import RequestRecord, RequestState
from services.target_des.rules import check_input
from services.wallet.errors import TenantUnavailable

__all__ = [
    "DEFAULT_LEASE",
    "MAX_IDEMPOTENCY_KEY",
    "CreationOutcome",
    "create_target_data_extension",
]

#: How long an attempt holds a request before a retry may take it over: longer than a
#: create call can take (the client's 30 s timeout, token refreshes included).
DEFAULT_LEASE = timedelta(minutes=2)
MAX_IDEMPOTENCY_KEY = 200
_KEY_VARIANTS = 50


@dataclass(frozen=True, slots=True)
class CreationOutcome:
    """The DE (None when it was not created), every issue (errors, then warnings), and how
    the answer came about."""

    data_extension: CreatedDataExtension | None
    issues: tuple[Issue, ...] = ()
    replayed: bool = False
    """Answered from the record of an earlier request with the same key and input."""
    recovered: bool = False
    """MCE's answer to a create was lost (or an earlier attempt died): the DE was found by
    its CustomerKey instead of being created again."""

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.blocking)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if not issue.blocking)


def _error(code: str, field: str | None, message: str) -> CreationOutcome:
    return CreationOutcome(None, (Issue(code, field, message),))


async def create_target_data_extension(
    tenant_id: int,
    *,
    user_id: UUID,
    mid: int,
    spec: TargetDeInput,
    idempotency_key: str,
    access: MceAccess,
    actor: Actor | None = None,
    meta: RequestMeta = NO_REQUEST,
    lease: timedelta = DEFAULT_LEASE,
) -> CreationOutcome:
    """Create ``spec`` in BU ``mid`` as ``user_id`` (a member of it), once per
    ``idempotency_key`` (see the module doc). Never raises for what the caller or MCE got
    wrong: every problem is an :class:`Issue` of the outcome."""
    key = idempotency_key
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY or "\x00" in key:
        return _error(
            "INVALID_INPUT",
            "idempotencyKey",
            f"An idempotency key is 1 to {MAX_IDEMPOTENCY_KEY} characters.",
        )
    if not await bu_cache.is_member(tenant_id, user_id=user_id, mid=mid):
        return _error("NOT_FOUND", "mid", "You are not a member of that business unit.")
    try:
        ctx = await bu_cache.bu_context(tenant_id, mid, user_id=user_id)
    except NotFound:
        return _error("NOT_FOUND", "mid", "You are not a member of that business unit.")
    who = actor or Actor(ActorType.USER, str(user_id))
    digest = requests.input_hash(mid, spec)
    attempt = _Attempt(ctx, user_id=user_id, spec=spec, access=access, actor=who, meta=meta)

    record = await requests.find(ctx, user_id=user_id, key=key)
    if record is None:
        checked = await _checked(ctx, spec)
        if isinstance(checked, CreationOutcome):
            return checked
        name, customer_key, category_id, warnings = checked
        record = await requests.open_request(
            ctx, user_id=user_id, key=key, digest=digest, name=name,
            customer_key=customer_key, folder_id=category_id, lease=lease,
            outcome={"warnings": recorded.issues_json(warnings)},
        )  # fmt: skip
        if record is not None:
            return await attempt.run(record, warnings=warnings, first=True)
        record = await requests.find(ctx, user_id=user_id, key=key)
        if record is None:  # the key is the user's request in another BU
            return _reused()
    if record.input_hash != digest:
        return _reused()
    if record.state is not RequestState.PENDING:
        return await _replay(ctx, record)
    taken = await requests.take_over(ctx, record_id=record.id, lease=lease)
    if taken is None:
        again = await requests.find(ctx, user_id=user_id, key=key)
        if again is not None and again.state is not RequestState.PENDING:
            return await _replay(ctx, again)
        return _error(
            "IN_PROGRESS",
            "idempotencyKey",
            "A request with this idempotency key is still in progress: retry in a moment.",
        )
    warnings = tuple(recorded.issue_from_json(item) for item in taken.outcome.get("warnings", ()))
    return await attempt.run(taken, warnings=warnings, first=False)


def _reused() -> CreationOutcome:
    return _error(
        "IDEMPOTENCY_KEY_REUSED",
        "idempotencyKey",
        "This idempotency key was used for a different request: use a new key for new input.",
    )


async def _checked(
    ctx: TenantContext, spec: TargetDeInput
) -> tuple[str, str, int | None, tuple[Issue, ...]] | CreationOutcome:
    """The name, CustomerKey, folder (MCE id) and warnings of a request that passes every
    rule, or the outcome that refuses it."""
    folder = None
    if spec.folder_id is not None or spec.category_id is not None:
        try:
            folder = await bu_cache.folder_of_bu(
                ctx, folder_id=spec.folder_id, category_id=spec.category_id
            )
        except NotFound as exc:
            return _error("FOLDER_NOT_FOUND", "folderId", exc.message)
    else:
        folder = await bu_cache.default_folder(ctx)
    if spec.customer_key is not None:
        customer_key = spec.customer_key
        taken = await bu_cache.taken_names(ctx, names=[spec.name], keys=[customer_key])
    else:
        base = key_from_name(spec.name)
        variants = [key_variant(base, n) for n in range(1, _KEY_VARIANTS + 1)]
        taken = await bu_cache.taken_names(ctx, names=[spec.name], keys=variants)
        customer_key = unique_key(base, taken.keys)
    issues = check_input(spec, customer_key=customer_key, taken=taken)
    if any(issue.blocking for issue in issues):
        return CreationOutcome(None, tuple(issues))
    category_id = folder.folder_id if folder is not None else None
    return spec.name, customer_key, category_id, tuple(issues)


class _Attempt:
    """One attempt at a recorded request: MCE, then the cache, the record and the audit."""

    def __init__(
        self,
        ctx: TenantContext,
        *,
        user_id: UUID,
        spec: TargetDeInput,
        access: MceAccess,
        actor: Actor,
        meta: RequestMeta,
    ) -> None:
        self.ctx = ctx
        self.user_id = user_id
        self.spec = spec
        self.access = access
        self.actor = actor
        self.meta = meta

    async def run(
        self, record: RequestRecord, *, warnings: tuple[Issue, ...], first: bool
    ) -> CreationOutcome:
        try:
            object_id, recovered = await self._in_mce(record, first=first)
        except MceValidationError as exc:
            return await self._refused(record, mce_shapes.refusal(exc), warnings)
        except MceNotFound as exc:
            return await self._refused(record, Issue("MCE_REFUSED", None, exc.message), warnings)
        except (ReauthRequired, AccessDenied, McePermissionDenied, TenantUnavailable) as exc:
            await requests.release(self.ctx, record_id=record.id)
            return CreationOutcome(None, (mce_shapes.access_problem(exc), *warnings))
        except MceError as exc:
            await requests.release(self.ctx, record_id=record.id)
            message = (
                f"Marketing Cloud could not be reached: {exc.message} Retry with the same key."
            )
            return CreationOutcome(None, (Issue("MCE_UNAVAILABLE", None, message), *warnings))
        except BaseException:
            await requests.release(self.ctx, record_id=record.id)
            raise
        created = await self._cache(record, object_id, warnings)
        finished = await requests.finish(
            self.ctx,
            record_id=record.id,
            state=RequestState.CREATED,
            object_id=object_id,
            outcome=recorded.created_json(created, recovered=recovered),
        )
        if finished is None:  # another attempt recorded the outcome first: answer that
            again = await requests.find(self.ctx, user_id=self.user_id, key=record.idempotency_key)
            if again is not None and again.state is not RequestState.PENDING:
                return await _replay(self.ctx, again)
        await audit.record(
            self.ctx,
            action="target_de.created",
            outcome=Outcome.SUCCESS,
            actor=self.actor,
            meta=self.meta,
            target=f"de:{record.customer_key}",
            details={
                "mid": record.mid,
                "fields": len(self.spec.fields),
                "recovered": recovered,
                "request": str(record.id),
            },
        )
        return CreationOutcome(created, warnings, recovered=recovered)

    async def _in_mce(self, record: RequestRecord, *, first: bool) -> tuple[str | None, bool]:
        """The DE's ObjectID once it exists in MCE, and whether it was found rather than made."""
        bridge = await bridge_for_user(
            self.ctx, user_id=self.user_id, mid=record.mid, http=self.access.http,
            tokens=self.access.tokens, policy=self.access.policy,
        )  # fmt: skip
        if not first:
            async for found in bridge.soap.data_extensions(customer_key=record.customer_key):
                return found.object_id, True
        made = await bridge.soap.create_or_find(
            mce_shapes.new_data_extension(
                self.spec,
                name=record.name,
                customer_key=record.customer_key,
                folder_id=record.folder_id,
            )
        )
        return made.object_id, made.recovered

    async def _refused(
        self, record: RequestRecord, refusal: Issue, warnings: tuple[Issue, ...]
    ) -> CreationOutcome:
        issues = (refusal, *warnings)
        await requests.finish(
            self.ctx,
            record_id=record.id,
            state=RequestState.FAILED,
            object_id=None,
            outcome={
                "errors": [recorded.issue_json(refusal)],
                "warnings": recorded.issues_json(warnings),
            },
        )
        await audit.record(
            self.ctx,
            action="target_de.refused",
            outcome=Outcome.FAILURE,
            actor=self.actor,
            meta=self.meta,
            target=f"de:{record.customer_key}",
            details={"mid": record.mid, "code": refusal.code, "request": str(record.id)},
        )
        return CreationOutcome(None, issues)

    async def _cache(
        self, record: RequestRecord, object_id: str | None, warnings: tuple[Issue, ...]
    ) -> CreatedDataExtension:
        """Write the DE and its fields to the metadata cache, in its BU's context."""
        scope = await bu_scope(self.ctx.tenant_id, record.mid)
        folder = None
        if record.folder_id is not None:
            folder = await bu_cache.folder_of_bu(self.ctx, category_id=record.folder_id)
        shared = folder is not None and folder.content_type.startswith("shared")
        now = datetime.now(UTC)
        spec = self.spec
        row: dict[str, Any] = {
            "object_id": (object_id or "")[:64],
            "customer_key": record.customer_key,
            "name": record.name,
            "folder_id": record.folder_id,
            "description": spec.description or "",
            "is_sendable": spec.sendable is not None,
            "sendable_field": spec.sendable.field if spec.sendable else None,
            "sendable_subscriber_field": mce_shapes.subscriber_field(spec.sendable),
            "retention_length": spec.retention.length if spec.retention else None,
            "retention_unit": spec.retention.unit.value if spec.retention else None,
            "retention_row_based": bool(
                spec.retention and spec.retention.mode is RetentionMode.ROWS
            ),
            "retention_reset_on_import": bool(spec.retention and spec.retention.reset_on_import),
            "retention_delete_at_end": bool(
                spec.retention and spec.retention.mode is RetentionMode.DATA_EXTENSION
            ),
            "retain_until": None,
            "mce_created_at": now,
            "mce_modified_at": now,
            "is_quarry_asset": False,
            "is_foreign_leftover": False,
            "is_shared": shared,
        }
        field_rows = [
            mce_shapes.cache_field_row(field, ordinal) for ordinal, field in enumerate(spec.fields)
        ]
        await cache.write_data_extensions(
            scope,
            [row],
            {record.customer_key.lower(): field_rows},
            generation=cache.new_generation(),
        )
        cached = await data_extension_by_key(scope.ctx, record.customer_key)
        return CreatedDataExtension(
            mid=record.mid,
            name=record.name,
            customer_key=record.customer_key,
            object_id=object_id,
            category_id=record.folder_id,
            description=spec.description or "",
            fields=spec.fields,
            sendable=spec.sendable,
            retention=spec.retention,
            is_shared=shared,
            cache_id=cached.id if cached is not None else None,
            folder_cache_id=folder.id if folder is not None else None,
            warnings=warnings,
        )


async def _replay(ctx: TenantContext, record: RequestRecord) -> CreationOutcome:
    """The answer an earlier attempt gave, from its record (the DE's cache row looked up
    again: a sync may have replaced it)."""
    outcome = record.outcome
    warnings = tuple(recorded.issue_from_json(item) for item in outcome.get("warnings", ()))
    if record.state is RequestState.FAILED:
        errors = tuple(recorded.issue_from_json(item) for item in outcome.get("errors", ()))
        return CreationOutcome(None, (*errors, *warnings), replayed=True)
    data = outcome["created"]
    cached = await data_extension_by_key(ctx, str(data["customer_key"]))
    created = recorded.created_from_json(
        data, warnings=warnings, cache_id=cached.id if cached is not None else None
    )
    return CreationOutcome(
        created, warnings, replayed=True, recovered=bool(outcome.get("recovered"))
    )
