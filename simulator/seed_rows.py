"""The seed's DE rows, generated once per process and copied into every simulator built.

Why: generating a seed's ~15,000 rows in Python and loading them through CSV took ~0.9 s of a
simulator's ~1 s build, and the tests build hundreds of simulators. The rows depend only on
what makes them (the row function, the count, the salt: seed, BU and DE) and on the DE's
columns, so the first build in a process loads them as it always did
(:meth:`RowStore.bulk_load`) and saves the table as a Parquet file; every later build reads
that file into a table of its own (:meth:`RowStore.load_parquet`, a few milliseconds).

Isolation: each simulator still owns its DuckDB database; a file is written once (under a
temporary name, then renamed) and only ever read afterwards, so a simulator writing rows can
never change another's. The files live in a temporary directory of this process, removed when
it exits (or by the next process to start saving, if it was killed); a missing file is
generated again.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from simulator.model import DataExtension
from simulator.rows import RowStore, duckdb_type

__all__ = ["clear_seed_rows", "load_seed_rows"]

_PREFIX = "quarry-sim-rows-"
#: In each directory: the file its process holds locked (flock) while it lives.
_OWNER = "owner.lock"
_lock = threading.Lock()
_files: dict[str, str] = {}
_directory: str | None = None
_owner: int | None = None


def load_seed_rows(
    rows: RowStore,
    de: DataExtension,
    *,
    key: str,
    make_rows: Callable[[], Sequence[Mapping[str, Any]]],
) -> None:
    """Append the rows ``make_rows()`` returns to ``de``'s table.

    ``key`` names everything the rows depend on apart from the DE's columns (which are added
    to it here): the same key must always make the same rows. ``make_rows`` is called only the
    first time this process loads a key for these columns.
    """
    name = _file_name(key, de)
    with _lock:
        path = _files.get(name)
    if path is not None and os.path.exists(path):
        rows.load_parquet(de, path)
        return
    rows.bulk_load(de, make_rows())
    path = os.path.join(_cache_directory(), name)
    partial = f"{path}.{threading.get_ident()}.partial"
    rows.save_parquet(de, partial)
    os.replace(partial, path)  # whole or absent, for a build in another thread
    with _lock:
        _files[name] = path


def clear_seed_rows() -> None:
    """Forget (and delete) every saved file: the next builds generate their rows again."""
    global _directory, _owner
    with _lock:
        directory, _directory = _directory, None
        owner, _owner = _owner, None
        _files.clear()
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
    if owner is not None:
        os.close(owner)


def _file_name(key: str, de: DataExtension) -> str:
    columns = [(f.name, duckdb_type(f)) for f in de.fields]
    digest = hashlib.sha256(repr((key, columns)).encode()).hexdigest()
    return f"{digest[:32]}.parquet"


def _cache_directory() -> str:
    global _directory, _owner
    with _lock:
        if _directory is None or not os.path.isdir(_directory):
            _remove_orphans()
            _directory, _owner = _claim_directory()
            atexit.register(shutil.rmtree, _directory, ignore_errors=True)
        return _directory


def _claim_directory() -> tuple[str, int]:
    """A new directory and its owner file, locked for as long as this process lives: made
    under a name the orphan sweep skips and renamed once locked, so no sweep sees it unlocked."""
    staging = tempfile.mkdtemp(prefix=f".{_PREFIX}")
    owner = os.open(os.path.join(staging, _OWNER), os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(owner, fcntl.LOCK_EX)
    directory = os.path.join(os.path.dirname(staging), os.path.basename(staging)[1:])
    os.rename(staging, directory)
    return directory, owner


def _remove_orphans() -> None:
    """Remove the directories whose process is gone (a SIGTERM skips ``atexit``): their owner
    file is no longer locked."""
    parent = tempfile.gettempdir()
    for name in os.listdir(parent):
        if not name.startswith(_PREFIX):
            continue
        try:
            owner = os.open(os.path.join(parent, name, _OWNER), os.O_RDWR)
        except OSError:
            continue  # not a directory of this module's (or already being removed)
        try:
            fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # its process is alive
        finally:
            os.close(owner)
        shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
