"""`retrowalk sim` in one process, `retrowalk run --adapter` in another: through bumble over TCP.

The two processes share nothing but the HCI link, so what each prints is all either knows: the
simulator's log of control point writes is the ground truth of what the runner made the belt do.
Both run faster than real time (`--speedup`), agreed through the simulator's Device Information.
"""

from __future__ import annotations

import json
import re
import signal
from typing import TYPE_CHECKING

import pytest
from sim_process import Process, start_sim

from retrowalk.cli.run_options import check_peer
from retrowalk.errors import ConfigError
from retrowalk.ftms.device_info import DeviceInfo, simulator_software_revision

if TYPE_CHECKING:
    from pathlib import Path


# Forward, a turn, backward, a turn, forward: 3.5 minutes of workout, 3.5 s at x60.
SHORT = """\
version: 1
name: Cross Process
profile: beginner
countdown: 5s
turn: {mode: stop, window: 15s, confirm: true}
intervals:
  - {forward: "1:00", speed: 3.0}
  - {backward: "1:00", speed: 1.5}
  - {forward: "1:00", speed: 3.0}
"""
QUIET = ["--plain", "--voice", "off"]
START = "(start or resume)"


def _workout(tmp_path: Path) -> str:
    path = tmp_path / "cross.yaml"
    path.write_text(SHORT)
    return str(path)


async def _run_once(
    tmp_path: Path, *, sim_speedup: str, run_speedup: str
) -> tuple[int, Process, Process]:
    """Run SHORT through a fresh simulator; return the exit code, the runner and the simulator."""
    sim, spec = await start_sim(tmp_path, "home", "--speedup", sim_speedup)
    try:
        argv = [_workout(tmp_path), "--adapter", spec, "--speedup", run_speedup, "--yes", *QUIET]
        run = await Process.start(["run", *argv], tmp_path)
        code = await run.ended()
        await sim.wait_for("disconnected")
    finally:
        await sim.close()
    return code, run, sim


@pytest.mark.realtime
async def test_a_workout_finishes_across_two_processes_at_the_simulators_speed(
    tmp_path: Path,
) -> None:
    """`run --adapter SPEC --speedup 60 --yes` finishes; the belt went where the plan said."""
    code, run, sim = await _run_once(tmp_path, sim_speedup="60", run_speedup="60")
    assert code == 0, run.text
    assert "FINISHED" in run.text
    assert "steps     3/3, 2 turn(s)" in run.text
    assert "belt      stopped" in run.text
    writes = [line for line in sim.lines if "wrote the control point" in line]
    # One start per walking bout: the belt stood still for each turn and started again.
    assert sum(START in line for line in writes) == 3
    assert "(set target speed 1.50 km/h)" in sim.text  # the backward bout
    assert writes[-1].endswith("(stop or pause: stop)")
    header = json.loads(next((tmp_path / "sessions").glob("*.jsonl")).read_text().splitlines()[0])
    device = header["device"]
    assert device["simulated"] is True
    assert device["manufacturer"] == "retrowalk simulator"
    assert device["software"] == "retrowalk simulator, time x60"


@pytest.mark.realtime
async def test_a_simulator_in_real_time_runs_at_the_pace_of_a_run_at_60x(tmp_path: Path) -> None:
    """`sim home` and `run --speedup 60 --yes`: the runner sets the pace, the workout finishes.

    When the runner leaves, the simulator returns to its own pace for the next central.
    """
    code, run, sim = await _run_once(tmp_path, sim_speedup="1", run_speedup="60")
    assert code == 0, run.text
    assert "FINISHED" in run.text
    paces = [line for line in sim.lines if "pace:" in line]
    assert paces == [
        "retrowalk sim: pace: 60 times real time",
        "retrowalk sim: pace: 1 times real time (its own again)",
    ]


@pytest.mark.realtime
async def test_a_pace_the_simulator_refuses_is_refused_before_the_belt_moves(
    tmp_path: Path,
) -> None:
    """The simulator takes no pace over 100: exit 2, the fix named, no control point write."""
    code, run, sim = await _run_once(tmp_path, sim_speedup="60", run_speedup="500")
    assert code == 2
    assert "give --speedup 60" in run.text
    assert "Traceback" not in run.text
    assert "wrote the control point" not in sim.text


