"""Other FTMS apps' client code, unmodified, against `retrowalk sim` in its own process over TCP.

pycycling takes a BleakClient, so it gets one on a `BumbleAdapter`'s backend; walkingpad-
controller builds its own, so its module's `BleakClient` name is bound to a subclass on that
backend (its code runs as published). What the simulator process printed of each control point
write is the ground truth of what each client made the treadmill do.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
import walkingpad_controller.ftms as wpc_ftms
from bleak import BleakClient
from pycycling.fitness_machine_service import FitnessMachineService
from pycycling.ftms_parsers.control_point import FTMSControlPointResponseResultCode
from sim_process import start_sim

from retrowalk.device.bumble_adapter import BumbleAdapter
from retrowalk.device.scan import find_treadmill

if TYPE_CHECKING:
    from pathlib import Path

WAIT_S = 20.0


def _writes(lines: list[str]) -> list[str]:
    return [line.split(": ", 2)[2].split(" (")[0] for line in lines if "wrote the control" in line]


@pytest.mark.realtime
async def test_pycycling_and_walkingpad_controller_drive_the_simulator_over_tcp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both clients connect through bumble over TCP, control the belt and get every answer."""
    sim, spec = await start_sim(tmp_path, "home", "--speedup", "10")
    try:
        async with BumbleAdapter(spec) as adapter:
            device = await find_treadmill(None, via=adapter.scanner_backend)
            answers: asyncio.Queue[object] = asyncio.Queue()
            async with BleakClient(device, backend=adapter.client_backend) as client:
                ftms = FitnessMachineService(client)
                machine, targets = await ftms.get_all_features()
                assert machine.inclination_supported
                assert targets.speed_target_setting_supported
                ftms.set_control_point_response_handler(
                    lambda r: answers.put_nowait(r.result_code_enum)
                )
                await ftms.enable_control_point_indicate()
                for request in (
                    ftms.request_control(),
                    ftms.set_target_speed(300),  # the wire number: 0.01 km/h
                    ftms.start_or_resume(),
                    ftms.stop_or_pause(pause=False),
                ):
                    await request
                    answer = await asyncio.wait_for(answers.get(), WAIT_S)
                    assert answer == FTMSControlPointResponseResultCode.SUCCESS
            await sim.wait_for("disconnected")
            pycycling = _writes(sim.lines)

            class Client(BleakClient):
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    kwargs["backend"] = adapter.client_backend
                    super().__init__(*args, **kwargs)

            monkeypatch.setattr(wpc_ftms, "BleakClient", Client)
            controller = wpc_ftms.FTMSController()
            await controller.connect(device)
            try:
                assert controller.capabilities.speed_range.min_speed == 0.5
                assert await controller.start()
                assert await controller.set_target_speed(3.0)
                assert await controller.stop()
            finally:
                await controller.disconnect()
            await sim.wait_for("disconnected", after=len(sim.lines) - 2)
    finally:
        await sim.close()
    assert pycycling == ["00", "02 2c 01", "07", "08 01"]
    assert _writes(sim.lines)[len(pycycling) :] == ["00", "07", "02 2c 01", "08 01"]
