"""FtmsTreadmill: one FTMS treadmill connection over a bleak BleakClient.

`async with FtmsTreadmill(client) as treadmill:` connects (unless the client already is),
reads Feature and the speed and incline ranges, enables Control Point indications before any
control write, subscribes to Treadmill Data, Status and Training Status, and disconnects on
exit if it connected. It is single-use: neither reentrant nor reusable (a second `async with`
raises RuntimeError). After an unsolicited disconnect it reconnects with backoff, emits LinkLost
then LinkRestored, and never restores motion by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
from typing import TYPE_CHECKING, Literal, Self

from bleak import BleakClient
from bleak.exc import BleakError

from retrowalk.device.api import Capabilities, LinkLost, LinkRestored, SpeedUnits
from retrowalk.device.control import DEFAULT_CONTROL_TIMEOUT_S, ControlPointRunner
from retrowalk.device.echoes import Expected, StatusInterpreter
from retrowalk.device.grid import snap_incline, snap_speed
from retrowalk.device.link import (
    FtmsGatt,
    ReconnectPolicy,
    find_ftms,
    read_descriptions,
    read_device_info,
    write_pace,
)
from retrowalk.device.stream import DEFAULT_QUEUE_SIZE, EventHub, EventSubscription
from retrowalk.device.telemetry import TelemetryDecoder
from retrowalk.errors import ConfigError, DeviceError, Disconnected
from retrowalk.ftms import control_point as cp
from retrowalk.ftms.models import (
    ControlOp,
    ControlRequest,
    ControlResponse,
    ResultCode,
    SpeedRange,
)

if TYPE_CHECKING:
    from types import TracebackType

    from bleak.backends.characteristic import BleakGATTCharacteristic
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.device import BLEDevice

log = logging.getLogger(__name__)

_State = Literal["new", "open", "closed"]

_EXIT_DISCONNECT_TIMEOUT_S = 5.0

COACH_MODE_ADVICE = (
    "it has no Fitness Machine Control Point, so retrowalk cannot set speed or incline; "
    "run in coach mode and set them by hand when told"
)


class FtmsTreadmill:
    """A connected FTMS treadmill (implements retrowalk.device.api.Treadmill)."""

    def __init__(  # noqa: PLR0913 - every knob is keyword-only and has a default
        self,
        client: BleakClient,
        *,
        control_timeout_s: float = DEFAULT_CONTROL_TIMEOUT_S,
        assembler_max_age_s: float = 1.0,
        reconnect: ReconnectPolicy | None = None,
        link_check_interval_s: float = 0.5,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        rng: random.Random | None = None,
        speed_units: SpeedUnits | None = None,
    ) -> None:
        if not link_check_interval_s > 0:
            raise ConfigError(f"link check interval must be positive, got {link_check_interval_s}")
        self._client = client
        self._units = speed_units or SpeedUnits()
        self._pace: float | None = None  # the simulator's pace this run asked for
        self._runner = ControlPointRunner(self._write_control, timeout_s=control_timeout_s)
        self._hub = EventHub()
        self._echoes = StatusInterpreter(speed_factor=self._units.target_factor)
        self._echo_tokens: dict[ControlRequest, list[Expected]] = {}  # by procedure in flight
        self._telemetry = TelemetryDecoder(self._hub, self._echoes, max_age_s=assembler_max_age_s)
        self._policy = reconnect or ReconnectPolicy()
        self._link_check_s = link_check_interval_s
        self._queue_size = queue_size
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._state: _State = "new"
        self._gatt: FtmsGatt | None = None
        self._capabilities: Capabilities | None = None
        self._connected = False
        self._we_connected = False
        self._lost = asyncio.Event()
        self._lost_reason = ""
        self._stack = contextlib.AsyncExitStack()
        self._supervisor: asyncio.Task[None] | None = None
        self._link_timer: asyncio.TimerHandle | None = None
        self.reconnects = 0

    @classmethod
    def from_device(
        cls,
        device: BLEDevice | str,
        *,
        backend: type[BaseBleakClient] | None = None,
        control_timeout_s: float = DEFAULT_CONTROL_TIMEOUT_S,
        reconnect: ReconnectPolicy | None = None,
        speed_units: SpeedUnits | None = None,
    ) -> FtmsTreadmill:
        """Return a treadmill over a new BleakClient that reports disconnects at once."""
        holder: list[FtmsTreadmill] = []
        client = BleakClient(
            device,
            disconnected_callback=lambda _c: holder[0].notify_disconnected(),
            backend=backend,
        )
        treadmill = cls(
            client,
            control_timeout_s=control_timeout_s,
            reconnect=reconnect,
            speed_units=speed_units,
        )
        holder.append(treadmill)
        return treadmill

    # ---- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError(
                "an FtmsTreadmill is single-use: it cannot be entered twice or reopened; "
                "create a new one for a new connection"
            )
        self._state = "open"
        try:
            await self._connect_first()
            task_group = await self._stack.enter_async_context(asyncio.TaskGroup())
            self._supervisor = task_group.create_task(
                self._supervise(), name=f"retrowalk-link-{self._client.address}"
            )
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    # ---- what the engine reads ---------------------------------------------------------------

    @property
    def capabilities(self) -> Capabilities:
        """Return what the machine can do (re-read after each reconnect)."""
        if self._capabilities is None:
            raise RuntimeError("capabilities are known only inside `async with FtmsTreadmill(...)`")
        return self._capabilities

    async def pace_simulator(self, factor: float) -> None:
        """Ask `retrowalk sim` to run at this run's pace, now and after every reconnect."""
        try:
            if not (self.capabilities.info.is_simulator and await write_pace(self._client, factor)):
                return
        except BleakError as exc:  # refused (the simulator's limit): the pace check says so
            log.warning("the simulator did not take the pace x%g: %s", factor, exc)
            return
        self._pace = factor
        info = await read_device_info(self._client)
        self._capabilities = dataclasses.replace(self.capabilities, info=info)

    @property
    def is_connected(self) -> bool:
        """Return whether the link is up."""
        return self._state == "open" and self._connected and self._client.is_connected

    @property
    def decode_errors(self) -> int:
        """Return how many notifications or indications were skipped as undecodable."""
        return self._telemetry.decode_errors + self._runner.decode_errors

    @property
    def control_timeout_s(self) -> float:
        """Return how long a control procedure waits for the machine's answer."""
        return self._runner.timeout_s

    def events(self) -> EventSubscription:
        """Return a new async iterator of telemetry, status and link events from now on."""
        return self._hub.subscribe(self._queue_size)

    # ---- control -----------------------------------------------------------------------------

    async def request_control(self) -> None:
        """Request control of the machine."""
        await self._run(cp.request_control())

    async def reset(self) -> None:
        """Reset the machine (it also revokes control)."""
        await self._run(cp.reset())

    async def start(self) -> None:
        """Start or resume the belt."""
        await self._run(cp.start_or_resume())

    async def stop(self) -> None:
        """Stop the belt (ends the machine's session); goes ahead of queued procedures."""
        await self._run(cp.stop(), urgent=True)

    async def pause(self) -> None:
        """Pause the belt (keeps the machine's counters); goes ahead of queued procedures."""
        await self._run(cp.pause(), urgent=True)

    async def set_speed(self, kmh: float) -> float:
        """Write a speed target, quantised and clamped to the machine's range; return it."""
        value = self.quantize_speed(kmh)
        # A console that reads targets as mph is sent the number that means `value` km/h to it.
        await self._run(cp.set_target_speed(round(value / self._units.target_factor, 2)))
        return value

    async def set_incline(self, pct: float) -> float:
        """Write an incline target, quantised and clamped to the machine's range; return it."""
        value = self.quantize_incline(pct)
        await self._run(cp.set_target_incline(value))
        return value

    def quantize_speed(self, kmh: float) -> float:
        """Return the speed this machine would be sent for `kmh` (zero stays zero)."""
        return snap_speed(kmh, self._capabilities.speed_range if self._capabilities else None)

    def quantize_incline(self, pct: float) -> float:
        """Return the incline this machine would be sent for `pct`."""
        return snap_incline(pct, self._capabilities.incline_range if self._capabilities else None)

    # ---- internals ---------------------------------------------------------------------------

    def notify_disconnected(self) -> None:
        """Tell the treadmill its link dropped (bleak's disconnected callback)."""
        if self._state == "open" and self._connected:
            self._mark_lost("the treadmill disconnected")

    async def _run(self, request: ControlRequest, *, urgent: bool = False) -> ControlResponse:
        if self._state != "open":
            raise RuntimeError(
                "control needs an open treadmill: use `async with FtmsTreadmill(...)`"
            )
        if self._gatt is not None and self._gatt.control_point is None:
            raise DeviceError(f"{self.capabilities.name} cannot be controlled: {COACH_MODE_ADVICE}")
        if not self._connected:
            raise Disconnected(f"the link to {self.capabilities.name} is down; reconnecting")
        loop = asyncio.get_running_loop()
        try:
            response = await self._runner.run(request, urgent=urgent)
        except asyncio.CancelledError:
            self._settle_echoes(request, loop.time())  # the write may be out: its echo may come
            raise
        except Exception:
            for echo in self._echo_tokens.pop(request, []):
                self._echoes.withdraw(echo)  # refused: no echo will come
            raise
        self._settle_echoes(request, loop.time())
        return response

    def _settle_echoes(self, request: ControlRequest, now: float) -> None:
        for echo in self._echo_tokens.pop(request, []):
            self._echoes.settle(echo, now)

    async def _write_control(self, payload: bytes) -> None:
        gatt = self._gatt
        if not self._connected or gatt is None or gatt.control_point is None:
            raise Disconnected("the link to the treadmill is down; reconnecting")
        # The echo this write may cause is expected from now, when it goes out (not from when it
        # was queued behind another procedure): machines often echo before they answer.
        request = cp.decode_request(payload)
        echo = self._echoes.expect(request, asyncio.get_running_loop().time())
        if echo is not None:
            self._echo_tokens.setdefault(request, []).append(echo)
        try:
            await self._client.write_gatt_char(
                gatt.control_point, payload, response=gatt.control_point_with_response
            )
        except BleakError as exc:
            if not self._client.is_connected:
                self._mark_lost(f"the link dropped during a control write: {exc}")
                raise Disconnected(f"the link dropped during a control write: {exc}") from exc
            raise DeviceError(f"writing the control point failed: {exc}") from exc
        if not gatt.control_point_answers:
            # No indications to wait for: take the write itself as the answer.
            self._runner.feed_indication(
                bytes([ControlOp.RESPONSE, payload[0], ResultCode.SUCCESS])
            )

    async def _connect_first(self) -> None:
        if not self._client.is_connected:
            try:
                async with asyncio.timeout(self._policy.connect_timeout_s):
                    await self._client.connect()
            except (BleakError, TimeoutError, OSError) as exc:
                raise Disconnected(
                    f"could not connect to {self._client.address}: {exc or 'timed out'}. "
                    "Is the treadmill on and awake? Is another app connected to it? "
                    "Try `retrowalk scan`"
                ) from exc
            self._we_connected = True
        try:
            # A link that drops or stalls between the connect and the last read (subscribing,
            # reading ranges and Device Information) is the same failure as a connect that fails.
            async with asyncio.timeout(self._policy.connect_timeout_s):
                await self._setup()
        except (BleakError, TimeoutError, OSError) as exc:
            raise Disconnected(
                f"connected to {self._client.address}, but the link failed while reading what "
                f"the treadmill is: {exc or 'it stopped answering'}. Is the treadmill within "
                "reach, and no other app connected to it? Try again"
            ) from exc

    async def _setup(self) -> None:
        """Find characteristics, subscribe (Control Point first), then read what the machine is."""
        self._telemetry.reset()
        gatt = find_ftms(self._client)
        self._gatt = gatt
        if gatt.control_point is not None and gatt.control_point_answers:
            # The CCCD must be on before any control write, or answers are lost.
            await self._client.start_notify(gatt.control_point, self._on_control_point)
        if gatt.status is not None:
            await self._client.start_notify(gatt.status, self._on_status)
        if gatt.training_status is not None:
            await self._client.start_notify(gatt.training_status, self._on_training_status)
        await self._client.start_notify(gatt.treadmill_data, self._on_treadmill_data)
        features, speed_range, incline_range = await read_descriptions(self._client, gatt)
        if self._pace is not None:  # a simulator forgets a central's pace when it leaves
            await write_pace(self._client, self._pace)
        info = await read_device_info(self._client)
        # Ranges are declared in the numbers the machine takes as targets; the engine sees km/h,
        # and the reports are checked against the range in the numbers the machine reports.
        real_range = _scaled(speed_range, self._units.target_factor)
        factor = self._units.target_factor / self._units.report_factor
        self._telemetry.declare(features, _scaled(speed_range, factor), incline_range)
        self._telemetry.speed_factor = self._units.report_factor
        speed_range = real_range
        self._capabilities = Capabilities(
            name=_client_name(self._client),
            address=self._client.address,
            features=features,
            speed_range=speed_range,
            incline_range=incline_range,
            has_control_point=gatt.control_point is not None,
            info=info,
        )
        self._connected = True

    def _mark_lost(self, reason: str) -> None:
        if not self._connected:
            return
        self._connected = False
        self._lost_reason = reason
        self._lost.set()

    async def _supervise(self) -> None:
        """Watch the link; after an unsolicited drop, reconnect with backoff."""
        loop = asyncio.get_running_loop()
        while True:
            # A plain timer polls the link (no task wake-up per check): it re-arms itself
            # every link_check_s until the link is lost.
            check = loop.call_at(self._next_link_check(loop), self._check_link, loop)
            self._link_timer = check
            try:
                await self._lost.wait()
            finally:
                self._link_timer.cancel()
            if not await self._reconnect():
                return

    def _check_link(self, loop: asyncio.AbstractEventLoop) -> None:
        """Notice a drop that no callback reported; poll again unless the link is lost."""
        if not self._client.is_connected:
            self._mark_lost("the treadmill disconnected")
        if not self._lost.is_set():
            self._link_timer = loop.call_at(self._next_link_check(loop), self._check_link, loop)

    def _next_link_check(self, loop: asyncio.AbstractEventLoop) -> float:
        # On whole multiples of the interval of loop time, where the engine's watch ticks: the
        # checks share its passes of the loop instead of each waking it.
        return (math.floor(loop.time() / self._link_check_s) + 1) * self._link_check_s

    async def _reconnect(self) -> bool:
        """Reconnect; return False if the policy gave up."""
        reason = self._lost_reason
        log.warning("link lost (%s); reconnecting", reason)
        self._runner.fail_pending(reason)
        self._telemetry.reset()
        self._echoes.clear()
        self._hub.publish(LinkLost(reason))
        attempt = 0
        while True:
            attempt += 1
            await asyncio.sleep(self._policy.delay_s(attempt, self._rng))
            try:
                async with asyncio.timeout(self._policy.connect_timeout_s):
                    if not self._client.is_connected:
                        await self._client.connect()
                    await self._setup()
            except (BleakError, TimeoutError, OSError, DeviceError) as exc:
                log.info("reconnect attempt %d failed: %s", attempt, exc)
                self._connected = False
                with contextlib.suppress(BleakError, TimeoutError, OSError):
                    async with asyncio.timeout(self._policy.connect_timeout_s):
                        await self._client.disconnect()
                if self._policy.max_attempts is not None and attempt >= self._policy.max_attempts:
                    self._hub.close(
                        Disconnected(f"gave up reconnecting after {attempt} attempts: {reason}")
                    )
                    return False
                continue
            self._lost.clear()
            self.reconnects += 1
            log.warning("link restored after %d attempt(s); motion is not restored", attempt)
            self._hub.publish(LinkRestored(attempt))
            return True

    async def _close(self) -> None:
        self._state = "closed"
        self._connected = False
        try:
            if self._supervisor is not None:
                self._supervisor.cancel()
            await self._stack.aclose()
        finally:
            self._telemetry.close()
            self._hub.close()
            if self._we_connected:
                await self._disconnect_quietly()

    async def _disconnect_quietly(self) -> None:
        try:
            async with asyncio.timeout(_EXIT_DISCONNECT_TIMEOUT_S):
                await self._client.disconnect()
        except (BleakError, TimeoutError, OSError) as exc:
            log.warning("disconnecting from %s failed: %s", self._client.address, exc)

    # bleak callbacks (run on the loop, never raise)

    def _on_control_point(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._runner.feed_indication(bytes(data))

    def _on_treadmill_data(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._telemetry.on_treadmill_data(bytes(data))

    def _on_status(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._telemetry.on_status(bytes(data))

    def _on_training_status(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._telemetry.on_training_status(bytes(data))


def _scaled(speed_range: SpeedRange | None, factor: float) -> SpeedRange | None:
    """Return `speed_range` with its numbers multiplied by `factor` (unchanged for 1)."""
    if speed_range is None or factor == 1.0:
        return speed_range
    return SpeedRange(
        round(speed_range.minimum_kmh * factor, 4),
        round(speed_range.maximum_kmh * factor, 4),
        round(speed_range.increment_kmh * factor, 4),
    )


def _client_name(client: BleakClient) -> str:
    try:
        return client.name
    except (NotImplementedError, BleakError):
        return client.address
