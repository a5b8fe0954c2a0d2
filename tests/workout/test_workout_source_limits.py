"""Hostile or broken files are refused quickly and in bounded memory, with a location."""

from __future__ import annotations

import tracemalloc
from typing import TYPE_CHECKING

import pytest

from retrowalk.errors import WorkoutError
from retrowalk.workout import load_workout, parse_workout
from retrowalk.workout.source import MAX_DEPTH, MAX_FILE_BYTES

if TYPE_CHECKING:
    from pathlib import Path

VALID = "name: T\nintervals:\n  - {forward: 5:00, speed: 4}\n"
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "i: [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
)


def message(path: Path) -> str:
    """Return the one line a person sees for the file at `path`."""
    with pytest.raises(WorkoutError) as caught:
        load_workout(path)
    return str(caught.value)


def test_oversize_file_is_refused_before_reading(tmp_path: Path) -> None:
    """A file over 1 MiB is refused from its size, naming the size and the limit."""
    path = tmp_path / "big.yaml"
    with path.open("wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing to read, only a size
    assert message(path) == (
        f"{path}: the file is 1048577 bytes; workouts are limited to 1048576 bytes (1 MiB)"
    )


def test_non_utf8_names_the_byte_and_offset(tmp_path: Path) -> None:
    """A Latin-1 byte is refused with its value, offset and line:column."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: T\ndescription: caf\xe9\n")
    assert message(path) == (
        f"{path}:2:17: not UTF-8: byte 0xe9 at offset 24; save the file as UTF-8"
    )


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 file saved with a byte-order mark (Windows editors) loads."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_workout(path).name == "T"


def test_alias_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """A billion-laughs document (9^9 nodes) is refused before expanding, using little memory."""
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    tracemalloc.start()
    try:
        text = message(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert text.startswith(f"{path}:")
    assert "expands to more than 20000 YAML nodes" in text
    assert peak < 20 * 1024 * 1024


def test_a_megabyte_of_tiny_nodes_is_refused_while_streaming() -> None:
    """Half a million one-letter list items are refused before any node tree is built."""
    text = "name: [" + "a," * 400_000 + "a]\n"
    tracemalloc.start()
    try:
        with pytest.raises(WorkoutError) as caught:
            parse_workout(text, "w.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(caught.value) == (
        "w.yaml:1:40002: the document has more than 20000 YAML nodes; a workout is far smaller"
    )
    assert peak < 5 * 1024 * 1024  # the text itself is 0.8 MB; a node tree would be ~100 MB


def test_aliases_within_the_bound_are_fine() -> None:
    """An ordinary anchor reused a few times (a shared turn) still works."""
    workout = parse_workout(
        "name: T\nturn: &t {window: 15s}\nintervals:\n"
        "  - {backward: 2:00, speed: 2, turn: *t}\n  - {forward: 2:00, speed: 4, turn: *t}\n",
        "w.yaml",
    )
    assert workout.intervals[1].turn is not None
    assert workout.intervals[1].turn.window == 15


def test_list_at_top_level(tmp_path: Path) -> None:
    """A list instead of a mapping at the top is refused at 1:1."""
    path = tmp_path / "list.yaml"
    path.write_text("- forward: 5:00\n  speed: 4\n", encoding="utf-8")
    assert message(path) == (
        f"{path}:1:1: the top level must be a mapping of workout fields (name:, intervals:), "
        "not a list"
    )


def test_empty_file(tmp_path: Path) -> None:
    """An empty file says what a workout needs."""
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert message(path) == f"{path}: the file is empty; a workout needs name and intervals"


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    """A YAML syntax error names the line and column where the parser stopped.

    The words after "YAML syntax error:" are PyYAML's own and change between its releases.
    """
    path = tmp_path / "syntax.yaml"
    path.write_text("name: T\nintervals:\n  - {forward: 5:00, speed: 4\n", encoding="utf-8")
    text = message(path)
    assert text.startswith(f"{path}:4:1: YAML syntax error: ")
    assert "(line 3)" in text  # where the unclosed mapping opened


def test_tab_indentation_is_a_syntax_error_with_location(tmp_path: Path) -> None:
    """A tab used for indentation is reported where it is."""
    path = tmp_path / "tab.yaml"
    path.write_text("name: T\nintervals:\n\t- forward: 5:00\n", encoding="utf-8")
    text = message(path)
    assert text.startswith(f"{path}:3:1: YAML syntax error: ")


def test_two_documents_are_refused(tmp_path: Path) -> None:
    """A file holding two YAML documents is refused (one workout per file)."""
    path = tmp_path / "two.yaml"
    path.write_text(VALID + "---\n" + VALID, encoding="utf-8")
    assert message(path).startswith(f"{path}:4:1: YAML syntax error: ")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    """Thousands of nested brackets are refused on line 1 with a WorkoutError, not a crash.

    Which of the two refusals wins (retrowalk's depth limit or PyYAML's own, since 6.0.4) is
    PyYAML's business; what the person sees is a located, one-line error.
    """
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    text = message(path)
    assert text.startswith(f"{path}:1:")
    assert "\n" not in text
    assert "Traceback" not in text


def test_nesting_past_the_depth_limit_is_refused(tmp_path: Path) -> None:
    """One level past retrowalk's depth limit is refused with its own message, at that bracket."""
    path = tmp_path / "deep.yaml"
    # The top-level mapping is the first level, so bracket number MAX_DEPTH is one too many.
    path.write_text("name: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", encoding="utf-8")
    assert message(path) == f"{path}:1:{6 + MAX_DEPTH}: nested more deeply than {MAX_DEPTH} levels"
    path.write_text("name: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert "nested" not in message(path)  # one level less is deep, but allowed


def test_python_tags_are_refused() -> None:
    """A python/object tag is never constructed; it is reported as unsupported, with its place."""
    with pytest.raises(WorkoutError) as caught:
        parse_workout(
            'name: !!python/object:os.system "echo"\n'
            "intervals: !!python/object/apply:os.system [echo]\n",
            "w.yaml",
        )
    assert str(caught.value).splitlines() == [
        "w.yaml:1:7: name: unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'",
        (
            "w.yaml:2:12: intervals: unsupported YAML tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'"
        ),
    ]


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a WorkoutError naming it."""
    assert (
        message(tmp_path / "nope.yaml")
        == f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory"
    )


def test_walk_problems_come_with_the_format_problems() -> None:
    """A duplicate key and a bad speed elsewhere are reported in the same run, in file order."""
    with pytest.raises(WorkoutError) as caught:
        parse_workout("name: T\nname: U\nintervals:\n  - {forward: 5:00, speed: fast}\n", "w.yaml")
    assert [line.split(": ")[0] for line in str(caught.value).splitlines()] == [
        "w.yaml:2:1",
        "w.yaml:4:28",
    ]


def test_hostile_long_values_and_keys_make_short_lines() -> None:
    """A megabyte-long value is quoted by its two ends; a 5,000-character key is not echoed."""
    spaces = " " * 500_000
    text = (
        f"name: T\nintervals:\n  - {{forward: '1h{spaces}x', speed: 3}}\n"
        f"  - ? {'k' * 5000}\n    : 1\n    forward: 5:00\n    speed: 3\n"
    )
    with pytest.raises(WorkoutError) as caught:
        parse_workout(text, "w.yaml")
    lines = str(caught.value).splitlines()
    assert all(len(line) < 400 for line in lines), [len(line) for line in lines]
    assert lines[0].endswith("x' is not a duration; write m:ss, h:mm:ss, 90s, 5min, 1h or 1h30min")
    assert lines[1] == (
        "w.yaml:4:7: intervals[1]: a key of 5000 characters; keys are plain words like 'speed'"
    )
