"""The wiring of `retrowalk run`: treadmill + engine + sinks, one TaskGroup, one bus.

`session()` starts the display first (the screen app shows CONNECTING while the treadmill is
found; a stop there ends the run before anything started, run_display.EngineLink), connects,
subscribes every sink before the engine starts, runs the engine, and on
Ctrl-C cancels only the engine (whose every exit path stops the belt) so the sinks still receive
its last events and the session log gets its summary. The summary and the exit code come from
the engine's own end (run_outcome), whatever the sinks managed to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retrowalk.cli import sim_script
from retrowalk.cli.run_display import EngineLink, show
from retrowalk.cli.run_options import check_peer
from retrowalk.cli.run_outcome import exit_code, report, run_summary
from retrowalk.cli.run_prepare import header, mqtt_settings
from retrowalk.cli.run_terminal import (
    announce_stop,
    detach_if_hung_up,
    on_stop_signals,
    say,
)
from retrowalk.engine.bus import Bus
from retrowalk.engine.events import Notice
from retrowalk.errors import RetrowalkError, first_error
from retrowalk.sinks.recorder import FAST_WRITE_WALL_S, SessionRecorder
from retrowalk.sinks.tally import EventTally

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
    from pathlib import Path

    from retrowalk.cli.console import RunSummary
    from retrowalk.cli.run_options import RunOptions
    from retrowalk.cli.run_prepare import Prepared
    from retrowalk.device.api import Treadmill
    from retrowalk.engine.bus import Channel
    from retrowalk.engine.commands import Command, CommandResult
    from retrowalk.engine.runner import Engine
    from retrowalk.workout import Plan
    from retrowalk_sim.bleak_backend import SimWorld

    Submit = Callable[[Command], Awaitable[CommandResult]]


@dataclass(frozen=True)
class RunResult:
    """What `retrowalk run` ends with: its exit code, the summary, where the session log is."""

    exit_code: int
    summary: RunSummary
    session_log: Path | None


async def session(prepared: Prepared) -> RunResult:
    """Connect, run the workout with every sink, print the summary; return the result."""
    options = prepared.options
    bus = Bus()
    # The display follows the bus from before the connection: the screen shows CONNECTING at once.
    display = bus.subscribe("display", snapshots="none" if options.plain else "latest")
    link = EngineLink()
    stop = _Stop()

    def interrupt(signum: int) -> None:
        if link.ended:  # the workout is over: only the app was left
            detach_if_hung_up(signum)
            screen.cancel()
            return
        if stop.signum:
            return
        stop.signum = signum
        if not link.attached:  # still connecting: give up, nothing has started
            detach_if_hung_up(signum)
            link.give_up(signum)
            return
        link.give_up(signum)  # first: a hung-up terminal must not keep the belt going
        announce_stop(signum)

    try:
        with on_stop_signals(interrupt):
            async with contextlib.AsyncExitStack() as devices, asyncio.TaskGroup() as screens:
                # On any error the group cancels the screen: the app gives the terminal back.
                screen = screens.create_task(show(prepared, display, link), name="display")
                ran = await _run(prepared, devices, bus, link, screen=screen, stop=stop)
    except* RetrowalkError as group:
        # An expected failure (a plan that does not fit the machine, a lost device before the
        # start, a stop while connecting): one clear line from the CLI, not an exception group.
        raise first_error(group) from None
    shown = screen.cancelled() or screen.result()  # False: the output closed mid-run
    summary = run_summary(
        ran.tally,
        ran.plan,
        session_log=ran.log,
        keep_walking=options.keep_walking,
        units=options.units,
    )
    report(summary, shown=shown)
    if ran.real:
        await _export(options, ran.log)
    return RunResult(exit_code(summary, stop.signum), summary, ran.log)


@dataclass
class _Stop:
    """The signal that asked the run to stop (Ctrl-C, SIGTERM, a hang-up), or 0."""

    signum: int = 0


@dataclass(frozen=True)
class _Ran:
    """What a run that started leaves for its summary."""

    tally: EventTally
    plan: Plan  # as fitted to the treadmill
    log: Path | None
    real: bool  # a real treadmill (not the simulator)


async def _run(  # noqa: PLR0913 - the parts session() owns
    prepared: Prepared,
    devices: contextlib.AsyncExitStack,
    bus: Bus,
    link: EngineLink,
    *,
    screen: asyncio.Task[bool],
    stop: _Stop,
) -> _Ran:
    """Connect, then run the engine with every sink until it and the display are done."""
    options = prepared.options
    treadmill, heart_rate, world = await link.connecting(_connect(devices, options))
    await link.until_listening()  # an Esc typed while the screen loaded: nothing starts
    # One plan: fitted to this treadmill once, and what the engine and every sink see.
    prepared, fitted = _fit(prepared, treadmill)
    engine = _engine(prepared, treadmill, bus, heart_rate, fitted)
    tally = EventTally()
    spacing = FAST_WRITE_WALL_S if options.fast else 0.0
    recorder = SessionRecorder(on_problem=lambda m: _tell(bus, m), min_write_wall_s=spacing)
    async with recorder, asyncio.TaskGroup() as tg:
        # Every sink subscribes before the engine runs, so none misses the first events.
        _start_sinks(
            tg, prepared, bus, engine.submit, tally=tally, recorder=recorder,
            treadmill=treadmill, world=world, fitted=fitted,
        )  # fmt: skip
        _announce_remote_control(options, bus)
        sim_script.anchor(world)  # the simulator's clock: the engine's `t` from now
        engine_task = tg.create_task(_drive(engine.run(), bus), name="engine")
        link.attach(engine.submit, engine_task, prepared.plan)
        await asyncio.wait([engine_task])
        if stop.signum and not options.plain:
            # The screen app waits for the person to quit; a signal means nobody will.
            screen.cancel()
        await asyncio.wait([screen])
    real = options.sim is None and not treadmill.capabilities.info.is_simulator
    return _Ran(tally, prepared.plan, recorder.path, real)


async def _export(options: RunOptions, log: Path | None) -> None:
    """Export a real run's log when --export asks (after the log is closed, off the loop)."""
    if options.export_dir is not None and log is not None:
        from retrowalk.cli.cmd_export import export_after_run  # noqa: PLC0415 - real runs only

        say(await asyncio.to_thread(export_after_run, log, options.export_dir))  # one line


