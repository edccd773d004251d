"""Quarry's own MCE assets in GraphQL, for administrators: ``mceAssets(first, after)`` (the
BU's inventory with a cleanup report) and ``purgeMceAssets`` (delete them all in MCE now).
Everybody else gets FORBIDDEN (docs/api.md, "Runs")."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.relay import PageInfo
from strawberry.types import Info

from models.runs import AssetKind, AssetState
from resolvers import mce_assets as use
from schema.connections import page_info
from schema.context import GraphQLContext
from schema.errors import UserError, user_errors_from
from schema.global_ids import encode_global_id
from services.errors import PermissionDenied, QuarryError
from services.runs.cleanup import CleanupDeps
from services.runs.pool import AssetInfo

__all__ = ["MceAssetMutation", "MceAssetQuery"]


@strawberry.enum(description="What Quarry created in MCE.")
class MceAssetKind(Enum):
    FOLDER = AssetKind.FOLDER.value
    DE = AssetKind.DE.value
    QD = AssetKind.QD.value


@strawberry.enum(description="Where an asset is in Quarry's pool.")
class MceAssetState(Enum):
    CREATING = AssetState.CREATING.value
    AVAILABLE = AssetState.AVAILABLE.value
    LEASED = AssetState.LEASED.value
    DRAINING = AssetState.DRAINING.value
    DELETING = AssetState.DELETING.value
    BROKEN = AssetState.BROKEN.value


@strawberry.type(description="A folder, shell DE or shell query Quarry created in this BU.")
class MceAsset:
    id: strawberry.ID
    kind: MceAssetKind
    name: str
    customer_key: str
    state: MceAssetState
    field_count: int = strawberry.field(description="A shell DE's fields (0 otherwise).")
    created_at: datetime
    last_used_at: datetime | None
    use_count: int
    leased_until: datetime | None
    leased_to_run: strawberry.ID | None = strawberry.field(
        description="The run holding it (a Run id; only its owner can read that run)."
    )
    note: str = strawberry.field(description="Why it is BROKEN, or the last cleanup error.")

    @classmethod
    def from_domain(cls, asset: AssetInfo) -> MceAsset:
        return cls(
            id=strawberry.ID(encode_global_id("MceAsset", str(asset.id))),
            kind=MceAssetKind(asset.kind.value),
            name=asset.name,
            customer_key=asset.customer_key,
            state=MceAssetState(asset.state.value),
            field_count=len(asset.fields),
            created_at=asset.created_at,
            last_used_at=asset.last_used_at,
            use_count=asset.use_count,
            leased_until=asset.lease_expires_at,
            leased_to_run=None
            if asset.lease_run_id is None
            else strawberry.ID(encode_global_id("Run", str(asset.lease_run_id))),
            note=asset.note,
        )


@strawberry.type
class MceAssetStateCount:
    state: MceAssetState
    count: int


@strawberry.type(description="How the BU's pool stands, for cleanup.")
class MceAssetsReport:
    total: int
    by_state: list[MceAssetStateCount]
    pool_size: int = strawberry.field(description="Idle shells kept per BU.")
    idle_beyond_pool: int = strawberry.field(
        description="Idle shells the next recycling pass deletes."
    )
    failed_deletions: int = strawberry.field(description="Assets MCE would not delete.")


@strawberry.type
class MceAssetEdge:
    cursor: str
    node: MceAsset


@strawberry.type
class MceAssetConnection:
    edges: list[MceAssetEdge]
    page_info: PageInfo
    report: MceAssetsReport


@strawberry.type
class MceAssetQuery:
    @strawberry.field(
        description="Administrators: what Quarry created in MCE in this BU, oldest first, with"
        " a cleanup report. FORBIDDEN for anybody else."
    )
    async def mce_assets(
        self, info: Info[GraphQLContext, None], first: int = 50, after: str | None = None
    ) -> MceAssetConnection:
        auth = info.context.authentication
        page = await use.list_mce_assets(auth, first=first, after=after)
        overview = await use.assets_overview(auth)
        return MceAssetConnection(
            edges=[
                MceAssetEdge(cursor=e.cursor, node=MceAsset.from_domain(e.node)) for e in page.edges
            ],
            page_info=page_info(
                [e.cursor for e in page.edges],
                has_next_page=page.has_next_page,
                after=after,
            ),
            report=MceAssetsReport(
                total=overview.total,
                by_state=[
                    MceAssetStateCount(state=MceAssetState(state), count=count)
                    for state, count in sorted(overview.by_state.items())
                ],
                pool_size=overview.pool_size,
                idle_beyond_pool=overview.idle_beyond_pool,
                failed_deletions=overview.failed_deletions,
            ),
        )


@strawberry.type
class PurgeMceAssetsPayload:
    deleted: int = 0
    failed: list[str] = strawberry.field(
        default_factory=list, description="Keys of assets MCE would not delete (kept, retried)."
    )
    canceled_runs: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _cleanup_deps(info: Info[GraphQLContext, None]) -> CleanupDeps:
    mce = info.context.mce
    if mce is None:
        raise QuarryError("Marketing Cloud cannot be reached from this process.")
    return CleanupDeps(redis=None, http=mce.http, tokens=mce.tokens, policy=mce.policy)


@strawberry.type
class MceAssetMutation:
    @strawberry.mutation(
        description="Administrators: delete every asset Quarry created in MCE in this BU now"
        " (runs in progress are canceled). Acts in MCE as you where you can; audited."
    )
    async def purge_mce_assets(self, info: Info[GraphQLContext, None]) -> PurgeMceAssetsPayload:
        try:
            report = await use.purge_mce_assets(
                info.context.authentication,
                deps_without_redis=_cleanup_deps(info),
                redis=info.context.redis,
            )
        except PermissionDenied as exc:
            return PurgeMceAssetsPayload(user_errors=user_errors_from(exc))
        return PurgeMceAssetsPayload(
            deleted=report.deleted, failed=list(report.failed), canceled_runs=report.canceled_runs
        )
