"""Whether a process still runs, and waiting for one to go: shared by the embedded servers (which
stop their daemon by pid) and the holder lists (which drop the pids of runs that died).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

__all__ = ["STOP_TIMEOUT_S", "pid_alive", "wait_gone"]

STOP_TIMEOUT_S = 15.0


def pid_alive(pid: int) -> bool:
    """True while `pid` runs. A zombie counts as gone: daemonized servers are reaped by pid 1,
    which in containers can take over a second after the process has exited."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        # /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces, so split after ")".
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it happens to be our child
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)
