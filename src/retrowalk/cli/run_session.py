"""The wiring of `retrowalk run`: treadmill + engine + sinks, one TaskGroup, one bus.

`prepare()` does every check that needs no device (workout, safety profile, simulator profile,
voice, MQTT URL) so bad input fails before anything connects. `session()` connects, subscribes
every sink before the engine starts, runs the engine, and on Ctrl-C cancels only the engine
(whose every exit path stops the belt) so the sinks still receive its last events and the
session log gets its summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import platform
import signal
import stat
import sys
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from retrowalk import __version__
from retrowalk.cli.console import RunSummary, format_summary, print_events, read_commands
from retrowalk.engine.bus import Bus
from retrowalk.engine.commands import Command, CommandKind, Origin
from retrowalk.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConfigError,
    RetrowalkError,
)
from retrowalk.sinks.recorder import SessionRecorder

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
    from pathlib import Path

    from retrowalk.cli.cmd_run import RunOptions
    from retrowalk.device.api import Treadmill
    from retrowalk.engine.bus import Channel
    from retrowalk.engine.commands import CommandResult
    from retrowalk.sinks.mqtt.settings import MqttSettings
    from retrowalk.workout.plan import Plan
    from retrowalk.workout.safety import SafetyProfile
    from retrowalk_sim.bleak_backend import SimWorld

    Submit = Callable[[Command], Awaitable[CommandResult]]


@dataclass(frozen=True)
class Prepared:
    """Everything checked before connecting."""

    options: RunOptions
    path: Path
    sha256: str
    plan: Plan
    profile: SafetyProfile


@dataclass
class Outcome:
    """How the session ended, for the exit code and the summary."""

    exit_code: int
    summary: RunSummary | None = None
    session_log: Path | None = None


def prepare(options: RunOptions) -> Prepared:
    """Load and check the workout, profiles and sink settings; raise before any connection."""
    from retrowalk.cli.cmd_run import workout_path  # noqa: PLC0415 - avoid an import cycle
    from retrowalk.workout import build_plan, check_plan, get_profile, load_workout  # noqa: PLC0415

    path = workout_path(options.workout)
    plan = build_plan(load_workout(path), body_mass_kg=options.weight_kg)
    profile = get_profile(options.profile or default_profile(plan.profile))
    check_plan(plan, profile)
    if options.sim is not None:
        from retrowalk_sim.profiles import PROFILES  # noqa: PLC0415 - simulator on demand

        if options.sim not in PROFILES:
            allowed = ", ".join(sorted(PROFILES))
            raise ConfigError(
                f"--sim {options.sim!r} is not a simulator profile; allowed: {allowed}"
            )
    if options.voice != "off":
        from retrowalk.sinks.speech import make_backend  # noqa: PLC0415 - lazy

        make_backend(options.voice)  # ConfigError now if this voice cannot speak here
    if options.mqtt is not None:
        # The URL, CA file and id are checked now; the id may still come from the device name.
        mqtt_settings(options, options.treadmill_id or "check")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return Prepared(options, path, sha, plan, profile)


def default_profile(declared: str) -> str:
    """Return the safety profile used when the person chose none.

    The workout's own (the least it needs) when it is no looser than "standard"; otherwise
    "standard", so a looser profile such as "advanced" is always the person's explicit choice.
    """
    from retrowalk.workout.safety import DEFAULT_PROFILE, PROFILES  # noqa: PLC0415 - lazy

    own, base = PROFILES.get(declared), PROFILES[DEFAULT_PROFILE]
    if own is None:
        return DEFAULT_PROFILE
    pairs = [
        (own.backward_speed_max_kmh, base.backward_speed_max_kmh),
        (own.backward_incline_max_pct, base.backward_incline_max_pct),
        (own.backward_bout_max_s, base.backward_bout_max_s),
        (own.forward_speed_max_kmh, base.forward_speed_max_kmh),
        (own.forward_incline_max_pct, base.forward_incline_max_pct),
    ]
    looser = any(b is not None and (o is None or o > b) for o, b in pairs)
    return DEFAULT_PROFILE if looser else declared


def header(prepared: Prepared, treadmill: Treadmill) -> dict[str, Any]:
    """Return the session log header: workout, device, profile, body mass, versions."""
    caps = treadmill.capabilities
    options = prepared.options
    totals = prepared.plan.totals
    return {
        "workout": {
            "name": prepared.plan.name,
            "file": str(prepared.path.resolve()),
            "sha256": prepared.sha256,
            "steps": len(prepared.plan.steps),
            "turns": totals.turns,
            "planned_s": totals.duration_with_turns_s,
        },
        "device": {
            "name": caps.name,
            "address": caps.address,
            "simulated": options.sim is not None,
            "sim_profile": options.sim,
            "speed_range": _range(caps.speed_range),
            "incline_range": _range(caps.incline_range),
            "controllable": caps.has_control_point,
        },
        "safety_profile": prepared.profile.name,
        "body_mass_kg": totals.body_mass_kg,
        "body_mass_is_default": totals.body_mass_is_default,
        "options": {
            "clamp": options.clamp,
            "auto_confirm": options.auto_confirm,
            "keep_walking": options.keep_walking,
            "remote_control": options.remote_control,
            "time": "virtual" if options.fast else f"x{options.speedup:g}",
        },
        "versions": {
            "retrowalk": __version__,
            "bleak": _version("bleak"),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
    }


async def session(prepared: Prepared) -> Outcome:
    """Connect, run the workout with every sink, print the summary; return the outcome."""
    from retrowalk.engine.runner import Engine, EngineOptions  # noqa: PLC0415 - lazy

    options = prepared.options
    async with contextlib.AsyncExitStack() as devices:
        treadmill, heart_rate, world = await _connect(devices, options)
        bus = Bus()
        # Every sink subscribes before the engine runs, so none misses the first events.
        recording = bus.subscribe("recorder", snapshots="all")
        display = bus.subscribe("display")
        voice = bus.subscribe("voice") if options.voice != "off" else None
        mqtt = bus.subscribe("mqtt") if options.mqtt is not None else None
        engine = Engine(
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
        )
        recorder = SessionRecorder()
        interrupted = 0  # the signal that asked us to stop, if any
        try:
            async with recorder, asyncio.TaskGroup() as tg:
                log = recorder.run(recording, header(prepared, treadmill))
                tg.create_task(_guarded("session log", log, bus, recording), name="recorder")
                if voice is not None:
                    from retrowalk.sinks.cues import run_voice  # noqa: PLC0415 - lazy

                    speaking = run_voice(voice, options.voice, plan=prepared.plan)
                    tg.create_task(_guarded("voice", speaking, bus, voice), name="voice")
                if mqtt is not None:
                    from retrowalk.sinks.mqtt.sink import run_mqtt  # noqa: PLC0415 - aiomqtt is heavy

                    settings = mqtt_settings(options, treadmill.capabilities.name)
                    publishing = run_mqtt(settings, mqtt, engine.submit, plan=prepared.plan)
                    tg.create_task(_guarded("MQTT", publishing, bus, mqtt), name="mqtt")
                if (person := _simulated_person(options, world, bus, engine.submit)) is not None:
                    tg.create_task(person, name="simulated person")
                engine_task = tg.create_task(_drive(engine.run(), bus), name="engine")

                def interrupt(signum: int) -> None:
                    nonlocal interrupted
                    if interrupted:
                        return
                    interrupted = signum
                    engine_task.cancel()  # first: a hung-up terminal must not keep the belt going
                    _announce_stop(signum)

                screen = tg.create_task(
                    _display(prepared, display, engine.submit, engine_task), name="display"
                )
                with _on_stop_signals(interrupt):
                    await asyncio.wait([engine_task])
                if interrupted and not options.plain:
                    # The screen app waits for the person to quit; a signal means nobody will.
                    screen.cancel()
        except* RetrowalkError as group:
            # An expected failure (a plan that does not fit the machine, a lost device before
            # the start): one clear line from the CLI, not an exception group.
            raise group.exceptions[0] from None
    end = recorder.summary or {}
    summary = RunSummary(
        workout=prepared.plan.name,
        ended=str(end.get("ended", "aborted")),
        reason=end.get("reason"),
        elapsed_s=float(end.get("elapsed_s") or 0.0),
        distance_m=float(end.get("distance_m") or 0.0),
        energy_kcal=float(end.get("energy_kcal") or 0.0),
        steps_done=int(end.get("steps_completed") or 0),
        steps_total=len(prepared.plan.steps),
        turns=int(end.get("turns") or 0),
        belt_stopped=bool(end.get("belt_stopped", True)),
        session_log=recorder.path,
        keep_walking=options.keep_walking,
    )
    _print_summary(summary)
    if interrupted:
        # 130 for Ctrl-C, as shells report a signal: 128 + its number (143 TERM, 129 HUP).
        code = EXIT_INTERRUPTED if interrupted == signal.SIGINT else 128 + interrupted
    else:
        code = EXIT_OK if summary.ended == "finished" else EXIT_FAILURE
    return Outcome(code, summary, recorder.path)


async def _connect(
    stack: contextlib.AsyncExitStack, options: RunOptions
) -> tuple[Treadmill, AsyncIterator[int | None] | None, SimWorld | None]:
    """Connect the treadmill (simulated or real) and the heart-rate strap when asked."""
    from retrowalk.device import scan  # noqa: PLC0415 - lazy: bleak is heavy

    world = None
    if options.sim is not None:
        world = await stack.enter_async_context(
            scan.simulated_world(options.sim, hr_strap=options.hr is not None)
        )
        treadmill = await stack.enter_async_context(scan.connect(None, world=world))
    else:
        treadmill = await stack.enter_async_context(scan.connect(options.device))
    if options.hr is None:
        return treadmill, None, world
    strap = None if options.hr == "auto" else options.hr
    monitor = await stack.enter_async_context(
        scan.connect_heart_rate(strap, simulated=options.sim is not None)
    )
    return treadmill, monitor.readings(), world


def _simulated_person(
    options: RunOptions, world: SimWorld | None, bus: Bus, submit: Submit
) -> Coroutine[Any, Any, None] | None:
    """Return the simulated person of an unattended simulator run (--sim with --yes), else None.

    It presses the simulated console's start when the engine asks for it (see sim_person).
    """
    if world is None or not options.auto_confirm:
        return None
    from retrowalk.cli.sim_person import consoles_in, run_sim_person  # noqa: PLC0415 - sim only

    channel = bus.subscribe("sim-person")
    acting = run_sim_person(channel, consoles_in(world), submit)
    return _guarded("simulated person", acting, bus, channel)


def mqtt_settings(options: RunOptions, device_name: str) -> MqttSettings:
    """Return the MQTT settings; the treadmill id defaults to one made from the device name."""
    from retrowalk.sinks.mqtt.settings import (  # noqa: PLC0415 - lazy
        MqttSettings,
        treadmill_id_from,
    )

    assert options.mqtt is not None
    return MqttSettings.from_url(
        options.mqtt,
        treadmill_id=options.treadmill_id or treadmill_id_from(device_name),
        remote_control=options.remote_control,
        ha_discovery=options.ha_discovery,
        ca_file=options.mqtt_ca,
        password=options.mqtt_password,
    )


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
        print(f"retrowalk: {what} stopped: {exc}", file=sys.stderr, flush=True)
        bus.unsubscribe(channel)  # a dead sink's channel must not grow for the rest of the run


async def _display(
    prepared: Prepared, channel: Channel, submit: Submit, engine_task: asyncio.Task[object]
) -> None:
    """Show the workout: line output (and line commands from stdin), or the screen app."""
    options = prepared.options
    if options.plain:
        try:
            async with asyncio.TaskGroup() as tg:
                keys = None
                if not options.auto_confirm and (fd := _stdin_fd()) is not None:
                    keys = tg.create_task(read_commands(submit, fd, sys.stdout), name="keys")
                await print_events(
                    channel, sys.stdout, verbose=options.verbose, prompts=not options.auto_confirm
                )
                if keys is not None:
                    keys.cancel()  # the workout is over: no more commands
        except* OSError:
            # `retrowalk run ... | head` (EPIPE) or a closed terminal (EIO): nobody reads any
            # more, so nobody watches the belt.
            _silence_stdout()
            await _end_engine(engine_task)
            raise RetrowalkError(
                "the output was closed (broken pipe or closed terminal): the workout was stopped"
            ) from None
        return
    from retrowalk.cli.tui import run_app  # noqa: PLC0415 - textual only when a screen is used

    try:
        await run_app(channel, submit, plan=prepared.plan, title=prepared.plan.name)
    except Exception:
        # A broken screen cannot show the belt: stop it before the error ends the session, so
        # the session log still gets the engine's last events.
        await _end_engine(engine_task)
        raise
    if not engine_task.done():
        # The person quit the app before the end: stop the workout (the engine stops the belt).
        await submit(Command(CommandKind.STOP, Origin.KEYBOARD))


async def _end_engine(engine_task: asyncio.Task[object]) -> None:
    """Cancel the engine (its exit path stops the belt) and wait until it is done."""
    engine_task.cancel()
    await asyncio.wait([engine_task])


# Ctrl-C, `kill`, and a closed terminal window (hang-up) all stop the belt and save the session;
# by default SIGTERM and SIGHUP would end the process on the spot with the belt still running.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _on_stop_signals(handler: Callable[[int], None]) -> Any:  # noqa: ANN401 - contextmanager
    """Route Ctrl-C, SIGTERM and SIGHUP to `handler(signum)` while inside (where allowed)."""
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    for signum in _STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, handler, signum)
        except (NotImplementedError, RuntimeError, ValueError):
            # Windows or not the main thread: Ctrl-C cancels the main task; the recorder still
            # writes its summary from its finally block.
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


def _print_summary(summary: RunSummary) -> None:
    with contextlib.suppress(OSError):  # a closed terminal: the session log has the summary
        print(format_summary(summary), flush=True)


# After a hang-up, how long the belt stop and the session log may take before a process whose
# screen app cannot shut down on the dead terminal is ended anyway (it would otherwise keep the
# treadmill's Bluetooth connection from any other app).
_HANGUP_EXIT_GRACE_S = 15.0


def _announce_stop(signum: int) -> None:
    """Say that the belt is stopping; after a hang-up, detach from the dead terminal first."""
    if signum == getattr(signal, "SIGHUP", None):
        _detach_terminal()
    with contextlib.suppress(OSError, ValueError):
        print("retrowalk: stopping the belt...", file=sys.stderr, flush=True)


def _detach_terminal() -> None:
    # The terminal hung up: writes to it fail or block, so whichever of standard input, output
    # and error were the terminal go to /dev/null from now on. Textual's writer thread can still
    # deadlock its shutdown on the dead terminal and freeze the event loop, so a watchdog thread
    # (a thread: the loop may be frozen) ends the process once the belt stop and the session log
    # have had their time.
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            with contextlib.suppress(OSError):
                if stat.S_ISCHR(os.fstat(fd).st_mode):  # the terminal; pipes and files still work
                    os.dup2(devnull, fd)
        os.close(devnull)
    watchdog = threading.Timer(_HANGUP_EXIT_GRACE_S, os._exit, (128 + signal.SIGHUP,))
    watchdog.daemon = True
    watchdog.start()


def _silence_stdout() -> None:
    # Later writes (and the interpreter's final flush) go nowhere instead of failing again.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _stdin_fd() -> int | None:
    try:
        return sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # replaced or closed stdin (tests, daemons)
        return None


def _range(value: object) -> list[float] | None:
    if value is None:
        return None
    return [float(v) for v in vars(value).values() if isinstance(v, int | float)]


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None
