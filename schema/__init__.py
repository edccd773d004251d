"""The GraphQL schema, built once per process (errors are logged without the document:
schema/error_log.py)."""

from __future__ import annotations

from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig

from schema.error_log import QuarrySchema
from schema.errors import UserError, should_mask_error
from schema.extensions import IntrospectionGate, PublicErrorCodes
from schema.operations import SubscriptionsOverWebsocketOnly
from schema.permissions import ReadOnlyTokens
from schema.root import Mutation, Query, Subscription

MAX_DEPTH = 12
MAX_TOKENS = 5_000
MAX_ALIASES = 30
RELAY_MAX_RESULTS = 100

schema = QuarrySchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[UserError],
    config=StrawberryConfig(relay_max_results=RELAY_MAX_RESULTS),
    extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        IntrospectionGate,
        ReadOnlyTokens,
        SubscriptionsOverWebsocketOnly,
        PublicErrorCodes,
        lambda: MaskErrors(should_mask_error=should_mask_error),
    ],
)

__all__ = ["schema"]
