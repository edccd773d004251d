"""The SOAP operations Quarry uses, for one tenant, BU and user.

Retrieves are async iterators that page transparently; creates, updates and deletes return
MCE's per-object results and raise the typed error of a refused object. ``client_id=`` (a
MID) on any call works in another BU the token can reach (REFERENCE §2.6).

Creates and Perform are not idempotent: the pipeline never resends them once they may have
reached MCE and raises :class:`client.errors.OutcomeUnknown` instead. For creates,
:meth:`SoapOperations.create_or_find` is the recovery: look the object up by its
CustomerKey first, and create again only when it is not there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from client.errors import MceUnavailable, MceValidationError, NotFound, OutcomeUnknown
from client.pipeline import MceCaller
from client.soap.channel import SoapChannel
from client.soap.filters import Filter, all_of, equals, greater_than, one_of
from client.soap.messages import (
    RetrieveQuery,
    crud_body,
    data_extension_changes,
    field_objects,
    folder_changes,
    new_data_extension,
    new_folder,
    new_query_definition,
    object_ref,
    perform_body,
    query_definition_changes,
)
from client.soap.parsing import ObjectResult
from client.soap.records import (
    AsyncActivityStatus,
    BusinessUnit,
    DataExtension,
    DataExtensionField,
    DataExtensionKey,
    DataFolder,
    QueryDefinition,
    QueryDefinitionKey,
)
from client.soap.specs import (
    DataExtensionChanges,
    FieldSpec,
    FolderChanges,
    NewDataExtension,
    NewFolder,
    NewQueryDefinition,
    QueryDefinitionChanges,
)
from client.soap.wsdl import PartnerSchema, partner_schema
from client.tokens import CallTarget

__all__ = ["Created", "NewObject", "SoapOperations"]

NewObject = NewDataExtension | NewFolder | NewQueryDefinition

FIELD_KEYS_PER_CALL = 200
"""DE keys per ``IN`` filter when fields are fetched for many DEs at once."""


@dataclass(frozen=True, slots=True)
class Created:
    """An object that exists after :meth:`SoapOperations.create_or_find`.

    ``recovered`` is true when the create's answer was lost and the object was found by its
    CustomerKey instead.
    """

    customer_key: str
    object_id: str | None = None
    id: int | None = None
    """Folders' ID (DEs and queries are named by ObjectID)."""
    recovered: bool = False


