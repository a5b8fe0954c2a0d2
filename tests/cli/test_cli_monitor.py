"""`retrowalk monitor`: the plain table, the Textual view, the options, and a real broker."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from typing import TYPE_CHECKING

import pytest
from textual.widgets import DataTable, Static

from mqtt_broker import AUTH_USERS, auth_broker, broker
from mqtt_fakes import FakeEngine, Subscriber, settings_for, sink_running, state_bytes, wait_until
from retrowalk.broker.credentials import VISIBLE_PASSWORD_WARNING
from retrowalk.broker.url import Broker
from retrowalk.cli.cmd_monitor import monitor_plain
from retrowalk.cli.monitor_app import MonitorApp
from retrowalk.engine.bus import Bus
from retrowalk.engine.events import EngineState
from retrowalk.errors import DeviceError
from retrowalk.room.model import COLUMNS, Link
from retrowalk.room.watch import watch_room

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from mqtt_broker import MqttBroker

__all__ = ["auth_broker", "broker"]  # the fixtures, for the tests against a real broker


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


async def monitor_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `retrowalk monitor ARGS` in a child process; return (exit code, stdout, stderr)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "retrowalk", "monitor", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=os.environ | (env or {}),
    )  # fmt: skip
    out, err = await child.communicate()
    assert child.returncode is not None
    return child.returncode, out.decode(), err.decode()


@pytest.mark.realtime
async def test_monitor_once_with_the_broker_down_exits_3_with_one_line(broker: MqttBroker) -> None:
    """--once against a stopped broker: exit 3, one line naming the URL, never the password."""
    broker.stop()
    code, out, err = await monitor_cli(
        "--mqtt", broker.url("coach"), "--once", env={"RETROWALK_MQTT_PASSWORD": "pw-secret-9"}
    )
    assert code == 3
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(
        f"retrowalk: cannot reach the MQTT broker at mqtt://coach@127.0.0.1:{broker.port}"
    )
    assert "refused" in line.lower()
    assert "pw-secret-9" not in err


@pytest.mark.realtime
async def test_live_view_shows_reconnecting_until_the_broker_comes_back(
    broker: MqttBroker,
) -> None:
    """The live view says it cannot reach the broker, keeps retrying, then shows the room."""
    broker.stop()
    target = Broker.from_url(broker.url())
    link = Link(target.display)
    app = MonitorApp(
        lambda: watch_room(target, link=link, backoff_max_s=0.3), title="room", link=link
    )
    async with app.run_test() as pilot:
        line = app.query_one("#link", Static)
        await wait_until(lambda: "reconnecting" in str(line.render()))
        text = str(line.render())
        assert f"cannot reach the broker at mqtt://127.0.0.1:{broker.port}" in text
        assert line.has_class("down")
        assert app.query_one(DataTable).row_count == 0
        await broker.start_async()
        engine = FakeEngine(Bus())
        async with sink_running(settings_for(broker.url(), "back-1"), engine):
            await wait_until(lambda: app.query_one(DataTable).row_count == 1, within_s=10)
        assert str(line.render()) == f"connected to mqtt://127.0.0.1:{broker.port}"
        assert not line.has_class("down")
        assert app.query_one(DataTable).get_row_at(0)[0] == "back-1"
        await pilot.press("q")


async def test_plain_live_table_flags_an_unreachable_broker() -> None:
    """The repeating plain table carries a line saying why the broker cannot be reached."""
    link = Link("mqtt://h:1883")

    async def down() -> AsyncIterator[tuple[str, str, bytes]]:
        link.down("Connection refused")
        await asyncio.Event().wait()
        yield ("never", "state", b"")

    out = io.StringIO()
    task = asyncio.ensure_future(
        monitor_plain(down, out, title="mqtt://h:1883", interval_s=2.0, link=link)
    )
    await asyncio.sleep(3.0)  # virtual time: prints at 0 (connecting) and 2 s (reconnecting)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    text = out.getvalue()
    assert "! connecting to mqtt://h:1883..." in text
    assert "! reconnecting: cannot reach the broker at mqtt://h:1883: Connection refused" in text


async def test_plain_once_gives_up_on_a_broker_that_never_answers() -> None:
    """--once with no connection outcome within the connect time: DeviceError, nothing printed."""
    link = Link("mqtt://h:1883")
    out = io.StringIO()
    with pytest.raises(DeviceError, match=r"cannot reach .* no answer within 6 s"):
        await monitor_plain(lambda: _feed([]), out, title="x", once_after_s=1.0, link=link)
    assert out.getvalue() == ""


@pytest.mark.realtime
async def test_monitor_reads_the_broker_url_from_the_config_file(
    broker: MqttBroker, tmp_path: Path
) -> None:
    """Without --mqtt the config file's mqtt setting is used."""
    config = tmp_path / "config.toml"
    config.write_text(f'mqtt = "{broker.url()}"\n', encoding="utf-8")
    async with sink_running(settings_for(broker.url(), "cfg-1"), FakeEngine(Bus())):
        pass  # leaves a retained state, session and status
    code, out, err = await monitor_cli(
        "--once", "--wait", "0.5", env={"RETROWALK_CONFIG": str(config)}
    )
    assert code == 0, err
    assert (
        out.splitlines()[0] == f"retrowalk room at mqtt://127.0.0.1:{broker.port}: 1 treadmill(s)"
    )
    assert any(line.startswith("cfg-1") for line in out.splitlines())


def test_monitor_without_a_url_says_where_to_put_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --mqtt and no mqtt setting in the config file: exit 2 naming both ways to give one."""
    from retrowalk.cli.main import main  # noqa: PLC0415 - the CLI entry point under test

    empty = tmp_path / "none.toml"
    empty.touch()
    monkeypatch.setenv("RETROWALK_CONFIG", str(empty))
    assert main(["monitor", "--once"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "--mqtt" in line
    assert str(empty) in line


@pytest.mark.realtime
async def test_monitor_logs_in_with_a_password_from_a_file_or_the_environment(
    auth_broker: MqttBroker, tmp_path: Path
) -> None:
    """The coach's password from --mqtt-password-file or RETROWALK_MQTT_PASSWORD: no warning."""
    secret = tmp_path / "coach.pw"
    secret.write_text(AUTH_USERS["coach"] + "\n", encoding="utf-8")
    url = auth_broker.url("coach")
    by_file = await monitor_cli("--mqtt", url, "--mqtt-password-file", str(secret), "--once")
    by_env = await monitor_cli(
        "--mqtt", url, "--once", env={"RETROWALK_MQTT_PASSWORD": AUTH_USERS["coach"]}
    )
    for code, out, err in (by_file, by_env):
        assert (code, err) == (0, "")
        assert out.startswith(f"retrowalk room at mqtt://coach@127.0.0.1:{auth_broker.port}")
    code, _, err = await monitor_cli("--mqtt", url, "--once")  # no password at all
    assert code == 3
    assert "refused the login" in err


@pytest.mark.realtime
async def test_a_password_typed_into_the_url_works_but_is_warned_about_once(
    auth_broker: MqttBroker,
) -> None:
    """`--mqtt mqtt://coach:PASS@host` logs in and says once that `ps` shows the password."""
    code, out, err = await monitor_cli(
        "--mqtt", auth_broker.url("coach", AUTH_USERS["coach"]), "--once"
    )
    assert code == 0
    assert err.splitlines() == [VISIBLE_PASSWORD_WARNING]
    assert AUTH_USERS["coach"] not in out + err
