"""Which operations each transport serves: subscriptions only over the websocket.

Over HTTP a subscription would run as a one-shot query whose root resolver returns a stream
it cannot send (an internal error, logged as such); it is refused up front instead, with a
message saying where subscriptions live.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from services.errors import InvalidInput

__all__ = ["SubscriptionsOverWebsocketOnly"]


class SubscriptionsOverWebsocketOnly(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        request = getattr(execution.context, "request", None)
        if execution.operation_type is OperationType.SUBSCRIPTION and not isinstance(
            request, WebSocket
        ):
            refusal = InvalidInput("Subscriptions are served over the websocket only.")
            execution.result = ExecutionResult(
                data=None, errors=[GraphQLError(refusal.message, original_error=refusal)]
            )
        yield
