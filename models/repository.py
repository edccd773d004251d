"""The tenant-aware repository: the only way the app reaches tenant rows.

It cannot be built without a :class:`TenantContext`, and every operation runs inside a
transaction carrying that context, so Postgres row-level security filters every statement.
Inserts take ``tenant_id`` from the context; a caller cannot name another tenant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

from models.context import MissingTenantContext, TenantContext, tenant_transaction

M = TypeVar("M", bound=Model)

# The open tenant transaction of this task (tortoise keeps its transaction in a context
# variable too). Per task, not per repository object, so one repository can be shared by
# concurrent requests without them joining each other's transactions.
_active: ContextVar[tuple[TenantContext, BaseDBAsyncClient] | None] = ContextVar(
    "quarry_tenant_transaction", default=None
)


class TenantRepository:
    """Tenant-scoped access to tenant-owned models.

    Use :meth:`transaction` for a unit of work spanning several statements; the single-shot
    helpers each open their own transaction (or join the current one).
    """

    def __init__(self, ctx: TenantContext) -> None:
        if not isinstance(ctx, TenantContext):
            raise MissingTenantContext("TenantRepository needs a TenantContext")
        self.ctx = ctx

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BaseDBAsyncClient]:
        """Open the context's transaction, or join this task's open one for the same context.

        Joining a transaction opened for another tenant context is refused: one transaction
        never mixes two tenants (or two BUs).
        """
        active = _active.get()
        if active is not None:
            open_ctx, conn = active
            if open_ctx != self.ctx:
                raise MissingTenantContext("a transaction for another tenant context is open")
            yield conn
            return
        async with tenant_transaction(self.ctx) as conn:
            token = _active.set((self.ctx, conn))
            try:
                yield conn
            finally:
                _active.reset(token)

    def of(self, model: type[M]) -> ModelRepository[M]:
        return ModelRepository(self, model)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run parameterised SQL under the context and return rows as dicts."""
        async with self.transaction() as conn:
            rows = await conn.execute_query_dict(sql, list(params))
        return [dict(row) for row in rows]


class ModelRepository(Generic[M]):
    """CRUD for one model under a tenant context.

    Every read, update and delete of a model with a ``tenant_id`` is also filtered by the
    context's tenant. Row-level security already does that for the app role; the filter makes
    the same code right for the system role (operator commands, cross-tenant jobs), whose
    policy sees every tenant's rows.
    """

    def __init__(self, repo: TenantRepository, model: type[M]) -> None:
        self._repo = repo
        self._model = model
        self._scoped = "tenant_id" in model._meta.fields_map

    def _filters(self, filters: dict[str, Any]) -> dict[str, Any]:
        if not self._scoped:
            return filters
        if "tenant_id" in filters and filters["tenant_id"] != self._repo.ctx.tenant_id:
            raise MissingTenantContext("tenant_id comes from the context, not the caller")
        return {**filters, "tenant_id": self._repo.ctx.tenant_id}

    async def create(self, **values: Any) -> M:
        if "tenant_id" in values and values["tenant_id"] != self._repo.ctx.tenant_id:
            raise MissingTenantContext("tenant_id comes from the context, not the caller")
        values["tenant_id"] = self._repo.ctx.tenant_id
        async with self._repo.transaction() as conn:
            return await self._model.create(using_db=conn, **values)

    async def list(self, *, order_by: Sequence[str] = (), **filters: Any) -> list[M]:
        async with self._repo.transaction() as conn:
            query = self._model.filter(**self._filters(filters)).using_db(conn)
            if order_by:
                query = query.order_by(*order_by)
            return list(await query)

    async def get_or_none(self, **filters: Any) -> M | None:
        async with self._repo.transaction() as conn:
            return await self._model.filter(**self._filters(filters)).using_db(conn).first()

    async def count(self, **filters: Any) -> int:
        async with self._repo.transaction() as conn:
            return await self._model.filter(**self._filters(filters)).using_db(conn).count()

    async def update(self, filters: dict[str, Any], **values: Any) -> int:
        """Update matching rows; returns how many the context allowed to change."""
        if "tenant_id" in values:
            raise MissingTenantContext("tenant_id cannot be changed")
        async with self._repo.transaction() as conn:
            query = self._model.filter(**self._filters(filters)).using_db(conn)
            return int(await query.update(**values))

    async def delete(self, **filters: Any) -> int:
        async with self._repo.transaction() as conn:
            return int(await self._model.filter(**self._filters(filters)).using_db(conn).delete())
