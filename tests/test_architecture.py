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


@pytest.mark.parametrize("path", _modules(SRC / "history"), ids=_rel)
def test_history_imports_no_layer_above(path: Path) -> None:
    """The session-log reader (history/) imports no engine, device, sinks, cli or simulator."""
    bad = [name for name in _imports(path) if _starts(name, (*LAYERS, "retrowalk_sim"))]
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


@pytest.mark.parametrize("path", _modules(SRC / "export"), ids=_rel)
def test_export_builds_on_history_alone(path: Path) -> None:
    """Exports import no engine, device, sinks, cli; fit-tool and matplotlib kept apart."""
    bad = [name for name in _imports(path) if _starts(name, (*LAYERS, "retrowalk_sim"))]
    if path.name not in {"fit.py", "fit_stream.py"}:
        bad += [name for name in _imports(path) if _starts(name, ("fit_tool",))]
    if _rel(path) != "src/retrowalk/export/report.py":
        bad += [name for name in _imports(path) if _starts(name, ("matplotlib",))]
    assert not bad, f"{_rel(path)} may not import {sorted(bad)}"


ONE_WAY = {
    # layer: what it may never import (docs/architecture.md, "Layers and folders")
    "device": ("retrowalk.engine", "retrowalk.sinks", "retrowalk.cli", "retrowalk.history"),
    "sinks": ("retrowalk.cli",),
    "workout": ("retrowalk.engine", "retrowalk.device", "retrowalk.sinks", "retrowalk.cli"),
    "engine": ("retrowalk.ftms", "retrowalk.history"),  # the device speaks the engine's language
}


@pytest.mark.parametrize("path", _modules(SRC), ids=_rel)
def test_paths_run_one_way(path: Path) -> None:
    """Device never imports the engine, sinks never the CLI, workout and engine stay below."""
    parts = path.relative_to(SRC).parts
    forbidden = ONE_WAY.get(parts[0] if len(parts) > 1 else "", ())
    bad = sorted(name for name in _imports(path) if _starts(name, forbidden))
    assert not bad, f"{_rel(path)} may not import {bad}"


def _module_name(path: Path) -> str:
    base, package = (SIM, "retrowalk_sim") if SIM in path.parents else (SRC, "retrowalk")
    parts = [package, *path.relative_to(base).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, known: set[str]) -> set[str]:
    """Return the modules `path` imports when it is imported: module level, not TYPE_CHECKING.

    `from package import submodule` depends on the submodule, not on the package's __init__.
    """
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(subs & known or {node.module})
    return found


def _owner(name: str, known: set[str]) -> str:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def test_no_import_circles() -> None:
    """No chain of module-level imports leads back to where it started."""
    names = {_module_name(p): p for p in _modules(SRC) + _modules(SIM)}
    known = set(names)
    graph = {
        name: {_owner(i, known) for i in _runtime_imports(path, known)} - {"", name}
        for name, path in names.items()
    }
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                circles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not circles, " ; ".join(" -> ".join(c) for c in circles)


MAX_LINES = 350


@pytest.mark.parametrize("path", _modules(SRC) + _modules(SIM), ids=_rel)
def test_modules_are_small_or_say_why(path: Path) -> None:
    """No module is over 350 lines unless docs/architecture.md names it with the reason."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if lines <= MAX_LINES:
        return
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert f"`{_rel(path)}`" in page, f"{_rel(path)} has {lines} lines (over {MAX_LINES})"
