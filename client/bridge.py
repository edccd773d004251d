"""``MceBridge``: everything a service needs to talk to MCE for one tenant, BU and user.

The bridge only wires: one :class:`~client.pipeline.MceCaller` (pooled HTTP client,
token provider, concurrency limit, observer, retry policy) shared by the SOAP
operations, the REST query activities, automations and rowsets of one
:class:`~client.tokens.CallTarget`. Workflows built from these calls (run a query,
poll it, read its rows) belong to the product's services, not here.

Another BU of the same tenant (:meth:`MceBridge.for_business_unit`) is reached with a
token for that BU rather than with SOAP's ``Client.ID``: REST has no way to address
another BU (rowsets, query activities and automations act in the token's BU), SOAP's
``Client.ID`` on creates and updates is documented but unverified (REFERENCE §2.6), and a
BU's own token makes MCE check the user's rights in that BU. The SOAP ``client_id=``
route stays available on :attr:`MceBridge.soap` for reads across BUs with one token
(metadata sync).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from functools import cached_property

import httpx

from client.endpoints import MceEndpoints
from client.limits import ConcurrencyLimiter
from client.observe import CallObserver
from client.pipeline import MceCaller, RetryPolicy
from client.rest.api import RestClient
from client.rest.automations import Automations
from client.rest.queries import QueryActivities
from client.rest.rows import RowWrite, upsert_rows
from client.rest.rowsets import MAX_PAGE_SIZE, RowsetReader
from client.soap.operations import SoapOperations
from client.soap.wsdl import PartnerSchema
from client.tokens import CallTarget, TokenProvider
from client.values import FieldSpec, Value

__all__ = ["MceBridge"]


class MceBridge:
    """MCE's SOAP and REST operations for one :class:`CallTarget`.

    Cheap to build: make one per unit of work (a job, a request) from the process-wide
    ``httpx.AsyncClient`` and token provider. It holds no tokens itself; the provider is
    asked for one on every call.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        endpoints: MceEndpoints,
        target: CallTarget,
        limiter: ConcurrencyLimiter | None = None,
        observer: CallObserver | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        schema: PartnerSchema | None = None,
    ) -> None:
        caller = MceCaller(
            http=http,
            tokens=tokens,
            limiter=limiter,
            observer=observer,
            retry=retry if retry is not None else RetryPolicy(),
            timeout=timeout,
        )
        self._wire(caller=caller, endpoints=endpoints, target=target, schema=schema)

    @classmethod
    def from_caller(
        cls,
        caller: MceCaller,
        *,
        endpoints: MceEndpoints,
        target: CallTarget,
        schema: PartnerSchema | None = None,
    ) -> MceBridge:
        """A bridge on an existing caller (its HTTP client, tokens, limit and observer)."""
        bridge = cls.__new__(cls)
        bridge._wire(caller=caller, endpoints=endpoints, target=target, schema=schema)
        return bridge

    def _wire(
        self,
        *,
        caller: MceCaller,
        endpoints: MceEndpoints,
        target: CallTarget,
        schema: PartnerSchema | None,
    ) -> None:
        self._caller = caller
        self._schema = schema
        self.endpoints = endpoints
        self.target = target
        self.rest = RestClient(caller=caller, endpoints=endpoints, target=target)
        self.queries = QueryActivities(self.rest)
        self.automations = Automations(self.rest)

    @cached_property
    def soap(self) -> SoapOperations:
        """SOAP operations (built on first use: REST-only work never loads the WSDL)."""
        return SoapOperations(
            self._caller, url=self.endpoints.soap_url, target=self.target, schema=self._schema
        )

    def rowsets(
        self,
        key: str,
        fields: Iterable[FieldSpec],
        *,
        page_size: int = MAX_PAGE_SIZE,
        order_by: str | None = None,
        filter: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> RowsetReader:
        """Pages of the DE with CustomerKey ``key``, typed by its ``fields``."""
        return RowsetReader(
            rest=self.rest,
            key=key,
            fields=fields,
            page_size=page_size,
            order_by=order_by,
            filter=filter,
            columns=columns,
        )

    def rows(
        self,
        key: str,
        fields: Iterable[FieldSpec],
        *,
        order_by: str | None = None,
        filter: str | None = None,
    ) -> AsyncIterator[dict[str, Value]]:
        """Every row of the DE ``key``, typed, page after page (one page held at a time)."""
        return self.rowsets(key, fields, order_by=order_by, filter=filter).rows()

    async def upsert_rows(self, key: str, rows: Sequence[RowWrite]) -> int:
        """Write ``rows`` into the DE ``key`` (see :func:`client.rest.rows.upsert_rows`)."""
        return await upsert_rows(self.rest, key=key, rows=rows)

    def for_business_unit(self, mid: int) -> MceBridge:
        """The same tenant and user in BU ``mid``, with calls signed by that BU's token.

        Shares this bridge's caller, so the tenant's concurrency limit, retries and
        observer apply across BUs. The token provider is asked for ``mid``'s token; a BU
        the user cannot reach fails there (``AccessDenied`` / ``ReauthRequired``).
        """
        if isinstance(mid, bool) or not isinstance(mid, int) or mid <= 0:
            raise ValueError("a business unit is a positive MID")
        if mid == self.target.mid:
            return self
        return MceBridge.from_caller(
            self._caller,
            endpoints=self.endpoints,
            target=replace(self.target, mid=mid),
            schema=self._schema,
        )