class SoapOperations:
    """Typed SOAP operations on MCE at ``url`` (``.../Service.asmx``) for ``target``."""

    def __init__(
        self,
        caller: MceCaller,
        *,
        url: str,
        target: CallTarget,
        schema: PartnerSchema | None = None,
    ) -> None:
        self._channel = SoapChannel(
            caller, url=url, target=target, schema=schema or partner_schema()
        )
        self._schema = self._channel.schema

    # --- folders ------------------------------------------------------------------------

    def folders(
        self,
        *,
        content_type: str | None = None,
        content_types: Sequence[str] | None = None,
        parent_id: int | None = None,
        modified_since: datetime | None = None,
        client_id: int | None = None,
        query_all_accounts: bool = False,
    ) -> AsyncIterator[DataFolder]:
        """Folders, optionally of one ``content_type`` (``dataextension``,
        ``queryactivity``, ...) or any of ``content_types`` (one ``IN`` filter), under
        ``parent_id`` (0: root folders) and/or modified after ``modified_since`` (MCE's
        system time, naive).

        ``query_all_accounts`` also returns the parent BU's shared folders to a child BU.
        """
        if content_type is not None and content_types is not None:
            raise ValueError("give content_type or content_types, not both")
        flt = all_of(
            equals("ContentType", content_type) if content_type is not None else None,
            one_of("ContentType", content_types) if content_types else None,
            equals("ParentFolder.ID", parent_id) if parent_id is not None else None,
            greater_than("ModifiedDate", modified_since) if modified_since is not None else None,
        )
        return self._records(
            DataFolder, flt, client_id=client_id, query_all_accounts=query_all_accounts
        )

    async def create_folder(self, spec: NewFolder, *, client_id: int | None = None) -> ObjectResult:
        """Create a folder; ``new_id`` of the result is its ID. Not resent on a lost answer."""
        obj = new_folder(self._schema, spec, client_id=client_id)
        return await self._one("Create", "DataFolder", obj, idempotent=False)

    async def update_folder(
        self, changes: FolderChanges, *, client_id: int | None = None
    ) -> ObjectResult:
        obj = folder_changes(self._schema, changes, client_id=client_id)
        return await self._one("Update", "DataFolder", obj, idempotent=True)

    async def delete_folder(
        self, folder_id: int, *, client_id: int | None = None, missing_ok: bool = False
    ) -> ObjectResult | None:
        obj = object_ref(self._schema, "DataFolder", client_id=client_id, ID=folder_id)
        return await self._delete("DataFolder", obj, missing_ok=missing_ok)

    # --- data extensions ----------------------------------------------------------------

    def data_extensions(
        self,
        *,
        folder_id: int | None = None,
        customer_key: str | None = None,
        name: str | None = None,
        modified_since: datetime | None = None,
        client_id: int | None = None,
    ) -> AsyncIterator[DataExtension]:
        """DEs in the BU, narrowed by folder, key, name and/or ``ModifiedDate`` after
        ``modified_since`` (MCE's system time, naive)."""
        flt = all_of(
            equals("CategoryID", folder_id) if folder_id is not None else None,
            equals("CustomerKey", customer_key) if customer_key is not None else None,
            equals("Name", name) if name is not None else None,
            greater_than("ModifiedDate", modified_since) if modified_since is not None else None,
        )
        return self._records(DataExtension, flt, client_id=client_id)

    def data_extension_keys(
        self, *, client_id: int | None = None
    ) -> AsyncIterator[DataExtensionKey]:
        """Every DE of the BU, ObjectID and CustomerKey only: the listing a sync compares
        with its cache to find deleted DEs."""
        return self._records(DataExtensionKey, None, client_id=client_id)

    async def create_data_extension(
        self, spec: NewDataExtension, *, client_id: int | None = None
    ) -> ObjectResult:
        """Create a DE with its fields; ``new_object_id`` of the result is its ObjectID."""
        obj = new_data_extension(self._schema, spec, client_id=client_id)
        return await self._one("Create", "DataExtension", obj, idempotent=False)

    async def update_data_extension(
        self, changes: DataExtensionChanges, *, client_id: int | None = None
    ) -> ObjectResult:
        obj = data_extension_changes(self._schema, changes, client_id=client_id)
        return await self._one("Update", "DataExtension", obj, idempotent=True)

    async def delete_data_extension(
        self, customer_key: str, *, client_id: int | None = None, missing_ok: bool = False
    ) -> ObjectResult | None:
        obj = object_ref(
            self._schema, "DataExtension", client_id=client_id, CustomerKey=customer_key
        )
        return await self._delete("DataExtension", obj, missing_ok=missing_ok)

    # --- fields -------------------------------------------------------------------------

    async def data_extension_fields(
        self,
        data_extension_keys: Sequence[str] | None,
        *,
        client_id: int | None = None,
        keys_per_call: int = FIELD_KEYS_PER_CALL,
    ) -> AsyncIterator[DataExtensionField]:
        """Fields of the DEs with these CustomerKeys (``IN`` filters of ``keys_per_call``
        keys each), or of every DE in the BU when ``data_extension_keys`` is ``None``.
        MCE returns fields unsorted: order by ``ordinal``."""
        if data_extension_keys is None:
            async for record in self._records(DataExtensionField, None, client_id=client_id):
                yield record
            return
        keys = list(dict.fromkeys(data_extension_keys))
        for start in range(0, len(keys), keys_per_call):
            flt = one_of("DataExtension.CustomerKey", keys[start : start + keys_per_call])
            async for record in self._records(DataExtensionField, flt, client_id=client_id):
                yield record

    async def create_fields(
        self, data_extension_key: str, fields: Sequence[FieldSpec], *, client_id: int | None = None
    ) -> tuple[ObjectResult, ...]:
        """Add fields to a DE (not resent on a lost answer)."""
        return await self._fields("Create", data_extension_key, fields, client_id, False)

    async def update_fields(
        self, data_extension_key: str, fields: Sequence[FieldSpec], *, client_id: int | None = None
    ) -> tuple[ObjectResult, ...]:
        """Change fields of a DE, each named by ``name``."""
        return await self._fields("Update", data_extension_key, fields, client_id, True)

    async def delete_fields(
        self, data_extension_key: str, names: Sequence[str], *, client_id: int | None = None
    ) -> tuple[ObjectResult, ...]:
        specs = [FieldSpec(name=name) for name in names]
        return await self._fields("Delete", data_extension_key, specs, client_id, True)

    # --- query definitions --------------------------------------------------------------

    def query_definitions(
        self,
        *,
        customer_key: str | None = None,
        object_id: str | None = None,
        folder_id: int | None = None,
        modified_since: datetime | None = None,
        client_id: int | None = None,
        active_only: bool = True,
    ) -> AsyncIterator[QueryDefinition]:
        """Query definitions of the BU, narrowed by key, ObjectID, folder and/or
        ``ModifiedDate`` after ``modified_since`` (MCE's system time, naive).

        ``active_only`` adds ``Status equals Active``: deleted or inactive definitions can
        linger in Retrieve results (REFERENCE §2.4, as MCDEV found), and a lingering one
        with the same CustomerKey would make a lookup return an object Perform cannot use.
        """
        flt = all_of(
            equals("CustomerKey", customer_key) if customer_key is not None else None,
            equals("ObjectID", object_id) if object_id is not None else None,
            equals("CategoryID", folder_id) if folder_id is not None else None,
            greater_than("ModifiedDate", modified_since) if modified_since is not None else None,
            equals("Status", "Active") if active_only else None,
        )
        return self._records(QueryDefinition, flt, client_id=client_id)

    def query_definition_keys(
        self, *, client_id: int | None = None, active_only: bool = True
    ) -> AsyncIterator[QueryDefinitionKey]:
        """Every (active) query definition of the BU, ObjectID and CustomerKey only."""
        flt = equals("Status", "Active") if active_only else None
        return self._records(QueryDefinitionKey, flt, client_id=client_id)

    async def create_query_definition(
        self, spec: NewQueryDefinition, *, client_id: int | None = None
    ) -> ObjectResult:
        """Create a Query Activity; ``new_object_id`` is the ObjectID Perform needs."""
        obj = new_query_definition(self._schema, spec, client_id=client_id)
        return await self._one("Create", "QueryDefinition", obj, idempotent=False)

    async def update_query_definition(
        self, changes: QueryDefinitionChanges, *, client_id: int | None = None
    ) -> ObjectResult:
        obj = query_definition_changes(self._schema, changes, client_id=client_id)
        return await self._one("Update", "QueryDefinition", obj, idempotent=True)

    async def delete_query_definition(
        self, object_id: str, *, client_id: int | None = None, missing_ok: bool = False
    ) -> ObjectResult | None:
        obj = object_ref(self._schema, "QueryDefinition", client_id=client_id, ObjectID=object_id)
        return await self._delete("QueryDefinition", obj, missing_ok=missing_ok)

    async def start_query(self, object_id: str, *, client_id: int | None = None) -> str:
        """Perform ``Start`` on a QueryDefinition; returns the task id to poll with
        :meth:`async_activity_status`. Never resent: a lost answer raises
        :class:`OutcomeUnknown` and the caller asks REST ``isrunning`` before starting
        again."""
        body = perform_body(self._schema, object_id=object_id, client_id=client_id)
        response = await self._channel.perform(object_type="QueryDefinition", body=body)
        for result in response.results:
            if result.task_id:
                return result.task_id
        raise MceUnavailable("Marketing Cloud started the query but sent no task id.")

    async def async_activity_status(
        self, task_id: str, *, client_id: int | None = None
    ) -> AsyncActivityStatus | None:
        """The status of a performed activity (``None``: MCE does not know the task yet)."""
        async for status in self._records(
            AsyncActivityStatus, equals("TaskID", task_id), client_id=client_id
        ):
            return status
        return None

    async def async_activity_statuses(
        self, task_ids: Sequence[str], *, client_id: int | None = None
    ) -> dict[str, AsyncActivityStatus]:
        """The statuses of several tasks in one Retrieve (``TaskID IN (...)``), keyed by
        lower-cased task id; tasks MCE does not know yet are absent.

        MCE's filter grammar has ``IN`` but REFERENCE has only seen ``equals`` on
        AsyncActivityStatus: a refusal raises :class:`MceValidationError`, and the caller
        falls back to :meth:`async_activity_status` per task.
        """
        found: dict[str, AsyncActivityStatus] = {}
        if not task_ids:
            return found
        async for status in self._records(
            AsyncActivityStatus, one_of("TaskID", task_ids), client_id=client_id
        ):
            if status.task_id:
                found[status.task_id.lower()] = status
        return found

    async def query_runs(
        self, query_object_id: str, *, client_id: int | None = None
    ) -> list[AsyncActivityStatus]:
        """Every run MCE reports of one query definition (``ParentInteractionObjectID``, a
        filterable property REFERENCE §2.4 lists), each with its ``StartTime`` in
        ``properties``: how a start whose answer, and so its TaskID, was lost finds its task.
        """
        query = RetrieveQuery(
            object_type=AsyncActivityStatus.OBJECT_TYPE,
            properties=(*(column.path for column in AsyncActivityStatus.COLUMNS), "StartTime"),
            filter=equals("ParentInteractionObjectID", query_object_id),
            client_id=client_id,
        )
        return [status async for status in self._channel.records(query, AsyncActivityStatus)]

    # --- business units -----------------------------------------------------------------

    def business_units(self) -> AsyncIterator[BusinessUnit]:
        """Every BU the token's user can reach (``QueryAllAccounts``)."""
        return self._records(BusinessUnit, None, client_id=None, query_all_accounts=True)

    # --- recovery after a lost answer ---------------------------------------------------

    async def create_or_find(self, spec: NewObject, *, client_id: int | None = None) -> Created:
        """Create ``spec``'s object; when the answer is lost (:class:`OutcomeUnknown`), look
        it up by CustomerKey before anything else and create again only if it is absent.

        A second create refused because the key now exists (MCE finished the first one
        late) ends in one more lookup.
        """
        key = spec.customer_key
        if key is None:
            raise ValueError("create_or_find needs a CustomerKey to look the object up by")
        try:
            return _created(spec, key, await self._create(spec, client_id))
        except OutcomeUnknown:
            pass
        found = await self._find(spec, key, client_id)
        if found is not None:
            return found
        try:
            return _created(spec, key, await self._create(spec, client_id))
        except MceValidationError:
            found = await self._find(spec, key, client_id)
            if found is None:
                raise
            return found

    async def _create(self, spec: NewObject, client_id: int | None) -> ObjectResult:
        if isinstance(spec, NewDataExtension):
            return await self.create_data_extension(spec, client_id=client_id)
        if isinstance(spec, NewFolder):
            return await self.create_folder(spec, client_id=client_id)
        return await self.create_query_definition(spec, client_id=client_id)

    async def _find(self, spec: NewObject, key: str, client_id: int | None) -> Created | None:
        if isinstance(spec, NewDataExtension):
            async for de in self.data_extensions(customer_key=key, client_id=client_id):
                return Created(key, object_id=de.object_id, recovered=True)
        elif isinstance(spec, NewFolder):
            flt = equals("CustomerKey", key)
            async for folder in self._records(DataFolder, flt, client_id=client_id):
                return Created(key, id=folder.id, recovered=True)
        else:
            async for query in self.query_definitions(customer_key=key, client_id=client_id):
                return Created(key, object_id=query.object_id, recovered=True)
        return None

    # --- plumbing -----------------------------------------------------------------------

    def _records(
        self,
        record_type: Any,
        flt: Filter | None,
        *,
        client_id: int | None,
        query_all_accounts: bool = False,
    ) -> AsyncIterator[Any]:
        query = RetrieveQuery(
            object_type=record_type.OBJECT_TYPE,
            properties=tuple(column.path for column in record_type.COLUMNS),
            filter=flt,
            client_id=client_id,
            query_all_accounts=query_all_accounts,
        )
        return self._channel.records(query, record_type)

    async def _one(
        self, operation: str, object_type: str, obj: Any, *, idempotent: bool
    ) -> ObjectResult:
        response = await self._channel.crud(
            operation, object_type=object_type, body=crud_body([obj]), idempotent=idempotent
        )
        return response.results[0]

    async def _delete(self, object_type: str, obj: Any, *, missing_ok: bool) -> ObjectResult | None:
        """Deletes are resent after a lost answer (deleting twice changes nothing); a resent
        delete of an object the first one removed reports NotFound, hence ``missing_ok``."""
        try:
            return await self._one("Delete", object_type, obj, idempotent=True)
        except NotFound:
            if missing_ok:
                return None
            raise

    async def _fields(
        self,
        operation: str,
        data_extension_key: str,
        fields: Sequence[FieldSpec],
        client_id: int | None,
        idempotent: bool,
    ) -> tuple[ObjectResult, ...]:
        objects = field_objects(
            self._schema,
            data_extension_key=data_extension_key,
            fields=fields,
            client_id=client_id,
        )
        response = await self._channel.crud(
            operation,
            object_type="DataExtensionField",
            body=crud_body(objects),
            idempotent=idempotent,
        )
        return response.results


def _created(spec: NewObject, key: str, result: ObjectResult) -> Created:
    if isinstance(spec, NewFolder):
        return Created(key, id=result.new_id)
    return Created(key, object_id=result.new_object_id)