def _engine(
    prepared: Prepared,
    treadmill: Treadmill,
    bus: Bus,
    heart_rate: AsyncIterator[int | None] | None,
    fitted: tuple[str, ...],
) -> Engine:
    """Return the engine of this run (prepared's plan, fitted to `treadmill` already)."""
    from retrowalk.engine.runner import Engine, EngineOptions  # noqa: PLC0415 - lazy

    options = prepared.options
    return Engine(
        prepared.plan,
        treadmill,
        bus=bus,
        profile=prepared.profile,
        options=EngineOptions(
            clamp=options.clamp,
            auto_confirm=options.auto_confirm,
            remote_control=options.remote_control,
            keep_walking=options.keep_walking,
            hr_max_bpm=options.hr_max_bpm,
        ),
        heart_rate=heart_rate,
        fit_notes=fitted,
    )


def _start_sinks(  # noqa: PLR0913 - the parts a run wires together
    tg: asyncio.TaskGroup,
    prepared: Prepared,
    bus: Bus,
    submit: Submit,
    *,
    tally: EventTally,
    recorder: SessionRecorder,
    treadmill: Treadmill,
    world: SimWorld | None,
    fitted: tuple[str, ...],
) -> None:
    """Subscribe every sink but the display to `bus` and start it in `tg`."""
    options = prepared.options
    tg.create_task(tally.follow(bus.subscribe("summary", snapshots="none")), name="summary")
    if options.record:
        # The recorder samples the bus's latest snapshot once a second: it needs events only.
        recording = bus.subscribe("recorder", snapshots="none")
        log = recorder.run(
            recording, header(prepared, treadmill, fitted), latest=lambda: bus.latest
        )
        tg.create_task(_guarded("session log", log, bus, recording), name="recorder")
    if options.voice != "off":
        from retrowalk.sinks.cues import run_voice  # noqa: PLC0415 - lazy

        voice = bus.subscribe("voice")
        reports = (lambda report: recorder.note(report.to_dict())) if options.record else None
        speaking = run_voice(
            voice, options.voice, plan=prepared.plan, units=options.units, on_report=reports
        )
        tg.create_task(_guarded("voice", speaking, bus, voice), name="voice")
    if options.mqtt is not None:
        from retrowalk.sinks.mqtt.sink import run_mqtt  # noqa: PLC0415 - aiomqtt is heavy

        mqtt = bus.subscribe("mqtt")
        settings = mqtt_settings(options, treadmill.capabilities.name)
        publishing = run_mqtt(settings, mqtt, submit, plan=prepared.plan)
        tg.create_task(_guarded("MQTT", publishing, bus, mqtt), name="mqtt")
    if (person := _simulated_person(options, world, bus, submit)) is not None:
        tg.create_task(person, name="simulated person")


