"""Random sessions against random profiles: the simulator never breaks its own contract."""

from __future__ import annotations

import asyncio
from typing import Any

from bleak import BleakClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_traffic import Traffic

from retrowalk.ftms import control_point as cp
from retrowalk_sim.bleak_backend import SimulatedClient, SimWorld
from retrowalk_sim.profiles import PROFILES

CONTROLLED = sorted(name for name, p in PROFILES.items() if p.has_control_point)

requests = st.one_of(
    st.sampled_from(
        [cp.request_control(), cp.reset(), cp.start_or_resume(), cp.stop(), cp.pause()]
    ).map(cp.encode_request),
    st.floats(0.0, 25.0).map(lambda v: cp.encode_request(cp.set_target_speed(v))),
    st.floats(-10.0, 20.0).map(lambda v: cp.encode_request(cp.set_target_incline(v))),
    st.binary(min_size=1, max_size=5),
)
console = st.sampled_from(
    [
        "console_start",
        "console_stop",
        "console_pause",
        "console_speed_up",
        "console_speed_down",
        "console_incline_up",
        "console_incline_down",
        "pull_safety_key",
        "insert_safety_key",
        "revoke_control",
    ]
)
actions = st.lists(
    st.tuples(st.floats(0.0, 8.0), st.one_of(requests, console)), min_size=1, max_size=25
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile=st.sampled_from(CONTROLLED), script=actions)
async def test_random_sessions_keep_the_contract(profile: str, script: list[Any]) -> None:
    """One indication per write, data within the ranges, no loop error, a stop ends at zero."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        async with SimWorld() as world:
            p = world.add(profile)
            rng = p.model.profile.speed_range
            async with BleakClient(p.device, backend=SimulatedClient) as client:
                t = Traffic(client)
                await t.subscribe_all()
                for delay, action in script:
                    await asyncio.sleep(delay)
                    if isinstance(action, bytes):
                        answer = await t.write_control_point(action)
                        assert answer[:2] == bytes([0x80, action[0]])
                    else:
                        getattr(p.model, action)()
                p.model.insert_safety_key()
                p.model.console_stop()
                await asyncio.sleep(60.0)
                for _, record in t.records:
                    assert 0 <= (record.speed_kmh or 0) <= rng.maximum_kmh
                    if p.model.profile.incline_range is not None and record.incline_pct is not None:
                        low = p.model.profile.incline_range.minimum_pct
                        assert (
                            low <= record.incline_pct <= p.model.profile.incline_range.maximum_pct
                        )
                last = t.records[-1][1]
                assert last.speed_kmh == 0
                assert last.total_distance_m in {0, None}
    finally:
        loop.set_exception_handler(None)
    assert errors == []
