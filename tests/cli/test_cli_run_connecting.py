"""The screen app from before the treadmill connects: CONNECTING at once, a stop gives up.

A real treadmill takes seconds to be found and connected. The screen shows the workout and
CONNECTING meanwhile; Esc or a quit there ends the run before anything started (exit 1, one
line), and a connection that fails puts the error after the terminal is given back (exit 3).
The process tests run `retrowalk run` in a pseudo-terminal against a Bluetooth "controller" that
accepts the connection and never answers, so connecting lasts as long as the test wants.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from pty_terminal import LEAVE_SCREEN, Terminal
from sim_process import start_sim

from retrowalk.cli.run_display import NOT_CONNECTED, EngineLink, StoppedBeforeStartError
from retrowalk.cli.tui import RetrowalkApp
from retrowalk.cli.tui_widgets import PlanBar
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, CommandResult, Origin
from screen_plans import intro_plan, toasts

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextlib.contextmanager
def silent_controller() -> Iterator[int]:
    """Yield the port of a TCP "HCI controller" that accepts connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        accepted: list[socket.socket] = []
        yield server.getsockname()[1]
        with contextlib.suppress(BlockingIOError):
            accepted.append(server.accept()[0])
        for conn in accepted:
            conn.close()


def _run_in_terminal(tmp_path: Path, *args: str) -> Terminal:
    return Terminal(tmp_path / "data", ["run", "retro-intro", "--voice", "off", *args])


@pytest.mark.realtime
@pytest.mark.parametrize(("keys", "how"), [(b"\x1b", "Esc"), (b"q", "quit")], ids=["esc", "quit"])
def test_the_screen_shows_connecting_and_a_stop_there_ends_the_run(
    tmp_path: Path, keys: bytes, how: str
) -> None:
    """While the treadmill cannot be reached yet, Esc or Quit ends the run: nothing started."""
    with silent_controller() as port:
        adapter = f"tcp-client:127.0.0.1:{port}"
        term = _run_in_terminal(tmp_path, "--adapter", adapter, "--device", "00:11:22:33:44:55")
        term.wait_for(b"RetroIntro", b"CONNECTING")
        term.type(keys)
        if how == "quit":
            term.wait_for(b"Stop")  # the quit question ("Stop the workout and quit?")
            term.type(b"y")
        code = term.exit_code()
    assert code == 1
    after = term.after_screen()
    assert "stopped before the treadmill connected" in after
    assert "Traceback" not in term.seen.decode(errors="replace")
    assert not list(term.data.glob("sessions/*.jsonl"))  # no session: nothing began


@pytest.mark.realtime
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)], ids=["kill", "hang-up"]
)
def test_a_stop_signal_while_connecting_ends_the_run_and_gives_the_terminal_back(
    tmp_path: Path, signum: int, code: int
) -> None:
    """`kill` or a closed window during the connection: the shell's code, nothing started."""
    with silent_controller() as port:
        adapter = f"tcp-client:127.0.0.1:{port}"
        term = _run_in_terminal(tmp_path, "--adapter", adapter, "--device", "00:11:22:33:44:55")
        term.wait_for(b"CONNECTING")
        term.child.send_signal(signum)
        assert term.exit_code() == code
    if signum == signal.SIGTERM:  # after a hang-up nothing is written to the dead terminal
        assert "stopped before the treadmill connected" in term.after_screen()
    assert "Traceback" not in term.seen.decode(errors="replace")


@pytest.mark.realtime
def test_a_controller_that_hangs_up_while_starting_is_one_clear_line(tmp_path: Path) -> None:
    """The HCI transport closes during power-on: exit 3, retrowalk's line, no traceback."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        env = {**os.environ, "RETROWALK_DATA_DIR": str(tmp_path), "RETROWALK_CONFIG": os.devnull}
        argv = [sys.executable, "-m", "retrowalk", "run", "retro-intro", "--plain"]
        argv += ["--adapter", f"tcp-client:127.0.0.1:{port}", "--device", "x", "--voice", "off"]
        child = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        conn, _ = server.accept()
        conn.close()  # the controller goes away before it answers the reset
        _, err = child.communicate(timeout=30)
    assert child.returncode == 3
    assert "failed while starting" in err
    assert "Traceback" not in err
    # Each line is whole: a library's log of the error keeps the error's own words.
    assert not [line for line in err.splitlines() if line.rstrip().endswith(":")]


@pytest.mark.realtime
def test_a_connection_that_fails_under_the_screen_is_told_after_it(tmp_path: Path) -> None:
    """The adapter refuses: exit 3, its error on the terminal the app gave back, no traceback."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    # The port is closed again: connecting to it is refused.
    term = _run_in_terminal(tmp_path, "--adapter", f"tcp-client:127.0.0.1:{port}", "--device", "x")
    code = term.exit_code()
    assert code == 3
    text = term.seen.decode(errors="replace")
    assert "cannot open the Bluetooth adapter" in (
        term.after_screen() if LEAVE_SCREEN in term.seen else text
    )
    assert "Traceback" not in text


