"""Build per-object results: ``StatusCode`` OK with the stored object, or Error with MCE's
message and ``ErrorCode`` and the request object echoed back (as MCE does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.errors import MceValidationError
from simulator.soap.objects.base import ObjectResult

if TYPE_CHECKING:
    from simulator.soap.objects.reader import ObjectReader

__all__ = ["error_result", "ok_result"]


def ok_result(
    message: str, object_xml: str, *, new_id: int = 0, new_object_id: str | None = None
) -> ObjectResult:
    return ObjectResult(
        status_code="OK",
        status_message=message,
        object_xml=object_xml,
        new_id=new_id,
        new_object_id=new_object_id,
    )


def error_result(exc: MceValidationError, obj: ObjectReader) -> ObjectResult:
    return ObjectResult(
        status_code="Error",
        status_message=exc.message,
        object_xml=obj.echo(),
        error_code=exc.code,
    )
