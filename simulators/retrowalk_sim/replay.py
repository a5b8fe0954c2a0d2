"""A peripheral that replays captured FTMS bytes: real machines' traffic, through bleak.

Public API:
- `ReplayScript(name, reads, notifications, loop_s=None)`: `reads` maps characteristic UUIDs to
  the bytes a read returns; `notifications` lists `(offset_s, uuid, bytes)` sent that long after
  the central subscribes to `uuid` (indications too); `loop_s` repeats the list with that period.
- `ReplayDevice(script)`: a `SimDevice` exposing the FTMS service with exactly the script's
  characteristics (a control point, if scripted, takes writes and logs them in
  `control_point_log`; its answers come from the script). `SimWorld.add_replay(script)` adds one.

Replays are byte-exact: nothing is decoded or re-encoded, so quirky captures stay quirky.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FTMS_SERVICE_UUID,
    STATUS_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
)
from retrowalk_sim.gatt import CharSpec, Property, ServiceSpec

if TYPE_CHECKING:
    from retrowalk_sim.gatt import Port

_NOTIFYING = (TREADMILL_DATA_UUID, TRAINING_STATUS_UUID, STATUS_UUID)
_ADVERTISED = b"\x01\x01\x00"


@dataclass(frozen=True)
class ReplayScript:
    """What to answer to reads and what to notify, at which offset after subscribing."""

    name: str
    reads: dict[str, bytes] = field(default_factory=dict)
    notifications: tuple[tuple[float, str, bytes], ...] = ()
    loop_s: float | None = None


class ReplayDevice:
    """Replays a `ReplayScript` to whoever connects (one central at a time)."""

    def __init__(self, script: ReplayScript) -> None:
        self.script = script
        self.control_point_log: list[bytes] = []
        self._port: Port | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handles: list[asyncio.TimerHandle] = []
        self._armed: set[str] = set()

    def services(self) -> list[ServiceSpec]:
        """Return the FTMS service with the scripted characteristics."""
        uuids = set(self.script.reads) | {uuid for _, uuid, _ in self.script.notifications}
        chars = []
        for uuid in sorted(uuids):
            props: list[Property] = []
            read = None
            if uuid in self.script.reads:
                props.append("read")
                read = functools.partial(bytes, self.script.reads[uuid])
            if uuid == CONTROL_POINT_UUID:
                chars.append(
                    CharSpec(
                        uuid,
                        ("write", "indicate"),
                        write=self.control_point_log.append,
                        needs_cccd_for_write=True,
                    )
                )
                continue
            if uuid in _NOTIFYING or uuid not in self.script.reads:
                props.append("notify")
            chars.append(CharSpec(uuid, tuple(props), read=read))
        return [ServiceSpec(FTMS_SERVICE_UUID, tuple(chars))]

    def service_data(self) -> dict[str, bytes]:
        """Return the FTMS treadmill advertisement."""
        return {FTMS_SERVICE_UUID: _ADVERTISED}

    def advertised_services(self) -> list[str]:
        """Return the FTMS service UUID."""
        return [FTMS_SERVICE_UUID]

    def attach(self, port: Port) -> None:
        """A central connected: its subscriptions start the replay, per characteristic."""
        self._port = port
        self._armed.clear()
        self._poll()

    def detach(self) -> None:
        """The central is gone: stop replaying."""
        self._port = None
        self.close()

    def start(self) -> None:
        """Remember the running loop."""
        self._loop = asyncio.get_running_loop()

    def close(self) -> None:
        """Cancel every pending notification."""
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    def _poll(self) -> None:
        """Arm the script of each newly subscribed characteristic (checked every 50 ms)."""
        port, loop = self._port, self._loop
        if port is None or loop is None:
            return
        now = loop.time()
        for uuid in {u for _, u, _ in self.script.notifications} - self._armed:
            if port.subscribed(uuid):
                self._armed.add(uuid)
                self._arm(uuid, now)
        self._handles = [h for h in self._handles if not h.cancelled() and h.when() > now]
        self._handles.append(loop.call_at(now + 0.05, self._poll))

    def _arm(self, uuid: str, origin: float) -> None:
        assert self._loop is not None
        for offset, target, data in self.script.notifications:
            if target == uuid:
                handle = self._loop.call_at(origin + offset, self._send, uuid, data)
                self._handles.append(handle)
        if self.script.loop_s:
            self._handles.append(
                self._loop.call_at(
                    origin + self.script.loop_s, self._arm, uuid, origin + self.script.loop_s
                )
            )

    def _send(self, uuid: str, data: bytes) -> None:
        if self._port is not None:
            self._port.send(uuid, data)
