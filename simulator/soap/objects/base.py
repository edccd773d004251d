"""The object-handler registry: one handler per SOAP ``ObjectType``.

Operations (Retrieve, Create, Update, Delete; Perform in part 2) look handlers up here by the
object type the client named, so a new type plugs in by defining a subclass of
:class:`ObjectHandler` and decorating it with :func:`register`. Object types are case-sensitive,
as in MCE.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from simulator.soap.objects.schema import (
    Getter,
    Prop,
    Renderer,
    compile_renderer,
    echo_paths,
    filterable_getters,
    retrievable_paths,
)

if TYPE_CHECKING:
    from simulator.soap.context import CallContext
    from simulator.soap.filters import Filter
    from simulator.soap.objects.reader import ObjectReader

__all__ = [
    "ObjectHandler",
    "ObjectResult",
    "get_handler",
    "register",
    "registered_types",
]


@dataclass(slots=True)
class ObjectResult:
    """Outcome of creating, updating or deleting one object (one ``Results`` element).

    ``object_xml`` is the complete ``<Object xsi:type=...>`` element echoed back to the client.
    """

    status_code: str
    status_message: str
    object_xml: str
    error_code: int | None = None
    new_id: int = 0
    new_object_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code == "OK"


class ObjectHandler:
    """Base class of a SOAP object type.

    Subclasses set ``object_type`` and ``schema`` (the WSDL sequence with getters) and implement
    :meth:`candidates` and whichever of :meth:`create` / :meth:`update` / :meth:`delete` they
    support, listing them in ``operations``.
    """

    object_type: ClassVar[str]
    schema: ClassVar[tuple[Prop, ...]]
    operations: ClassVar[frozenset[str]] = frozenset({"Retrieve"})

    def __init__(self) -> None:
        self.retrievable: frozenset[str] = retrievable_paths(self.schema)
        self.filter_getters: dict[str, Getter] = filterable_getters(self.schema)
        self.echoed: frozenset[str] = echo_paths(self.schema)
        self._renderers: dict[tuple[frozenset[str], str], Renderer] = {}

    def renderer(self, properties: Iterable[str], *, element: str = "Results") -> Renderer:
        """Cached renderer for a set of requested properties."""
        key = (frozenset(properties), element)
        render = self._renderers.get(key)
        if render is None:
            render = compile_renderer(
                self.schema, key[0], xsi_type=self.object_type, element=element
            )
            if len(self._renderers) < 256:
                self._renderers[key] = render
        return render

    def echo(self, obj: Any) -> str:
        """The stored object as the ``<Object>`` of a create/update/delete result."""
        return self.renderer(self.echoed, element="Object")(obj)

    def candidates(
        self, ctx: CallContext, mids: Sequence[int], flt: Filter | None = None
    ) -> Iterable[Any]:
        """Every object of this type in the BUs ``mids`` that ``flt`` could match.

        ``flt`` is only a hint for narrowing (e.g. by an indexed key); the caller applies the
        full filter to whatever is returned.
        """
        raise NotImplementedError

    def shared_candidates(self, ctx: CallContext, mids: Sequence[int]) -> Iterable[Any]:
        """Objects outside ``mids`` that a ``QueryAllAccounts`` retrieve from them still returns
        (e.g. the parent BU's shared folders); none by default."""
        return ()

    def create(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        raise NotImplementedError

    def update(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        raise NotImplementedError

    def delete(self, ctx: CallContext, obj: ObjectReader) -> ObjectResult:
        raise NotImplementedError


_REGISTRY: dict[str, ObjectHandler] = {}


_H = TypeVar("_H", bound=type[ObjectHandler])


def register(cls: _H) -> _H:
    """Class decorator: make ``cls`` the handler of ``cls.object_type``."""
    _REGISTRY[cls.object_type] = cls()
    return cls


def get_handler(object_type: str) -> ObjectHandler | None:
    return _REGISTRY.get(object_type)


def registered_types() -> list[str]:
    return sorted(_REGISTRY)
