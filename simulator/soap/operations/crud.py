"""``Create``, ``Update`` and ``Delete``: one result per request object.

Each ``Objects`` element is dispatched on its ``xsi:type`` to the registered handler. Results
keep request order (``OrdinalID`` 0..n-1); ``OverallStatus`` is ``OK`` when every object
succeeded, ``Error`` when none did and ``Has Errors`` otherwise (REFERENCE.md §2.3, §2.5). An
object without ``xsi:type`` gets MCE's "Requested value 'APIObject' was not found." error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lxml import etree

from simulator.soap.envelope import SoapClientError
from simulator.soap.namespaces import PARTNER_NS
from simulator.soap.objects import ObjectResult, get_handler
from simulator.soap.objects.reader import ObjectReader
from simulator.soap.serialize import escape, new_request_id, partner_element

if TYPE_CHECKING:
    from simulator.soap.context import CallContext

__all__ = ["RESPONSE_ELEMENT", "first_object_type", "run_crud"]

_P = f"{{{PARTNER_NS}}}"

#: Response element per operation.
RESPONSE_ELEMENT = {
    "Create": "CreateResponse",
    "Update": "UpdateResponse",
    "Delete": "DeleteResponse",
}


def _objects(body: etree._Element) -> list[ObjectReader]:
    objects = [ObjectReader(el) for el in body.findall(f"{_P}Objects")]
    if not objects:
        raise SoapClientError(
            f"{etree.QName(body).localname} requires at least one Objects element."
        )
    return objects


def first_object_type(body: etree._Element) -> str:
    """Object type of the first object (names the operation for fault rules and stats)."""
    first = body.find(f"{_P}Objects")
    if first is None:
        return "Unknown"
    return ObjectReader(first).xsi_type or "APIObject"


def _unsupported(obj: ObjectReader, operation: str) -> ObjectResult:
    kind = obj.xsi_type
    if kind is None:
        message = "Requested value 'APIObject' was not found."
    elif get_handler(kind) is None:
        message = (
            f"Unable to find a handler for object type: {kind}. "
            "Object types are case-sensitive, check spelling."
        )
    else:
        message = f"{operation} is not supported for object type {kind}."
    return ObjectResult(status_code="Error", status_message=message, object_xml=obj.echo())


def _result_xml(operation: str, ordinal: int, result: ObjectResult) -> str:
    parts = [
        "<Results>",
        f"<StatusCode>{result.status_code}</StatusCode>",
        f"<StatusMessage>{escape(result.status_message)}</StatusMessage>",
        f"<OrdinalID>{ordinal}</OrdinalID>",
    ]
    if result.error_code is not None:
        parts.append(f"<ErrorCode>{result.error_code}</ErrorCode>")
    if operation == "Create":
        parts.append(f"<NewID>{result.new_id}</NewID>")
        if result.new_object_id:
            parts.append(f"<NewObjectID>{escape(result.new_object_id)}</NewObjectID>")
    parts.append(result.object_xml)
    parts.append("</Results>")
    return "".join(parts)


def overall_status(results: list[ObjectResult]) -> str:
    ok = sum(1 for r in results if r.ok)
    if ok == len(results):
        return "OK"
    if ok == 0:
        return "Error"
    return "Has Errors"


def run_crud(ctx: CallContext, body: etree._Element, *, operation: str) -> str:
    """Answer a Create/Update/Delete request with its response body element."""
    results: list[ObjectResult] = []
    options = body.find(f"{_P}Options")
    if options is not None:
        client = ObjectReader(options).client_id()
        if client is not None:
            ctx = replace(ctx, options_client=client)
    for obj in _objects(body):
        handler = get_handler(obj.xsi_type or "")
        if ctx.denied is not None:
            results.append(
                ObjectResult(status_code="Error", status_message=ctx.denied, object_xml=obj.echo())
            )
        elif handler is None or operation not in handler.operations:
            results.append(_unsupported(obj, operation))
        elif operation == "Create":
            results.append(handler.create(ctx, obj))
        elif operation == "Update":
            results.append(handler.update(ctx, obj))
        else:
            results.append(handler.delete(ctx, obj))
    inner = "".join(_result_xml(operation, i, r) for i, r in enumerate(results))
    inner += f"<RequestID>{new_request_id()}</RequestID>"
    inner += f"<OverallStatus>{overall_status(results)}</OverallStatus>"
    return partner_element(RESPONSE_ELEMENT[operation], inner)