def _fit(prepared: Prepared, treadmill: Treadmill) -> tuple[Prepared, tuple[str, ...]]:
    """Return `prepared` with its plan fitted to the treadmill, and the lines that say how."""
    from retrowalk.engine.fitting import fit_plan  # noqa: PLC0415 - lazy

    options = prepared.options
    plan, changes = fit_plan(
        prepared.plan, treadmill.capabilities, prepared.profile, clamp=options.clamp
    )
    return dataclasses.replace(prepared, plan=plan), tuple(c.text(options.units) for c in changes)


def _tell(bus: Bus, message: str) -> None:
    """Show and say a problem of a sink beside the engine (the session log) once."""
    t = bus.latest.t if bus.latest is not None else 0.0
    bus.publish(Notice(t=t, message=message, safety=True))


async def _connect(
    stack: contextlib.AsyncExitStack, options: RunOptions
) -> tuple[Treadmill, AsyncIterator[int | None] | None, SimWorld | None]:
    """Connect the treadmill (simulated or real) and the heart-rate strap when asked."""
    from retrowalk.device import scan  # noqa: PLC0415 - lazy: bleak is heavy

    world = None
    if options.sim is not None:
        first = sim_script.treadmill_options(
            options.sim_scenario, trace=options.sim_trace is not None
        )
        world = await stack.enter_async_context(
            scan.simulated_world(
                options.sim, hr_strap=options.hr is not None, first_treadmill=first
            )
        )
        if options.sim_trace is not None:
            stack.callback(sim_script.write_trace, world, options.sim_trace)
        units = options.speed_units
        treadmill = await stack.enter_async_context(
            scan.connect(None, world=world, speed_units=units)
        )
    else:
        adapter = None
        if options.adapter is not None:
            from retrowalk.device.bumble_adapter import BumbleAdapter  # noqa: PLC0415 - bumble

            adapter = await stack.enter_async_context(BumbleAdapter(options.adapter))
        treadmill = await stack.enter_async_context(
            scan.connect(options.device, speed_units=options.speed_units, adapter=adapter)
        )
        if treadmill.capabilities.info.is_simulator:
            await treadmill.pace_simulator(options.speedup)  # `retrowalk sim` follows this run
        # --yes and --speedup: against the simulator only, at this run's pace
        caps = treadmill.capabilities
        check_peer(caps.name, caps.info, yes=options.auto_confirm, speedup=options.speedup)
    if options.hr is None:
        return treadmill, None, world
    strap = None if options.hr == "auto" else options.hr
    monitor = await stack.enter_async_context(
        scan.connect_heart_rate(strap, simulated=options.sim is not None)
    )
    return treadmill, monitor.readings(), world


def _announce_remote_control(options: RunOptions, bus: Bus) -> None:
    """Tell the person, on screen and by voice, that remote commands may move the belt."""
    if not options.remote_control:
        return
    bus.publish(
        Notice(
            t=0.0,
            message=f"remote control is on ({options.remote_control_from}): a coach over "
            "MQTT can start and resume the belt",
            safety=True,
        )
    )


def _simulated_person(
    options: RunOptions, world: SimWorld | None, bus: Bus, submit: Submit
) -> Coroutine[Any, Any, None] | None:
    """Return the simulated person of an unattended simulator run (--sim with --yes), else None.

    It presses the simulated console's start when the engine asks for it (see sim_person).
    """
    if world is None or not options.auto_confirm:
        return None
    from retrowalk.cli.sim_person import consoles_in, run_sim_person  # noqa: PLC0415 - sim only

    channel = bus.subscribe("sim-person", snapshots="none")
    acting = run_sim_person(channel, consoles_in(world), submit)
    return _guarded("simulated person", acting, bus, channel)


async def _drive(run: Coroutine[Any, Any, object], bus: Bus) -> object:
    """Run the engine; whatever happens, close the bus so every sink ends."""
    try:
        return await run
    finally:
        bus.close()


async def _guarded(what: str, run: Awaitable[object], bus: Bus, channel: Channel) -> None:
    """Run a sink that must never end the workout: report its failure and carry on."""
    try:
        await run
    except Exception as exc:  # noqa: BLE001 - a failing sink must not stop the belt's owner
        say(f"{what} stopped: {exc}")
        bus.unsubscribe(channel)  # a dead sink's channel must not grow for the rest of the run
