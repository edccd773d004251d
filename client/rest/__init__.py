"""REST operations of the MCE Bridge (rowsets, row writes, query definitions, automations)."""

from __future__ import annotations

from client.rest.api import RestClient
from client.rest.automations import (
    ActivityRef,
    Automation,
    AutomationActivity,
    AutomationPage,
    Automations,
    AutomationStatus,
    AutomationStep,
    AutomationSummary,
)
from client.rest.classify import rest_classify
from client.rest.queries import (
    QueryActivities,
    QueryActivity,
    QueryPage,
    QueryStart,
    QueryValidation,
    UpdateType,
)
from client.rest.rows import RowWrite, upsert_rows
from client.rest.rowsets import RowsetPage, RowsetReader

__all__ = [
    "ActivityRef",
    "Automation",
    "AutomationActivity",
    "AutomationPage",
    "AutomationStatus",
    "AutomationStep",
    "AutomationSummary",
    "Automations",
    "QueryActivities",
    "QueryActivity",
    "QueryPage",
    "QueryStart",
    "QueryValidation",
    "RestClient",
    "RowWrite",
    "RowsetPage",
    "RowsetReader",
    "UpdateType",
    "rest_classify",
    "upsert_rows",
]
