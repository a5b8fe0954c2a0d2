"""Read a workout file safely and turn its YAML node tree into plain data plus source positions.

Scalars are read from the composed node tree, never through PyYAML's constructors: `5:00` stays
the text "5:00" (YAML 1.1 would make it the sexagesimal integer 300), and aliases are expanded by
our own walk under a node budget, so an alias bomb is refused before it costs memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from retrowalk.errors import SourceLocation, WorkoutError

if TYPE_CHECKING:
    from pathlib import Path

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 20_000  # a long workout has a few hundred nodes; aliases may not expand past this
MAX_DEPTH = 40
MAX_KEY_CHARS = 64  # keys are words like "speed"; a longer one would fill every message's path
MAX_MESSAGE_CHARS = 300  # a message quoting a hostile megabyte value shows its ends only

_BOOL = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {"!", *(_TAG + t for t in ("str", "null", "bool", "int", "float", "timestamp"))}
_COLLECTION_TAGS = {_TAG + "seq", _TAG + "map"}
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceTree:
    """A document as plain data (dicts, lists, str, int, float, bool, None) with positions."""

    file: str
    data: Any = None
    values: dict[str, tuple[int, int]] = field(default_factory=dict)
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    # What the walk refused and left out of `data` (tags, duplicate or odd keys): reported
    # with the format's problems, so one run shows them all.
    problems: list[WorkoutError] = field(default_factory=list)

    def locate(self, path: str, *, key: bool = False) -> SourceLocation:
        """Return the location of `path` (its key when `key`), or its nearest known parent's."""
        probe = path
        while True:
            found = (self.keys.get(probe) if key else None) or self.values.get(probe)
            if found is not None or not probe:
                line, column = found or (None, None)
                return SourceLocation(self.file, line, column, path)
            probe = _parent(probe)


def read_text(path: Path) -> str:
    """Return the file's text; refuse a missing, oversize or non-UTF-8 file with a WorkoutError."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WorkoutError(_oversize(size), SourceLocation(name))
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise WorkoutError(
            f"cannot read the file: {exc.strerror or exc}", SourceLocation(name)
        ) from exc
    if len(raw) > MAX_FILE_BYTES:
        raise WorkoutError(_oversize(len(raw)), SourceLocation(name))
    return decode(raw, name)


def decode(raw: bytes, name: str) -> str:
    """Return UTF-8 text (a leading BOM dropped); a bad byte is named by its offset."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise WorkoutError(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}; save the file as UTF-8",
            SourceLocation(name, line, column),
        ) from exc


def parse_tree(text: str, name: str) -> SourceTree:
    """Compose `text` as one YAML document and return it as a SourceTree.

    Raises WorkoutError for what makes the document unreadable (syntax, size, depth, aliases);
    the parts the walk leaves out are in `problems`.
    """
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise WorkoutError(_oversize(len(text.encode("utf-8"))), SourceLocation(name))
    try:
        _count_events(text, name)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "not valid YAML"
        if exc.context:
            line = f" (line {exc.context_mark.line + 1})" if exc.context_mark else ""
            problem = f"{exc.context}{line}, {problem}"
        location = SourceLocation(name, mark.line + 1, mark.column + 1) if mark else None
        raise WorkoutError(
            f"YAML syntax error: {problem}", location or SourceLocation(name)
        ) from exc
    except yaml.YAMLError as exc:
        raise WorkoutError(f"YAML syntax error: {exc}", SourceLocation(name)) from exc
    except RecursionError as exc:
        raise WorkoutError(
            f"nested more deeply than {MAX_DEPTH} levels", SourceLocation(name)
        ) from exc
    tree = SourceTree(name)
    if node is None:
        raise WorkoutError(
            "the file is empty; a workout needs name and intervals", SourceLocation(name)
        )
    walker = _Walker(tree)
    tree.data = walker.walk(node, "", 0)
    tree.problems = walker.problems
    return tree


