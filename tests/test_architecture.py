"""The layering rules of docs/architecture.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "retrowalk"
SIM = ROOT / "simulators" / "retrowalk_sim"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _starts(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


LAYERS = ("retrowalk.engine", "retrowalk.device", "retrowalk.sinks", "retrowalk.cli")
MQTT_CLIENT = "src/retrowalk/broker/client.py"  # the one module that imports aiomqtt


@pytest.mark.parametrize("path", _modules(SRC), ids=_rel)
def test_layering(path: Path) -> None:
    """Each module imports only what its layer may import."""
    parts = path.relative_to(SRC).parts
    layer = parts[0] if len(parts) > 1 else ""
    bad: list[str] = []
    for name in _imports(path):
        if (layer in {"workout", "ftms"} or path.name == "units.py") and _starts(name, LAYERS):
            bad.append(name)
        if layer == "engine" and _starts(name, ("bleak", "aiomqtt", "textual", "rich")):
            bad.append(name)
        if layer == "engine" and _starts(name, ("retrowalk.sinks", "retrowalk.cli")):
            bad.append(name)
        if _starts(name, ("bleak",)) and layer != "device":
            bad.append(name)
        if _starts(name, ("aiomqtt", "paho")) and _rel(path) != MQTT_CLIENT:
            bad.append(name)
        if _starts(name, ("textual", "rich")) and layer != "cli":
            bad.append(name)
        if _starts(name, ("pycycling",)) and _rel(path) != "src/retrowalk/device/heart_rate.py":
            bad.append(name)
        if _starts(name, ("retrowalk_sim",)) and layer in {"workout", "ftms", "engine", "sinks"}:
            bad.append(name)
    assert not bad, f"{_rel(path)} may not import {sorted(bad)}"


@pytest.mark.parametrize("path", _modules(SRC), ids=_rel)
def test_mqtt_clients_stay_apart_from_the_run(path: Path) -> None:
    """The broker link and the room watcher know nothing of a run; sinks never use the room."""
    parts = path.relative_to(SRC).parts
    layer = parts[0] if len(parts) > 1 else path.stem
    allowed = {
        "backoff": ("retrowalk.errors",),
        "broker": ("retrowalk.broker", "retrowalk.backoff", "retrowalk.errors"),
        "room": (
            "retrowalk.room",
            "retrowalk.broker",
            "retrowalk.backoff",
            "retrowalk.units",
            "retrowalk.errors",
        ),
    }.get(layer)
    own = [name for name in _imports(path) if _starts(name, ("retrowalk",))]
    bad = [name for name in own if allowed is not None and not _starts(name, allowed)]
    if layer == "sinks":
        bad += [name for name in own if _starts(name, ("retrowalk.room",))]
    assert not bad, f"{_rel(path)} may not import {sorted(bad)}"


@pytest.mark.parametrize("path", _modules(SIM), ids=_rel)
def test_simulator_imports_only_the_protocol(path: Path) -> None:
    """The simulator imports retrowalk.ftms (the protocol) and nothing else of retrowalk."""
    bad = [
        name
        for name in _imports(path)
        if _starts(name, ("retrowalk",))
        and not _starts(name, ("retrowalk.ftms", "retrowalk.errors"))
    ]
    assert not bad, f"{_rel(path)} may not import {sorted(bad)}"
