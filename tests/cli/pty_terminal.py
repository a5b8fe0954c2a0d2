"""`retrowalk` in a pseudo-terminal of its own, as the screen app meets a person's terminal.

`Terminal(data_dir, args)` starts `python -m retrowalk ARGS` with a 100x30 pty as its stdin,
stdout and (unless `stderr` is given) stderr, in a session of its own: the pty is not its
controlling terminal, so closing it sends no hang-up unless the test sends one. The test reads
what is drawn (`wait_for`, `letters`), types keys (`type`), waits for a session log to hold a
line (`wait_for_log`, reading the screen meanwhile: a terminal nobody reads blocks the app),
closes the window (`close`) and collects the exit code (`exit_code`).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from typing import IO, TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

ENTER_SCREEN = b"\x1b[?1049h"  # the app takes the terminal's whole screen
LEAVE_SCREEN = b"\x1b[?1049l"  # the terminal's own screen back: the app has ended
ROWS, COLUMNS = 30, 100


class Terminal:
    """One `retrowalk` child on a pseudo-terminal: read what it draws, type keys."""

    def __init__(
        self,
        data_dir: Path,
        args: list[str],
        *,
        stdin: int | IO[bytes] | None = None,
        stderr: IO[bytes] | None = None,
        term: str = "xterm-256color",
    ) -> None:
        self.data = data_dir
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        env = {
            **os.environ,
            "RETROWALK_DATA_DIR": str(data_dir),
            "RETROWALK_CONFIG": os.devnull,
            "TERM": term,
        }
        self.child = subprocess.Popen(
            [sys.executable, "-m", "retrowalk", *args],
            env=env,
            stdin=slave if stdin is None else stdin,
            stdout=slave,
            stderr=slave if stderr is None else stderr,
            start_new_session=True,
        )
        os.close(slave)
        self.master: int | None = master
        self.seen = b""

    @property
    def sessions(self) -> Path:
        """Return the folder the child writes its session logs to."""
        return self.data / "sessions"

    def read(self, timeout_s: float) -> bool:
        """Read what is drawn within `timeout_s`; return False once the terminal has closed."""
        if self.master is None:
            return False
        if not select.select([self.master], [], [], timeout_s)[0]:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child has gone and closed its side
            return False
        self.seen += chunk
        return bool(chunk)

    def letters(self) -> bytes:
        """Return the letters drawn so far (the screen puts cursor moves between words)."""
        return re.sub(rb"\x1b\[[0-9;?<]*[A-Za-z]|[^A-Za-z]", b"", self.seen)

    def wait_for(self, *words: bytes, deadline_s: float = 30.0) -> None:
        """Read until every one of `words` has been drawn (fails if the run ends first)."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if all(word in self.letters() for word in words):
                return
            if not self.read(0.1):
                break
        pytest.fail(f"never drawn: {words!r}; the end of the output: {self.seen[-400:]!r}")

    def wait_for_log(self, text: str, deadline_s: float = 30.0) -> None:
        """Keep reading the screen until a session log holds `text` (fails after the deadline)."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if any(text in log.read_text() for log in self.sessions.glob("*.jsonl")):
                return
            if not self.read(0.1):  # the window is closed: wait for the log alone
                if self.child.poll() is not None:
                    break
                time.sleep(0.1)
        pytest.fail(f"no session log in {self.sessions} came to hold {text!r}")

    def type(self, keys: bytes) -> None:
        """Type `keys` at the terminal."""
        assert self.master is not None
        os.write(self.master, keys)

    def close(self) -> None:
        """Close the terminal window (the child's side stays open until it writes or exits)."""
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def exit_code(self, deadline_s: float = 30.0) -> int:
        """Read to the end (while the window is open) and return the exit code."""
        end = time.monotonic() + deadline_s
        while time.monotonic() < end and self.read(0.1) and self.child.poll() is None:
            pass
        while time.monotonic() < end and self.read(0.2):  # what it wrote on its way out
            pass
        try:
            return self.child.wait(timeout=max(0.1, end - time.monotonic()))
        finally:
            self.child.kill()
            self.close()

    def after_screen(self) -> str:
        """Return what was written after the app gave the terminal back."""
        assert LEAVE_SCREEN in self.seen, "the app never gave the terminal back"
        return self.seen.rsplit(LEAVE_SCREEN, 1)[1].decode(errors="replace")
