"""The command's shell behaviour: help, version, unknown commands, and a reader that goes away."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from retrowalk import __version__
from retrowalk.cli.main import COMMANDS, build_parser, main
from retrowalk.errors import EXIT_INTERRUPTED

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "src" / "retrowalk" / "cli"


def _listed(help_text: str) -> dict[str, str]:
    """Return the command lines of `retrowalk --help`: name -> help."""
    block = help_text.split("COMMAND\n", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(None, 1) for line in block.splitlines() if line.strip()]
    return {name: text.strip() for name, text in rows}


def test_help_lists_every_command_with_its_own_words(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk --help` names exactly the commands there are, each with its module's help."""
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    shown = _listed(capsys.readouterr().out)
    assert list(shown) == list(COMMANDS)
    assert shown == _listed(build_parser().format_help())  # every module loaded: same words


def test_every_command_module_is_a_command() -> None:
    """Each cli/cmd_NAME.py is reachable as `retrowalk NAME`: none is silently left out."""
    modules = sorted(p.stem.removeprefix("cmd_") for p in CLI.glob("cmd_*.py"))
    assert modules == sorted(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_has_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk NAME --help` shows that command's own usage and exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: retrowalk {name}")


def test_help_loads_no_command_module() -> None:
    """`retrowalk --help` imports no sub-command (nor asyncio, pydantic, package metadata)."""
    probe = (
        "import sys\n"
        "from retrowalk.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.startswith('retrowalk.cli.cmd_')\n"
        "         or m in {'asyncio', 'pydantic', 'importlib.metadata'}]\n"
        "print(heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stderr.strip() == "[]"


def test_version_is_the_installed_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk --version` prints the version the package was installed as."""
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"retrowalk {__version__}"
    assert __version__ == importlib.metadata.version("retrowalk")


def test_unknown_command_exits_2_without_traceback() -> None:
    """A mistyped command is bad input: exit 2 and a usage line, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "retrowalk", "valdate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "'valdate'" in proc.stderr
    assert "validate" in proc.stderr  # the commands there are
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


def test_library_lists_every_bundled_workout(capsys: pytest.CaptureFixture[str]) -> None:
    """`retrowalk library`: one row per bundled workout with profile, time and backward time."""
    assert main(["library"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["WORKOUT", "PROFILE", "TIME", "BACKWARD", "TITLE"]
    rows = {line.split()[0]: line.split()[1:4] for line in lines[1:]}
    assert sorted(rows) == sorted(p.stem for p in (ROOT / "workouts").glob("*.yaml"))
    assert rows["retro-intro"] == ["beginner", "24:30", "6:00"]  # the README's table
    assert rows["retro-hill-20"] == ["advanced", "33:48", "20:00"]


def test_ctrl_c_while_a_command_is_still_loading_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C in the first moments, while `run`'s modules are imported: 130, no traceback."""

    def interrupted(name: str) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib, "import_module", interrupted)
    assert main(["run", "retro-intro", "--sim"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "retrowalk: interrupted\n"
