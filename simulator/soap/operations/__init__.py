"""SOAP operations the simulator answers, keyed by operation name.

Each entry knows how to name the object type a request is about (for ``sim.stats`` and fault
rules, ``soap.<Operation>.<ObjectType>``) and how to produce the response body. Operations the
WSDL defines but the simulator does not implement are answered with a client fault by the
endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from lxml import etree

from simulator.soap.operations.crud import first_object_type, run_crud
from simulator.soap.operations.perform import perform_object_type, run_perform
from simulator.soap.operations.retrieve import retrieve_object_type, run_retrieve

if TYPE_CHECKING:
    from simulator.soap.context import CallContext

__all__ = ["OPERATIONS", "Operation"]


@dataclass(frozen=True, slots=True)
class Operation:
    """One SOAP operation: ``object_type(sim, body)`` and ``run(ctx, body) -> body XML``."""

    name: str
    object_type: Callable[[Any, etree._Element], str]
    run: Callable[[CallContext, etree._Element], str]

    @property
    def response_action(self) -> str:
        return f"{self.name}Response"


def _crud_type(_sim: Any, body: etree._Element) -> str:
    return first_object_type(body)


OPERATIONS: dict[str, Operation] = {
    "Retrieve": Operation("Retrieve", retrieve_object_type, run_retrieve),
    "Create": Operation("Create", _crud_type, partial(run_crud, operation="Create")),
    "Update": Operation("Update", _crud_type, partial(run_crud, operation="Update")),
    "Delete": Operation("Delete", _crud_type, partial(run_crud, operation="Delete")),
    "Perform": Operation("Perform", perform_object_type, run_perform),
}