@pytest.mark.realtime
async def test_an_esc_typed_before_the_screen_is_up_starts_nothing(tmp_path: Path) -> None:
    """Esc at once, while Textual loads and the simulator connects fast: given up, no Start.

    The terminal holds the key until the app reads keys; the engine waits for that, so the
    Esc ends the run before anything started, even with --yes (which confirms by itself).
    """
    sim, adapter = await start_sim(tmp_path / "sim", "home")
    try:
        term = _run_in_terminal(tmp_path, "--adapter", adapter, "--yes")
        term.type(b"\x1b")
        code = await asyncio.to_thread(term.exit_code)
    finally:
        await sim.close()
    assert code == 1
    assert "stopped before the treadmill connected" in term.after_screen()
    assert not [line for line in sim.lines if "(start or resume)" in line]


async def _never() -> None:
    await asyncio.Event().wait()


async def _refuse(command: Command) -> CommandResult:
    return CommandResult(command, accepted=False, reason="not in this test")


async def test_a_stop_while_connecting_abandons_the_connection() -> None:
    """A stop cancels the connection under way and the run ends with StoppedBeforeStartError."""
    link = EngineLink()
    connecting = asyncio.create_task(link.connecting(_never()))
    await asyncio.sleep(1.0)
    assert not connecting.done()
    result = await link.submit(Command(CommandKind.PAUSE, Origin.KEYBOARD))
    assert not result.accepted
    assert result.reason == NOT_CONNECTED
    assert not connecting.done()  # a refused command leaves the connection alone
    result = await link.submit(Command(CommandKind.EMERGENCY_STOP, Origin.KEYBOARD))
    assert result.accepted
    with pytest.raises(StoppedBeforeStartError):
        await connecting


async def test_a_stop_as_the_connection_comes_up_still_ends_before_the_start() -> None:
    """Stopped after the connection finished but before the engine: no engine is started."""
    link = EngineLink()

    async def connect_then_stop() -> str:
        await link.submit(Command(CommandKind.STOP, Origin.KEYBOARD))
        return "connected"

    with pytest.raises(StoppedBeforeStartError):
        await link.connecting(connect_then_stop())


async def test_once_attached_a_stop_reaches_the_engine() -> None:
    """After attach, commands go to the engine itself; ending the link cancels the engine."""
    link = EngineLink()
    sent: list[Command] = []

    async def submit(command: Command) -> object:
        sent.append(command)
        return "engine's answer"

    engine = asyncio.create_task(_never())
    plan = intro_plan()
    link.attach(submit, engine, plan)  # type: ignore[arg-type]
    assert await link.plan is plan
    stop = Command(CommandKind.STOP, Origin.KEYBOARD)
    assert await link.submit(stop) == "engine's answer"  # type: ignore[comparison-overlap]
    assert sent == [stop]
    assert link.running
    await link.end()
    assert engine.cancelled()


async def test_the_screen_refuses_keys_while_connecting_then_draws_the_fitted_plan() -> None:
    """Before the engine exists a key is refused on screen; the fitted plan replaces the plan."""
    link = EngineLink()
    bus = Bus()
    plan = intro_plan()
    app = RetrowalkApp(
        bus.subscribe("tui"), link.submit, plan=plan, title="Retro intro", fitted=link.plan
    )
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("enter")
        assert await toasts(pilot) == [NOT_CONNECTED]
        fitted = intro_plan()
        assert fitted is not plan
        link.attach(_refuse, asyncio.create_task(_never()), fitted)
        await pilot.pause()
        assert app.query_one("#plan", PlanBar).plan is fitted
        assert app.plan is fitted
        bus.close()
        await link.end()
