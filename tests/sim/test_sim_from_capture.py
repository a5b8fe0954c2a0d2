"""Captured machines as simulated ones: the shipped public captures, bad files, workouts on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrowalk.cli.main import main
from retrowalk.ftms.capture import load_capture
from retrowalk.ftms.models import InclineRange, SpeedRange
from retrowalk_sim.from_capture import load_profile

ROOT = Path(__file__).resolve().parents[2]
CAPTURES = sorted((ROOT / "simulators" / "retrowalk_sim" / "captures").glob("*.json"))
VECTORS = json.loads((ROOT / "tests" / "ftms" / "data" / "ftms_public_vectors.json").read_text())
DEVICE = {"cs-wp8.json": "CITYSPORTS", "fr30z.json": "FR30Z"}


def test_two_public_captures_are_shipped() -> None:
    """The walking pad's and the FR30Z's public bytes are shipped as captures."""
    assert [p.name for p in CAPTURES] == sorted(DEVICE)


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_every_byte_the_machine_sent_is_a_public_vector_of_that_machine(path: Path) -> None:
    """Nothing invented: each read value and each notification is in the public vectors."""
    capture = load_capture(path)
    published = {
        (v["characteristic"], v["hex"])
        for v in VECTORS
        if DEVICE[path.name] in (v.get("device") or "")
    }
    sent = {(c.uuid, c.value) for c in capture.characteristics if c.value is not None}
    sent |= {(p.uuid, p.hex) for p in capture.traffic if p.direction != "write"}
    assert sent
    assert sent <= published, sent - published


def test_the_walking_pad_capture_measures_as_the_walking_pad() -> None:
    """Its declarations and quirks come out of its bytes."""
    profile = load_profile(CAPTURES[0])
    assert profile.speed_range == SpeedRange(1.0, 6.0, 0.5)
    assert profile.incline_range is None
    assert profile.record_fields == {"total_distance_m", "energy", "elapsed_time_s", "steps"}
    assert profile.training_status_string_flag  # `01 01`: the flag set, no string
    assert not profile.control_enforced  # Start worked before any Request Control
    assert not profile.energy_rates  # its energy per hour and minute are "not available"


def test_the_fr30z_capture_refuses_a_stop_as_captured() -> None:
    """A Stop answered 0x04 in the capture: the simulated one refuses Stops too."""
    profile = load_profile(CAPTURES[1])
    assert profile.incline_range == InclineRange(0.0, 15.0, 1.0)
    assert profile.stop_fails_every == 2
    assert any("Treadmill Data" in note for note in profile.extra_notes)  # none was published


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_a_workout_finishes_on_each_shipped_capture(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The engine runs retro-intro on the captured machine and stops the belt at the end."""
    assert main(["run", "retro-intro", "--sim", str(path), "--fast", "--yes", "--no-record"]) == 0
    out = capsys.readouterr().out
    assert "Retro Intro: finished" in out
    assert "belt      stopped" in out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"format": "retrowalk-capture",\n "name": }', "line 2: not JSON"),
        ('{"name": "x"}', 'needs "format": "retrowalk-capture"'),
        (
            (
                '{"format": "retrowalk-capture", "name": "x", "source": "s", '
                '"traffic": [{"uuid": "u", "direction": "notify", "hex": "zz"}]}'
            ),
            "traffic.0.hex",
        ),
        (
            '{"format": "retrowalk-capture", "version": 9, "name": "x", "source": "s"}',
            "version",
        ),
    ],
)
def test_a_bad_capture_is_refused_naming_the_file_and_field(
    text: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2, the file and what is wrong named, no traceback, before anything runs."""
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    assert main(["run", "retro-intro", "--sim", str(bad), "--fast", "--yes"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert words in err
    assert "Traceback" not in err
