"""What telemetry the engine may act on, through a simulated treadmill: doubtful values are None.

Each test silences the machine's own records and sends one notification of chosen bytes, so the
first Telemetry the consumer sees is made of those bytes alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from device_events import collect, is_telemetry

from retrowalk.device.api import Telemetry
from retrowalk.ftms.models import Features, MachineFeature, TreadmillData
from retrowalk.ftms.treadmill_data import encode_treadmill_data
from retrowalk_sim.profiles import PROFILES

if TYPE_CHECKING:
    from sim_target import OpenSim, SimTarget

    from retrowalk.device.treadmill import FtmsTreadmill


SILENCE_S = 30.0

# Flags 0x0568: speed, incline and ramp, both paces, heart rate, elapsed time; 10 data bytes
# (4.0 km/h, 2.0 %, ramp not available, paces 12 and 13, 120 bpm, one byte of elapsed time):
# fewer than uint8 pace needs (11) or uint16 pace (13), so the pace width cannot be told.
CUT_AFTER_THE_PACE = bytes.fromhex("6805" "9001" "1400" "ff7f" "0c" "0d" "78" "00")  # fmt: skip
# Flags 0x0061: More Data, both paces; 4 data bytes fit uint16 pace without speed, and uint8
# pace with a 3.0 km/h speed sent although More Data is set (2 bytes more than uint8 pace needs).
PACE_PART = bytes.fromhex("6100" "2c01" "4001")  # fmt: skip
SPEED_PART = bytes.fromhex("0000" "9001")  # the last part: 4.0 km/h  # fmt: skip


async def first_telemetry(
    peripheral: SimTarget, treadmill: FtmsTreadmill, *notifications: bytes
) -> Telemetry:
    """Return the first Telemetry made of `notifications` (the machine's own records silenced)."""
    events = treadmill.events()
    peripheral.model.stall_notifications(SILENCE_S)
    for data in notifications:
        peripheral.model.send_garbage(data)
    telemetry = (await collect(events, is_telemetry))[-1]
    assert isinstance(telemetry, Telemetry)
    assert telemetry.record is not None
    assert treadmill.decode_errors == 0
    return telemetry


async def test_incline_beyond_the_incline_range_is_set_aside(sim_treadmill: OpenSim) -> None:
    """30 % on a 0-15 % machine arrives as incline None, with why; speed is still trusted."""
    async with sim_treadmill("home") as (peripheral, treadmill):
        data = encode_treadmill_data(TreadmillData(speed_kmh=3.0, incline_pct=30.0))
        telemetry = await first_telemetry(peripheral, treadmill, data)
        assert telemetry.speed_kmh == pytest.approx(3.0)
        assert telemetry.incline_pct is None
        assert telemetry.record is not None
        assert telemetry.record.incline_pct == pytest.approx(30.0)  # kept for the logs
        assert len(telemetry.suspect) == 1
        assert "30" in telemetry.suspect[0]


async def test_truncated_record_keeps_only_what_comes_before_an_unknown_pace_width(
    sim_treadmill: OpenSim,
) -> None:
    """Cut after the pace: speed and incline (before it) stay, heart rate (after it) is None."""
    home = PROFILES["home"].features
    claims = MachineFeature.PACE | MachineFeature.HEART_RATE  # no suspicion but the cut
    tweaks = {"features": Features(home.machine | claims, home.target_setting)}
    async with sim_treadmill("home", tweaks=tweaks) as (peripheral, treadmill):
        telemetry = await first_telemetry(peripheral, treadmill, CUT_AFTER_THE_PACE)
        assert telemetry.speed_kmh == pytest.approx(4.0)
        assert telemetry.incline_pct == pytest.approx(2.0)
        assert telemetry.heart_rate_bpm is None
        record = telemetry.record
        assert record is not None
        assert record.truncated
        assert record.heart_rate_bpm == 120  # one reading of the bytes; another puts pace there
        assert "heart_rate_bpm" in record.doubtful
        assert len(telemetry.suspect) == 1
        assert "pace" in telemetry.suspect[0]


async def test_more_data_part_with_two_bytes_over_has_no_speed(sim_treadmill: OpenSim) -> None:
    """A pace-only More-Data part is no 3.0 km/h speed: alone, it arrives with speed None."""
    async with sim_treadmill("home", assembler_max_age_s=1.0) as (peripheral, treadmill):
        telemetry = await first_telemetry(peripheral, treadmill, PACE_PART)
        assert telemetry.speed_kmh is None
        assert telemetry.record is not None
        assert telemetry.record.speed_kmh is None
        assert telemetry.suspect == telemetry.record.ambiguous
        assert len(telemetry.suspect) == 1


async def test_speed_of_the_part_after_an_ambiguous_pace_part_is_trusted(
    sim_treadmill: OpenSim,
) -> None:
    """The speed part that completes a record after a pace-only part is trusted: 4.0 km/h.

    Read either way, the pace part's bytes leave the latest speed at 4.0 (as a record of its
    own or merged), so only the pace is in doubt.
    """
    async with sim_treadmill("home") as (peripheral, treadmill):
        telemetry = await first_telemetry(peripheral, treadmill, PACE_PART, SPEED_PART)
        assert telemetry.record is not None
        assert telemetry.record.speed_kmh == pytest.approx(4.0)
        assert telemetry.speed_kmh == pytest.approx(4.0)
