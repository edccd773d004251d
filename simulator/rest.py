"""REST routes (REFERENCE §4): rowsets, row inserts, the platform endpoints, query
activities (:mod:`simulator.rest_queries`) and automations (:mod:`simulator.rest_automations`).

Operation names (stats and faults): ``rest.rowset.get``, ``rest.rowset.token``,
``rest.rowset.insert``, ``rest.row.upsert``, ``rest.endpoints.soap``, ``rest.tokenContext``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from simulator import rest_automations, rest_queries
from simulator.responses import sim_of
from simulator.rest_common import rest_entry
from simulator.rest_rows import insert_rows, upsert_row
from simulator.rest_rowset import rowset_by_key, rowset_by_token

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return [
        Route("/data/v1/customobjectdata/key/{key}/rowset", rowset_by_key, methods=["GET"]),
        Route("/data/v1/customobjectdata/token/{token}/rowset", rowset_by_token, methods=["GET"]),
        Route("/hub/v1/dataevents/key:{key}/rowset", insert_rows, methods=["POST"]),
        Route("/hub/v1/dataevents/{object_id}/rowset", insert_rows, methods=["POST"]),
        Route("/hub/v1/dataevents/key:{key}/rows/{primary_keys}", upsert_row, methods=["PUT"]),
        Route("/hub/v1/dataevents/{object_id}/rows/{primary_keys}", upsert_row, methods=["PUT"]),
        Route("/platform/v1/endpoints/soap", soap_endpoint_url, methods=["GET"]),
        Route("/platform/v1/tokenContext", token_context, methods=["GET"]),
        *rest_queries.routes(),
        *rest_automations.routes(),
    ]


async def soap_endpoint_url(request: Request) -> Response:
    """``{"url": ".../Service.asmx"}``: legacy SOAP endpoint discovery."""
    info = await rest_entry(request, "rest.endpoints.soap", None)
    if isinstance(info, Response):
        return info
    return JSONResponse({"url": f"{sim_of(request).base_url(request)}Service.asmx"})


async def token_context(request: Request) -> Response:
    """The enterprise, BU and user of the bearer token: the three blocks REFERENCE §1.2 lists.

    A client_credentials token has no user: ``user.id`` is ``null`` **[sim]**.
    """
    info = await rest_entry(request, "rest.tokenContext", None)
    if isinstance(info, Response):
        return info
    body = {
        "enterprise": {"id": info.enterprise_id},
        "organization": {"id": info.mid},
        "user": {"id": info.user.id if info.user else None},
    }
    return JSONResponse(body)
