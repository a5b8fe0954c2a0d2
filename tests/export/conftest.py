"""Session logs of real workouts on the simulator (fast mode), walked once for all export tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from walked_logs import cli_run, held_run, killed_copy

V1 = Path(__file__).parents[1] / "history" / "data" / "v1-tiny-retro.jsonl"


@pytest.fixture(scope="session")
def walked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Logs by name: a finished run with a heart-rate strap, HOLDs, a killed run, format 1."""
    data = tmp_path_factory.mktemp("walked")
    finished = cli_run(data, "retro-intro", "--hr", "auto")
    return {
        "finished": finished,
        "standard": cli_run(data, "retro-6-week-starter-week4"),
        "heart-rate hold": held_run(data / "held"),
        "console stop": held_run(data / "stopped", cause="console_stop"),
        "killed": killed_copy(finished, data / "killed.jsonl"),
        "format 1": V1,
    }
