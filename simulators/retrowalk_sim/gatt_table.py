"""The GATT table and advertisement of a simulated FTMS treadmill, from its profile.

Public API: `ftms_services(profile, read_training_status, write_control_point, *, pace=None)`
(the FTMS service with the characteristics the profile has, Device Information, and the
simulator's own service with its pace) and `ftms_service_data(profile)` (the FTMS
advertisement's service data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrowalk.ftms.advertisement import encode_advertisement
from retrowalk.ftms.device_info import (
    DEVICE_INFORMATION_UUID,
    MANUFACTURER_NAME_UUID,
    MODEL_NUMBER_UUID,
    SIMULATOR_MANUFACTURER,
    SIMULATOR_PACE_UUID,
    SIMULATOR_SERVICE_UUID,
    SOFTWARE_REVISION_UUID,
    simulator_software_revision,
)
from retrowalk.ftms.feature import encode_features
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    FTMS_SERVICE_UUID,
    INCLINE_RANGE_UUID,
    SPEED_RANGE_UUID,
    STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    Advertisement,
    MachineType,
)
from retrowalk.ftms.ranges import encode_incline_range, encode_speed_range
from retrowalk_sim.gatt import CharSpec, Property, ServiceSpec
from retrowalk_sim.pace import Pace

if TYPE_CHECKING:
    from collections.abc import Callable

    from retrowalk_sim.profiles import MachineProfile


def ftms_services(
    p: MachineProfile,
    read_training_status: Callable[[], bytes],
    write_control_point: Callable[[bytes], None],
    *,
    pace: Pace | None = None,
) -> list[ServiceSpec]:
    """Return the GATT table `p` exposes, in handle order.

    Device Information names the simulator and its pace (`retrowalk sim --speedup N`), which is
    what lets `retrowalk run --yes` accept it as a simulator; the simulator's own service holds
    that pace for a central to set (retrowalk_sim.pace).
    """
    chars: list[CharSpec] = [
        CharSpec(FEATURE_UUID, ("read",), read=lambda: encode_features(p.features)),
        CharSpec(TREADMILL_DATA_UUID, ("notify",)),
        CharSpec(TRAINING_STATUS_UUID, ("read", "notify"), read=read_training_status),
        CharSpec(SPEED_RANGE_UUID, ("read",), read=lambda: encode_speed_range(p.speed_range)),
    ]
    incline_range = p.incline_range
    if incline_range is not None:
        read = lambda: encode_incline_range(incline_range)  # noqa: E731 - one-line handler
        chars.append(CharSpec(INCLINE_RANGE_UUID, ("read",), read=read))
    if p.has_control_point:
        write_kind: Property = (
            "write-without-response" if p.control_point_without_response else "write"
        )
        chars.append(
            CharSpec(
                CONTROL_POINT_UUID,
                (write_kind, "indicate"),
                write=write_control_point,
                needs_cccd_for_write=True,
            )
        )
        chars.append(CharSpec(STATUS_UUID, ("notify",)))
    keeper = pace or Pace()
    info = (
        CharSpec(MANUFACTURER_NAME_UUID, ("read",), read=SIMULATOR_MANUFACTURER.encode),
        CharSpec(MODEL_NUMBER_UUID, ("read",), read=p.name.encode),
        CharSpec(
            SOFTWARE_REVISION_UUID,
            ("read",),
            read=lambda: simulator_software_revision(keeper.factor).encode(),
        ),
    )
    own = CharSpec(SIMULATOR_PACE_UUID, ("read", "write"), read=keeper.read, write=keeper.write)
    return [
        ServiceSpec(FTMS_SERVICE_UUID, tuple(chars)),
        ServiceSpec(DEVICE_INFORMATION_UUID, info),
        ServiceSpec(SIMULATOR_SERVICE_UUID, (own,)),
    ]


def ftms_service_data(p: MachineProfile) -> dict[str, bytes]:
    """Return the FTMS advertisement: available, treadmill (`01 01 00`, or swapped)."""
    ad = Advertisement(
        available=True,
        machine_types=MachineType.TREADMILL,
        byte_swapped=p.advertisement_byte_swapped,
    )
    return {FTMS_SERVICE_UUID: encode_advertisement(ad)}
