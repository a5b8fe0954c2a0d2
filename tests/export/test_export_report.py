"""The report chart: a PNG or SVG of a walked session; a clear line without matplotlib."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from retrowalk.errors import ConfigError
from retrowalk.export.activity import activity
from retrowalk.export.report import chart
from retrowalk.history import read_log

if TYPE_CHECKING:
    from pathlib import Path

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_png_and_an_svg_of_a_session_with_a_hold(walked: dict[str, Path]) -> None:
    """Both formats draw; the SVG names the hold's cause, the backward parts and the totals."""
    walked_activity = activity(read_log(walked["heart-rate hold"]))
    assert chart(walked_activity, "png").startswith(PNG)
    svg = chart(walked_activity, "svg").decode()
    assert svg.lstrip().startswith("<?xml")
    assert "HOLD (heart rate)" in svg
    assert "backward" in svg
    assert "Retro Intro" in svg
    assert "simulated treadmill" in svg


def test_the_same_session_draws_the_same_file(walked: dict[str, Path]) -> None:
    """No date or other varying metadata: the README's picture changes only with the code."""
    walked_activity = activity(read_log(walked["finished"]))
    assert chart(walked_activity, "svg") == chart(walked_activity, "svg")


def test_without_matplotlib_one_line_names_the_extra(
    walked: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without the plot extra gets one line saying how to add it (exit 2)."""
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"retrowalk\[plot\]") as raised:
        chart(activity(read_log(walked["finished"])), "png")
    assert "\n" not in str(raised.value)
    assert raised.value.exit_code == 2
