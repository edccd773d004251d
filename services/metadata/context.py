"""Tenant contexts for one BU's metadata: its own rows plus its parent's shared rows.

Sync writes a BU's rows in that BU's context (and a parent's shared DEs in the parent's),
because the per-BU write policies accept nothing else (migrations/_policies.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from models import TenantContext, TenantRepository
from services.errors import NotFound

__all__ = ["BuScope", "bu_scope"]

_BU_SQL = "SELECT mid, parent_mid FROM business_units WHERE tenant_id = $1 AND mid = $2"


@dataclass(frozen=True)
class BuScope:
    """A BU, its parent (None for a top-level BU) and the context that reads and writes it."""

    tenant_id: int
    mid: int
    parent_mid: int | None

    @property
    def ctx(self) -> TenantContext:
        visible = {self.mid} if self.parent_mid is None else {self.mid, self.parent_mid}
        return TenantContext(
            tenant_id=self.tenant_id, mid=self.mid, visible_mids=frozenset(visible)
        )

    def parent(self) -> BuScope | None:
        """The parent's scope (its own context: where its shared DEs are written)."""
        if self.parent_mid is None:
            return None
        return BuScope(tenant_id=self.tenant_id, mid=self.parent_mid, parent_mid=None)


async def bu_scope(tenant_id: int, mid: int) -> BuScope:
    """``mid`` of ``tenant_id`` with its parent; ``NotFound`` when the tenant has no such BU."""
    repo = TenantRepository(TenantContext(tenant_id=tenant_id))
    rows = await repo.fetch(_BU_SQL, [tenant_id, int(mid)])
    if not rows:
        raise NotFound("No such business unit in this account.")
    parent = rows[0]["parent_mid"]
    return BuScope(
        tenant_id=tenant_id,
        mid=int(mid),
        parent_mid=None if parent is None or int(parent) == int(mid) else int(parent),
    )
