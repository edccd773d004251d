"""The call pipeline every MCE request goes through (REST and SOAP alike).

One place decides what happens around a request: the per-tenant concurrency slot, the
timeout, signing with a fresh token, one refresh-and-retry when MCE rejects the token,
bounded retries with backoff for throttling and outages, and the rule that a
non-idempotent request (create, perform, start) is never resent once it may have
reached MCE. Transport-specific knowledge stays outside: the caller passes ``build``
(put the token in a header or an envelope) and ``classify`` (turn a response into a
typed error, or ``None`` for success).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass

import httpx

from client.errors import (
    MceError,
    MceUnavailable,
    OutcomeUnknown,
    ReauthRequired,
    Throttled,
    TokenRejected,
    response_too_large,
    transport_error,
)
from client.limits import ConcurrencyLimiter
from client.observe import CallObserver, LoggingObserver, logger, report_call
from client.tokens import CallTarget, TokenProvider

__all__ = [
    "MAX_RESPONSE_BYTES",
    "MceCaller",
    "RequestParts",
    "ResponseTooLarge",
    "RetryPolicy",
    "send_bounded",
]

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The largest decoded body read from MCE: a full 2,500-row rowset page or Retrieve page
is a few MB, so this only stops a broken or hostile endpoint streaming without end."""


class ResponseTooLarge(Exception):
    """Raised by :func:`send_bounded` when a body passes its limit (the response is closed)."""

    def __init__(self, limit: int, status: int) -> None:
        super().__init__(f"response body over {limit} bytes")
        self.limit = limit
        self.status = status


async def send_bounded(
    http: httpx.AsyncClient, request: httpx.Request, *, deadline: float, max_bytes: int
) -> httpx.Response:
    """Send ``request`` and read its whole body within ``deadline`` seconds and ``max_bytes``.

    httpx's timeout bounds each socket operation, not the call: a server dripping one byte
    per read timeout would hold the call for ever, so the whole exchange runs under one
    deadline (a lapse surfaces as :class:`httpx.ReadTimeout`). Redirects are never
    followed, whatever the injected client is configured to do: following one would send
    the bearer header (or a SOAP body holding the token) wherever it points. The body is
    counted after decompression, so a gzip bomb stops at ``max_bytes`` too.
    """
    try:
        async with asyncio.timeout(deadline):
            response = await http.send(request, stream=True, follow_redirects=False)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ResponseTooLarge(max_bytes, response.status_code)
                    chunks.append(chunk)
            finally:
                await response.aclose()
    except TimeoutError:
        raise httpx.ReadTimeout("the call passed its deadline", request=request) from None
    # A plain response over the decoded bytes (no Content-Encoding left to undo), so
    # ``.content``, ``.json()`` and ``.text`` work as after ``aread()``.
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=request,
        extensions=response.extensions,
    )


