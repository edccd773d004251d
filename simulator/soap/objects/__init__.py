"""SOAP object types. Importing this package registers every handler."""

from __future__ import annotations

from simulator.soap.objects import (  # noqa: F401 - imported for registration
    async_activity_status,
    business_unit,
    data_extension,
    data_extension_field,
    data_folder,
    query_definition,
)
from simulator.soap.objects.base import (
    ObjectHandler,
    ObjectResult,
    get_handler,
    register,
    registered_types,
)

__all__ = ["ObjectHandler", "ObjectResult", "get_handler", "register", "registered_types"]
