"""The tenant context that drives row-level security.

A context is (tenant, current BU, BUs visible from it, optionally the user). It is applied
with ``set_config(name, value, true)`` inside a transaction, so it is transaction-local and
can never leak to the next user of a pooled connection (nor through PgBouncer in transaction
mode, where session-level ``SET`` would).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

CONNECTION = "default"

_SET_CONTEXT_SQL = (
    "SELECT set_config('app.tenant_id', $1, true), set_config('app.mid', $2, true), "
    "set_config('app.visible_mids', $3, true), set_config('app.user_id', $4, true)"
)


class MissingTenantContext(RuntimeError):
    """Tenant rows were requested without a tenant context."""


@dataclass(frozen=True)
class TenantContext:
    """Who is asking: the tenant (EID), the current BU, the BUs visible from it, the user.

    ``visible_mids`` always includes ``mid`` itself; typically it adds the parent BU,
    whose shared rows are visible from its children.
    """

    tenant_id: int
    mid: int | None = None
    visible_mids: frozenset[int] = field(default_factory=frozenset)
    user_id: UUID | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.tenant_id, int) or self.tenant_id <= 0:
            raise MissingTenantContext("a tenant context needs a positive tenant id")
        if self.mid is not None and self.mid not in self.visible_mids:
            object.__setattr__(self, "visible_mids", frozenset({*self.visible_mids, self.mid}))

    def settings(self) -> list[str]:
        """The four values for ``_SET_CONTEXT_SQL``, as text (set_config takes text)."""
        return [
            str(self.tenant_id),
            "" if self.mid is None else str(self.mid),
            ",".join(str(m) for m in sorted(self.visible_mids)),
            "" if self.user_id is None else str(self.user_id),
        ]


async def apply_context(conn: BaseDBAsyncClient, ctx: TenantContext) -> None:
    """Set ``ctx`` on the current transaction of ``conn``."""
    await conn.execute_query(_SET_CONTEXT_SQL, ctx.settings())


@asynccontextmanager
async def tenant_transaction(ctx: TenantContext) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction in which every query sees only ``ctx``'s rows.

    Model queries made in this task while the block runs use the transaction's connection.
    """
    if not isinstance(ctx, TenantContext):
        raise MissingTenantContext("tenant_transaction needs a TenantContext")
    async with in_transaction(CONNECTION) as conn:
        await apply_context(conn, ctx)
        yield conn
