"""`retrowalk show FILE`: the timeline of a workout and a compact speed/incline chart.

Plain text (no colour, no rich): the safety profile line (the same sentence `validate` and `run`
say), every step with its start time, direction and target, every turn-around, then the speed
and incline profile over time with backward walking marked `B`. A file with problems prints them
as `validate` does, one line each, and exits 2.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from retrowalk.cli.cmd_validate import PROFILE_HELP
from retrowalk.units import UNIT_SYSTEMS, UNITS_HELP

if TYPE_CHECKING:
    import argparse

    from retrowalk.device.api import Capabilities
    from retrowalk.engine.fitting import FitChange
    from retrowalk.units import UnitSystem
    from retrowalk.workout.plan import Plan, Step
    from retrowalk.workout.safety import SafetyProfile

CHART_WIDTH = 72
SPEED_ROWS = 6
INCLINE_ROWS = 3
_MARK = {"forward": "#", "backward": "B", "rest": " "}
_WORD = {"forward": "FWD", "backward": "BACK", "rest": "REST"}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `retrowalk show`."""
    p = subparsers.add_parser(
        "show",
        help="show a workout's timeline and speed/incline chart",
        description="Print the timeline of WORKOUT (a file or library name): each step with its "
        "direction and target, each turn-around, cumulative time, and a speed/incline chart.",
    )
    p.add_argument("workout", metavar="FILE", help="workout file or library name")
    p.add_argument("--profile", metavar="P", help=PROFILE_HELP)
    p.add_argument("--weight", type=float, metavar="KG", help="body mass for the energy estimate")
    p.add_argument("--width", type=int, default=CHART_WIDTH, help="chart width in columns")
    p.add_argument("--units", choices=UNIT_SYSTEMS, help=UNITS_HELP)
    machine = p.add_mutually_exclusive_group()
    machine.add_argument(
        "--sim",
        metavar="PROFILE",
        help="show the plan fitted to a simulated treadmill of this profile",
    )
    machine.add_argument(
        "--device",
        metavar="ADDRESS|NAME",
        help="connect to this treadmill and show the plan fitted to it (nothing moves)",
    )
    p.add_argument(
        "--adapter",
        metavar="SPEC",
        help="reach the treadmill through bumble's Bluetooth stack on this HCI transport: "
        "tcp-client:HOST:PORT (a `retrowalk sim --transport tcp-server:...`) or usb:0",
    )
    p.add_argument("--clamp", action="store_true", help="fit targets beyond the machine's range")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the timeline and chart; return 0, or 2 after the problems of a bad file."""
    from retrowalk.config import chosen_units, load_config  # noqa: PLC0415 - keep --help fast
    from retrowalk.errors import EXIT_BAD_INPUT, ConfigError  # noqa: PLC0415
    from retrowalk.workout.check import check_file  # noqa: PLC0415
    from retrowalk.workout.energy import check_body_mass  # noqa: PLC0415
    from retrowalk.workout.library import find_workout  # noqa: PLC0415

    if args.adapter is not None:
        from retrowalk.device.hci_spec import check_adapter  # noqa: PLC0415 - no bumble in it

        if args.sim is not None:
            raise ConfigError("--adapter and --sim exclude each other: show for one or the other")
        args.adapter = check_adapter(args.adapter)
    if not 20 <= args.width <= 400:
        raise ConfigError(f"--width must be 20 to 400 columns, not {args.width}")
    if args.weight is not None:
        check_body_mass(args.weight, "--weight")
    config = load_config()
    checked = check_file(
        find_workout(args.workout),
        profile=args.profile,
        config_profile=config.profile,
        body_mass_kg=args.weight,
    )
    problems = checked.problems()
    if problems or checked.plan is None:
        for problem in problems:
            print(problem.render(), file=sys.stderr)
        if checked.workout is not None:
            print(f"{checked.source}: {checked.verdict()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    plan = checked.plan
    units = chosen_units(args.units, config)
    if args.sim is not None or args.device is not None or args.adapter is not None:
        plan, changes, name = _fitted(plan, checked.choice.profile, args)
        changed = f"{len(changes)} targets changed" if changes else "nothing to change"
        print(f"fitted to {name}: {changed}")
        for change in changes:
            print(f"  {change.text(units)}")
    print(render(plan, width=args.width, verdict=checked.verdict(), units=units))
    return 0


def _fitted(
    plan: Plan, profile: SafetyProfile, args: argparse.Namespace
) -> tuple[Plan, list[FitChange], str]:
    """Return `plan` fitted to the machine the options name, how, and the machine's name."""
    from retrowalk.device import scan  # noqa: PLC0415 - bleak is heavy
    from retrowalk.engine import clock  # noqa: PLC0415
    from retrowalk.engine.fitting import fit_plan  # noqa: PLC0415

    async def capabilities() -> Capabilities:
        async with contextlib.AsyncExitStack() as stack:
            adapter = None
            if args.adapter is not None:
                from retrowalk.device.bumble_adapter import BumbleAdapter  # noqa: PLC0415

                adapter = await stack.enter_async_context(BumbleAdapter(args.adapter))
            connecting = scan.connect(args.device, sim=args.sim, adapter=adapter)
            treadmill = await stack.enter_async_context(connecting)
            return treadmill.capabilities

    caps = clock.run(capabilities, fast=args.sim is not None)
    fitted, notes = fit_plan(plan, caps, profile, clamp=args.clamp)
    return fitted, notes, caps.name


