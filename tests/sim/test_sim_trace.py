"""The ground-truth trace: exact belt speeds, motion starts, writes and answers, JSON Lines."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest
from bleak import BleakClient
from sim_traffic import Traffic, now, running

from retrowalk.ftms import control_point as cp
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from retrowalk_sim.physics import MOVING_KMH
from retrowalk_sim.scenario import Action, Scenario
from retrowalk_sim.trace import BeltSample, ControlWrite, FaultEntry

if TYPE_CHECKING:
    from pathlib import Path


async def test_belt_speed_at_any_time_is_the_models_own(world: SimWorld) -> None:
    """belt_kmh_at(t) equals what the model's belt did at t, ramps included, to 1e-9."""
    tm = world.add("home", trace=True)
    seen: list[tuple[float, float, float]] = []
    async with BleakClient(tm.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 1.0, wait=0.0)
        for step in range(120):
            if step in {10, 40, 70}:
                await t.command(cp.set_target_speed(2.0 + step / 20))
            if step == 90:
                await t.command(cp.stop())
            await asyncio.sleep(0.173)
            seen.append((now(), tm.model.speed_kmh, tm.model.incline_pct))
    trace = tm.trace
    assert trace is not None
    assert trace.origin is not None
    for loop_t, kmh, pct in seen:
        assert trace.belt_kmh_at(loop_t - trace.origin) == pytest.approx(kmh, abs=1e-9)
        assert trace.incline_pct_at(loop_t - trace.origin) == pytest.approx(pct, abs=1e-9)


async def test_motion_starts_are_the_moments_the_belt_left_rest(world: SimWorld) -> None:
    """Two starts (by FTMS and by the console) give two motion starts, after each countdown."""
    tm = world.add("home", trace=True)
    async with BleakClient(tm.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0)
        written = now()
        await t.command(cp.stop())
        await asyncio.sleep(10)
        pressed = now()
        tm.model.console_start()
        await asyncio.sleep(10)
    trace = tm.trace
    assert trace is not None
    assert trace.origin is not None
    starts = trace.motion_starts()
    assert len(starts) == 2
    delay = tm.model.profile.start_delay_s
    assert starts[1] == pytest.approx(pressed - trace.origin + delay, abs=0.1)
    (_, first_end), _ = trace.moving_intervals()
    assert first_end > written - trace.origin
    assert trace.belt_kmh_at(first_end + 0.01) <= MOVING_KMH  # rest: at most 0.05 km/h


async def test_every_control_point_write_is_traced_with_its_answer(world: SimWorld) -> None:
    """Each write is traced with the indication that answered it (delayed ones too)."""
    tm = world.add("kingsmith", trace=True)  # answers 0.12 s after the write
    async with BleakClient(tm.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await t.command(cp.request_control())
        await t.command(cp.start_or_resume())
        await t.write_control_point(b"\x7f")  # an op the machine does not know
    assert tm.trace is not None
    writes = tm.trace.writes()
    assert [(w.data.hex(), w.answer.hex() if w.answer else None) for w in writes] == [
        ("00", "800004"),  # this firmware refuses Request Control, and takes Start anyway
        ("07", "800701"),
        ("7f", "807f02"),
    ]
    assert all(w.t >= 0 for w in writes)


async def test_the_json_lines_have_exactly_the_agreed_keys(world: SimWorld, tmp_path: Path) -> None:
    """Samples at 4 Hz and at changes, writes with answers, faults: those keys and no others."""
    scenario = Scenario([Action(12.0, "console_speed", kmh=4.0), Action(30.0, "console_stop")])
    tm = world.add("home", scenario=scenario)
    async with BleakClient(tm.device, backend=SimulatedClient) as client:
        t = Traffic(client)
        await t.subscribe_all()
        await running(t, 3.0, wait=40.0)
    assert tm.trace is not None
    target = tmp_path / "trace.jsonl"
    tm.trace.write_jsonl(target)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    kinds = {tuple(line) for line in lines}
    assert kinds == {("t", "belt_kmh", "incline_pct"), ("t", "write", "answer"), ("t", "fault")}
    grid = [x["t"] for x in lines if "belt_kmh" in x and 0 <= x["t"] <= 40]
    assert {k / 4 for k in range(161)} <= set(grid)  # every quarter second
    assert len(grid) > 161  # and the changes between them
    assert [x["t"] for x in lines] == sorted(x["t"] for x in lines)
    assert {"t": 12.0, "fault": "console_speed"} in lines
    assert {"t": 30.0, "fault": "console_stop"} in lines
    assert any(x.get("write") == "00" and x["answer"] == "800001" for x in lines)
    types = {type(e) for e in tm.trace.entries()}
    assert types == {BeltSample, ControlWrite, FaultEntry}


def test_a_trace_that_cannot_be_written_leaves_nothing_behind(tmp_path: Path) -> None:
    """write_jsonl onto a folder raises and leaves no part file beside it."""
    from retrowalk_sim.trace import Trace  # noqa: PLC0415 - a trace without a world

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "t.jsonl").mkdir()  # a folder where the file should go
    with pytest.raises(IsADirectoryError):
        Trace().write_jsonl(folder / "t.jsonl")
    assert [p.name for p in folder.iterdir()] == ["t.jsonl"]
