"""The metadata store: BUs, users, folders, DEs, fields, query definitions.

Every mutation validates like MCE and raises :class:`MceValidationError`; the SOAP
and REST layers only translate. All public methods take the acting BU's ``mid``
so cross-BU rules (own objects plus the parent's shared DEs) live in one place.
A re-entrant lock makes the store safe to use from the server thread and from
test threads at once. The class is assembled from :mod:`simulator.store_base`
(ids, BUs, folders) and :mod:`simulator.store_des` (DEs and fields).
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.errors import ErrorCode
from simulator.model import QueryDefinition
from simulator.store_des import DataExtensionStore
from simulator.store_rules import (
    DE_FOLDER_TYPES,
    MAX_QUERY_KEY,
    UPDATE_TYPES,
    FieldSpec,
    check_name,
    err,
)

__all__ = ["DE_FOLDER_TYPES", "FieldSpec", "Store"]


class Store(DataExtensionStore):
    """All metadata of one enterprise. Rows live in :class:`simulator.rows.RowStore`."""

    def list_queries(self, mid: int) -> list[QueryDefinition]:
        return [q for q in self.query_definitions.values() if q.mid == mid]

    def get_query(
        self, mid: int, *, customer_key: str | None = None, object_id: str | None = None
    ) -> QueryDefinition | None:
        for q in self.query_definitions.values():
            if q.mid != mid:
                continue
            if customer_key is not None and q.customer_key.lower() == customer_key.lower():
                return q
            if object_id is not None and q.object_id.lower() == object_id.lower():
                return q
        return None

    def create_query(
        self,
        *,
        mid: int,
        name: str | None,
        query_text: str | None,
        target_key: str | None,
        customer_key: str | None = None,
        target_update_type: str = "Overwrite",
        folder_id: int | None = None,
        description: str = "",
    ) -> QueryDefinition:
        """Create a QueryDefinition (Query Activity) whose target is a DE visible from mid."""
        with self._lock:
            self.require_business_unit(mid)
            name = check_name("Query", name)
            if not query_text or not query_text.strip():
                raise err(ErrorCode.MISSING_PROPERTY, "QueryText is required.")
            if not target_key:
                raise err(ErrorCode.MISSING_PROPERTY, "DataExtensionTarget is required.")
            if self.get_de(mid, customer_key=target_key) is None:
                raise err(ErrorCode.NOT_FOUND, f"Target data extension {target_key} was not found.")
            update_type = UPDATE_TYPES.get(target_update_type.strip().lower())
            if update_type is None:
                raise err(
                    ErrorCode.INVALID_VALUE, f"TargetUpdateType {target_update_type} is not valid."
                )
            if folder_id in (None, 0):
                root = self.root_folder(mid, "queryactivity")
                if root is None:
                    raise err(ErrorCode.FOLDER_NOT_FOUND, "The BU has no Query folder.")
                folder_id = root.id
            folder = self.get_folder(folder_id, mid=mid)
            if folder is None or folder.content_type != "queryactivity":
                raise err(
                    ErrorCode.FOLDER_NOT_FOUND, f"The folder with ID {folder_id} was not found."
                )
            oid = self.new_guid()
            key = customer_key or oid.upper()
            if len(key) > MAX_QUERY_KEY:
                raise err(
                    ErrorCode.INVALID_VALUE,
                    f"CustomerKey must be {MAX_QUERY_KEY} characters or less.",
                )
            for q in self.list_queries(mid):
                if q.customer_key.lower() == key.lower():
                    raise err(
                        ErrorCode.DUPLICATE_KEY, f"A query with CustomerKey {key} already exists."
                    )
                if q.name.lower() == name.lower():
                    raise err(ErrorCode.DUPLICATE_NAME, f"A query named {name} already exists.")
            now = self.now()
            query = QueryDefinition(
                object_id=oid,
                customer_key=key,
                name=name,
                mid=mid,
                folder_id=folder.id,
                query_text=query_text,
                target_key=target_key,
                target_update_type=update_type,
                description=description,
                created_date=now,
                modified_date=now,
            )
            self.query_definitions[oid] = query
            return query

    def delete_query(self, *, mid: int, object_id: str) -> None:
        with self._lock:
            query = self.get_query(mid, object_id=object_id)
            if query is None:
                raise err(ErrorCode.NOT_FOUND, f"Query definition {object_id} was not found.")
            del self.query_definitions[query.object_id]

    # ------------------------------------------------------------ counters
    def counts(self, mids: Iterable[int] | None = None) -> dict[str, int]:
        """Totals for ``describe`` and tests."""
        chosen = set(mids) if mids is not None else set(self.business_units)
        des = [d for m in chosen for d in self.list_des(m)]
        return {
            "folders": sum(1 for f in self.folders.values() if f.mid in chosen),
            "data_extensions": len(des),
            "fields": sum(len(d.fields) for d in des),
            "queries": sum(1 for q in self.query_definitions.values() if q.mid in chosen),
        }
