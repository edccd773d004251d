"""The GraphQL endpoint: strawberry's ASGI view with our context and hardened parsing."""

from __future__ import annotations

import json

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app.settings import Settings
from schema import schema
from schema.context import GraphQLContext

MAX_SUBSCRIPTIONS_PER_CONNECTION = 10


class QuarryGraphQL(GraphQL[GraphQLContext, None]):
    """Only graphql-transport-ws; JSON nesting bombs become 400s, not 500s."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide=None,  # GraphiQL is served from our own assets (CSP forbids CDNs)
            allow_queries_via_get=False,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            allowed_origins=[settings.public_url],
            multipart_uploads_enabled=False,
        )
        self.settings = settings

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError as exc:
            raise HTTPException(400, "Request body is nested too deeply") from exc
        except UnicodeDecodeError as exc:
            raise HTTPException(400, "Request body is not valid UTF-8") from exc
        except ValueError as exc:
            if isinstance(exc, json.JSONDecodeError):
                raise
            raise HTTPException(400, "Unable to parse request body as JSON") from exc

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GraphQLContext:
        return GraphQLContext(
            request=request,
            response=response,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            principal=None,
            introspection_allowed=self.settings.introspection_enabled,
        )


__all__ = ["QuarryGraphQL"]
