"""The control procedure runner on its own: ordering, timeouts and the 0x05 retry rule."""

from __future__ import annotations

import asyncio

import pytest

from retrowalk.device.control import ControlPointRunner, check_timeout
from retrowalk.errors import ConfigError, ControlRejected, ControlTimeout, Disconnected
from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import ControlOp, ResultCode


class Machine:
    """A scripted control point: answers each written op with the next queued result."""

    def __init__(self, runner_results: dict[int, list[int | None]] | None = None) -> None:
        self.results = runner_results or {}
        self.writes: list[bytes] = []
        self.runner: ControlPointRunner | None = None
        self.answer_inline = True

    async def write(self, payload: bytes) -> None:
        """Record the write and answer it (or not) as scripted."""
        self.writes.append(payload)
        op = payload[0]
        queue = self.results.get(op, [])
        result = queue.pop(0) if queue else ResultCode.SUCCESS
        if result is None:
            return  # never answers
        assert self.runner is not None
        if self.answer_inline:
            # The indication lands before the write call returns, as on real stacks.
            self.runner.feed_indication(bytes([0x80, op, result]))
            await asyncio.sleep(0.05)
        else:
            asyncio.get_running_loop().call_later(
                0.2, self.runner.feed_indication, bytes([0x80, op, result])
            )


def make(
    results: dict[int, list[int | None]] | None = None, timeout_s: float = 10.0
) -> tuple[Machine, ControlPointRunner]:
    """Return a scripted machine and a runner writing to it."""
    machine = Machine(results)
    runner = ControlPointRunner(machine.write, timeout_s=timeout_s)
    machine.runner = runner
    return machine, runner


async def test_indication_before_write_returns_completes_the_procedure() -> None:
    """An answer that arrives while the write is still in progress is not lost."""
    machine, runner = make()
    response = await runner.run(cp.start_or_resume())
    assert response.result == ResultCode.SUCCESS
    assert machine.writes == [bytes([0x07])]


async def test_answer_after_the_write_completes_the_procedure() -> None:
    """An indication that comes later (the usual case) completes the waiting procedure."""
    machine, runner = make()
    machine.answer_inline = False
    response = await runner.run(cp.set_target_speed(3.0))
    assert response.request_op == ControlOp.SET_TARGET_SPEED


async def test_control_not_permitted_requests_control_once_and_retries_once() -> None:
    """0x05 leads to exactly: request, Request Control, the same request again."""
    machine, runner = make({0x07: [ResultCode.CONTROL_NOT_PERMITTED]})
    await runner.run(cp.start_or_resume())
    assert [w[0] for w in machine.writes] == [0x07, 0x00, 0x07]


async def test_second_refusal_after_retry_raises_with_op_and_result() -> None:
    """If the retry is refused too, ControlRejected names the op and the result code."""
    machine, runner = make({0x07: [ResultCode.CONTROL_NOT_PERMITTED] * 2})
    with pytest.raises(ControlRejected) as caught:
        await runner.run(cp.start_or_resume())
    assert caught.value.op == "Start or Resume"
    assert caught.value.result_code == ResultCode.CONTROL_NOT_PERMITTED
    assert "control not permitted (0x05)" in caught.value.result
    assert [w[0] for w in machine.writes] == [0x07, 0x00, 0x07]


async def test_refused_request_control_reports_the_original_refusal() -> None:
    """When Request Control itself fails, the original request is not retried."""
    machine, runner = make({0x02: [ResultCode.CONTROL_NOT_PERMITTED], 0x00: [0x04]})
    with pytest.raises(ControlRejected) as caught:
        await runner.run(cp.set_target_speed(4.0))
    assert caught.value.op == "Set Target Speed 4.00 km/h"
    assert [w[0] for w in machine.writes] == [0x02, 0x00]


async def test_unknown_result_code_is_rejected_not_crashed() -> None:
    """A reserved result code decodes as unknown and is reported with its raw value."""
    _machine, runner = make({0x08: [0x2A]})
    with pytest.raises(ControlRejected) as caught:
        await runner.run(cp.stop())
    assert caught.value.op == "Stop"
    assert caught.value.result == "unknown result (0x2a)"


