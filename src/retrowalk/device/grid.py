"""A machine's grid: the speeds and inclines it takes, from its declared ranges.

The device layer owns quantisation (docs/architecture.md): a target goes to the nearest step
`minimum + k * increment` inside the machine's range, as the machine itself would round it. Where
the machine declares no range, the wire format's own limits and resolution apply.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from retrowalk.errors import ConfigError
from retrowalk.ftms.control_point import quantize

if TYPE_CHECKING:
    from retrowalk.ftms.models import InclineRange, SpeedRange

# Wire limits of the FTMS target fields (0.01 km/h uint16; 0.1 % sint16).
SPEED_WIRE = (0.0, 655.35, 0.01)
INCLINE_WIRE = (-3276.8, 3276.7, 0.1)


def snap_speed(kmh: float, speed_range: SpeedRange | None) -> float:
    """Return the speed this machine is sent for `kmh` (zero stays zero: stand still)."""
    _check_finite("speed", kmh, "km/h")
    if kmh <= 0:
        return 0.0  # a zero target means "stand still", never the machine's minimum
    minimum, maximum, step = SPEED_WIRE
    if speed_range is not None:
        minimum, maximum = speed_range.minimum_kmh, speed_range.maximum_kmh
        step = speed_range.increment_kmh if speed_range.increment_kmh > 0 else step
    return quantize(kmh, increment=step, minimum=minimum, maximum=maximum)


def snap_incline(pct: float, incline_range: InclineRange | None) -> float:
    """Return the incline this machine is sent for `pct`."""
    _check_finite("incline", pct, "%")
    minimum, maximum, step = INCLINE_WIRE
    if incline_range is not None:
        minimum, maximum = incline_range.minimum_pct, incline_range.maximum_pct
        step = incline_range.increment_pct if incline_range.increment_pct > 0 else step
    return quantize(pct, increment=step, minimum=minimum, maximum=maximum)


def _check_finite(what: str, value: float, unit: str) -> None:
    if not math.isfinite(value):
        raise ConfigError(f"a {what} target must be a finite number of {unit}, got {value!r}")
