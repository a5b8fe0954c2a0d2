"""Energy estimate: the ACSM walking equation, backward factor (docs/reference/retro-walking.md).

VO2 = 3.5 + k * 0.1 * S + 1.8 * S * G  (mL/kg/min; S in m/min, G = max(incline, 0) / 100,
k = 1.0 forward, 1.75 backward), kcal/min = VO2 * mass / 200. A stopped belt (rest, turn
window) counts as standing, 1.3 METs. For one person the figure is good to about +-25 %
(+-35 % below 3 or above 5 km/h backward): always present it as an estimate.
"""

from __future__ import annotations

import math

from retrowalk.errors import ConfigError
from retrowalk.units import MAX_BODY_MASS_KG, MIN_BODY_MASS_KG
from retrowalk.workout.plan import Direction

DEFAULT_BODY_MASS_KG = 70.0
BACKWARD_FACTOR = 1.75
RESTING_VO2 = 3.5  # mL/kg/min, one MET
STANDING_METS = 1.3


def vo2_ml_kg_min(speed_kmh: float, incline_pct: float, direction: Direction) -> float:
    """Return the gross oxygen cost in mL/kg/min of walking (standing when stopped or resting)."""
    if direction is Direction.REST or speed_kmh <= 0:
        return STANDING_METS * RESTING_VO2
    metres_per_min = speed_kmh * 1000 / 60
    grade = max(incline_pct, 0.0) / 100
    factor = BACKWARD_FACTOR if direction is Direction.BACKWARD else 1.0
    return RESTING_VO2 + factor * 0.1 * metres_per_min + 1.8 * metres_per_min * grade


def mets(speed_kmh: float, incline_pct: float, direction: Direction) -> float:
    """Return the estimated METs."""
    return vo2_ml_kg_min(speed_kmh, incline_pct, direction) / RESTING_VO2


def kcal_per_min(
    speed_kmh: float, incline_pct: float, direction: Direction, body_mass_kg: float
) -> float:
    """Return the estimated kcal per minute (about 5 kcal per litre of oxygen)."""
    return vo2_ml_kg_min(speed_kmh, incline_pct, direction) * body_mass_kg / 200


def check_body_mass(kg: float, what: str = "body mass") -> float:
    """Return `kg` if it is a plausible body mass; ConfigError naming `what` and the range."""
    if not (math.isfinite(kg) and MIN_BODY_MASS_KG <= kg <= MAX_BODY_MASS_KG):
        raise ConfigError(
            f"{what} {kg:g} kg is not plausible; give {MIN_BODY_MASS_KG:g} to "
            f"{MAX_BODY_MASS_KG:g} kg"
        )
    return kg
