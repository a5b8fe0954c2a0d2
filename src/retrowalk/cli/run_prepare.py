"""The checks of `retrowalk run` that need no device, and the session log's header.

`prepare()` loads the workout, chooses and applies the safety profile, and checks the voice and
the MQTT settings, so bad input fails (exit 2, one clear message) before anything connects.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retrowalk import __version__
from retrowalk.cli.run_options import workout_path

if TYPE_CHECKING:
    from pathlib import Path

    from retrowalk.cli.run_options import RunOptions
    from retrowalk.device.api import Treadmill
    from retrowalk.sinks.mqtt.settings import MqttSettings
    from retrowalk.workout.plan import Plan
    from retrowalk.workout.safety import SafetyProfile


@dataclass(frozen=True)
class Prepared:
    """Everything checked before connecting."""

    options: RunOptions
    path: Path
    sha256: str
    plan: Plan
    profile: SafetyProfile


def prepare(options: RunOptions) -> Prepared:
    """Load and check the workout, profiles and sink settings; raise before any connection."""
    from retrowalk.workout import check_file  # noqa: PLC0415

    path = workout_path(options.workout)
    # The one profile rule of validate, show and run (workout/profiles.py, choose_profile).
    checked = check_file(path, profile=options.profile, body_mass_kg=options.weight_kg)
    plan, profile = checked.ready_to_run()
    if options.mqtt is not None:
        # The URL, CA file and id are checked now; the id may still come from the device name.
        mqtt_settings(options, options.treadmill_id or "check")
    if options.voice != "off":
        from retrowalk.sinks.speech import choose_voice  # noqa: PLC0415 - lazy

        voice = choose_voice(options.voice)  # ConfigError now if this voice cannot speak here
        if voice.problem is not None:
            print(f"retrowalk: {voice.describe()}", file=sys.stderr)
    if options.record:
        from retrowalk.sinks.log_file import check_recordable  # noqa: PLC0415 - lazy

        check_recordable()  # RecordingRefused (exit 2) before anything connects
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return Prepared(options, path, sha, plan, profile)


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


def header(
    prepared: Prepared, treadmill: Treadmill, fitted: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return the session log header: workout (and how it was fitted), device, profile, ..."""
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
            "fitted": list(fitted),  # each target changed to fit this treadmill
        },
        "device": {
            "name": caps.name,
            "address": caps.address,
            "simulated": options.sim is not None or caps.info.is_simulator,
            "sim_profile": options.sim or (caps.info.model if caps.info.is_simulator else None),
            "manufacturer": caps.info.manufacturer,
            "model": caps.info.model,
            "software": caps.info.software,
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
            "units": options.units,
            "time": "virtual" if options.fast else f"x{options.speedup:g}",
        },
        "versions": {
            "retrowalk": __version__,
            "bleak": _version("bleak"),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
        },
    }


def _range(value: object) -> list[float] | None:
    if value is None:
        return None
    return [float(v) for v in vars(value).values() if isinstance(v, int | float)]


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - header only

    try:
        return version(package)
    except PackageNotFoundError:
        return None
