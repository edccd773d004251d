"""Running one child command with the stack: export the resolved URLs to it, pass SIGTERM and
SIGHUP on, leave Ctrl-C to the child, return its exit status, and stop the embedded servers once
it has ended. This is `python -m app.devstack run`, which `./scripts/dev` and `./scripts/test`
re-enter themselves through.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from app.devstack.messages import say
from app.devstack.profiles import Profile
from app.devstack.stack import DEFAULT_DATA_DIR, DevStack
from app.devstack.urls import redact

__all__ = ["run"]


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


class _Terminated(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    return None


def run(argv: Sequence[str], *, profile: Profile, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Run `argv` with the resolved services exported; stop embedded servers afterwards.

    Signals: SIGTERM/SIGHUP are passed on to the child. SIGINT is swallowed here while the child
    runs, because a terminal's Ctrl-C already reaches the child (same process group) and a
    second copy would cut its own shutdown short.
    """
    child: subprocess.Popen[bytes] | None = None

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if child is None:
            raise _Terminated(signum)
        child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        with DevStack(profile=profile, data_dir=data_dir) as stack:
            env = stack.child_environ()
            for var, service in (("DATABASE_URL", "postgres"), ("REDIS_URL", "redis")):
                say(f"{var}={redact(env[var])} ({stack.resolutions[service].source})")
            # A no-op handler, not SIG_IGN: an ignored signal stays ignored across exec, and a
            # shell child could then not trap Ctrl-C; a handler is reset to default on exec.
            previous_int = signal.signal(signal.SIGINT, _ignore)
            try:
                child = subprocess.Popen(list(argv), env=env)  # noqa: S603
                code = _exit_code(child.wait())
            finally:
                signal.signal(signal.SIGINT, previous_int)
            return code
    except _Terminated as exc:
        return 128 + exc.signum
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        say(f"could not provide the services: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
