"""The simulated person of `--sim --yes`: coach runs finish as a person would make them."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.main import main
from retrowalk.history import read_log

if TYPE_CHECKING:
    from pathlib import Path

WORKOUT = """\
version: 1
name: Coach distance
profile: beginner
countdown: 5s
turn: {mode: stop, window: 15s, confirm: true}
intervals:
  - forward: 400m
    speed: 4.0
  - backward: 1:00
    speed: 2.0
  - forward: 2:00
    speed: 3.5
    incline: 2
"""


@pytest.mark.parametrize("machine", ["data-only", "speed-locked"])
def test_a_coach_run_with_a_distance_step_finishes(tmp_path: Path, machine: str) -> None:
    """The person keys in each step's speed: the 400 m step ends, the belt is stopped at the end."""
    workout = tmp_path / "coach.yaml"
    workout.write_text(WORKOUT, encoding="utf-8")
    assert main(["run", str(workout), "--sim", machine, "--fast", "--yes"]) == 0
    (log,) = (tmp_path / "data" / "sessions").glob("*.jsonl")
    session = read_log(log)
    assert session.summary is not None
    summary = session.summary.fields
    records = [e.fields for e in session.events]
    assert summary["ended"] == "finished"
    assert summary["belt_stopped"] is True
    assert summary["elapsed_s"] < 20 * 60  # 400 m at 4 km/h is 6 min, not 89 hours
    finished = [r for r in records if r.get("type") == "StepFinished"]
    assert [f["index"] for f in finished] == [0, 1, 2]
    assert finished[0]["distance_m"] >= 400
    samples = [s.fields for s in session.samples if s.fields.get("step_index") == 2]
    walking = [s["actual_speed_kmh"] for s in samples if s["state"] == "running"]
    assert max(walking) == pytest.approx(3.5, abs=0.05)  # keyed in at the console


def test_the_person_gives_up_after_three_holds_in_a_row(tmp_path: Path) -> None:
    """Four console stops within one step: three resumes, then the person stops the workout."""
    script = tmp_path / "stops.yaml"
    stops = "".join(f"  - {{at: {t}, do: console_stop}}\n" for t in (20, 50, 80, 110))
    script.write_text(f"events:\n{stops}", encoding="utf-8")
    argv = ["run", "retro-intro", "--sim", "home", "--fast", "--yes", "--sim-script", str(script)]
    assert main(argv) == 1
    (log,) = (tmp_path / "data" / "sessions").glob("*.jsonl")
    session = read_log(log)
    records = [e.fields for e in session.events]
    assert [r["cause"] for r in records if r.get("type") == "Hold"] == ["console_stop"] * 4
    assert len([r for r in records if r.get("type") == "Resumed"]) == 3
    assert session.summary is not None
    assert session.summary.fields["ended"] == "aborted"
    assert session.summary.fields["belt_stopped"] is True


async def test_the_person_never_resumes_an_emergency_stop() -> None:
    """A hold for an emergency stop stays: the stand-in resumes other holds, never that one."""
    from retrowalk.cli.sim_person import run_sim_person  # noqa: PLC0415 - the unit under test
    from retrowalk.engine.bus import Bus  # noqa: PLC0415
    from retrowalk.engine.commands import CommandResult  # noqa: PLC0415
    from retrowalk.engine.events import EngineState, Hold, HoldCause, StateChanged  # noqa: PLC0415

    sent: list[object] = []

    async def submit(command: object) -> CommandResult:
        sent.append(command)
        return CommandResult(command, accepted=True)  # type: ignore[arg-type]

    bus = Bus()
    channel = bus.subscribe("person", snapshots="none")
    task = asyncio.create_task(run_sim_person(channel, [], submit))
    bus.publish(StateChanged(t=0.0, state=EngineState.HOLD, previous=EngineState.RUNNING))
    bus.publish(Hold(t=0.0, cause=HoldCause.EMERGENCY_STOP, detail="", advice=""))
    await asyncio.sleep(120)
    assert sent == []
    bus.publish(Hold(t=120.0, cause=HoldCause.CONSOLE_STOP, detail="", advice=""))
    await asyncio.sleep(20)
    assert [c.kind for c in sent] == ["resume"]  # type: ignore[attr-defined]
    bus.close()
    await task
