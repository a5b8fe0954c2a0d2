"""TCX exports valid against Garmin's schema and read back with tcxreader; CSV row per sample."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import xmlschema
from tcxreader.tcxreader import TCXReader

from retrowalk.export import render
from retrowalk.export.csv_file import COLUMNS
from retrowalk.history import read_log
from retrowalk.history.laps import laps, span
from walked_logs import week_session

if TYPE_CHECKING:
    from retrowalk.history import SessionLog

XSD = Path(__file__).parent / "data" / "TrainingCenterDatabasev2.xsd"
TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
LOGS = ["finished", "standard", "heart-rate hold", "console stop", "killed", "format 1"]


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    """Garmin's TCX v2 schema (tests/export/data/SOURCES.md says where it comes from)."""
    return xmlschema.XMLSchema(XSD)


def _samples(log: SessionLog) -> int:
    start, end = span(log)
    return sum(1 for s in log.samples if start <= s.t <= end)


@pytest.mark.parametrize("name", LOGS)
def test_tcx_is_valid_and_reads_back(
    name: str, walked: dict[str, Path], schema: xmlschema.XMLSchema, tmp_path: Path
) -> None:
    """Valid TCX v2; tcxreader finds every lap, trackpoint, the distance and the speeds."""
    log = read_log(walked[name])
    data = render(log, "tcx")
    path = tmp_path / "x.tcx"
    path.write_bytes(data)
    schema.validate(str(path))  # raises XMLSchemaValidationError, naming the element
    exercise = TCXReader().read(str(path), only_gps=False)
    expected = laps(log)
    assert len(exercise.laps) == len(expected)
    assert len(exercise.trackpoints) == _samples(log)
    distance = log.summary.distance_m if log.summary else log.samples[-1].distance_m
    assert exercise.distance == pytest.approx(distance, abs=0.01)
    speeds = [tp.tpx_ext.get("Speed") for tp in exercise.trackpoints]
    assert all(s is not None and s >= 0 for s in speeds)
    assert max(speeds) * 3.6 == pytest.approx(max(s.speed_kmh or 0 for s in log.samples), abs=0.01)


def test_tcx_laps_say_their_direction_and_a_simulated_run(walked: dict[str, Path]) -> None:
    """Each lap's Notes name FORWARD / BACKWARD / REST; the activity says "simulated"."""
    log = read_log(walked["finished"])
    tree = ET.fromstring(render(log, "tcx"))  # noqa: S314 - our own export, not untrusted input
    notes = [n.text or "" for n in tree.iter(f"{TCX}Lap") for n in n.findall(f"{TCX}Notes")]
    assert [n.split(":")[0] for n in notes] == [lap.direction.upper() for lap in laps(log)]
    assert sum("walked backward" in n for n in notes) == 3
    [activity_notes] = tree.iter(f"{TCX}Activity")
    assert "simulated treadmill" in (activity_notes.findtext(f"{TCX}Notes") or "")
    rates = [v.text for v in tree.iter(f"{TCX}HeartRateBpm") for v in v.findall(f"{TCX}Value")]
    assert len(rates) > len(notes)  # the strap's readings reach the trackpoints


def test_csv_has_a_row_per_sample(walked: dict[str, Path]) -> None:
    """A header row, then one row per sample with direction, speeds and the simulated mark."""
    log = read_log(walked["heart-rate hold"])
    rows = list(csv.DictReader(io.StringIO(render(log, "csv").decode())))
    assert len(rows) == _samples(log)
    assert tuple(rows[0]) == COLUMNS
    assert {r["direction"] for r in rows} == {"forward", "backward", "rest"}
    assert {r["simulated"] for r in rows} == {"yes"}
    held = [r for r in rows if r["state"] == "hold"]
    assert 35 <= len(held) <= 45  # the 40 s HOLD
    backward_s = sum(1 for r in rows if r["direction"] == "backward")
    assert backward_s == pytest.approx(log.backward_s, abs=2)
    assert float(rows[-1]["distance_m"]) == pytest.approx(log.samples[-1].distance_m, abs=0.001)


def test_names_xml_cannot_hold_are_replaced_and_the_file_stays_valid(
    schema: xmlschema.XMLSchema, tmp_path: Path
) -> None:
    """A workout name with a control character and markup still gives a valid TCX file."""
    path = week_session(tmp_path / "w.jsonl", datetime.fromisoformat("2026-03-02T07:00+01:00"), 1)
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["workout"]["name"] = "Bell\x07 & <Backward>"
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    out = tmp_path / "w.tcx"
    out.write_bytes(render(read_log(path), "tcx"))
    schema.validate(str(out))
    tree = ET.parse(out)  # noqa: S314 - our own export
    notes = tree.findtext(f".//{TCX}Activity/{TCX}Notes") or ""
    assert notes.startswith("Bell\ufffd & <Backward>")
