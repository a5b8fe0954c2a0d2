"""The command's shell behaviour: help, unknown commands, and a reader that goes away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command() -> None:
    """`retrowalk --help` names each sub-command a user can run."""
    out = subprocess.run(
        [sys.executable, "-m", "retrowalk", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in ("run", "validate", "show", "schema", "scan", "decode", "sessions"):
        assert name in out


def test_unknown_command_exits_2_without_traceback() -> None:
    """A mistyped command is bad input: exit 2 and a usage line, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "retrowalk", "valdate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "invalid choice: 'valdate'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_closed_pipe_is_not_a_crash() -> None:
    """`retrowalk validate workouts/*.yaml | head -1` ends quietly when head exits."""
    files = sorted(str(p) for p in (ROOT / "workouts").glob("*.yaml"))
    proc = subprocess.Popen(
        # Enough output to overflow the pipe buffer, so the writer really meets a closed pipe.
        [sys.executable, "-m", "retrowalk", "validate", *(files * 60)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `head -1` does
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=30) == 0
    assert "Traceback" not in stderr
