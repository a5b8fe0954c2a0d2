"""`retrowalk probe`: the simulator captured over bumble in another process, then replayed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sim_process import Process, start_sim

from retrowalk.cli.main import main
from retrowalk.ftms.capture import load_capture

if TYPE_CHECKING:
    from pathlib import Path

SHORT = """\
version: 1
name: Captured Walk
profile: beginner
countdown: 5s
turn: {mode: stop, window: 15s, confirm: true}
intervals:
  - {forward: "2:00", speed: 3.0}
  - {backward: "1:00", speed: 1.5}
"""


@pytest.mark.realtime
async def test_a_probe_of_the_simulator_replays_as_a_machine_a_workout_finishes_on(
    tmp_path: Path,
) -> None:
    """Probe `retrowalk sim` over TCP (with the check), run a workout on the file: it finishes.

    A second probe without --yes and without a terminal to ask on never moves the belt.
    """
    sim, spec = await start_sim(tmp_path, "walking-pad", "--speedup", "20")
    captured, quiet = tmp_path / "pad.json", tmp_path / "quiet.json"
    common = ["probe", "--adapter", spec, "--speedup", "20"]
    try:
        first = await Process.start(
            [*common, "--seconds", "20", "--yes", "-o", str(captured)], tmp_path
        )
        assert await first.ended() == 0, first.text
        writes = sum("wrote the control point" in line for line in sim.lines)
        second = await Process.start([*common, "--seconds", "2", "-o", str(quiet)], tmp_path)
        assert await second.ended() == 0, second.text
    finally:
        await sim.close()
    assert f"wrote {captured}" in first.text
    assert "with the control check" in first.text
    assert sum("wrote the control point" in line for line in sim.lines) == writes
    assert "skipped (the belt did not move)" in second.text
    capture = load_capture(captured)
    assert capture.address is None
    assert capture.name == "CITYSPORTS-Linker"
    assert not load_capture(quiet).control_check
    workout = tmp_path / "walk.yaml"
    workout.write_text(SHORT)
    argv = ["run", str(workout), "--sim", str(captured), "--fast", "--yes", "--no-record"]
    replay = await Process.start(argv, tmp_path)
    assert await replay.ended() == 0, replay.text
    assert "Captured Walk: finished" in replay.text
    assert "belt      stopped" in replay.text


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["-o", "machine.txt"], "ends in .json"),
        (["-o", "/no/such/folder/m.json"], "existing folder"),
        (["-o", "m.json", "--seconds", "0"], "--seconds must be above 0"),
        (["-o", "m.json", "--yes", "--no-control-check"], "leaves out"),
        (["-o", "m.json", "--adapter", "wifi:0"], "unknown transport 'wifi'"),
    ],
)
def test_bad_probe_options_are_refused_before_anything_connects(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Exit 2 and one line naming the option, before any Bluetooth is touched."""
    argv = [a.replace("m.json", str(tmp_path / "m.json")) for a in argv]
    assert main(["probe", *argv]) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()
