"""Belt and incline ramps, counters and profile lookup: the simulator's arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk_sim.physics import Counters, Ramp, cadence_spm, kcal_per_min
from retrowalk_sim.profiles import PROFILES, get_profile


def test_ramp_reaches_its_goal_at_the_rate() -> None:
    """A 0 -> 3 km/h ramp at 0.5 km/h per s is at 1.5 after 3 s and done after 6 s."""
    ramp = Ramp(0.0, 10.0, 3.0, 0.5)
    assert ramp.at(13.0) == pytest.approx(1.5)
    assert ramp.reach_time() == pytest.approx(16.0)
    assert ramp.at(100.0) == 3.0


def test_ramp_integral_is_exact_across_the_knee() -> None:
    """Distance over a ramp then a plateau is the triangle plus the rectangle."""
    ramp = Ramp(0.0, 0.0, 4.0, 1.0)
    assert ramp.integral(0.0, 10.0) == pytest.approx(4.0 * 4.0 / 2 + 4.0 * 6.0)


@settings(max_examples=100)
@given(
    start=st.floats(0, 20),
    goal=st.floats(0, 20),
    rate=st.floats(0.05, 5),
    cut=st.floats(0, 30),
)
def test_ramp_integral_is_additive(start: float, goal: float, rate: float, cut: float) -> None:
    """Integrating in two pieces gives the same distance as in one: tick timing never matters."""
    ramp = Ramp(start, 0.0, goal, rate)
    whole = ramp.integral(0.0, 30.0)
    assert ramp.integral(0.0, cut) + ramp.integral(cut, 30.0) == pytest.approx(whole, abs=1e-6)


def test_retarget_continues_from_the_current_value() -> None:
    """Retargeting mid-ramp starts from where the value is, with no jump."""
    ramp = Ramp(0.0, 0.0, 5.0, 1.0)
    ramp.retarget(2.0, 0.0, 0.5)
    assert ramp.at(2.0) == pytest.approx(2.0)
    assert ramp.reach_time() == pytest.approx(6.0)


def test_counters_walk_an_hour() -> None:
    """An hour at 5 km/h and 10 % is 5 km, 500 m climbed, ~6000 steps and a few hundred kcal."""
    belt, incline, c = Ramp(5.0, 0.0, 5.0, 1.0), Ramp(10.0, 0.0, 10.0, 1.0), Counters()
    for second in range(3600):
        c.advance(belt, incline, second, second + 1, running=True)
    assert c.distance_m == pytest.approx(5000.0)
    assert c.elevation_up_m == pytest.approx(500.0)
    assert c.elapsed_s == pytest.approx(3600.0)
    assert c.steps == pytest.approx(cadence_spm(5.0) * 60)
    assert 300 < c.energy_kcal < 700
    c.reset()
    assert c.distance_m == c.steps == c.energy_kcal == 0


def test_energy_grows_with_speed_and_incline() -> None:
    """Walking faster or steeper costs more than standing."""
    rest = kcal_per_min(0.0, 0.0)
    assert rest < kcal_per_min(3.0, 0.0) < kcal_per_min(5.0, 0.0) < kcal_per_min(5.0, 8.0)


def test_profiles_are_named_and_lookup_names_the_choices() -> None:
    """Every agreed profile exists; an unknown name lists the allowed ones."""
    assert {
        "home",
        "walking-pad",
        "kingsmith",
        "fr30z",
        "truncating",
        "split",
        "data-only",
        "speed-locked",
    } <= set(PROFILES)
    with pytest.raises(KeyError, match="walking-pad"):
        get_profile("treadmill-9000")


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profiles_stay_within_the_reference_limits(name: str) -> None:
    """Each profile notifies at 2-5 Hz and moves its deck slower than 1.75 %/s."""
    profile = PROFILES[name]
    assert 2.0 <= profile.notify_hz <= 5.0
    assert profile.incline_pct_per_s < 1.75
    assert profile.speed_range.minimum_kmh >= 0.5
