"""`retrowalk next` and `retrowalk run next` on a made-up history around today."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from retrowalk.cli.main import main
from walked_logs import week_session

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _history(folder: Path, *sessions: tuple[int, int, str]) -> None:
    """Write (days ago, week, how) sessions into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now().astimezone()
    for i, (days_ago, week, how) in enumerate(sessions):
        week_session(folder / f"{i:02d}.jsonl", now - timedelta(days=days_ago), week, how)


def test_next_says_the_week_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Weeks 1 and 2 done, week 3 once with a HOLD: week 3 is due, 0 of 2, with the reasons."""
    _history(tmp_path, (9, 1, "ok"), (8, 1, "ok"), (6, 2, "ok"), (4, 2, "ok"), (2, 3, "hr"))
    assert main(["next", "--dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        "Retro 6-Week Starter: week 3 of 6 is due: retro-6-week-starter-week3"
    )
    assert "0 of 2 completions" in lines[0]
    assert any("did not count: a HOLD for heart rate at 6:40" in line for line in lines)
    assert lines[-1] == "run it: retrowalk run next"


def test_next_json_and_the_profile_a_later_week_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json for tools; week 5 declares advanced, so the run line says --profile advanced."""
    done = [(30 - 2 * i, 1 + i // 2, "ok") for i in range(8)]  # weeks 1-4, every other day
    _history(tmp_path, *[(d - 14, w, h) for d, w, h in done])
    assert main(["next", "--dir", str(tmp_path)]) == 0
    assert (
        capsys.readouterr().out.splitlines()[-1] == "run it: retrowalk run next --profile advanced"
    )
    assert main(["next", "--dir", str(tmp_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["due_week"], document["completions"]) == (5, 0)
    assert document["workout"] == "retro-6-week-starter-week5"
    assert [s["counted"] for s in document["sessions"]] == [True] * 8


def test_after_eleven_days_away_the_last_completed_week_repeats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Week 2 done, week 3 once, then 11 days without a session: week 2 again."""
    _history(tmp_path, (20, 1, "ok"), (18, 1, "ok"), (16, 2, "ok"), (14, 2, "ok"), (11, 3, "ok"))
    assert main(["next", "--dir", str(tmp_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["due_week"], document["completions"]) == (2, 0)
    assert "week 2 repeats" in document["why"][-1]


def test_run_next_runs_the_due_week_and_a_simulated_run_does_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run next` walks week 1 on an empty history; the simulated run leaves week 1 due."""
    assert main(["run", "next", "--sim", "--fast", "--yes"]) == 0
    assert "Retro 6-Week Starter, Week 1: finished" in capsys.readouterr().out
    assert main(["next", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["due_week"], document["sessions"]) == (1, [])


def test_a_finished_programme_and_an_unknown_one_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`run next` after week 6 says the programme is complete; a wrong programme or --dir too."""
    sessions = tmp_path / "data" / "sessions"
    _history(sessions, *[(24 - 2 * i, 1 + i // 2, "ok") for i in range(12)])
    assert main(["run", "next", "--sim", "--fast", "--yes"]) == 2
    assert "Retro 6-Week Starter is complete" in capsys.readouterr().err
    assert main(["next", "--programme", "retro-6-week-startr"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'retro-6-week-starter'" in err
    assert err.count("\n") == 1
    assert main(["next", "--dir", str(tmp_path / "nowhere")]) == 2  # not a fresh start
    assert "no such folder" in capsys.readouterr().err
