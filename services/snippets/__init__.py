"""The snippet library: a user's saved SQL, in nested folders, with history and a trash.

Private to its owner (``SnippetVisibility.PRIVATE``; team sharing is a later issue) and
not tied to a business unit: a user's library is the same in every BU of their tenant.
Every function takes the caller's :class:`~models.TenantContext` (RLS keeps other tenants
out) and the owner's user id (every statement filters by it, so other users' snippets are
NOT_FOUND, exactly like ids that never existed).
"""

from services.snippets.folders import (
    create_folder,
    delete_folder,
    get_folder,
    list_folders,
    move_folder,
    rename_folder,
)
from services.snippets.history import list_versions, restore_version
from services.snippets.library import (
    create_snippet,
    duplicate_snippet,
    get_snippet,
    list_snippets,
    move_snippet,
    update_snippet,
)
from services.snippets.rules import Conflict, FolderCycle, FolderNotEmpty, LimitReached, NameTaken
from services.snippets.trash import (
    delete_snippet,
    list_deleted_snippets,
    purge_expired_trash,
    purge_expired_trash_everywhere,
    restore_snippet,
)
from services.snippets.types import (
    TRASH_RETENTION,
    Edge,
    Page,
    SnippetFolderInfo,
    SnippetInfo,
    SnippetVersionInfo,
)

__all__ = [
    "TRASH_RETENTION",
    "Conflict",
    "Edge",
    "FolderCycle",
    "FolderNotEmpty",
    "LimitReached",
    "NameTaken",
    "Page",
    "SnippetFolderInfo",
    "SnippetInfo",
    "SnippetVersionInfo",
    "create_folder",
    "create_snippet",
    "delete_folder",
    "delete_snippet",
    "duplicate_snippet",
    "get_folder",
    "get_snippet",
    "list_deleted_snippets",
    "list_folders",
    "list_snippets",
    "list_versions",
    "move_folder",
    "move_snippet",
    "purge_expired_trash",
    "purge_expired_trash_everywhere",
    "rename_folder",
    "restore_snippet",
    "restore_version",
    "update_snippet",
]
