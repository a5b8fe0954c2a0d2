"""The room model: one readable row per treadmill from its state, status and session messages."""

from __future__ import annotations

from mqtt_fakes import state_bytes
from retrowalk.room.model import COLUMNS, Room
from retrowalk.sinks.mqtt.payloads import dumps


def test_room_rows_show_each_treadmill_live() -> None:
    """State, status and session messages become one readable row per treadmill, sorted by id."""
    room = Room()
    room.update("lane-2", "status", b"online", 0.0)
    room.update("lane-2", "state", state_bytes("lane-2", distance_m=1234.0), 0.0)
    room.update("lane-1", "status", b"offline", 0.0)
    room.update("lane-1", "session", dumps({"outcome": "aborted", "reason": "emergency stop"}), 0.0)
    rows = room.rows(1.0)
    assert [r[0] for r in rows] == ["lane-1", "lane-2"]
    lane2 = dict(zip(COLUMNS, rows[1], strict=True))
    assert lane2["status"] == "online"
    assert lane2["state"] == "running"
    assert lane2["step"] == "1/3"
    assert lane2["speed km/h"] == "4.0/4.0"
    assert lane2["HR"] == "101"
    assert lane2["distance"] == "1.23 km"
    assert lane2["left"] == "3:00"
    lane1 = dict(zip(COLUMNS, rows[0], strict=True))
    assert (lane1["status"], lane1["note"]) == ("offline", "aborted: emergency stop")


def test_room_marks_silent_treadmills_stale_and_survives_garbage() -> None:
    """No state for over 5 s while online reads 'stale'; malformed payloads are skipped, counted."""
    room = Room()
    room.update("a", "status", b"online", 0.0)
    room.update("a", "state", state_bytes("a"), 0.0)
    assert room.rows(4.0)[0][1] == "online"
    assert room.rows(6.0)[0][1] == "stale"
    assert not room.update("a", "state", b"{broken", 6.0)
    assert not room.update("a", "state", b"[1]", 6.0)
    assert room.ignored == 2
    assert room.update("a", "status", b"", 6.0)  # retained status cleared: gone
    assert room.rows(6.0) == []
