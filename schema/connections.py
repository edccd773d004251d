"""The one way a connection's `pageInfo` is built from a page of cursors.

Every list in the API is a forward-only Relay connection (docs/api.md): a client asks for
`first` items `after` a cursor. `hasPreviousPage` is therefore "was a cursor given", and the
start and end cursors are the page's first and last. Keeping that rule in one function keeps
every connection answering the same way.
"""

from collections.abc import Sequence

from strawberry.relay import PageInfo


def page_info(cursors: Sequence[str], *, has_next_page: bool, after: str | None) -> PageInfo:
    """The `pageInfo` of a forward page holding items with these `cursors`, in order."""
    return PageInfo(
        has_next_page=has_next_page,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
