"""Target DE wizard use-cases: ``proposeTargetDataExtension`` and ``createTargetDataExtension``.

Any signed-in viewer may ask for a proposal (READ tokens too: it reads the metadata cache
only); creating needs a session or a READ_WRITE token (the schema refuses READ tokens'
mutations first, and this checks again). ``mid`` names a BU the viewer belongs to (default:
the one they work in); the services check the membership, so a MID of another tenant, one
the viewer was never given, or junk is refused alike. Every problem is answered as issues
(GraphQL ``userErrors`` naming the input field), never as an error of the request.
"""

from __future__ import annotations

import dataclasses
from uuid import UUID

from services import target_des
from services.audit import Actor, ActorType, RequestMeta
from services.authn import Authentication
from services.errors import PermissionDenied
from services.identity import Principal, PrincipalKind
from services.metadata.preview import MceAccess
from services.target_des import CreationOutcome, Issue, ProposalOutcome, TargetDeInput

__all__ = ["FOLDER", "create_target_data_extension", "propose_target_data_extension"]

#: The global id type of the folders a DE may be created in (resolvers.metadata's).
FOLDER = "Folder"
#: A name longer than this is not a DE name (MCE's own limit is far lower).
_MAX_NAME = 1_000


def _mid(principal: Principal, mid: str | None) -> int | Issue:
    if mid is None:
        return principal.mid
    text = mid.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) <= 0:
        return Issue("INVALID_INPUT", "mid", "A business unit id (MID) is a positive number.")
    return int(text)


async def propose_target_data_extension(
    auth: Authentication, *, sql: str, name: str | None, mid: str | None
) -> ProposalOutcome:
    principal = auth.require_principal()
    wanted = _mid(principal, mid)
    if isinstance(wanted, Issue):
        return ProposalOutcome(None, issues=(wanted,))
    if name is not None and len(name) > _MAX_NAME:
        issue = Issue("INVALID_INPUT", "name", f"A name has at most {_MAX_NAME} characters.")
        return ProposalOutcome(None, issues=(issue,))
    return await target_des.propose_target_data_extension(
        principal.tenant_id, user_id=principal.user_id, mid=wanted, sql=sql, name=name
    )


async def create_target_data_extension(
    auth: Authentication,
    *,
    spec: TargetDeInput,
    folder: tuple[str, str] | None,
    folder_given: bool,
    mid: str | None,
    idempotency_key: str,
    access: MceAccess | None,
    meta: RequestMeta,
) -> CreationOutcome:
    """``folder`` is the decoded global id of ``folderId`` (None when it is not one of ours,
    or when none was given: ``folder_given`` tells them apart)."""
    principal = auth.require_principal()
    if principal.read_only:
        raise PermissionDenied("This API token is read-only; mutations need READ_WRITE.")
    wanted = _mid(principal, mid)
    if isinstance(wanted, Issue):
        return CreationOutcome(None, (wanted,))
    if folder_given:
        local = _folder_uuid(folder)
        if local is None:
            issue = Issue("FOLDER_NOT_FOUND", "folderId", "No such data extension folder.")
            return CreationOutcome(None, (issue,))
        spec = dataclasses.replace(spec, folder_id=local)
    if len(spec.name) > _MAX_NAME:
        issue = Issue("INVALID_INPUT", "name", f"A name has at most {_MAX_NAME} characters.")
        return CreationOutcome(None, (issue,))
    if access is None:
        issue = Issue("MCE_UNAVAILABLE", None, "Marketing Cloud cannot be reached from here.")
        return CreationOutcome(None, (issue,))
    kind = ActorType.API_TOKEN if principal.kind is PrincipalKind.API_TOKEN else ActorType.USER
    actor_id = str(principal.api_token_id or principal.user_id)
    return await target_des.create_target_data_extension(
        principal.tenant_id,
        user_id=principal.user_id,
        mid=wanted,
        spec=spec,
        idempotency_key=idempotency_key,
        access=access,
        actor=Actor(kind, actor_id),
        meta=meta,
    )


def _folder_uuid(decoded: tuple[str, str] | None) -> UUID | None:
    if decoded is None or decoded[0] != FOLDER:
        return None
    try:
        return UUID(decoded[1])
    except ValueError:
        return None
