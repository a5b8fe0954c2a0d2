"""The FTMS control procedure: one request at a time, answered by a Control Point indication.

The ATT write response only means "started"; the procedure completes with an indication
`80 <op> <result>`, which often arrives before the write call returns. So the waiter is
registered before the write, the deadline is absolute and covers the write too, and on
"control not permitted" the runner requests control once and retries once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import TYPE_CHECKING

from retrowalk.errors import (
    ConfigError,
    ControlRejected,
    ControlTimeout,
    Disconnected,
    ProtocolError,
)
from retrowalk.ftms.control_point import decode_response, encode_request, request_control
from retrowalk.ftms.models import ControlOp, ControlRequest, ControlResponse, ResultCode, StopKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger(__name__)

DEFAULT_CONTROL_TIMEOUT_S = 10.0
MAX_CONTROL_TIMEOUT_S = 30.0  # the FTMS specification lets a client wait this long

_OP_NAMES = {
    ControlOp.REQUEST_CONTROL: "Request Control",
    ControlOp.RESET: "Reset",
    ControlOp.SET_TARGET_SPEED: "Set Target Speed",
    ControlOp.SET_TARGET_INCLINATION: "Set Target Inclination",
    ControlOp.START_OR_RESUME: "Start or Resume",
}

_ADVICE = {
    ResultCode.NOT_SUPPORTED: "This machine does not offer that procedure.",
    ResultCode.INVALID_PARAMETER: "The value is outside what the machine accepts.",
    ResultCode.OPERATION_FAILED: "The machine could not do it now; check its console.",
    ResultCode.CONTROL_NOT_PERMITTED: (
        "The machine did not grant control; another app may be connected to it."
    ),
}


def check_timeout(timeout_s: float) -> float:
    """Return `timeout_s` if it is a usable control timeout, else raise ConfigError."""
    if not 0 < timeout_s <= MAX_CONTROL_TIMEOUT_S:
        raise ConfigError(
            f"control timeout {timeout_s:g} s is not allowed: "
            f"use more than 0 and at most {MAX_CONTROL_TIMEOUT_S:g} s (the FTMS limit)"
        )
    return timeout_s


def describe_request(request: ControlRequest) -> str:
    """Return a human name for a request, with its parameter in domain units."""
    op = request.op
    if op == ControlOp.STOP_OR_PAUSE:
        return "Pause" if request.stop_kind == StopKind.PAUSE else "Stop"
    if op == ControlOp.SET_TARGET_SPEED and request.speed_kmh is not None:
        return f"Set Target Speed {request.speed_kmh:.2f} km/h"
    if op == ControlOp.SET_TARGET_INCLINATION and request.incline_pct is not None:
        return f"Set Target Inclination {request.incline_pct:.1f} %"
    if isinstance(op, ControlOp) and op in _OP_NAMES:
        return _OP_NAMES[op]
    return f"op 0x{int(op):02x}"


def describe_result(response: ControlResponse) -> str:
    """Return the result code as words with its hex value."""
    if response.result == ResultCode.UNKNOWN:
        return f"unknown result (0x{response.raw_result:02x})"
    words = response.result.name.lower().replace("_", " ")
    return f"{words} (0x{response.raw_result:02x})"


class _PriorityGate:
    """A FIFO mutex where urgent holders (stop, pause) go ahead of every normal waiter."""

    def __init__(self) -> None:
        self._busy = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def hold(self, *, urgent: bool) -> AsyncIterator[None]:
        """Hold the gate for one procedure."""
        if self._busy:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            queue = self._urgent if urgent else self._normal
            queue.append(future)
            try:
                await future
            except asyncio.CancelledError:
                if future in queue:
                    queue.remove(future)
                elif future.done() and not future.cancelled():
                    self._release()  # the gate was handed over just as we were cancelled
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # ownership passes on; the gate stays busy
                    return
        self._busy = False


class ControlPointRunner:
    """Runs control procedures one at a time over a write function and fed indications."""

    def __init__(
        self,
        write: Callable[[bytes], Awaitable[None]],
        *,
        timeout_s: float = DEFAULT_CONTROL_TIMEOUT_S,
    ) -> None:
        self._write = write
        self._timeout_s = check_timeout(timeout_s)
        self._gate = _PriorityGate()
        self._waiter: tuple[int, asyncio.Future[ControlResponse]] | None = None
        self.decode_errors = 0
        self.stray_responses = 0

    @property
    def timeout_s(self) -> float:
        """Return how long each procedure waits for its indication."""
        return self._timeout_s

    async def run(self, request: ControlRequest, *, urgent: bool = False) -> ControlResponse:
        """Run one procedure to success; raise ControlRejected, ControlTimeout or Disconnected.

        On CONTROL_NOT_PERMITTED, Request Control is sent once and the request retried once.
        An `urgent` request (a stop) waits only for the procedure in flight, not for the queue.
        """
        async with self._gate.hold(urgent=urgent):
            response = await self._attempt(request)
            if (
                response.result == ResultCode.CONTROL_NOT_PERMITTED
                and request.op != ControlOp.REQUEST_CONTROL
            ):
                log.info("%s: control not permitted; requesting control", describe_request(request))
                granted = await self._attempt(request_control())
                if granted.result != ResultCode.SUCCESS:
                    raise _rejected(request, response)
                response = await self._attempt(request)
            if response.result != ResultCode.SUCCESS:
                raise _rejected(request, response)
            return response

    def feed_indication(self, data: bytes) -> None:
        """Resolve the waiting procedure with a Control Point indication (bytes as received)."""
        try:
            response = decode_response(bytes(data))
        except ProtocolError as exc:
            self.decode_errors += 1
            log.warning("ignored a control point indication: %s", exc)
            return
        waiter = self._waiter
        if waiter is None or int(response.request_op) != waiter[0] or waiter[1].done():
            # A late answer to a procedure that already timed out, or a machine talking to
            # another client: never let it complete the wrong procedure.
            self.stray_responses += 1
            log.warning("ignored a control point response nobody waits for: %s", response)
            return
        waiter[1].set_result(response)

    def fail_pending(self, reason: str) -> None:
        """Fail the procedure in flight (the link dropped)."""
        if self._waiter is not None and not self._waiter[1].done():
            self._waiter[1].set_exception(Disconnected(reason))

    async def _attempt(self, request: ControlRequest) -> ControlResponse:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        future: asyncio.Future[ControlResponse] = loop.create_future()
        # Registered before the write: the indication may arrive before the write returns.
        self._waiter = (int(request.op), future)
        try:
            async with asyncio.timeout_at(deadline):
                await self._write(encode_request(request))
                return await future
        except TimeoutError:
            raise ControlTimeout(describe_request(request), self._timeout_s) from None
        finally:
            self._waiter = None
            if not future.done():
                future.cancel()


def _rejected(request: ControlRequest, response: ControlResponse) -> ControlRejected:
    advice = _ADVICE.get(response.result, "")
    return ControlRejected(
        describe_request(request),
        describe_result(response),
        advice,
        result_code=response.raw_result,
    )
