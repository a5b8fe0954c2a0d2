"""`retrowalk sessions` and the console printer."""

from __future__ import annotations

import io
import json
import os
from typing import TYPE_CHECKING

from retrowalk.cli.console import (
    RunSummary,
    format_event,
    format_summary,
    print_events,
    read_commands,
)
from retrowalk.cli.main import main
from retrowalk.engine import events as ev
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _write(path: Path, *lines: dict[str, object], tail: str = "") -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + tail)


def _header(name: str, started: str, *, simulated: bool = False) -> dict[str, object]:
    return {"kind": "header", "started": started, "workout": {"name": name}} | {
        "device": {"simulated": simulated}
    }


def test_sessions_lists_each_way_a_session_can_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finished, aborted and killed sessions get one line each; junk is skipped and named."""
    _write(
        tmp_path / "1.jsonl",
        _header("Retro Intro", "2026-03-01T09:00:00+00:00"),
        {"kind": "summary", "ended": "finished", "elapsed_s": 1800, "distance_m": 2450.4}
        | {"energy_kcal": 151.2, "reason": None, "backward_s": 600},
    )
    _write(
        tmp_path / "2.jsonl",
        _header("Hill Retro", "2026-03-02T09:00:00+00:00", simulated=True),
        {"kind": "summary", "ended": "aborted", "reason": "emergency stop", "elapsed_s": 65}
        | {"distance_m": 80, "energy_kcal": 5},
    )
    _write(
        tmp_path / "3.jsonl",
        _header("Killed", "2026-03-03T09:00:00+00:00"),
        {"kind": "sample", "t": 3725, "workout_elapsed_s": 3725, "distance_m": 3100}
        | {"energy_kcal": 200},
        tail='{"kind": "sample", "workout_el',
    )
    (tmp_path / "4.jsonl").write_bytes(b"\x00\xffgarbage")
    assert main(["sessions", "--dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert len(out) == 3
    assert out[0].startswith("2026-03-01 09:00  Retro Intro")
    assert "30:00" in out[0]
    assert "2.45 km" in out[0]
    assert "151 kcal" in out[0]
    assert "10:00 back" in out[0]
    assert " real " in out[0]
    assert "finished" in out[0]
    assert " sim " in out[1]
    assert "aborted (emergency stop)" in out[1]
    assert "1:02:05" in out[2]
    assert "incomplete (killed)" in out[2]
    assert f"retrowalk: skipped {tmp_path / '4.jsonl'}:1: not a session log line" in captured.err


def test_a_refused_run_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A multi-line reason (a plan that does not fit) shows as its first line, shortened."""
    reason = "error: the workout 'Bench Hour' does not fit CITYSPORTS-Linker:\n" + "\n".join(
        f"  step {i} (forward): incline 2 % does not fit" for i in range(10)
    )
    _write(
        tmp_path / "refused.jsonl",
        _header("Bench Hour", "2026-03-01T09:00:00+00:00"),
        {"kind": "summary", "ended": "aborted", "reason": reason, "elapsed_s": 0}
        | {"distance_m": 0, "energy_kcal": 0, "backward_s": 0},
    )
    assert main(["sessions", "--dir", str(tmp_path)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert "aborted (error: the workout 'Bench Hour' does not fit CITYSPORTS-Linker ...)" in line


def test_a_file_name_cannot_break_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newline or escape code in a file name is shown escaped, never printed raw."""
    _write(
        tmp_path / "a\nb\x1b[2J.jsonl",
        _header("X", "2026-03-01T09:00:00+00:00"),
        {"kind": "summary", "ended": "finished", "elapsed_s": 60},
    )
    assert main(["sessions", "--dir", str(tmp_path)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.endswith("a\\nb\\x1b[2J.jsonl")


def _history(folder: Path) -> None:
    days = [("2026-02-23", False, 30), ("2026-02-26", True, 20), ("2026-03-02", False, 25)]
    for day, simulated, minutes in days:
        _write(
            folder / f"{day}.jsonl",
            _header(f"Walk {day}", f"{day}T07:00:00+01:00", simulated=simulated),
            {"kind": "summary", "ended": "finished", "elapsed_s": minutes * 60}
            | {"distance_m": minutes * 60, "energy_kcal": minutes * 6, "backward_s": minutes * 20},
        )


def test_real_since_week_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--real hides simulated runs, --since starts at a date, --week totals, --json for tools."""
    _history(tmp_path)
    folder = ["--dir", str(tmp_path)]
    assert main(["sessions", *folder, "--real"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1].strip() for line in out] == ["Walk 2026-02-23", "Walk 2026-03-02"]
    assert main(["sessions", *folder, "--since", "2026-02-26"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["sessions", *folder, "--week"]) == 0
    weeks = capsys.readouterr().out.splitlines()
    assert weeks[0].split() == [
        "2026-W09",
        "2",
        "sessions",
        "50:00",
        "16:40",
        "back",
        "3.00",
        "km",
        "300",
        "kcal",
    ]
    assert weeks[1].split()[:2] == ["2026-W10", "1"]
    assert main(["sessions", *folder, "--week", "--real", "--json"]) == 0
    assert [w["minutes"] for w in json.loads(capsys.readouterr().out)] == [30.0, 25.0]
    assert main(["sessions", *folder, "--json", "--since", "2026-03-01"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert entry["workout"] == "Walk 2026-03-02"
    assert entry["path"] == str(tmp_path / "2026-03-02.jsonl")
    assert entry["simulated"] is False
    assert entry["backward_s"] == 500


def test_sessions_in_imperial_units(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--units imperial (or units in config.toml) lists miles; --json stays in metres."""
    _history(tmp_path)
    folder = ["--dir", str(tmp_path)]
    assert main(["sessions", *folder, "--week", "--units", "imperial"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[6:8] == ["1.86", "mi"]  # 3.00 km
    config = tmp_path / "config.toml"
    config.write_text('units = "imperial"\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["sessions", *folder, "--real"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(" mi " in line or " ft " in line for line in lines), lines
    assert main(["sessions", *folder, "--real", "--units", "metric"]) == 0
    assert all(" km " in line or " m " in line for line in capsys.readouterr().out.splitlines())
    assert main(["sessions", *folder, "--json", "--since", "2026-03-01"]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert "distance_m" in entry


def test_a_bad_since_date_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--since that is not a date: exit 2, naming the value and the form."""
    assert main(["sessions", "--dir", str(tmp_path), "--since", "last tuesday"]) == 2
    assert "--since 'last tuesday' is not a date; write YYYY-MM-DD" in capsys.readouterr().err


def test_sessions_in_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No sessions yet: a sentence, exit 0; --json prints an empty list."""
    assert main(["sessions", "--dir", str(tmp_path / "none")]) == 0
    assert "no sessions recorded" in capsys.readouterr().out
    assert main(["sessions", "--dir", str(tmp_path / "none"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


async def test_console_prints_a_line_per_event_and_one_countdown_per_change() -> None:
    """Snapshots are silent; a countdown is printed once per change, not every second."""
    bus = Bus()
    channel = bus.subscribe("console")
    for seconds in (3, 2, 1):
        bus.publish(
            ev.ChangeAhead(
                t=57.0 + 3 - seconds,
                seconds=seconds,
                next_index=1,
                next_direction=Direction.BACKWARD,
                next_speed_kmh=3.0,
                next_incline_pct=0,
                turn=True,
            )
        )
    bus.publish(
        ev.Hold(t=75.0, cause=ev.HoldCause.SAFETY_KEY, detail="key out", advice="put it back")
    )
    bus.close()
    out = io.StringIO()
    await print_events(channel, out)
    lines = out.getvalue().splitlines()
    assert lines == [
        "    0:57  in 3 s: turn around, then backward at 3.0 km/h",
        "    1:15  HOLD (safety_key): key out. put it back",
    ]


def test_every_event_type_has_a_line() -> None:
    """Each event class formats to text in verbose mode (no class falls through)."""
    finished = ev.Finished(
        t=1, elapsed_s=61, distance_m=10, energy_kcal=1, steps_completed=1, steps_skipped=0,
        belt_stopped=True,
    )  # fmt: skip
    assert format_event(finished) == "FINISHED in 1:01: 10 m, 1 kcal"
    assert (
        format_event(ev.Notice(t=0, message="clamped 9.0 to 8.0")) == "warning: clamped 9.0 to 8.0"
    )


def test_summary_names_the_session_log(tmp_path: Path) -> None:
    """The end-of-run summary says how it ended and where the log is."""
    text = format_summary(
        RunSummary(
            workout="Retro Intro", ended="aborted", reason="interrupted", elapsed_s=75,
            distance_m=90.4, energy_kcal=6.2, steps_done=2, steps_total=9, turns=1,
            belt_stopped=True, session_log=tmp_path / "s.jsonl",
        )
    )  # fmt: skip
    assert text.splitlines()[0] == "Retro Intro: aborted: interrupted"
    assert "1:15" in text
    assert "2/9, 1 turn(s)" in text
    assert str(tmp_path / "s.jsonl") in text


async def test_plain_line_commands_reach_the_engine_as_keyboard_commands() -> None:
    """Enter confirms, letters map to commands, an unknown word gets the key list."""
    read_fd, write_fd = os.pipe()
    sent: list[Command] = []

    async def submit(command: Command) -> CommandResult:
        sent.append(command)
        return CommandResult(command, accepted=command.kind != CommandKind.SKIP, reason="last")

    os.write(write_fd, b"\np\nzz\n+\nn\ns\n")
    os.close(write_fd)
    out = io.StringIO()
    try:
        await read_commands(submit, read_fd, out)
    finally:
        os.close(read_fd)
    assert [(c.kind, c.value) for c in sent] == [
        (CommandKind.CONFIRM, None),
        (CommandKind.PAUSE, None),
        (CommandKind.NUDGE_SPEED, 0.5),
        (CommandKind.SKIP, None),
        (CommandKind.EMERGENCY_STOP, None),
    ]
    assert all(c.origin == Origin.KEYBOARD for c in sent)
    text = out.getvalue()
    assert "unknown command 'zz'" in text
    assert "skip: last" in text
