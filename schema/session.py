"""``sessionStatus``: a subscription telling the SPA whether its session still lives.

The first message arrives at once; more follow when the session (or token) changes or ends,
and at least every ``recheck_seconds``. After ``active: false`` the stream completes, and
the server closes the socket with 4403 (app/graphql.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.session_status import CredentialStatus, session_status_updates
from schema.context import GraphQLContext

__all__ = ["SessionStatus", "SessionSubscription"]


@strawberry.type(description="Whether this connection's credential is still valid, and until when.")
class SessionStatus:
    active: bool
    idle_expires_at: datetime | None = strawberry.field(
        description="When the session ends unless it is used again (sessions only)."
    )
    absolute_expires_at: datetime | None = strawberry.field(
        description="When the session (or API token) ends whatever happens."
    )

    @classmethod
    def from_domain(cls, status: CredentialStatus) -> SessionStatus:
        return cls(
            active=status.active,
            idle_expires_at=status.idle_expires_at,
            absolute_expires_at=status.absolute_expires_at,
        )


@strawberry.type
class SessionSubscription:
    @strawberry.subscription(
        description="Now, on every change and every few seconds: is this session still active?"
    )
    async def session_status(
        self, info: Info[GraphQLContext, None]
    ) -> AsyncGenerator[SessionStatus, None]:
        context = info.context
        if context.authenticator is None:
            yield SessionStatus(active=False, idle_expires_at=None, absolute_expires_at=None)
            return
        updates = session_status_updates(
            context.authentication,
            authenticator=context.authenticator,
            feed=context.revocations,
            interval=context.recheck_seconds,
        )
        async with aclosing(updates):
            async for status in updates:
                yield SessionStatus.from_domain(status)