@pytest.mark.realtime
async def test_killing_the_simulator_holds_the_run_and_its_return_never_restarts_the_belt(
    tmp_path: Path,
) -> None:
    """Simulator killed mid-step: HOLD naming the belt's last speed; back: reconnect, no start."""
    sim, spec = await start_sim(tmp_path, "home", "--speedup", "10")
    run = await Process.start(
        ["run", "retro-intro", "--adapter", spec, "--speedup", "10", "--yes", *QUIET], tmp_path
    )
    again = None
    try:
        await sim.wait_for("(set target speed 4.00 km/h)")  # walking the warm-up
        await run.wait_for("step 1/8")
        sim.child.kill()
        lost = await run.wait_for("LINK LOST")
        assert re.search(r"the belt was running at [1-4]\.\d km/h", lost), lost
        await run.wait_for("HOLD (disconnected)")
        port = int(spec.rsplit(":", 1)[1])
        again, _ = await start_sim(tmp_path, "home", port=port)  # in real time: paced again
        await run.wait_for("link restored")
        await run.wait_for("belt at rest (hold)")  # seen standing (a Stop sent if it was not)
        run.child.send_signal(signal.SIGINT)
        code = await run.ended()
    finally:
        await run.close()
        await sim.close()
        if again is not None:
            await again.close()
    assert code == 130
    assert "belt NOT restarted" in run.text
    assert "belt      stopped" in run.text
    assert "pace: 10 times real time" in again.text  # the run's pace, set again on reconnect
    assert START not in again.text  # the simulator's own record: the belt never restarted
    assert "set target speed" not in again.text
    assert "Traceback" not in run.text


@pytest.mark.realtime
async def test_a_killed_runner_leaves_the_simulator_ready_for_the_next_one(tmp_path: Path) -> None:
    """The runner dies mid-workout: the simulator sees the link go, advertises, serves the next."""
    sim, spec = await start_sim(tmp_path, "home", "--speedup", "60")
    try:
        argv = ["run", _workout(tmp_path), "--adapter", spec, "--speedup", "60", "--yes", *QUIET]
        first = await Process.start(argv, tmp_path)
        await sim.wait_for(START)
        first.child.kill()
        gone = await sim.wait_for("disconnected")
        await sim.wait_for("advertising", after=sim.lines.index(gone))
        second = await Process.start(argv, tmp_path)
        code = await second.ended()
    finally:
        await sim.close()
    assert code == 0, second.text
    assert "FINISHED" in second.text


@pytest.mark.parametrize(
    ("info", "words"),
    [
        (DeviceInfo("Horizon Fitness", "T101"), "--yes is for the simulator"),
        (DeviceInfo(), "(unknown maker)"),
        # A real maker's software revision that happens to mention time: still not the simulator.
        (DeviceInfo("Acme", "X", "time x60"), "is a treadmill (Acme X)"),
    ],
)
def test_yes_is_refused_against_anything_but_the_simulator(info: DeviceInfo, words: str) -> None:
    """--yes through an adapter: only a peer naming itself the simulator takes it."""
    with pytest.raises(ConfigError, match="Leave out --yes") as refused:
        check_peer("Belt", info, yes=True, speedup=1.0)
    assert words in str(refused.value)


def test_the_simulators_own_tag_is_accepted_at_its_own_speed() -> None:
    """The tag the simulator serves at x1 passes a real-time --yes run (the default speed)."""
    info = DeviceInfo("retrowalk simulator", "home", simulator_software_revision(1.0))
    check_peer("Belt", info, yes=True, speedup=1.0)  # no error
    tagged = DeviceInfo("retrowalk simulator", "home", simulator_software_revision(60))
    with pytest.raises(ConfigError, match="give --speedup 60"):
        check_peer("Belt", tagged, yes=True, speedup=1.0)
