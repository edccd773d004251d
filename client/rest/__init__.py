"""REST operations of the MCE Bridge (rowsets, row writes, query definitions)."""

from __future__ import annotations

from client.rest.api import RestClient
from client.rest.classify import rest_classify
from client.rest.queries import QueryActivities, QueryActivity, UpdateType
from client.rest.rows import RowWrite, upsert_rows
from client.rest.rowsets import RowsetPage, RowsetReader

__all__ = [
    "QueryActivities",
    "QueryActivity",
    "RestClient",
    "RowWrite",
    "RowsetPage",
    "RowsetReader",
    "UpdateType",
    "rest_classify",
    "upsert_rows",
]
