"""Who is calling: the authenticated principal a request or job acts for."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from models import TenantContext


class PrincipalKind(StrEnum):
    SESSION = "session"
    API_TOKEN = "api_token"  # noqa: S105 - a kind of actor, not a secret


@dataclass(frozen=True)
class Principal:
    """An authenticated user acting in one BU of one tenant."""

    tenant_id: int
    mid: int
    user_id: UUID
    kind: PrincipalKind = PrincipalKind.SESSION
    parent_mid: int | None = None
    read_only: bool = False
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: MCE's numeric user id (the wallet and MCE calls are keyed by it).
    mce_user_id: int | None = None
    #: The session (its id's hash) or API token this principal authenticated with.
    session_id_hash: str | None = None
    api_token_id: UUID | None = None

    def tenant_context(self) -> TenantContext:
        visible = {self.mid} | ({self.parent_mid} if self.parent_mid else set())
        return TenantContext(
            tenant_id=self.tenant_id,
            mid=self.mid,
            visible_mids=frozenset(visible),
            user_id=self.user_id,
        )
