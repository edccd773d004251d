"""REST operations of the MCE Bridge (rowsets, row writes, query definitions, automations)."""

from __future__ import annotations

from client.rest.classify import rest_classify

__all__ = ["rest_classify"]
