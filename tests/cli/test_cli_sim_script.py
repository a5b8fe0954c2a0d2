"""`retrowalk run --sim-script` and `--sim-trace`: errors before connecting, one shared clock."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from retrowalk.cli.main import main
from retrowalk.history import read_log

if TYPE_CHECKING:
    from pathlib import Path

RUN = ["run", "retro-intro", "--sim", "home", "--fast", "--yes"]


def _script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "faults.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "events:\n  - {at: 10, do: console_stop}\n  - {at: 20, do: dorp_link}\n",
            3,
            "unknown action 'dorp_link'",
        ),
        ("events:\n  - {at: 10, do: drop_link, for: 20s, kmh: 3}\n", 2, "unknown field 'kmh'"),
        ("events:\n  - at: 6:70\n    do: console_stop\n", 2, "'6:70': minutes and seconds"),
        ("tweaks:\n  decel: 0.2\n", 2, "'decel' is not a profile field"),
        ("events:\n  - {at: 10, do: drop_link\n", 3, "YAML syntax error"),
        ("events: 7\n", 1, "events: must be a list"),
    ],
)
def test_a_wrong_scenario_is_exit_2_naming_its_line_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, message: str
) -> None:
    """An unknown action, field, time or tweak: one line `FILE:LINE...: what`, exit 2, no run."""
    path = _script(tmp_path, text)
    assert main([*RUN, "--sim-script", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert f"{path}:{line}" in lines[0]
    assert message in lines[0]
    assert captured.out == ""
    assert not (tmp_path / "data" / "sessions").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sim-script", "x.yaml"], "--sim-script and --sim-trace need --sim PROFILE"),
        (["--sim-trace", "x.jsonl"], "--sim-script and --sim-trace need --sim PROFILE"),
    ],
)
def test_the_options_need_the_simulator(
    capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    """Without --sim both options are refused (exit 2)."""
    assert main(["run", "retro-intro", *extra]) == 2
    assert message in capsys.readouterr().err


def test_heart_rate_actions_need_a_strap_and_a_trace_needs_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """hr_bpm without --hr names its line; a trace in a missing folder is refused (exit 2)."""
    path = _script(
        tmp_path, "events:\n  - {at: 5, do: console_stop}\n  - {at: 9, do: hr_bpm, bpm: 170}\n"
    )
    assert main([*RUN, "--sim-script", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3: hr_bpm needs a simulated heart-rate strap: add --hr auto" in err
    assert main([*RUN, "--sim-trace", str(tmp_path / "no" / "t.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_traced_fault_run_shares_the_session_logs_clock(tmp_path: Path) -> None:
    """A console stop at 1:10 is at t 70.0 in the trace and in the session log; the run ends."""
    path = _script(
        tmp_path, 'tweaks: {coast_kmh_per_s: 0.5}\nevents:\n  - {at: "1:10", do: console_stop}\n'
    )
    trace_path = tmp_path / "trace.jsonl"
    code = main([*RUN, "--sim-script", str(path), "--sim-trace", str(trace_path)])
    assert code == 0  # the simulated person resumed the hold
    lines = [json.loads(line) for line in trace_path.read_text().splitlines()]
    assert {"t": 70.0, "fault": "console_stop"} in lines
    (log,) = (tmp_path / "data" / "sessions").glob("*.jsonl")
    records = [e.fields for e in read_log(log).events]
    holds = [r for r in records if r.get("type") == "Hold"]
    assert holds[0]["cause"] == "console_stop"
    assert holds[0]["t"] == pytest.approx(70.0, abs=0.01)
    # the belt coasts at the tweaked 0.5 km/h/s from the 4 km/h of the warm-up
    speeds = {x["t"]: x["belt_kmh"] for x in lines if "belt_kmh" in x}
    assert speeds[72.0] == pytest.approx(3.0, abs=0.01)
    assert any(x.get("write") and x["answer"] for x in lines)
