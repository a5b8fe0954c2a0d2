"""An optional heart-rate strap through pycycling's HeartRateService (the only pycycling user).

`async with HeartRateMonitor(client) as hr: async for bpm in hr.readings(): ...` yields beats
per minute, or None when no usable reading came for `dropout_s` (strap off, out of range).
The monitor is single-use, like FtmsTreadmill.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Self

from bleak.exc import BleakError
from pycycling.heart_rate_service import HeartRateService

from retrowalk.errors import ConfigError, Disconnected

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable
    from types import TracebackType

    from bleak import BleakClient
    from bleak.backends.characteristic import BleakGATTCharacteristic

log = logging.getLogger(__name__)

DEFAULT_DROPOUT_S = 5.0
_MAX_PLAUSIBLE_BPM = 250
_CLOSED = object()


class _GuardedClient:
    """The slice of BleakClient that HeartRateService uses, with its parser guarded.

    pycycling's parser raises IndexError on a short packet; here that becomes a counted,
    logged skip instead of an exception inside bleak's notification machinery.
    """

    def __init__(self, client: BleakClient, on_error: Callable[[bytes, Exception], None]) -> None:
        self._client = client
        self._on_error = on_error

    async def start_notify(
        self, uuid: str, callback: Callable[[BleakGATTCharacteristic, bytearray], None]
    ) -> None:
        def guarded(sender: BleakGATTCharacteristic, data: bytearray) -> None:
            try:
                callback(sender, data)
            except (IndexError, ValueError) as exc:
                self._on_error(bytes(data), exc)

        await self._client.start_notify(uuid, guarded)

    async def stop_notify(self, uuid: str) -> None:
        await self._client.stop_notify(uuid)


class HeartRateMonitor:
    """Heart rate from a Bluetooth strap (Heart Rate Service 0x180D)."""

    def __init__(
        self, client: BleakClient, *, dropout_s: float = DEFAULT_DROPOUT_S, queue_size: int = 32
    ) -> None:
        if not dropout_s > 0:
            raise ConfigError(f"heart-rate dropout time must be positive, got {dropout_s:g} s")
        self._client = client
        self._dropout_s = dropout_s
        self._queue: asyncio.Queue[int | object] = asyncio.Queue(maxsize=queue_size)
        self._service: Any = None
        self._state = "new"
        self._we_connected = False
        self.decode_errors = 0
        self.last_bpm: int | None = None

    async def __aenter__(self) -> Self:
        if self._state != "new":
            raise RuntimeError("a HeartRateMonitor is single-use: create a new one to reconnect")
        self._state = "open"
        try:
            if not self._client.is_connected:
                await self._client.connect()
                self._we_connected = True
            self._service = HeartRateService(_GuardedClient(self._client, self._on_bad_packet))
            self._service.set_hr_measurement_handler(self._on_measurement)
            await self._service.enable_hr_measurement_notifications()
        except (BleakError, TimeoutError, OSError) as exc:
            await self._close()
            raise Disconnected(
                f"could not subscribe to heart rate on {self._client.address}: {exc}. "
                "Wear the strap and make sure no other app holds its connection"
            ) from exc
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

    async def readings(self) -> AsyncGenerator[int | None]:
        """Yield bpm as it arrives, or None every `dropout_s` without a usable reading."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                # The timeout covers only the wait, never the consumer's work between items.
                async with asyncio.timeout_at(loop.time() + self._dropout_s):
                    item = await self._queue.get()
            except TimeoutError:
                self.last_bpm = None
                yield None
                continue
            if item is _CLOSED:
                return
            assert isinstance(item, int)
            yield item

    def _on_measurement(self, measurement: Any) -> None:  # noqa: ANN401 - pycycling namedtuple
        bpm = measurement.bpm
        if not isinstance(bpm, int) or not 0 < bpm <= _MAX_PLAUSIBLE_BPM:
            return  # 0 means no skin contact: that is a dropout, not a heart rate
        self.last_bpm = bpm
        if self._queue.full():
            self._queue.get_nowait()  # a slow reader wants the newest reading, not the oldest
        self._queue.put_nowait(bpm)

    def _on_bad_packet(self, data: bytes, exc: Exception) -> None:
        self.decode_errors += 1
        if self.decode_errors <= 5:
            log.warning("skipped a malformed heart-rate packet %s: %s", data.hex(" "), exc)

    async def _close(self) -> None:
        if self._state == "closed":
            return
        self._state = "closed"
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)
        if self._we_connected:
            try:
                async with asyncio.timeout(5.0):
                    await self._client.disconnect()
            except (BleakError, TimeoutError, OSError) as exc:
                log.warning("disconnecting the heart-rate strap failed: %s", exc)
