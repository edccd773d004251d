"""The REST side of the pipeline: a bearer-signed JSON call for one BU."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from client.endpoints import MceEndpoints
from client.errors import MceUnavailable
from client.pipeline import MceCaller, RequestParts
from client.rest.classify import rest_classify
from client.tokens import CallTarget

__all__ = ["RestClient"]


class RestClient:
    """Calls ``endpoints.rest_base`` for ``target`` through an :class:`MceCaller`."""

    def __init__(self, *, caller: MceCaller, endpoints: MceEndpoints, target: CallTarget) -> None:
        self.caller = caller
        self.endpoints = endpoints
        self.target = target

    async def request(
        self,
        *,
        operation: str,
        method: str,
        path: str,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        body: object = None,
        raw_body: bytes | None = None,
    ) -> httpx.Response:
        """One call; ``body`` is sent as JSON, ``raw_body`` as is (e.g. an empty POST)."""
        content = raw_body
        if body is not None:
            content = json.dumps(body, separators=(",", ":")).encode()

        def build(token: str) -> RequestParts:
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            return RequestParts(headers=headers, content=content, params=params)

        return await self.caller.call(
            operation=operation,
            method=method,
            url=self.endpoints.rest_url(path),
            target=self.target,
            build=build,
            classify=rest_classify,
            idempotent=idempotent,
        )

    async def json(self, **kwargs: Any) -> Any:
        """:meth:`request`, then the decoded JSON body (an unreadable body is an outage)."""
        response = await self.request(**kwargs)
        try:
            return response.json()
        except ValueError:
            raise MceUnavailable(
                "Marketing Cloud returned an unreadable answer.", status=response.status_code
            ) from None
