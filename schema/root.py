"""The root types, composed from one class per area (each in its own module)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.health import get_health
from resolvers.viewer import get_viewer
from schema.account import AccountMutation
from schema.api_tokens import ApiTokenMutation, ApiTokenQuery
from schema.context import GraphQLContext
from schema.deployments import DeploymentMutation, DeploymentQuery, DeploymentSubscription
from schema.mce_assets import MceAssetMutation, MceAssetQuery
from schema.metadata import MetadataMutation, MetadataQuery, MetadataSubscription
from schema.node import NodeQuery
from schema.preflight import PreflightMutation, PreflightQuery
from schema.run_events import RunEventsSubscription
from schema.run_results import RunResultsSubscription
from schema.runs import RunMutation, RunQuery
from schema.session import SessionSubscription
from schema.snippet_mutations import SnippetMutation
from schema.snippets import SnippetQuery
from schema.sql import SqlQuery
from schema.target_des import TargetDataExtensionMutation, TargetDataExtensionQuery
from schema.types import Health, Viewer
from schema.users import TenantUserQuery


@strawberry.type
class Query(
    ApiTokenQuery,
    SqlQuery,
    SnippetQuery,
    MetadataQuery,
    RunQuery,
    MceAssetQuery,
    TenantUserQuery,
    PreflightQuery,
    DeploymentQuery,
    TargetDataExtensionQuery,
    NodeQuery,
):
    @strawberry.field(description="Liveness of the API itself.")
    def health(self) -> Health:
        return Health.from_domain(get_health())

    @strawberry.field(description="The signed-in user; null when signed out.")
    async def viewer(self, info: Info[GraphQLContext, None]) -> Viewer | None:
        viewer = await get_viewer(info.context.principal)
        return None if viewer is None else Viewer.from_domain(viewer)


@strawberry.type
class Mutation(
    AccountMutation,
    ApiTokenMutation,
    SnippetMutation,
    MetadataMutation,
    RunMutation,
    MceAssetMutation,
    PreflightMutation,
    DeploymentMutation,
    TargetDataExtensionMutation,
):
    pass


@strawberry.type
class Subscription(
    SessionSubscription,
    MetadataSubscription,
    RunResultsSubscription,
    RunEventsSubscription,
    DeploymentSubscription,
):
    pass
