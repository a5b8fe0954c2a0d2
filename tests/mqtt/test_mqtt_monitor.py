"""`retrowalk monitor`: the room model, the plain table, the Textual view, and a real broker."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from typing import TYPE_CHECKING

import pytest
from mqtt_fakes import FakeEngine, Subscriber, settings_for, sink_running
from textual.widgets import DataTable

from retrowalk.cli.cmd_monitor import monitor_plain
from retrowalk.cli.monitor_app import MonitorApp
from retrowalk.engine.bus import Bus
from retrowalk.engine.events import EngineState
from retrowalk.sinks.mqtt_payloads import dumps, state_payload
from retrowalk.sinks.mqtt_room import COLUMNS, Room

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from mqtt_broker import MqttBroker


def state_bytes(treadmill_id: str, **changes: object) -> bytes:
    """Return a real state payload for a fake engine, with `changes` applied."""
    payload = state_payload(FakeEngine(Bus()).snapshot(), treadmill_id=treadmill_id, workout="w")
    return dumps(payload | changes)


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


async def _feed(messages: list[tuple[str, str, bytes]]) -> AsyncIterator[tuple[str, str, bytes]]:
    for message in messages:
        yield message
    await asyncio.Event().wait()  # a broker feed never ends by itself


async def test_plain_monitor_prints_the_table_once() -> None:
    """--once prints a header and one row per treadmill after collecting messages."""
    messages = [("t1", "status", b"online"), ("t1", "state", state_bytes("t1"))]
    out = io.StringIO()
    code = await monitor_plain(lambda: _feed(messages), out, title="mqtt://h:1883", once_after_s=1)
    assert code == 0
    text = out.getvalue()
    assert text.startswith("retrowalk room at mqtt://h:1883: 1 treadmill(s)\n")
    assert "treadmill  status" in text
    row = next(line for line in text.splitlines() if line.startswith("t1"))
    assert "running" in row
    assert "forward" in row


async def test_plain_monitor_repeats_every_interval() -> None:
    """Without --once the table is printed every interval, until cancelled."""
    out = io.StringIO()
    task = asyncio.ensure_future(monitor_plain(lambda: _feed([]), out, title="x", interval_s=2.0))
    await asyncio.sleep(5.0)  # virtual time: prints at 0, 2 and 4 s
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert out.getvalue().count("retrowalk room at x: 0 treadmill(s)") == 3
    assert "(no treadmill heard yet)" in out.getvalue()


async def test_textual_room_view_lists_treadmills() -> None:
    """The live view shows a DataTable row per treadmill from the feed."""
    messages = [
        ("t1", "status", b"online"),
        ("t1", "state", state_bytes("t1")),
        ("t2", "status", b"offline"),
    ]
    app = MonitorApp(lambda: _feed(messages), title="room")
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        assert table.row_count == 2
        assert [str(c.label) for c in table.columns.values()] == list(COLUMNS)
        first = table.get_row_at(0)
        assert (first[0], first[1], first[2]) == ("t1", "online", "running")
        await pilot.press("q")


@pytest.mark.realtime
async def test_monitor_command_against_a_real_broker(broker: MqttBroker) -> None:
    """`retrowalk monitor --once` shows a live treadmill and a finished one from the broker."""
    done = FakeEngine(Bus())
    async with sink_running(settings_for(broker.url(), "done-1"), done):
        pass  # a whole (tiny) workout: retained state "finished", session, status offline
    walking = FakeEngine(Bus())
    async with (
        Subscriber("127.0.0.1", broker.port, ["retrowalk/walk-1/state"]) as sub,
        sink_running(settings_for(broker.url(), "walk-1"), walking),
    ):
        await sub.wait_for(lambda s: s.messages)
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "retrowalk", "monitor", "--mqtt", broker.url(),
            "--once", "--wait", "0.5",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await child.communicate()
    assert child.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0].endswith("2 treadmill(s)")
    done_row = next(line for line in lines if line.startswith("done-1"))
    walk_row = next(line for line in lines if line.startswith("walk-1"))
    assert "offline" in done_row
    assert "finished" in done_row
    assert "online" in walk_row
    assert "running" in walk_row
    assert walking.state is EngineState.FINISHED
    assert json.loads(sub.payloads("retrowalk/walk-1/state")[0])["treadmill_id"] == "walk-1"


def test_monitor_refuses_a_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed --mqtt URL exits 2 with one line and no password."""
    from retrowalk.cli.main import main  # noqa: PLC0415 - the CLI entry point under test

    code = main(["monitor", "--mqtt", "mqtt://u:pw-123@host:notaport", "--once"])
    assert code == 2
    err = capsys.readouterr().err
    assert "port" in err
    assert "pw-123" not in err
