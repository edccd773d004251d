"""Sharing an embedded server between concurrent runs (a dev stack and a test run at once): each
server has a list of the pids of the runs using it, `<data_dir>/run/<server>.json`, changed only
under an flock. A run adds itself after the start and removes itself on exit; the last one out
stops the server, so a test run never pulls it from under a running dev stack.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path

from app.devstack.processes import pid_alive

__all__ = ["Holders"]


class Holders:
    """Pids of the runs using one embedded server, in a JSON file guarded by flock.

    Dead pids (a run killed with SIGKILL) are dropped on every access, so a crash leaks a server
    only until the next run's end.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, data_dir: Path, server_name: str) -> Holders:
        """The holder list of the embedded server `server_name` under `data_dir`."""
        return cls(data_dir / "run" / f"{server_name}.json")

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[int]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                pids = [p for p in self._read() if pid_alive(p)]
                yield pids
                self.path.write_text(json.dumps(sorted(set(pids))))
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> list[int]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return []
        return [int(p) for p in data] if isinstance(data, list) else []