@dataclass(slots=True)
class _Progress:
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class RequestParts:
    """What ``build`` returns for one attempt, given the access token."""

    headers: Mapping[str, str]
    content: bytes | None = None
    params: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    ``max_retries`` counts resends after the first attempt (the token refresh-and-retry
    is separate and happens at most once). A ``Retry-After`` longer than
    ``max_retry_after`` is not waited for: :class:`Throttled` goes to the caller, who can
    reschedule the work instead of holding a worker.
    """

    max_retries: int = 3
    base_delay: float = 0.25
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Delay before resend number ``attempt`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not crypto)


class MceCaller:
    """Makes one logical MCE call (with its retries) for a :class:`CallTarget`."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        limiter: ConcurrencyLimiter | None = None,
        observer: CallObserver | None = None,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = 30.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._limiter = limiter
        self._observer: CallObserver = observer if observer is not None else LoggingObserver()
        self._retry = retry
        self._timeout = timeout
        self._max_response_bytes = max_response_bytes

    async def call(
        self,
        *,
        operation: str,
        method: str,
        url: str,
        target: CallTarget,
        build: Callable[[str], RequestParts],
        classify: Callable[[httpx.Response], MceError | None],
        idempotent: bool,
    ) -> httpx.Response:
        """Send the request until it succeeds or fails for good; returns the response.

        Raises the :class:`MceError` ``classify`` produced (after retries where allowed),
        :class:`ReauthRequired` when a fresh token is rejected too, :class:`OutcomeUnknown`
        when a non-idempotent request may have reached MCE without an answer, and
        :class:`MceUnavailable` / :class:`Throttled` once retries are exhausted.
        """
        started = time.monotonic()
        progress = _Progress()
        try:
            response = await self._run(
                method=method,
                url=url,
                target=target,
                build=build,
                classify=classify,
                idempotent=idempotent,
                operation=operation,
                progress=progress,
            )
        except MceError as error:
            outcome = type(error).__name__
            self._finish(operation, outcome, started, progress.attempts, error.status, target)
            raise
        self._finish(operation, "ok", started, progress.attempts, response.status_code, target)
        return response

    async def _run(
        self,
        *,
        operation: str,
        method: str,
        url: str,
        target: CallTarget,
        build: Callable[[str], RequestParts],
        classify: Callable[[httpx.Response], MceError | None],
        idempotent: bool,
        progress: _Progress,
    ) -> httpx.Response:
        retries = 0
        refreshed = False
        while True:
            progress.attempts += 1
            token = await self._tokens.access_token(target)
            parts = build(token.value.reveal())
            error: MceError
            request = self._http.build_request(
                method,
                url,
                headers=dict(parts.headers),
                content=parts.content,
                params=dict(parts.params) if parts.params is not None else None,
                timeout=self._timeout,
            )
            try:
                async with self._slot(target):
                    # The body is read inside the slot and the deadline.
                    response = await send_bounded(
                        self._http,
                        request,
                        deadline=self._timeout,
                        max_bytes=self._max_response_bytes,
                    )
            except httpx.TransportError as exc:
                error = transport_error(exc, idempotent=idempotent)
            except MceUnavailable as exc:
                # Only the limiter raises these here, before anything was sent.
                error = exc
            except ResponseTooLarge as exc:
                raise response_too_large(
                    exc.limit, idempotent=idempotent, status=exc.status
                ) from None
            else:
                classified = classify(response)
                if classified is None:
                    return response
                error = classified

            if isinstance(error, TokenRejected):
                if refreshed:
                    raise ReauthRequired(
                        "Marketing Cloud refused a freshly issued token; sign in again.",
                        mce_message=error.mce_message,
                        mce_code=error.mce_code,
                        status=error.status,
                    )
                refreshed = True
                await self._tokens.token_rejected(target, token)
                continue

            delay = self._retry_delay(error, idempotent=idempotent, retries=retries)
            if delay is None:
                raise error
            logger.debug(
                "mce call %s: %s, retry %d in %.3f s",
                operation,
                type(error).__name__,
                retries + 1,
                delay,
            )
            retries += 1
            await asyncio.sleep(delay)

    def _slot(self, target: CallTarget) -> AbstractAsyncContextManager[None]:
        if self._limiter is None:
            return nullcontext()
        return self._limiter.slot(target.tenant_id)

    def _retry_delay(self, error: MceError, *, idempotent: bool, retries: int) -> float | None:
        """Seconds to wait before resending, or ``None`` when the error is final."""
        if isinstance(error, OutcomeUnknown):
            return None
        resendable = isinstance(error, Throttled) or (
            isinstance(error, MceUnavailable) and (idempotent or error.retry_safe)
        )
        if not resendable:
            return None
        retry_after = error.retry_after  # type: ignore[attr-defined]
        if retries >= self._retry.max_retries:
            return None
        if retry_after is not None:
            if retry_after > self._retry.max_retry_after:
                return None
            return max(retry_after, self._retry.backoff(retries))
        return self._retry.backoff(retries)

    def _finish(
        self,
        operation: str,
        outcome: str,
        started: float,
        attempts: int,
        status: int | None,
        target: CallTarget,
    ) -> None:
        report_call(
            self._observer,
            operation=operation,
            outcome=outcome,
            started=started,
            attempts=attempts,
            status=status,
            target=target,
        )
