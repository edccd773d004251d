"""Describe an object type's properties once; derive validation, filters and rendering from it.

A schema is the WSDL's element sequence for the type (order matters: strict clients such as zeep
and .NET read elements in sequence order), each leaf with a getter that reads the value from a
stored model object. From it:

* ``retrievable_paths`` / ``filterable_paths`` validate ``Properties`` and filter properties;
* ``compile_renderer`` turns the requested properties into a fast function producing one
  ``<Results xsi:type="...">`` element per object (about 10 microseconds per DataExtensionField).

``always`` leaves are written even when not requested, as MCE does for ``PartnerKey`` and
``ObjectID`` on every APIObject: ``xsi:nil="true"`` unless requested and set (MCE answers
``<ObjectID xsi:nil="true" />`` for a DE whose ObjectID was not asked for).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.soap.serialize import format_value

__all__ = [
    "Getter",
    "Prop",
    "Renderer",
    "api_object_header",
    "compile_renderer",
    "echo_paths",
    "filterable_getters",
    "retrievable_paths",
]

Getter = Callable[[Any], Any]
Renderer = Callable[[Any], str]


@dataclass(frozen=True, slots=True)
class Prop:
    """One element of a type's sequence.

    A leaf has ``get``; a nested element (``Client``, ``ParentFolder``, ``DataExtension``) has
    ``children`` and is written when any of its children is requested.
    """

    name: str
    get: Getter | None = None
    children: tuple[Prop, ...] = ()
    always: bool = False
    retrievable: bool = True
    filterable: bool = True
    xml: Renderer | None = None  # writes the whole element (e.g. a DE's Fields in echoes)
    required: bool = False  # minOccurs=1 in the WSDL: the value is written even if not requested
    #: For a nested element: whether the object has one at all (else the element is omitted,
    #: as MCE omits a null object, e.g. a non-sendable DE's ``SendableDataExtensionField``).
    present: Getter | None = None


def api_object_header(
    *,
    client_id: Getter | None = None,
    created: Getter | None = None,
    modified: Getter | None = None,
    id_: Getter | None = None,
    object_id: Getter | None = None,
    customer_key: Getter | None = None,
) -> tuple[Prop, ...]:
    """The APIObject base sequence (Client .. CustomerKey) with the getters a type supports."""
    props: list[Prop] = []
    if client_id is not None:
        props.append(Prop("Client", children=(Prop("ID", client_id),)))
    props.append(Prop("PartnerKey", lambda _obj: None, always=True, filterable=False))
    if created is not None:
        props.append(Prop("CreatedDate", created))
    if modified is not None:
        props.append(Prop("ModifiedDate", modified))
    if id_ is not None:
        props.append(Prop("ID", id_))
    props.append(Prop("ObjectID", object_id or (lambda _obj: None), always=True))
    if customer_key is not None:
        props.append(Prop("CustomerKey", customer_key))
    return tuple(props)


def _walk(schema: Iterable[Prop], prefix: str = "") -> Iterable[tuple[str, Prop]]:
    for prop in schema:
        path = f"{prefix}{prop.name}"
        if prop.children:
            yield from _walk(prop.children, f"{path}.")
        else:
            yield path, prop


def retrievable_paths(schema: Iterable[Prop]) -> frozenset[str]:
    """Property paths a Retrieve may ask for."""
    return frozenset(
        path for path, prop in _walk(schema) if prop.retrievable and prop.get is not None
    )


def echo_paths(schema: Iterable[Prop]) -> frozenset[str]:
    """Every path written when an object is echoed in a create/update/delete result."""
    return frozenset(path for path, prop in _walk(schema) if prop.get or prop.xml)


def filterable_getters(schema: Iterable[Prop]) -> dict[str, Getter]:
    """Getter of every property a filter may use."""
    return {
        path: prop.get for path, prop in _walk(schema) if prop.filterable and prop.get is not None
    }


def _leaf_step(name: str, get: Getter, mode: str) -> Callable[[Any, list[str]], None]:
    """``mode``: ``value`` (write if not None), ``nil`` (always nil), ``value_or_nil``."""
    open_tag, close_tag, nil_tag = f"<{name}>", f"</{name}>", f'<{name} xsi:nil="true" />'

    if mode == "nil":

        def step(obj: Any, out: list[str]) -> None:
            out.append(nil_tag)

    elif mode == "value_or_nil":

        def step(obj: Any, out: list[str]) -> None:
            value = get(obj)
            if value is None:
                out.append(nil_tag)
            else:
                out.append(f"{open_tag}{format_value(value)}{close_tag}")

    else:

        def step(obj: Any, out: list[str]) -> None:
            value = get(obj)
            if value is not None:
                out.append(f"{open_tag}{format_value(value)}{close_tag}")

    return step


def _xml_step(xml: Renderer) -> Callable[[Any, list[str]], None]:
    def step(obj: Any, out: list[str]) -> None:
        out.append(xml(obj))

    return step


def _compile_steps(
    schema: Sequence[Prop], requested: frozenset[str], prefix: str
) -> list[Callable[[Any, list[str]], None]]:
    steps: list[Callable[[Any, list[str]], None]] = []
    for prop in schema:
        path = f"{prefix}{prop.name}"
        if prop.children:
            if not any(r.startswith(f"{path}.") for r in requested):
                continue
            inner = _compile_steps(prop.children, requested, f"{path}.")
            open_tag, close_tag = f"<{prop.name}>", f"</{prop.name}>"

            def nested(
                obj: Any,
                out: list[str],
                inner: list[Callable[[Any, list[str]], None]] = inner,
                open_tag: str = open_tag,
                close_tag: str = close_tag,
                present: Getter | None = prop.present,
            ) -> None:
                if present is not None and not present(obj):
                    return
                out.append(open_tag)
                for step in inner:
                    step(obj, out)
                out.append(close_tag)

            steps.append(nested)
        elif prop.xml is not None:
            if path in requested:
                steps.append(_xml_step(prop.xml))
        elif prop.get is not None and (path in requested or prop.required):
            steps.append(
                _leaf_step(prop.name, prop.get, "value_or_nil" if prop.always else "value")
            )
        elif prop.get is not None and prop.always:
            steps.append(_leaf_step(prop.name, prop.get, "nil"))
    return steps


def compile_renderer(
    schema: Sequence[Prop], requested: Iterable[str], *, xsi_type: str, element: str = "Results"
) -> Renderer:
    """A function rendering one object as ``<element xsi:type="xsi_type">`` with ``requested``.

    Properties are written in schema (WSDL) order whatever order they were requested in.
    """
    steps = _compile_steps(schema, frozenset(requested), "")
    head, tail = f'<{element} xsi:type="{xsi_type}">', f"</{element}>"

    def render(obj: Any) -> str:
        out = [head]
        for step in steps:
            step(obj, out)
        out.append(tail)
        return "".join(out)

    return render
