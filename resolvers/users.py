"""The tenant's users for administrators (``tenantUsers``), beside ``removeUser``.

Like the other user-management operations (resolvers/account.py) it needs a signed-in
browser session of an administrator of the viewer's business unit: the list carries
colleagues' names and e-mail addresses, which no API token and no other user reads.
"""

from __future__ import annotations

from services import users
from services.authn import Authentication
from services.errors import InvalidInput
from services.identity import Principal
from services.snippets.types import Page
from services.users import TenantUserInfo, require_administrator

__all__ = ["MAX_PAGE", "list_tenant_users"]

MAX_PAGE = 100


async def _administrator(auth: Authentication) -> Principal:
    return await require_administrator(auth.require_session())


async def list_tenant_users(
    auth: Authentication, *, first: int, after: str | None
) -> Page[TenantUserInfo]:
    principal = await _administrator(auth)
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PAGE}.", field="first")
    return await users.list_tenant_users(principal.tenant_context(), first=first, after=after)
