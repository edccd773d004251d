"""One SOAP conversation with MCE for a :class:`CallTarget`: envelopes in, pages out.

The channel glues the pieces: zeep builds the envelope (with the token the pipeline hands
to ``build``), :class:`client.pipeline.MceCaller` sends it with retries and one token
refresh, :func:`client.soap.faults.classify` reads faults first, and Retrieve pages are
read by the lxml parser, in the process's parse thread when big so the event loop never
stalls on a 1 MB page. ``ContinueRequest`` paging is followed here, page by page: a
10,000-DE retrieve never holds more than one page.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx

from client.errors import MceUnavailable
from client.pipeline import MceCaller, RequestParts
from client.soap.faults import business_error, classify
from client.soap.messages import Body, RetrieveQuery, retrieve_body
from client.soap.parsing import (
    CrudResponse,
    PerformResponse,
    RetrievePage,
    parse_crud,
    parse_perform,
    parse_retrieve,
)
from client.soap.wsdl import PartnerSchema
from client.tokens import CallTarget

__all__ = ["SoapChannel"]

R = TypeVar("R")

THREAD_PARSE_BYTES = 64 * 1024
"""Pages bigger than this (about 150 results) are parsed off the event loop."""

_parse_thread: tuple[int, ThreadPoolExecutor] | None = None


def _parser_thread() -> ThreadPoolExecutor:
    """This process's one thread for big pages (created again after a fork).

    Reading a page is Python work under the GIL, so parsing several pages at once in
    several threads is no faster than one after another; it only adds GIL hand-offs
    (they took metadata sync from 10 to 12 s, docs/benchmarks.md), keeps the event loop
    waiting for the GIL, and holds one parsed page per thread in memory.
    """
    global _parse_thread
    pid = os.getpid()
    if _parse_thread is None or _parse_thread[0] != pid:
        _parse_thread = (pid, ThreadPoolExecutor(1, thread_name_prefix="soap-parse"))
    return _parse_thread[1]


class SoapChannel:
    """Sends SOAP operations to ``url`` for ``target`` through ``caller``."""

    def __init__(
        self,
        caller: MceCaller,
        *,
        url: str,
        target: CallTarget,
        schema: PartnerSchema,
        thread_parse_bytes: int = THREAD_PARSE_BYTES,
    ) -> None:
        self._caller = caller
        self._url = url
        self._target = target
        self.schema = schema
        self._thread_parse_bytes = thread_parse_bytes

    async def send(
        self, operation: str, *, object_type: str, body: Body, idempotent: bool
    ) -> httpx.Response:
        """Send ``operation`` (``Retrieve``, ``Create``, ...) and return the successful
        response; typed errors as :meth:`MceCaller.call` raises them. Calls are named
        ``soap.<Operation>.<ObjectType>`` for metrics, as the simulator names them."""
        schema = self.schema

        def build(token: str) -> RequestParts:
            return RequestParts(
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": operation},
                content=schema.envelope(operation, token=token, body=body),
            )

        return await self._caller.call(
            operation=f"soap.{operation}.{object_type}",
            method="POST",
            url=self._url,
            target=self._target,
            build=build,
            classify=classify,
            idempotent=idempotent,
        )

    async def pages(self, query: RetrieveQuery, record_type: type[R]) -> AsyncIterator[list[R]]:
        """The results of ``query``, one page (at most 2,500) at a time, following
        ``ContinueRequest`` until MCE says ``OK``."""
        continue_request: str | None = None
        while True:
            body = retrieve_body(self.schema, query, continue_request=continue_request)
            response = await self.send(
                "Retrieve", object_type=query.object_type, body=body, idempotent=True
            )
            page = await self._parse_page(response.content, record_type)
            yield page.results
            if not page.more:
                return
            if not page.request_id:
                raise MceUnavailable(
                    "Marketing Cloud said more data is available but sent no RequestID."
                )
            continue_request = page.request_id

    async def records(self, query: RetrieveQuery, record_type: type[R]) -> AsyncIterator[R]:
        """The results of ``query`` one by one (see :meth:`pages`)."""
        async for page in self.pages(query, record_type):
            for record in page:
                yield record

    async def _parse_page(self, content: bytes, record_type: type[R]) -> RetrievePage[R]:
        if len(content) > self._thread_parse_bytes:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                _parser_thread(), parse_retrieve, content, record_type
            )
        return parse_retrieve(content, record_type)

    async def crud(
        self, operation: str, *, object_type: str, body: Body, idempotent: bool
    ) -> CrudResponse:
        """Create/Update/Delete; raises the typed error of the first object MCE refused
        ("Has Errors" included: MCE's message says which object and why)."""
        response = await self.send(
            operation, object_type=object_type, body=body, idempotent=idempotent
        )
        parsed = parse_crud(response.content)
        for result in parsed.results:
            if not result.ok:
                raise business_error(result.status_message, result.error_code)
        return parsed

    async def perform(self, *, object_type: str, body: Body) -> PerformResponse:
        """Perform, never resent (``idempotent=False``): a second send would run the
        activity twice."""
        response = await self.send("Perform", object_type=object_type, body=body, idempotent=False)
        parsed = parse_perform(response.content)
        for result in parsed.results:
            if not result.ok:
                raise business_error(result.status_message, result.error_code)
        return parsed
