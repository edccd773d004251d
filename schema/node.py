"""The Relay ``Node`` interface and ``node(id: ID!)``.

Ids are opaque (:mod:`schema.global_ids`) and carry no tenant: whether one resolves is
decided under the viewer's tenant context by the resolver of its type, so an id of another
tenant, of a BU the viewer cannot see, of another user's snippet, of a type that is not a
node, or junk all resolve to null alike, never to an error that would say the object exists.

Types implementing ``Node`` subclass :class:`Node` (``Folder``, ``DataExtension``,
``QueryActivity`` in schema/metadata.py, ``Snippet`` in schema/snippets.py). strawberry's own
``relay.node()`` is not used: a schema using it can be built only once per process
(../shared/LIBRARIES.md) and it would bring its own id format.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.context import GraphQLContext
from schema.global_ids import decode_global_id

__all__ = ["Node", "NodeQuery"]


@strawberry.interface(description="An object with an opaque, globally unique id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque; do not build or parse it.")


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="The object with this id, or null when there is none you can see (an id"
        " of another account, of a BU you cannot see, or junk all answer null)."
    )
    async def node(self, info: Info[GraphQLContext, None], id: strawberry.ID) -> Node | None:
        # Imported here: the node types' modules import this one for the interface.
        from schema.metadata import metadata_node
        from schema.snippets import Snippet

        decoded = decode_global_id(str(id))
        if decoded is None:
            info.context.authentication.require_principal()
            return None
        type_name, local_id = decoded
        if type_name == "Snippet":
            from resolvers.snippets import snippet_node

            snippet = await snippet_node(info.context.authentication, local_id)
            return None if snippet is None else Snippet.from_domain(snippet)
        if type_name == "Deployment":
            from resolvers.deployments import deployment_node
            from schema.deployments import deployment_from_domain

            deployment = await deployment_node(info.context.authentication, local_id)
            return None if deployment is None else deployment_from_domain(deployment)
        if type_name == "Run":
            from resolvers.runs import run_node
            from schema.runs import run_from_domain

            run = await run_node(info.context.authentication, local_id)
            return None if run is None else run_from_domain(run)
        return await metadata_node(info, type_name, local_id)