def _count_events(text: str, name: str) -> None:
    """Stream the parser's events (constant memory) and refuse a document too big or deep.

    This runs before composing, so a megabyte of tiny nodes never becomes a node tree; alias
    expansion is bounded later, by the walk.
    """
    nodes = depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if nodes > MAX_NODES or depth > MAX_DEPTH:
            mark = event.start_mark
            what = f"more than {MAX_NODES} YAML nodes" if nodes > MAX_NODES else None
            message = (
                f"the document has {what}; a workout is far smaller"
                if what
                else f"nested more deeply than {MAX_DEPTH} levels"
            )
            where = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
            raise WorkoutError(message, SourceLocation(name, *where))


class _Walker:
    """Converts composed nodes to plain data, counting every node visited (aliases included)."""

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self.visited = 0
        self.problems: list[WorkoutError] = []

    def walk(self, node: yaml.Node, path: str, depth: int) -> Any:  # noqa: ANN401 - YAML data
        self.visited += 1
        where = (node.start_mark.line + 1, node.start_mark.column + 1)
        if self.visited > MAX_NODES:
            raise WorkoutError(
                f"the document expands to more than {MAX_NODES} YAML nodes (aliases repeating "
                "aliases, a 'billion laughs'); a workout is far smaller",
                SourceLocation(self.tree.file, *where),
            )
        if depth > MAX_DEPTH:
            raise WorkoutError(
                f"nested more deeply than {MAX_DEPTH} levels",
                SourceLocation(self.tree.file, *where),
            )
        self.tree.values.setdefault(path, where)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            self._problem(f"unsupported YAML tag {node.tag!r}", path, where)
            return None
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        raise AssertionError(node)  # pragma: no cover - compose yields only these three

    def _mapping(self, node: yaml.MappingNode, path: str, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = (
                self.walk(key_node, path, depth + 1)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            key_at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key, str) or not key:
                self._problem("keys must be plain words like 'speed'", path, key_at)
                continue
            if len(key) > MAX_KEY_CHARS:
                self._problem(
                    f"a key of {len(key)} characters; keys are plain words like 'speed'",
                    path,
                    key_at,
                )
                continue
            child = f"{path}.{key}" if path else key
            if key in result:
                self._problem(f"duplicate key {key!r}", child, key_at)
                continue
            self.tree.keys[child] = key_at
            result[key] = self.walk(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: str) -> Any:  # noqa: ANN401, PLR0911 - YAML data by tag
        text: str = node.value
        tag: str = node.tag
        if tag not in _SCALAR_TAGS:
            at = (node.start_mark.line + 1, node.start_mark.column + 1)
            self._problem(f"unsupported YAML tag {tag!r}", path, at)
            return text
        if node.style or tag == _TAG + "str":  # plain style is None (or "" from libyaml)
            return text  # quoted or explicitly text
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            return _BOOL[text.lower()]
        if tag in {_TAG + "int", _TAG + "float"} and ":" not in text:
            try:
                return int(text.replace("_", "")) if tag == _TAG + "int" else float(text)
            except ValueError:
                return text  # 0x1F, .inf and other YAML 1.1 spellings: left as text
        return text  # sexagesimal "5:00", timestamps, "!" ...: kept exactly as written

    def _problem(self, message: str, path: str, at: tuple[int, int]) -> None:
        location = SourceLocation(self.tree.file, *at, path)
        self.problems.append(WorkoutError(clip(message), location))


def clip(message: str) -> str:
    """Return `message`, its middle cut out if it is longer than MAX_MESSAGE_CHARS (idempotent)."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    half = (MAX_MESSAGE_CHARS - 40) // 2  # room for the marker: a clipped message fits
    return f"{message[:half]} ... ({len(message) - 2 * half} characters) ... {message[-half:]}"


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def _oversize(size: int) -> str:
    return f"the file is {size} bytes; workouts are limited to {MAX_FILE_BYTES} bytes (1 MiB)"
