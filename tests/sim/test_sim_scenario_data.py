"""Building a scenario from data or code: times, parameters, tweaks, and every error's wording."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from retrowalk.errors import ConfigError
from retrowalk_sim.scenario import Action, Scenario, ScenarioError, parse_seconds
from retrowalk_sim.scenario_data import scenario_from_data

if TYPE_CHECKING:
    from retrowalk_sim.bleak_backend import SimWorld


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90.5", 90.5), ("20s", 20.0), ("2m", 120.0), ("6:10", 370.0)],
)
def test_times_in_seconds_or_minutes(text: str, seconds: float) -> None:
    """At and for take seconds, 20s, 2m, m:ss and h:mm:ss."""
    assert parse_seconds(text) == seconds
    assert parse_seconds("1:02:03") == 3723.0


def test_the_issue_example_builds() -> None:
    """The format's own example becomes these actions, in time order, with the tweak."""
    scenario = scenario_from_data(
        {
            "tweaks": {"decel_kmh_per_s": 0.2},
            "events": [
                {"at": "10:00", "do": "revoke_control"},
                {"at": "6:10", "do": "console_stop"},
                {"at": "7:00", "do": "console_speed", "kmh": 5.0},
                {"at": "8:00", "do": "drop_link", "for": "20s"},
                {"at": "9:00", "do": "ignore_stop", "for": "60s"},
                {"at": "9:00", "do": "stale_telemetry", "for": "30s"},
            ],
        }
    )
    assert [(a.at_s, a.describe()) for a in scenario.events] == [
        (370.0, "console_stop"),
        (420.0, "console_speed kmh 5 km/h"),
        (480.0, "drop_link for 20 s"),
        (540.0, "ignore_stop for 60 s"),
        (540.0, "stale_telemetry for 30 s"),
        (600.0, "revoke_control"),
    ]
    assert scenario.tweaks == {"decel_kmh_per_s": 0.2}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "the scenario is empty"),
        ([], "a scenario is a mapping"),
        ({"event": []}, "unknown key 'event'; a scenario has tweaks and events"),
        ({"events": [{"at": 1, "do": "dorp_link"}]}, "unknown action 'dorp_link'; allowed: "),
        ({"events": [{"do": "console_stop"}]}, "this event has no at:"),
        ({"events": [{"at": 1}]}, "this event has no do:"),
        ({"events": [{"at": "6:70", "do": "console_stop"}]}, "'6:70': minutes and seconds"),
        ({"events": [{"at": "soon", "do": "console_stop"}]}, "at: 'soon' is not a time"),
        ({"events": [{"at": -3, "do": "console_stop"}]}, "at: -3 s is outside 0 s to 100 h"),
        ({"events": [{"at": 1, "do": "drop_link"}]}, "drop_link needs for:"),
        ({"events": [{"at": 1, "do": "drop_link", "for": 0}]}, "drop_link: for: must be above 0"),
        (
            {"events": [{"at": 1, "do": "console_stop", "for": 5}]},
            "console_stop: unknown field 'for'; it takes at, do",
        ),
        (
            {"events": [{"at": 1, "do": "console_speed", "kmh": "fast"}]},
            "console_speed: kmh: 'fast' is not allowed; give a speed in km/h from 0 to 40",
        ),
        ({"events": [{"at": 1, "do": "garbage", "count": 0}]}, "garbage: count: 0 is not allowed"),
        ({"events": [{"at": 1, "do": "hr_bpm", "bpm": 500}]}, "hr_bpm: bpm: 500 is not allowed"),
        ({"tweaks": {"decel": 0.2}}, "tweaks: 'decel' is not a profile field that can be changed"),
        ({"tweaks": {"decel_kmh_per_s": 0}}, "tweaks: decel_kmh_per_s: must be above 0"),
        ({"tweaks": {"speed_range": [1, 2]}}, "tweaks: 'speed_range' is not a profile field"),
        ({"tweaks": {"target_mode": "floor"}}, "'floor' is not one of 'round', 'truncate'"),
        ({"tweaks": {"split_payload": 4}}, "split_payload: at least 7 bytes"),
    ],
)
def test_each_mistake_is_a_config_error_saying_what_is_allowed(data: object, message: str) -> None:
    """A wrong scenario raises a ConfigError (exit 2) whose message names the fix."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data)
    assert isinstance(caught.value, ConfigError)
    assert caught.value.exit_code == 2
    assert message in str(caught.value)


def test_an_error_from_data_in_code_names_the_path() -> None:
    """Without a file the message names the path in the document instead of a line."""
    with pytest.raises(ScenarioError, match=r"<scenario>: events\[1\]\.for: drop_link: for"):
        scenario_from_data(
            {"events": [{"at": 1, "do": "console_stop"}, {"at": 2, "do": "drop_link", "for": -1}]}
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at_s": 1, "do": "drop_link", "kmh": 3.0}, "drop_link takes only for:, not kmh:"),
        ({"at_s": 1, "do": "console_speed"}, "console_speed needs kmh:"),
        ({"at_s": float("nan"), "do": "console_stop"}, "is not a time in seconds"),
        ({"at_s": 1, "do": "refuse_control", "count": True}, "count: True is not allowed"),
    ],
)
def test_actions_built_in_code_are_checked_too(kwargs: dict[str, object], message: str) -> None:
    """Action() refuses what the file format refuses."""
    with pytest.raises(ScenarioError, match=message):
        Action(**kwargs)  # type: ignore[arg-type]


async def test_tweaks_of_the_scenario_give_way_to_explicit_ones(world: SimWorld) -> None:
    """SimWorld.add applies the scenario's tweaks; an explicit tweak of the same field wins."""
    scenario = Scenario([], tweaks={"decel_kmh_per_s": 0.2, "notify_hz": 2.0})
    tm = world.add("home", scenario=scenario, tweaks={"notify_hz": 5.0})
    assert tm.model.profile.decel_kmh_per_s == 0.2
    assert tm.model.profile.notify_hz == 5.0
