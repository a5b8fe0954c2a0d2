"""Which key does what on the gym screen: the laptop's keys, and a handheld remote's (pure).

Handheld Bluetooth remotes and page-turners act as keyboards: PageDown/PageUp, arrows, Enter,
Space, a "blank screen" key (B or .), F5, and volume or media keys where the terminal passes
them on. `--remote-keys` maps them to the three things a person facing the rear needs: confirm
(start, turn done, resume), pause (wait) and emergency stop. `retrowalk keys learn` records a
particular remote's keys in config.toml (`[remote_keys]`). Keys the remote takes over move to
spare keys (speed on + and -, incline on ] and [, skip and back on > and <). Esc, S and Ctrl+C
always stop the belt; Q always asks to quit; neither can be given to a remote's confirm or pause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrowalk.engine.commands import CommandKind
from retrowalk.errors import ConfigError
from retrowalk.units import KMH_PER_MPH

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from retrowalk.units import UnitSystem

# The app's bindings by id, with the keys they have without a remote (Textual key names).
KEYBOARD: dict[str, str] = {
    "emergency": "escape,s,ctrl+c",
    "pause": "space",
    "confirm": "enter",
    "skip": "n",
    "back": "b",
    "faster": "up",
    "slower": "down",
    "steeper": "right",
    "flatter": "left",
    "quit": "q",
}
SPARE: dict[str, str] = {  # where a binding goes when the remote takes its key
    "skip": "greater_than_sign",
    "back": "less_than_sign",
    "faster": "plus,equals_sign",
    "slower": "minus",
    "steeper": "right_square_bracket",
    "flatter": "left_square_bracket",
}
RESERVED = frozenset({"escape", "s", "ctrl+c", "q", "ctrl+q"})  # never a remote's confirm/pause
ACTIONS = ("confirm", "pause", "stop")  # what a remote button can do (config.toml's names)
_KEY_NAME = re.compile(r"(?:(?:ctrl|shift|alt|super|meta)\+)*[a-z0-9_]+")

SHORT: dict[str, str] = {  # how the footer and the READY screen name keys
    "escape": "Esc",
    "enter": "Enter",
    "space": "Spc",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "full_stop": ".",
    "plus": "+",
    "equals_sign": "=",
    "minus": "-",
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "greater_than_sign": ">",
    "less_than_sign": "<",
    "raise_volume": "Vol+",
    "lower_volume": "Vol-",
    "media_play_pause": "Play",
    "media_next": "Next",
    "ctrl+c": "Ctrl+C",
}


@dataclass(frozen=True)
class RemoteKeys:
    """The keys a handheld remote sends for each action; `source` says where they came from."""

    confirm: tuple[str, ...]
    pause: tuple[str, ...]
    stop: tuple[str, ...]
    source: str = "the common remotes and page-turners"

    def describe(self, most: int = 2) -> str:
        """Return the mapping in words, `most` keys an action, for the READY screen."""
        parts = []
        for action, keys in (("confirm", self.confirm), ("pause", self.pause), ("STOP", self.stop)):
            if keys:
                parts.append(f"{'/'.join(name(k) for k in keys[:most])} {action}")
        return " · ".join(parts)


DEFAULT_REMOTE = RemoteKeys(
    confirm=("pagedown", "right", "down", "raise_volume", "media_next"),
    pause=("pageup", "left", "up", "lower_volume", "media_play_pause"),
    stop=("b", "full_stop", "f5", "shift+f5"),
)


def name(key: str) -> str:
    """Return how a person reads Textual's key name (PgDn, Vol+, F5, B)."""
    if key in SHORT:
        return SHORT[key]
    return "+".join(part.upper() if len(part) == 1 else part.title() for part in key.split("+"))


def keymap(remote: RemoteKeys | None) -> dict[str, str]:
    """Return binding id -> keys (Textual's keymap) for the app, with or without a remote."""
    keys = {binding: keys.split(",") for binding, keys in KEYBOARD.items()}
    if remote is None:
        return {binding: ",".join(k) for binding, k in keys.items()}
    taken = {*remote.confirm, *remote.pause, *remote.stop}
    for binding, own in list(keys.items()):
        if binding in SPARE and taken & set(own):
            keys[binding] = SPARE[binding].split(",")
    for binding, extra in (
        ("confirm", remote.confirm),
        ("pause", remote.pause),
        ("emergency", remote.stop),
    ):
        keys[binding] = [*keys[binding], *(k for k in extra if k not in keys[binding])]
    return {binding: ",".join(k) for binding, k in keys.items()}


def key_display(remote: RemoteKeys | None) -> dict[str, str]:
    """Return binding id -> how the footer names its keys: two at most ("Esc/S", "Enter/PgDn")."""
    shown: dict[str, str] = {}
    for binding, keys in keymap(remote).items():
        names = [name(k) for k in keys.split(",") if not k.startswith("ctrl+")]
        own = [k for k in KEYBOARD[binding].split(",") if not k.startswith("ctrl+")]
        if remote is not None and len(names) > len(own):
            names = [names[0], names[len(own)]]  # the laptop's key, then the remote's
        shown[binding] = "/".join(names[:2]) if binding in TWO_SHOWN else names[0]
    return shown


TWO_SHOWN = frozenset({"emergency", "pause", "confirm"})


def parse_remote_keys(table: Mapping[str, object], source: Path) -> RemoteKeys:
    """Return the remote's keys from config.toml's `[remote_keys]`; ConfigError naming the fault."""
    where = f"{source}: remote_keys"
    unknown = sorted(set(table) - set(ACTIONS))
    if unknown:
        raise ConfigError(f"{where}: unknown action {unknown[0]!r}; allowed: {', '.join(ACTIONS)}")
    found: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for action in ACTIONS:
        value = table.get(action, [])
        keys = [value] if isinstance(value, str) else value
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ConfigError(f"{where}.{action} must be a key name or a list of them")
        for key in keys:
            if not _KEY_NAME.fullmatch(key):
                raise ConfigError(
                    f"{where}.{action}: {key!r} is not a key name (like pagedown, b, f5)"
                )
            if key in seen:
                raise ConfigError(f"{where}: {key!r} is given to both {seen[key]} and {action}")
            if key in RESERVED and action != "stop":
                raise ConfigError(
                    f"{where}.{action}: {key!r} is kept for stopping or quitting; pick another"
                )
            seen[key] = action
        found[action] = tuple(keys)
    if not any(found.values()):
        raise ConfigError(f"{where}: no keys; run `retrowalk keys learn` to record them")
    return RemoteKeys(found["confirm"], found["pause"], found["stop"], source=str(source))


def nudge(action: str, units: UnitSystem) -> tuple[CommandKind, float] | None:
    """Return the command of a nudge key: speed by 0.1 of the person's unit, incline 0.5 %."""
    step = 0.1 * KMH_PER_MPH if units == "imperial" else 0.1
    return {
        "faster": (CommandKind.NUDGE_SPEED, step),
        "slower": (CommandKind.NUDGE_SPEED, -step),
        "steeper": (CommandKind.NUDGE_INCLINE, 0.5),
        "flatter": (CommandKind.NUDGE_INCLINE, -0.5),
    }.get(action)
