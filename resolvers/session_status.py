"""``sessionStatus``: whether the caller's credential is still good, and until when.

Emits at once, then whenever the credential may have changed (its end is announced on the
revocation feed) and at least every ``interval`` seconds, re-reading it each time without
counting as activity. The stream ends after reporting ``active: false``; the transport
closes the socket with 4403 as well (app/graphql.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from services.authn import Authentication, Authenticator
from services.revocations import RevocationFeed
from services.sessions import SessionStore

__all__ = ["CredentialStatus", "credential_status", "session_status_updates"]


@dataclass(frozen=True)
class CredentialStatus:
    active: bool
    idle_expires_at: datetime | None = None
    absolute_expires_at: datetime | None = None


INACTIVE = CredentialStatus(active=False)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def credential_status(auth: Authentication | None, *, sessions: SessionStore) -> CredentialStatus:
    if auth is None or not auth.authenticated:
        return INACTIVE
    if auth.session is not None:
        expiry = sessions.expiry(auth.session)
        return CredentialStatus(
            active=True,
            idle_expires_at=_at(expiry.idle_expires_at),
            absolute_expires_at=_at(expiry.absolute_expires_at),
        )
    return CredentialStatus(active=True, absolute_expires_at=auth.expires_at)


@contextlib.contextmanager
def _woken(feed: RevocationFeed | None, subject: str | None) -> Iterator[asyncio.Event]:
    if feed is None or subject is None:
        yield asyncio.Event()  # never set: the interval alone paces the re-checks
        return
    with feed.watch(subject) as event:
        yield event


async def session_status_updates(
    auth: Authentication,
    *,
    authenticator: Authenticator,
    feed: RevocationFeed | None,
    interval: float,
) -> AsyncGenerator[CredentialStatus, None]:
    sessions = authenticator.sessions
    status = credential_status(auth, sessions=sessions)
    yield status
    if not status.active:
        return
    current: Authentication | None = auth
    with _woken(feed, auth.revocation_subject) as woken:
        while current is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), interval)
            woken.clear()
            current = await authenticator.recheck(current, touch=False)
            yield credential_status(current, sessions=sessions)