def render(
    plan: Plan,
    *,
    width: int = CHART_WIDTH,
    verdict: str | None = None,
    units: UnitSystem = "metric",
) -> str:
    """Return the timeline and the chart as text (after the profile `verdict`, when given)."""
    lines = timeline(plan, units)
    if verdict is not None:
        lines.insert(1, f"safety profile: {verdict}")
    drawn = chart(plan, width=width, units=units)
    return "\n".join(line.rstrip() for line in [*lines, "", *drawn])


def timeline(plan: Plan, units: UnitSystem = "metric") -> list[str]:
    """Return one line per step and per turn-around, with cumulative time, in `units`."""
    from retrowalk.units import format_distance, format_duration, speed_unit  # noqa: PLC0415

    t = plan.totals
    speed_heading = f"SPEED {speed_unit(units)}"
    default = ", the default" if t.body_mass_is_default else ""
    lines = [
        f"{plan.name}  ({plan.source}; needs profile {plan.profile})",
        (
            f"{format_duration(t.duration_with_turns_s)} with {t.turns} turns "
            f"({format_duration(t.duration_s)} walking, {format_duration(t.backward_s)} backward), "
            f"{format_distance(t.distance_m, units)}, about {t.energy_kcal:.0f} kcal "
            f"(estimate for {t.body_mass_kg:g} kg{default})"
        ),
        "",
        f"{'START':>8}  {'':4} {'DIR':<5} {'LENGTH':<9} {speed_heading:<11} {'INCL':>5}  LABEL",
    ]
    for step in plan.steps:
        turn = plan.transition_before(step.index)
        if turn is not None:
            origin = turn.from_direction.value if turn.from_direction else "start"
            how = f"{turn.turn.mode.value}, {turn.turn.window_s:g} s"
            how += ", confirm" if turn.turn.confirm else ""
            lines.append(
                f"{format_duration(turn.start_s):>8}  {'':4} TURN  "
                f"{origin} -> {turn.to_direction.value} ({how})"
            )
        lines.append(_step_line(step, units))
    lines.append(f"{format_duration(t.duration_with_turns_s):>8}  {'':4} END")
    return lines


def chart(plan: Plan, *, width: int = CHART_WIDTH, units: UnitSystem = "metric") -> list[str]:
    """Return the speed and incline profile; `#` forward, `B` backward, `|` a turn."""
    from retrowalk.units import speed_in, speed_unit  # noqa: PLC0415

    total = plan.totals.duration_with_turns_s or 1.0
    columns = [
        (kind, speed_in(speed, units), grade)
        for kind, speed, grade in (_sample(plan, (i + 0.5) * total / width) for i in range(width))
    ]
    for turn in plan.transitions:  # a short turn may fall between samples: always show it
        columns[min(int(turn.start_s / total * width), width - 1)] = ("turn", 0.0, 0.0)
    top_speed = max((s for _, s, _ in columns), default=0.0) or 1.0
    top_incline = max((abs(g) for _, _, g in columns), default=0.0)
    lines = [f"speed {speed_unit(units)} (# forward, B backward, | turn, blank rest)"]
    for row in range(SPEED_ROWS, 0, -1):
        level = top_speed * row / SPEED_ROWS
        half = top_speed / SPEED_ROWS / 2  # a cell is filled when the value rounds up to it
        cells = "".join(
            _MARK[kind] if speed >= level - half and speed > 0 else ("|" if kind == "turn" else " ")
            for kind, speed, _ in columns
        )
        lines.append(f"{level:5.1f} {cells}")
    lines.append(f"{'':5} {'-' * width}")
    if top_incline > 0:
        lines.append("incline %")
        for row in range(INCLINE_ROWS, 0, -1):
            level = top_incline * row / INCLINE_ROWS
            half = top_incline / INCLINE_ROWS / 2
            cells = "".join(
                _MARK[kind] if abs(grade) >= level - half and grade and kind != "turn" else " "
                for kind, _, grade in columns
            )
            lines.append(f"{level:5.1f} {cells}")
        lines.append(f"{'':5} {'-' * width}")
    from retrowalk.units import format_duration  # noqa: PLC0415

    end = format_duration(total)
    lines.append(f"{'':5} 0:00{end:>{width - 4}}")
    return lines


def _sample(plan: Plan, at: float) -> tuple[str, float, float]:
    """Return (kind, speed, incline) at time `at`: kind is forward, backward, rest or turn."""
    for step in plan.steps:
        turn = plan.transition_before(step.index)
        if turn is not None and turn.start_s <= at < step.start_s:
            return "turn", 0.0, step.incline_pct
        if step.start_s <= at < step.start_s + step.planned_s:
            fraction = (at - step.start_s) / step.planned_s if step.planned_s else 0.0
            speed = step.speed.at(fraction) if step.speed is not None else 0.0
            return step.direction.value, speed, step.incline_pct
    return "rest", 0.0, 0.0


def _step_line(step: Step, units: UnitSystem) -> str:
    from retrowalk.units import format_distance, format_duration, speed_in  # noqa: PLC0415

    extent = (
        format_distance(step.distance_m, units)
        if step.distance_m is not None
        else format_duration(step.planned_s)
    )
    if step.speed is None:
        speed = "-"
    elif step.speed.is_ramp:
        start, end = speed_in(step.speed.start_kmh, units), speed_in(step.speed.end_kmh, units)
        speed = f"{start:.1f}->{end:.1f}"
    else:
        speed = f"{speed_in(step.speed.start_kmh, units):.1f}"
    incline = f"{step.incline_pct:g}%" if step.direction != "rest" else "-"
    label = step.label or ""
    return (
        f"{format_duration(step.start_s):>8}  {step.index + 1:>3}. {_WORD[step.direction]:<5} "
        f"{extent:<9} {speed:<11} {incline:>5}  {label}"
    )
