"""Isolate `retrowalk run` tests from the user's config file and data folder."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the config file and the data folder into the test's tmp_path."""
    monkeypatch.setenv("RETROWALK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path / "data"))
