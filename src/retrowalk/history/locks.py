"""The lock a live recorder holds on its log: how a reader tells "running" from "killed".

An advisory `flock`: the writer holds it exclusively from creating the log until it closes it,
and the kernel drops it when the process dies, however it dies. Where there are no such locks
(Windows, some network file systems) nothing is ever seen running.
"""

from __future__ import annotations

import contextlib
import sys

if sys.platform == "win32":

    def hold(fd: int) -> None:
        """Take the writer's lock on the open log `fd` (no locks on this platform)."""

    def is_held(fd: int) -> bool:  # noqa: ARG001 - same signature on every platform
        """Return whether a live process holds the lock on the log open as `fd`."""
        return False

else:
    import fcntl

    def hold(fd: int) -> None:
        """Take the writer's lock on the open log `fd` (kept until it is closed)."""
        with contextlib.suppress(OSError):  # a file system without locks: go on without
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def is_held(fd: int) -> bool:
        """Return whether a live process holds the lock on the log open as `fd`."""
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False  # a file system without locks: nobody can be seen writing
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
