"""The GATT side of one FTMS connection: find the characteristics, read what the machine is.

Also the reconnect policy (`retrowalk.backoff`, the one retry policy). Nothing here moves the belt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from bleak.exc import BleakError

from retrowalk.backoff import Backoff
from retrowalk.errors import ConfigError, DeviceError, ProtocolError
from retrowalk.ftms.device_info import (
    DEVICE_INFORMATION_UUID,
    MANUFACTURER_NAME_UUID,
    MODEL_NUMBER_UUID,
    SIMULATOR_PACE_UUID,
    SIMULATOR_SERVICE_UUID,
    SOFTWARE_REVISION_UUID,
    DeviceInfo,
    decode_text,
    encode_pace,
)
from retrowalk.ftms.feature import decode_features
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    FTMS_SERVICE_UUID,
    INCLINE_RANGE_UUID,
    SPEED_RANGE_UUID,
    STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
    Features,
    InclineRange,
    SpeedRange,
)
from retrowalk.ftms.ranges import decode_incline_range, decode_speed_range

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from bleak import BleakClient
    from bleak.backends.characteristic import BleakGATTCharacteristic

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ReconnectPolicy:
    """How to retry after an unsolicited disconnect: exponential backoff with jitter.

    `max_attempts` None retries until the treadmill is closed; otherwise the event stream ends
    with Disconnected after that many failed attempts.
    """

    initial_delay_s: float = 0.5
    max_delay_s: float = 30.0
    factor: float = 2.0
    jitter: float = 0.25  # each delay is scaled by a random factor in [1 - jitter, 1]
    connect_timeout_s: float = 20.0
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        """Refuse values that would retry in a busy loop or never."""
        _ = self.backoff  # its own checks raise ConfigError
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ConfigError(f"reconnect max_attempts must be at least 1, got {self.max_attempts}")

    @property
    def backoff(self) -> Backoff:
        """Return the delays as retrowalk's one backoff policy."""
        return Backoff(
            self.initial_delay_s, self.max_delay_s, factor=self.factor, jitter=self.jitter
        )

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """Return how long to wait before the 1-based `attempt`."""
        return self.backoff.delay_s(attempt, rng)


@dataclass(frozen=True)
class FtmsGatt:
    """The FTMS characteristics of one connection (each None when the machine lacks it)."""

    treadmill_data: BleakGATTCharacteristic
    control_point: BleakGATTCharacteristic | None
    status: BleakGATTCharacteristic | None
    training_status: BleakGATTCharacteristic | None
    feature: BleakGATTCharacteristic | None
    speed_range: BleakGATTCharacteristic | None
    incline_range: BleakGATTCharacteristic | None

    @property
    def control_point_with_response(self) -> bool:
        """Return whether Control Point writes use write-with-response (the spec's way)."""
        if self.control_point is None:
            return True
        properties = self.control_point.properties
        # Some machines offer write-without-response only (a spec violation): use what works.
        return "write" in properties or "write-without-response" not in properties

    @property
    def control_point_answers(self) -> bool:
        """Return whether the Control Point can indicate (or notify) its responses."""
        if self.control_point is None:
            return False
        properties = self.control_point.properties
        return "indicate" in properties or "notify" in properties


def find_ftms(client: BleakClient) -> FtmsGatt:
    """Return the FTMS characteristics; raise DeviceError if this is no FTMS treadmill."""
    service = client.services.get_service(FTMS_SERVICE_UUID)
    if service is None:
        raise DeviceError(
            f"{client.address} has no Fitness Machine service (0x1826); "
            "it is not an FTMS treadmill. Try `retrowalk scan` to list FTMS machines"
        )
    data = service.get_characteristic(TREADMILL_DATA_UUID)
    if data is None:
        raise DeviceError(
            f"{client.address} has no Treadmill Data characteristic (0x2ACD); "
            "it may be a bike or rower rather than a treadmill"
        )

    def notifying(uuid: str) -> BleakGATTCharacteristic | None:
        char = service.get_characteristic(uuid)
        if char is None or not {"notify", "indicate"} & set(char.properties):
            return None
        return char

    return FtmsGatt(
        treadmill_data=data,
        control_point=service.get_characteristic(CONTROL_POINT_UUID),
        status=notifying(STATUS_UUID),
        training_status=notifying(TRAINING_STATUS_UUID),
        feature=service.get_characteristic(FEATURE_UUID),
        speed_range=service.get_characteristic(SPEED_RANGE_UUID),
        incline_range=service.get_characteristic(INCLINE_RANGE_UUID),
    )


async def read_optional(
    client: BleakClient,
    char: BleakGATTCharacteristic | None,
    decode: Callable[[bytes], T],
) -> T | None:
    """Read and decode a characteristic; None when it is missing, unreadable or malformed."""
    if char is None:
        return None
    try:
        data = await client.read_gatt_char(char)
        return decode(bytes(data))
    except ProtocolError as exc:
        log.warning("ignoring a malformed %s: %s", char.uuid, exc)
    except BleakError as exc:
        if not client.is_connected:
            raise
        log.warning("could not read %s: %s", char.uuid, exc)
    return None


async def read_descriptions(
    client: BleakClient, gatt: FtmsGatt
) -> tuple[Features | None, SpeedRange | None, InclineRange | None]:
    """Read Feature and the speed and incline ranges (each None if missing or malformed)."""
    features = await read_optional(client, gatt.feature, decode_features)
    speed = await read_optional(client, gatt.speed_range, decode_speed_range)
    incline = await read_optional(client, gatt.incline_range, decode_incline_range)
    return features, speed, incline


async def read_device_info(client: BleakClient) -> DeviceInfo:
    """Read what Device Information says (each field None when missing or unreadable)."""
    service = client.services.get_service(DEVICE_INFORMATION_UUID)
    if service is None:
        return DeviceInfo()

    async def text(uuid: str) -> str | None:
        found = await read_optional(client, service.get_characteristic(uuid), decode_text)
        return found or None

    return DeviceInfo(
        manufacturer=await text(MANUFACTURER_NAME_UUID),
        model=await text(MODEL_NUMBER_UUID),
        software=await text(SOFTWARE_REVISION_UUID),
    )


async def write_pace(client: BleakClient, factor: float) -> bool:
    """Ask `retrowalk sim` to run `factor` times faster; False if the peer has no pace to set."""
    service = client.services.get_service(SIMULATOR_SERVICE_UUID)
    char = None if service is None else service.get_characteristic(SIMULATOR_PACE_UUID)
    if char is None:
        return False
    await client.write_gatt_char(char, encode_pace(factor), response=True)
    return True