async def test_no_answer_times_out_at_the_configured_deadline() -> None:
    """A machine that never answers yields ControlTimeout after exactly the timeout."""
    _machine, runner = make({0x08: [None]}, timeout_s=3.0)
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(ControlTimeout) as caught:
        await runner.run(cp.pause())
    assert loop.time() - began == pytest.approx(3.0)
    assert caught.value.op == "Pause"
    assert caught.value.timeout_s == 3.0


async def test_late_answer_after_timeout_does_not_complete_the_next_procedure() -> None:
    """A stale indication for a timed-out op is ignored, and the next op waits for its own."""
    machine, runner = make({0x07: [None]}, timeout_s=1.0)
    with pytest.raises(ControlTimeout):
        await runner.run(cp.start_or_resume())
    runner.feed_indication(bytes([0x80, 0x07, 0x01]))  # the late answer
    assert runner.stray_responses == 1
    machine.answer_inline = False
    response = await runner.run(cp.stop())
    assert response.request_op == ControlOp.STOP_OR_PAUSE


async def test_procedures_run_one_at_a_time() -> None:
    """Concurrent callers are serialised: each write waits for the previous answer."""
    machine, runner = make()
    machine.answer_inline = False
    async with asyncio.TaskGroup() as group:
        group.create_task(runner.run(cp.start_or_resume()))
        group.create_task(runner.run(cp.set_target_speed(2.0)))
        group.create_task(runner.run(cp.set_target_incline(1.0)))
        await asyncio.sleep(0.1)
        assert len(machine.writes) == 1  # the others wait for the first answer
    assert [w[0] for w in machine.writes] == [0x07, 0x02, 0x03]


async def test_garbage_indication_is_counted_not_raised() -> None:
    """Undecodable indication bytes are counted and ignored."""
    _machine, runner = make()
    runner.feed_indication(b"\x80")
    runner.feed_indication(b"")
    assert runner.decode_errors == 2


async def test_fail_pending_raises_disconnected_in_the_waiting_caller() -> None:
    """A link drop during a procedure surfaces as Disconnected, not a timeout."""
    machine, runner = make({0x07: [None]})
    task = asyncio.create_task(runner.run(cp.start_or_resume()))
    await asyncio.sleep(0.5)
    runner.fail_pending("link dropped")
    with pytest.raises(Disconnected):
        await task
    assert machine.writes == [bytes([0x07])]


@pytest.mark.parametrize("timeout_s", [0.0, -1.0, 30.5, 120.0])
def test_timeouts_beyond_the_ftms_limit_are_config_errors(timeout_s: float) -> None:
    """A control timeout must be in (0, 30] s, the FTMS limit."""
    with pytest.raises(ConfigError, match="at most 30"):
        check_timeout(timeout_s)


async def test_stop_goes_ahead_of_queued_procedures() -> None:
    """An urgent Stop waits only for the procedure in flight, not for those queued behind it."""
    machine, runner = make()
    machine.answer_inline = False
    async with asyncio.TaskGroup() as group:
        group.create_task(runner.run(cp.set_target_speed(2.0)))
        await asyncio.sleep(0)
        group.create_task(runner.run(cp.set_target_speed(3.0)))
        group.create_task(runner.run(cp.set_target_incline(1.0)))
        await asyncio.sleep(0.01)
        group.create_task(runner.run(cp.stop(), urgent=True))
    assert [w[0] for w in machine.writes] == [0x02, 0x08, 0x02, 0x03]


async def test_cancelled_waiter_does_not_block_the_gate() -> None:
    """A caller cancelled while queued leaves the queue; the next caller still runs."""
    machine, runner = make()
    machine.answer_inline = False
    first = asyncio.create_task(runner.run(cp.start_or_resume()))
    await asyncio.sleep(0)
    queued = asyncio.create_task(runner.run(cp.set_target_speed(2.0)))
    await asyncio.sleep(0.01)
    queued.cancel()
    await first
    with pytest.raises(asyncio.CancelledError):
        await queued
    await runner.run(cp.stop())
    assert [w[0] for w in machine.writes] == [0x07, 0x08]
