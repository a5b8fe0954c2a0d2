"""The summary `retrowalk run` prints comes from the engine's own end, not from the session log."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from retrowalk.cli.console import RunSummary, format_summary
from retrowalk.cli.main import main
from retrowalk.cli.run_outcome import NEVER_STARTED, exit_code, run_summary
from retrowalk.device.scan import connect, simulated_world
from retrowalk.engine.bus import Bus
from retrowalk.engine.events import Aborted, TurnEnded
from retrowalk.engine.runner import Engine, EngineOptions
from retrowalk.sinks.tally import EventTally
from retrowalk.workout import build_plan, get_profile, load_workout
from retrowalk.workout.library import find_workout
from retrowalk.workout.plan import Direction

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _short(tmp_path: Path) -> Path:
    path = tmp_path / "short.yaml"
    path.write_text(
        "version: 1\nname: Short\nprofile: standard\ncountdown: 0s\n"
        "intervals:\n  - forward: 40s\n    speed: 2.0\n"
    )
    return path


def _values(out: str) -> dict[str, str]:
    """Return the summary's rows (time, distance, steps, belt, ...) by their first word."""
    rows = [line.split(None, 1) for line in out.splitlines() if line.startswith("  ")]
    return {row[0]: row[1] for row in rows}


def test_a_session_log_that_cannot_be_written_leaves_the_summary_true(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No session log at all: still `finished`, its real time and distance, belt stopped, exit 0.

    (A data folder that cannot be written refuses the run before it starts, unless --no-record:
    tests/cli/test_cli_run_record.py.)
    """
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be\n")
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(blocker / "data"))
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes", "--no-record"]) == 0
    captured = capsys.readouterr()
    assert "Retro Intro: finished" in captured.out
    rows = _values(captured.out)
    assert rows["time"] != "0:00"
    assert rows["distance"] != "0 m"
    assert rows["steps"] == "8/8, 6 turn(s)"
    assert rows["belt"] == "stopped"
    assert "session" not in rows  # nothing was saved, so no file is named


def test_imperial_units_read_through_the_plain_output_and_the_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--units imperial: every speed in mph and every distance in miles or feet, none metric."""
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes", "--units", "imperial"]) == 0
    out = capsys.readouterr().out
    assert "mph" in out
    assert _values(out)["distance"].endswith(" mi")
    assert "km/h" not in out
    assert " km" not in out
    assert " m," not in out


def test_units_come_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`units = "imperial"` in config.toml is the default; --units metric overrides it."""
    config = tmp_path / "config.toml"
    config.write_text('units = "imperial"\n')
    monkeypatch.setenv("RETROWALK_CONFIG", str(config))
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes"]) == 0
    assert _values(capsys.readouterr().out)["distance"].endswith(" mi")
    assert main(["run", "retro-intro", "--sim", "--fast", "--yes", "--units", "metric"]) == 0
    assert _values(capsys.readouterr().out)["distance"].endswith(" km")


async def test_a_final_stop_that_fails_is_never_reported_as_stopped(tmp_path: Path) -> None:
    """The treadmill stops answering before the end: the summary says the belt is NOT stopped."""
    plan = build_plan(load_workout(_short(tmp_path)))
    async with simulated_world("home") as world, connect(None, world=world) as treadmill:
        bus = Bus()
        tally = EventTally()
        ending = bus.subscribe("summary", snapshots="none")
        options = EngineOptions(auto_confirm=True, stop_timeout_s=3.0)
        engine = Engine(plan, treadmill, bus=bus, profile=get_profile("standard"), options=options)
        machine = world.peripherals[0].model
        async with asyncio.TaskGroup() as tg:
            tg.create_task(tally.follow(ending))
            run = tg.create_task(engine.run())
            for _ in range(120):  # a minute of workout time at most
                if machine.speed_kmh >= 1.95:
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(5)  # the ramp is done: no more writes until the final Stop
            machine.mute_control_point()
            await run
    summary = run_summary(tally, plan, session_log=None, keep_walking=False)
    assert summary.ended == "finished"
    assert machine.belt_running  # what the treadmill really does
    assert "belt      NOT CONFIRMED STOPPED" in format_summary(summary)


def test_the_summary_reports_what_the_engine_said() -> None:
    """Aborted with a reason, the engine's time and distance, turns counted, belt as reported."""
    plan = build_plan(load_workout(find_workout("retro-intro")))
    tally = EventTally()
    tally.add(TurnEnded(t=100.0, direction=Direction.BACKWARD))
    end = Aborted(
        t=130.0,
        reason="stop (keyboard)",
        elapsed_s=125.0,
        distance_m=140.0,
        energy_kcal=9.0,
        belt_stopped=False,
    )
    tally.add(end)
    summary = run_summary(tally, plan, session_log=None, keep_walking=False)
    text = format_summary(summary)
    assert text.splitlines()[0] == "Retro Intro: aborted: stop (keyboard)"
    assert _values(text) == {
        "time": "2:05",
        "distance": "140 m",
        "energy": "9 kcal (estimate)",
        "steps": "0/8, 1 turn(s)",
        "belt": "NOT CONFIRMED STOPPED: check the treadmill and stop it at its console",
    }
    assert exit_code(summary, interrupted=0) == 1


def test_an_engine_that_never_ran_is_not_a_stopped_belt() -> None:
    """No end from the engine at all: aborted, said plainly, and the belt not claimed stopped."""
    plan = build_plan(load_workout(find_workout("retro-intro")))
    summary = run_summary(EventTally(), plan, session_log=None, keep_walking=False)
    assert (summary.ended, summary.reason, summary.belt_stopped) == (
        "aborted",
        NEVER_STARTED,
        False,
    )
    assert exit_code(summary, interrupted=2) == 130  # SIGINT


def test_kept_walking_is_said_as_chosen(tmp_path: Path) -> None:
    """A belt left running because the person asked is not reported as a failure to stop."""
    summary = RunSummary(
        workout="W", ended="finished", reason=None, elapsed_s=60, distance_m=50, energy_kcal=3,
        steps_done=1, steps_total=1, turns=0, belt_stopped=False, session_log=tmp_path / "s.jsonl",
        keep_walking=True,
    )  # fmt: skip
    rows = _values(format_summary(summary))
    assert rows["belt"] == "still running (you chose to keep walking)"
    assert rows["session"] == str(tmp_path / "s.jsonl")
