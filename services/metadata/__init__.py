"""MCE metadata: the per-BU cache of folders, DEs, fields, query activities and automations,
its sync (full, incremental, shared DEs via the parent, lazy loading), progress, the
scheduler, and (Helper M2's part) search and reads for GraphQL.

Modules: :mod:`.assets` (Quarry's own MCE asset names, other tools' leftovers),
:mod:`.progress` (SyncProgress, ``current``, ``watch``), :mod:`.sync` (``request_sync``,
``run_sync``, lazy loading), :mod:`.scheduler` (one scheduler per deployment).
"""
