"""Account use-cases: switching BU inside the app, removing a user, uninstalling.

Thin, like every resolver: authorise the viewer, validate input, call a service. Expected
failures come back as :class:`~services.errors.QuarryError` for the payload's
``userErrors``.
"""

from __future__ import annotations

from uuid import UUID

from models import (
    BusinessUnit,
    GrantKind,
    Membership,
    TenantContext,
    TenantRepository,
    WalletStatus,
)
from resolvers.viewer import Viewer, get_viewer
from services import audit
from services.audit import Actor, ActorType, Outcome, RequestMeta
from services.authn import Authentication
from services.errors import InvalidInput, NotAuthenticated, NotFound, QuarryError
from services.identity import Principal
from services.purge import AssetPurger, PurgeResult, WalletPurger, purge_tenant, purge_user
from services.sessions import SessionStore
from services.users import require_administrator
from services.wallet import TokenWallet

__all__ = ["parse_mid", "remove_user", "sign_out", "switch_business_unit", "uninstall_tenant"]


class LegacySignInOneBusinessUnit(QuarryError):
    """A legacy package's sign-in holds a token for each BU the user opened Quarry from in
    Marketing Cloud, and cannot mint one for another (``/v1/requestToken`` has no
    ``account_id``)."""

    code = "BU_SWITCH_NEEDS_SIGN_IN"


def parse_mid(value: str, *, field: str = "mid") -> int:
    """A MID from its GraphQL string form; refuses anything but a positive integer."""
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) <= 0:
        raise InvalidInput("A business unit id (MID) is a positive number.", field=field)
    return int(text)


async def switch_business_unit(
    authentication: Authentication,
    *,
    mid_text: str,
    sessions: SessionStore,
    wallet: TokenWallet,
    meta: RequestMeta,
) -> Viewer:
    """Move the session to another BU the user is a member of.

    A pure session change: no token moves. An enhanced sign-in's lineage mints a token for
    any member BU when one is first needed (services/wallet/provider.py). A legacy sign-in
    can switch only to a BU it holds an active entry for.
    """
    principal = authentication.require_session()
    session = authentication.session
    assert session is not None  # require_session guarantees it
    mid = parse_mid(mid_text)
    ctx = principal.tenant_context()
    repo = TenantRepository(ctx)
    membership = await repo.of(Membership).get_or_none(user_id=principal.user_id, mid=mid)
    if membership is None:
        raise NotFound("You have no access to that business unit.", field="mid")
    if mid != principal.mid:
        if session.kind != GrantKind.ENHANCED.value and not await _legacy_entry_for(
            wallet, ctx, user_id=principal.user_id, mid=mid
        ):
            raise LegacySignInOneBusinessUnit(
                "This Marketing Cloud package signs you in to one business unit at a time:"
                " open Quarry from that business unit in Marketing Cloud.",
                field="mid",
            )
        parent = await _parent_of(ctx, mid)
        moved = await sessions.switch_business_unit_by_hash(
            session.id_hash, mid=mid, parent_mid=parent
        )
        if moved is None:
            raise NotAuthenticated("Your session has ended; sign in again.")
        await audit.record(
            ctx,
            action="auth.switch_business_unit",
            outcome=Outcome.SUCCESS,
            actor=_actor(principal),
            meta=meta,
            target=f"bu:{mid}",
            details={"from_mid": principal.mid, "to_mid": mid},
        )
        principal = moved.principal()
    viewer = await get_viewer(principal)
    if viewer is None:
        raise NotFound("That business unit is not available.", field="mid")
    return viewer


async def _legacy_entry_for(
    wallet: TokenWallet, ctx: TenantContext, *, user_id: UUID, mid: int
) -> bool:
    entries = await wallet.entries_of_user(ctx, user_id)
    return any(
        e.kind is GrantKind.LEGACY and e.mid == mid and e.status is WalletStatus.ACTIVE
        for e in entries
    )


async def _parent_of(ctx: TenantContext, mid: int) -> int | None:
    unit = await TenantRepository(ctx).of(BusinessUnit).get_or_none(mid=mid)
    return None if unit is None else unit.parent_mid


async def _administrator(authentication: Authentication) -> Principal:
    return await require_administrator(authentication.require_session())


def _actor(principal: Principal) -> Actor:
    return Actor(ActorType.USER, str(principal.user_id))


async def sign_out(
    authentication: Authentication, *, sessions: SessionStore, meta: RequestMeta
) -> None:
    """End the caller's browser session: what ``/api/auth/logout`` does, but behind the CSRF
    check every cookie ``POST /api/graphql`` passes (the SPA's sign-out button).

    Ending is published, so the session's websockets close at once; the cookie stays in the
    browser but names nothing any more (signed out). A token has no session to end: revoke
    it instead (FORBIDDEN).
    """
    principal = authentication.require_session()
    session = authentication.session
    assert session is not None  # require_session guarantees it
    await sessions.end_by_hash(session.id_hash)
    await audit.record(
        principal.tenant_context(),
        action="auth.sign_out",
        outcome=Outcome.SUCCESS,
        actor=_actor(principal),
        meta=meta,
        target=f"user:{principal.user_id}",
    )


async def remove_user(
    authentication: Authentication,
    *,
    user_id_text: str,
    sessions: SessionStore,
    wallet: WalletPurger,
    meta: RequestMeta,
) -> PurgeResult:
    principal = await _administrator(authentication)
    try:
        user_id = UUID(user_id_text)
    except ValueError:
        raise InvalidInput("Not a user id.", field="userId") from None
    return await purge_user(
        principal.tenant_context(),
        user_id=user_id,
        sessions=sessions,
        wallet=wallet,
        actor=_actor(principal),
        meta=meta,
    )


async def uninstall_tenant(
    authentication: Authentication,
    *,
    confirm_enterprise_id: str,
    sessions: SessionStore,
    wallet: WalletPurger,
    meta: RequestMeta,
    assets: AssetPurger | None = None,
) -> PurgeResult:
    principal = await _administrator(authentication)
    if confirm_enterprise_id.strip() != str(principal.tenant_id):
        raise InvalidInput(
            "Type this account's enterprise id to confirm.", field="confirmEnterpriseId"
        )
    return await purge_tenant(
        TenantContext(tenant_id=principal.tenant_id, user_id=principal.user_id),
        sessions=sessions,
        wallet=wallet,
        actor=_actor(principal),
        meta=meta,
        assets=assets,
    )
