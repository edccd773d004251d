"""``QueryDefinition`` (a Query Activity): Retrieve, Create, Update, Delete (REFERENCE §2.4).

The schema is the WSDL's sequence: APIObject, then InteractionBaseObject (Name, Description,
Keyword), InteractionDefinition (InteractionObjectID), then QueryText .. CategoryID, with
``DataExtensionTarget`` an InteractionBaseObject naming the target DE. Saving validates the SQL as
MCE does (``sim.queries``), so a query MCE would refuse is an error result here too, with the
engine's message. ``CategoryID`` 0 is refused (QS Pro observed it); omitted, the BU's root
"Query" folder is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from simulator.errors import ErrorCode, MceValidationError
from simulator.model import DataExtension, QueryDefinition
from simulator.soap.filters import Filter
from simulator.soap.objects.base import ObjectHandler, ObjectResult, register
from simulator.soap.objects.results import error_result, ok_result
from simulator.soap.objects.schema import Prop, api_object_header

if TYPE_CHECKING:
    from simulator.queries import QueryActivities
    from simulator.soap.context import CallContext
    from simulator.soap.objects.reader import ObjectReader

__all__ = ["QueryDefinitionHandler", "find_query"]


class _Row:
    """A definition with its target DE resolved once for rendering and filtering."""

    __slots__ = ("query", "target")

    def __init__(self, query: QueryDefinition, target: DataExtension | None) -> None:
        self.query = query
        self.target = target


def _target(attr: str) -> Any:
    """Getter of one attribute of the target DE (``None`` once the DE is gone)."""

    def get(row: _Row) -> Any:
        return getattr(row.target, attr) if row.target is not None else None

    return get


def _target_key_of(row: _Row) -> str:
    return row.target.customer_key if row.target is not None else row.query.target_key


def _queries(ctx: CallContext) -> QueryActivities:
    queries: QueryActivities = ctx.sim.queries
    return queries


def find_query(ctx: CallContext, obj: ObjectReader, mid: int) -> QueryDefinition:
    """The definition an object names: ObjectID first, then CustomerKey."""
    object_id, key = obj.text("ObjectID"), obj.text("CustomerKey")
    query = None
    if object_id:
        query = ctx.store.get_query(mid, object_id=object_id)
    elif key:
        query = ctx.store.get_query(mid, customer_key=key)
    else:
        raise MceValidationError(
            ErrorCode.MISSING_PROPERTY, "QueryDefinition ObjectID or CustomerKey is required."
        )
    if query is None:
        raise MceValidationError(
            ErrorCode.NOT_FOUND, f"Query definition {object_id or key} was not found."
        )
    return query


def _target_key(ctx: CallContext, obj: ObjectReader, mid: int) -> str | None:
    """CustomerKey of the DE ``DataExtensionTarget`` names (key, else ObjectID, else Name)."""
    target = obj.child("DataExtensionTarget")
    if target is None:
        return None
    key = target.text("CustomerKey")
    if key:
        return key
    for prop in ("ObjectID", "Name"):
        value = target.text(prop)
        if value:
            if prop == "ObjectID":
                de = ctx.store.get_de(mid, object_id=value)
            else:
                de = ctx.store.get_de(mid, name=value)
            if de is None:
                raise MceValidationError(
                    ErrorCode.NOT_FOUND, f"Target data extension {value} was not found."
                )
            return de.customer_key
    return None


def _check_target_type(obj: ObjectReader) -> None:
    target_type = obj.text("TargetType")
    if target_type and target_type.strip().upper() != "DE":
        raise MceValidationError(
            ErrorCode.INVALID_VALUE, f"TargetType {target_type} is not supported."
        )


def _category(obj: ObjectReader) -> int | None:
    category = obj.integer("CategoryID")
    if category == 0:
        raise MceValidationError(ErrorCode.FOLDER_NOT_FOUND, "The folder with ID 0 was not found.")
    return category


class QueryDefinitionHandler(ObjectHandler):
    object_type = "QueryDefinition"
    operations = frozenset({"Retrieve", "Create", "Update", "Delete"})
    schema = (
        *api_object_header(
            client_id=lambda r: r.query.mid,
            created=lambda r: r.query.created_date,
            modified=lambda r: r.query.modified_date,
            object_id=lambda r: r.query.object_id,
            customer_key=lambda r: r.query.customer_key,
        ),
        Prop("Name", lambda r: r.query.name),
        Prop("Description", lambda r: r.query.description),
        Prop("QueryText", lambda r: r.query.query_text),
        Prop("TargetType", lambda _r: "DE"),
        Prop(
            "DataExtensionTarget",
            children=(
                Prop("PartnerKey", lambda _r: None, always=True, filterable=False),
                Prop("ObjectID", _target("object_id"), always=True),
                Prop("CustomerKey", _target_key_of),
                Prop("Name", _target("name")),
                Prop("Description", _target("description")),
            ),
        ),
        Prop("TargetUpdateType", lambda r: r.query.target_update_type),
        Prop("Status", lambda r: r.query.status),
        Prop("CategoryID", lambda r: r.query.folder_id),
    )

    def candidates(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None = None
    ) -> Iterable[_Row]:
        for mid in mids:
            for query in ctx.store.list_queries(mid):
                yield _Row(query, ctx.store.get_de(mid, customer_key=query.target_key))

    def _echo(self, ctx: CallContext, query: QueryDefinition) -> str:
        return self.echo(_Row(query, ctx.store.get_de(query.mid, customer_key=query.target_key)))

    def create(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            _check_target_type(obj)
            query = _queries(ctx).create(
                mid=mid,
                name=obj.text("Name"),
                query_text=obj.text("QueryText"),
                target_key=_target_key(ctx, obj, mid),
                customer_key=obj.text("CustomerKey") or None,
                target_update_type=obj.text("TargetUpdateType") or "Overwrite",
                folder_id=_category(obj),
                description=obj.text("Description") or "",
            )
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result(
            "QueryDefinition created.", self._echo(ctx, query), new_object_id=query.object_id
        )

    def update(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            query = find_query(ctx, obj, mid)
            _check_target_type(obj)
            # CustomerKey renames only when the ObjectID identifies the definition.
            new_key = obj.text("CustomerKey") if obj.text("ObjectID") else None
            query = _queries(ctx).update(
                query,
                name=obj.text("Name"),
                query_text=obj.text("QueryText"),
                target_key=_target_key(ctx, obj, mid),
                target_update_type=obj.text("TargetUpdateType") or None,
                folder_id=_category(obj),
                description=obj.text("Description"),
                customer_key=new_key or None,
            )
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("QueryDefinition updated.", self._echo(ctx, query))

    def delete(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        try:
            mid = ctx.target_mid(obj.client_id())
            query = find_query(ctx, obj, mid)
            echoed = self._echo(ctx, query)
            _queries(ctx).delete(query)
        except MceValidationError as exc:
            return error_result(exc, obj)
        return ok_result("QueryDefinition deleted.", echoed)


register(QueryDefinitionHandler)
