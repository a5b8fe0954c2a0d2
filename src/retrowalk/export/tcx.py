"""TCX files (Garmin Training Center Database v2), written with the standard library's XML.

One Activity (Sport "Other": TCX knows only running, biking and other) with one Lap per workout
step and per turn window. Each lap's Notes name its direction ("BACKWARD: Backward; walked
backward"); its trackpoints carry time, distance and heart rate, and the speed in Garmin's
ActivityExtension v2 (TPX). The activity's Notes and its Creator say when the run was on the
simulated treadmill. The file is valid against Garmin's TrainingCenterDatabasev2.xsd (the
tests validate every export against it).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from retrowalk.errors import ExportError
from retrowalk.export.activity import version_parts
from retrowalk.units import format_duration

if TYPE_CHECKING:
    from datetime import datetime

    from retrowalk.export.activity import Activity, LapTotals, Point

TCX = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX2 = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{TCX} http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd"
# What XML 1.0 cannot hold at all, even escaped (a workout name may carry it from its YAML).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WALKED = {"forward": "walked forward", "backward": "walked backward", "rest": "belt stopped"}


def tcx_bytes(activity: Activity) -> bytes:
    """Return the TCX document of `activity` (UTF-8, with its XML declaration)."""
    if not activity.laps:
        raise ExportError(f"{activity.path}: nothing to export: the session ended before its start")
    ET.register_namespace("", TCX)
    ET.register_namespace("ax2", AX2)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(_t("TrainingCenterDatabase"), {f"{{{XSI}}}schemaLocation": SCHEMA_LOCATION})
    node = ET.SubElement(ET.SubElement(root, _t("Activities")), _t("Activity"), Sport="Other")
    _text(node, "Id", _time(activity.start))
    for lap in activity.laps:
        _lap(node, lap)
    _text(node, "Notes", _notes(activity))
    creator = ET.SubElement(node, _t("Creator"), {f"{{{XSI}}}type": "Device_t"})
    _text(creator, "Name", "retrowalk (simulated treadmill)" if activity.simulated else "retrowalk")
    _text(creator, "UnitId", "0")
    _text(creator, "ProductID", "0")
    _version(creator)
    author = ET.SubElement(root, _t("Author"), {f"{{{XSI}}}type": "Application_t"})
    _text(author, "Name", "retrowalk")
    _version(ET.SubElement(author, _t("Build")))
    _text(author, "LangID", "en")
    _text(author, "PartNumber", "000-00000-00")
    ET.indent(root, space=" ")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _lap(parent: ET.Element, totals: LapTotals) -> None:
    lap = ET.SubElement(parent, _t("Lap"), StartTime=_time(totals.start))
    _text(lap, "TotalTimeSeconds", _number(totals.timer_s))
    _text(lap, "DistanceMeters", _number(totals.distance_m))
    if totals.stats.max_speed_mps is not None:
        _text(lap, "MaximumSpeed", _number(totals.stats.max_speed_mps))
    _text(lap, "Calories", str(min(65535, round(totals.energy_kcal))))
    _bpm(lap, "AverageHeartRateBpm", totals.stats.avg_heart_rate)
    _bpm(lap, "MaximumHeartRateBpm", totals.stats.max_heart_rate)
    _text(lap, "Intensity", "Active" if totals.active else "Resting")
    _text(lap, "TriggerMethod", "Manual")
    if totals.points:
        track = ET.SubElement(lap, _t("Track"))
        for point in totals.points:
            _trackpoint(track, point)
    walked = _WALKED.get(totals.lap.direction, totals.lap.direction)
    skipped = "; skipped" if totals.lap.skipped else ""
    _text(lap, "Notes", f"{totals.lap.name}; {walked}{skipped}")
    extension = ET.SubElement(ET.SubElement(lap, _t("Extensions")), f"{{{AX2}}}LX")
    ET.SubElement(extension, f"{{{AX2}}}AvgSpeed").text = _number(totals.avg_speed_mps)


def _trackpoint(track: ET.Element, point: Point) -> None:
    node = ET.SubElement(track, _t("Trackpoint"))
    _text(node, "Time", _time(point.time))
    if point.distance_m is not None:
        _text(node, "DistanceMeters", _number(max(0.0, point.distance_m)))
    _bpm(node, "HeartRateBpm", point.heart_rate_bpm)
    if point.speed_mps is not None:
        extension = ET.SubElement(ET.SubElement(node, _t("Extensions")), f"{{{AX2}}}TPX")
        ET.SubElement(extension, f"{{{AX2}}}Speed").text = _number(max(0.0, point.speed_mps))


def _notes(activity: Activity) -> str:
    machine = activity.device or "a treadmill"
    where = "the simulated treadmill (not a real workout)" if activity.simulated else machine
    return (
        f"{activity.workout}, retro walking on {where}: {format_duration(activity.backward_s)} "
        f"walked backward; {activity.ended}. Each lap's notes say its direction."
    )


def _version(parent: ET.Element) -> None:
    version = ET.SubElement(parent, _t("Version"))
    major, minor, patch = version_parts()
    _text(version, "VersionMajor", str(major))
    _text(version, "VersionMinor", str(minor))
    _text(version, "BuildMajor", str(patch))


def _bpm(parent: ET.Element, name: str, bpm: int | None) -> None:
    if bpm is not None and 1 <= bpm <= 255:
        _text(ET.SubElement(parent, _t(name)), "Value", str(bpm))


def _text(parent: ET.Element, name: str, text: str) -> None:
    ET.SubElement(parent, _t(name)).text = _NOT_XML.sub("\ufffd", text)


def _t(name: str) -> str:
    return f"{{{TCX}}}{name}"


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"
