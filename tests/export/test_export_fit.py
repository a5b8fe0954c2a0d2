"""FIT exports decoded by Garmin's official FIT SDK and checked against the session log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fit_tool import ConformanceLevel, FitFile, validate_fit_file
from garmin_fit_sdk import Decoder, Stream

from retrowalk.export import render
from retrowalk.export.fit_stream import BACKWARD, DIRECTION, LAP_NAME, SIMULATED
from retrowalk.history import read_log
from retrowalk.history.laps import laps, pauses, span

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk.history import SessionLog

LOGS = ["finished", "standard", "heart-rate hold", "console stop", "killed", "format 1"]


def _decode(data: bytes) -> dict[str, list[dict[str, Any]]]:
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    assert decoder.is_fit()
    assert decoder.check_integrity()  # header and file CRC
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


def _in_span(log: SessionLog) -> int:
    start, end = span(log)
    return sum(1 for s in log.samples if start <= s.t <= end)


@pytest.mark.parametrize("name", LOGS)
def test_laps_directions_totals_and_records_match_the_log(
    name: str, walked: dict[str, Path]
) -> None:
    """One lap per step and turn, named and marked with its direction; totals; 1 Hz records."""
    log = read_log(walked[name])
    fit = _decode(render(log, "fit"))
    expected = laps(log)
    fit_laps = fit["lap_mesgs"]
    steps = log.events_of("StepStarted")
    assert len(expected) == len(steps) + len(log.events_of("TurnStarted"))
    assert len(fit_laps) == len(expected)
    labels = {
        e.fields["index"]: e.fields.get("label") or f"step {e.fields['index'] + 1}" for e in steps
    }
    for lap, message in zip(expected, fit_laps, strict=True):
        developer = message["developer_fields"]
        assert developer[DIRECTION.number] == lap.direction
        assert developer[LAP_NAME.number].startswith(lap.direction.upper() + ": ")
        if lap.turn:
            assert message["intensity"] == "rest"
            assert "turn around" in developer[LAP_NAME.number]
        else:
            assert message["wkt_step_index"] == lap.step_index
            assert labels[lap.step_index] in developer[LAP_NAME.number]
        assert message["total_elapsed_time"] == pytest.approx(lap.duration_s, abs=0.01)
    [session] = fit["session_mesgs"]
    assert (session["sport"], session["sub_sport"]) == ("walking", "treadmill")
    assert session["num_laps"] == len(expected)
    start, end = span(log)
    assert session["total_elapsed_time"] == pytest.approx(end - start, abs=0.01)
    last = log.samples[-1]
    distance = log.summary.distance_m if log.summary else last.distance_m
    energy = log.summary.energy_kcal if log.summary else last.energy_kcal
    assert session["total_distance"] == pytest.approx(distance, abs=0.01)
    assert session["total_calories"] == round(energy)
    assert sum(m["total_distance"] for m in fit_laps) == pytest.approx(
        distance, abs=0.01 * len(fit_laps)
    )
    records = fit["record_mesgs"]
    assert len(records) == _in_span(log)
    times = [r["timestamp"] for r in records]
    assert times == sorted(set(times))  # one a second, never twice the same
    backward_s = sum(r["developer_fields"][BACKWARD.number] for r in records)
    assert backward_s == pytest.approx(log.backward_s, abs=2)
    assert {r["developer_fields"][DIRECTION.number] for r in records} <= {
        "forward",
        "backward",
        "rest",
    }
    assert fit["file_id_mesgs"][0]["type"] == "activity"
    assert len(fit["activity_mesgs"]) == 1
    assert [d["field_name"] for d in fit["field_description_mesgs"]] == [
        "direction", "backward", "lap_name", "simulated",
    ]  # fmt: skip


def test_a_backward_lap_is_the_backward_time_of_the_log(walked: dict[str, Path]) -> None:
    """Summing the laps marked backward gives the log's own backward time."""
    log = read_log(walked["finished"])
    fit = _decode(render(log, "fit"))
    backward = [
        m for m in fit["lap_mesgs"] if m["developer_fields"][DIRECTION.number] == "backward"
    ]
    assert len(backward) == 3  # retro-intro: 3 x 2:00 backward
    assert sum(m["total_timer_time"] for m in backward) == pytest.approx(log.backward_s, abs=3)
    assert all(m["avg_heart_rate"] > 40 for m in fit["lap_mesgs"])  # the simulated strap
    assert max(r.get("heart_rate", 0) for r in fit["record_mesgs"]) > 60


@pytest.mark.parametrize("name", ["heart-rate hold", "console stop"])
def test_a_hold_stops_and_restarts_the_timer(name: str, walked: dict[str, Path]) -> None:
    """A HOLD is a timer stop at its start and a start at its resume; its time is not timer time."""
    log = read_log(walked[name])
    [hold] = pauses(log)
    fit = _decode(render(log, "fit"))
    timer = [
        (e["event_type"], e["timer_trigger"]) for e in fit["event_mesgs"] if e["event"] == "timer"
    ]
    assert timer[0] == ("start", "manual")
    assert timer[1] == ("stop_all", "fitness_equipment")  # the machine's console, or the strap
    assert timer[2] == ("start", "manual")
    assert timer[-1][0] == "stop_all"
    alerts = [e for e in fit["event_mesgs"] if e["event"] == "hr_high_alert"]
    assert len(alerts) == (1 if hold.cause == "heart_rate" else 0)
    [session] = fit["session_mesgs"]
    held_s = hold.end_t - hold.start_t
    assert held_s == pytest.approx(40, abs=1)
    assert session["total_elapsed_time"] - session["total_timer_time"] == pytest.approx(
        held_s, abs=0.01
    )


def test_a_simulated_run_is_marked_so(walked: dict[str, Path]) -> None:
    """The session's developer field and the treadmill's device name say "simulated"."""
    fit = _decode(render(read_log(walked["finished"]), "fit"))
    assert fit["session_mesgs"][0]["developer_fields"][SIMULATED.number] == 1
    treadmill = [d for d in fit["device_info_mesgs"] if d["device_index"] != "creator"]
    assert treadmill[0]["product_name"].endswith("(simulated)")


def test_a_real_run_is_not_marked(walked: dict[str, Path], tmp_path: Path) -> None:
    """The same log with its header saying a real treadmill exports without the mark."""
    lines = walked["finished"].read_text().splitlines()
    real = tmp_path / "real.jsonl"
    real.write_text(
        "\n".join([lines[0].replace('"simulated":true', '"simulated":false'), *lines[1:]]) + "\n"
    )
    fit = _decode(render(read_log(real), "fit"))
    assert fit["session_mesgs"][0]["developer_fields"][SIMULATED.number] == 0
    names = [d.get("product_name", "") for d in fit["device_info_mesgs"]]
    assert not any("simulated" in n for n in names)


def test_an_independent_decoder_finds_the_profile_kept(walked: dict[str, Path]) -> None:
    """fit-tool's own profile and activity-file rules find nothing wrong with the export.

    (Its wire level is left out: re-encoding what it decoded counts the fields a component
    expands into, so it flags any record with a speed, its own builder's included.)
    """
    data = render(read_log(walked["heart-rate hold"]), "fit")
    report = validate_fit_file(
        FitFile.from_bytes(data).records,
        levels=[ConformanceLevel.PROFILE, ConformanceLevel.FILE_TYPE],
    )
    assert report.findings == []
