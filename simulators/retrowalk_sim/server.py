"""The FTMS server half of a simulated treadmill: GATT table, control point, status, faults.

`FtmsServer` is the base class of `retrowalk_sim.model.TreadmillModel`; read that module for the
public API. This module owns what crosses the GATT boundary: the characteristic handlers, the
control point procedure (permission, result codes, status before indication), Fitness Machine
Status and Training Status notifications, record splitting or truncation for the MTU (the
bytes from the `retrowalk.ftms` codecs), and the pace a central may set.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from retrowalk.errors import ProtocolError
from retrowalk.ftms.control_point import decode_request, encode_response, make_response, quantize
from retrowalk.ftms.models import (
    CONTROL_POINT_UUID,
    FTMS_SERVICE_UUID,
    STATUS_UUID,
    TRAINING_STATUS_UUID,
    ControlOp,
    ControlRequest,
    MachineStatus,
    ResultCode,
    StatusOp,
    StopKind,
    TrainingStatus,
    TrainingStatusCode,
)
from retrowalk.ftms.status import encode_status
from retrowalk.ftms.training_status import encode_training_status
from retrowalk_sim.gatt import ATT_INVALID_ATTRIBUTE_VALUE_LENGTH, AttError
from retrowalk_sim.gatt_table import ftms_service_data, ftms_services
from retrowalk_sim.pace import Pace
from retrowalk_sim.timers import Timers

if TYPE_CHECKING:
    from retrowalk_sim.gatt import Port, ServiceSpec
    from retrowalk_sim.profiles import MachineProfile
    from retrowalk_sim.trace import Trace

_KNOWN_OPS = frozenset(
    {
        ControlOp.REQUEST_CONTROL,
        ControlOp.RESET,
        ControlOp.SET_TARGET_SPEED,
        ControlOp.SET_TARGET_INCLINATION,
        ControlOp.START_OR_RESUME,
        ControlOp.STOP_OR_PAUSE,
    }
)


class FtmsServer(abc.ABC):
    """GATT-facing half of a simulated treadmill; the belt lives in the subclass."""

    def __init__(self, profile: MachineProfile, *, record_traffic: bool = False) -> None:
        self.profile = profile
        self.pace = Pace()  # served: `retrowalk sim --speedup N`, or the central's own
        self.control_granted = False
        fixed = profile.training_status_fixed
        self.training_status: int = TrainingStatusCode.IDLE if fixed is None else fixed
        self.control_point_log: list[bytes] = []
        self.control_point_writes: list[tuple[float, bytes]] = []
        self.sent: list[tuple[float, str, bytes]] = []
        self._record_traffic = record_traffic
        self.timers = Timers()
        self._port: Port | None = None
        self._reject: list[int] = []
        self._refuse_control = 0
        self._ignore_speed = profile.ignores_speed
        self._muted = False
        self.trace: Trace | None = None
        self._stop_requests = 0
        self._responses = 0

    # ---- SimDevice ---------------------------------------------------------------------------

    def services(self) -> list[ServiceSpec]:
        """Return the GATT table this profile exposes."""
        p, write = self.profile, self.write_control_point
        return ftms_services(p, self._training_bytes, write, pace=self.pace)

    def service_data(self) -> dict[str, bytes]:
        """Return the FTMS advertisement: available, treadmill (`01 01 00`)."""
        return ftms_service_data(self.profile)

    def advertised_services(self) -> list[str]:
        """Return the advertised service UUIDs (FTMS)."""
        return [FTMS_SERVICE_UUID]

    def attach(self, port: Port) -> None:
        """A central connected: control starts not granted."""
        self._port = port
        self.control_granted = False

    def detach(self) -> None:
        """The central is gone: control permission ends with the connection."""
        self._port = None
        self.control_granted = False
        self.pace.reset()
        if self.timers.running:
            self._on_detach()

    def close(self) -> None:
        """Cancel every timer (the world is shutting down)."""
        self.timers.close()

    # ---- faults ------------------------------------------------------------------------------

    def drop_link(self, refuse_s: float = 0.0) -> None:
        """Drop the connection (disconnected callback fires); refuse reconnects for `refuse_s`."""
        if self._port is not None:
            self._port.drop(refuse_s)

    def reject_next(self, n: int, result_code: int = ResultCode.OPERATION_FAILED) -> None:
        """Answer the next `n` control point requests with `result_code` and do nothing."""
        self._reject.extend([int(result_code)] * n)

    def ignore_speed(self, on: bool = True, *, for_s: float | None = None) -> None:  # noqa: FBT001, FBT002 - the agreed API
        """Acknowledge Set Target Speed with success and ignore it (for `for_s`, or until off)."""
        if for_s is None:
            self._ignore_speed = on
        else:
            self.timers.open_window("ignore_speed", for_s)

    def mute_control_point(self, on: bool = True, *, for_s: float | None = None) -> None:  # noqa: FBT001, FBT002 - agreed style
        """Take control point writes, neither acting nor answering (for `for_s`, or until off)."""
        if for_s is None:
            self._muted = on
        else:
            self.timers.open_window("mute_control_point", for_s)

    def ignore_stop(self, for_s: float) -> None:
        """Acknowledge Stop and Pause with success for `for_s` seconds, and keep the belt going."""
        self.timers.open_window("ignore_stop", for_s)

    def refuse_control(self, count: int) -> None:
        """Answer the next `count` Request Control procedures with 0x05 (Control Not Permitted)."""
        self._refuse_control += count

    def revoke_control(self) -> None:
        """Take control away from the client, announced with status 0xFF."""
        self.control_granted = False
        self._status(MachineStatus(StatusOp.CONTROL_PERMISSION_LOST), echo=False)

    # ---- control point -----------------------------------------------------------------------

    def write_control_point(self, data: bytes) -> None:
        """Run one control point procedure: status notifications first, then the indication."""
        now = self._now()
        self.control_point_log.append(bytes(data))
        self.control_point_writes.append((now, bytes(data)))
        written = None if self.trace is None else self.trace.write(now, data)
        if not data:
            raise AttError(ATT_INVALID_ATTRIBUTE_VALUE_LENGTH, "empty control point write")
        if self._muted or self.timers.in_window("mute_control_point"):
            return
        op = data[0]
        if self._reject:
            self._respond(op, self._reject.pop(0), written)
            return
        try:
            request = decode_request(bytes(data))
        except ProtocolError:
            self._respond(op, ResultCode.INVALID_PARAMETER, written)
            return
        self._respond(op, self._execute(request), written)

    def _execute(self, request: ControlRequest) -> int:  # noqa: PLR0911 - one return per rule
        op = request.op
        p = self.profile
        if op == ControlOp.REQUEST_CONTROL:
            if self._refuse_control > 0:
                self._refuse_control -= 1
                return ResultCode.CONTROL_NOT_PERMITTED
            if self.profile.refuses_request_control:
                return ResultCode.OPERATION_FAILED
            self.control_granted = True
            return ResultCode.SUCCESS
        if op not in _KNOWN_OPS or (op == ControlOp.SET_TARGET_INCLINATION and not p.incline_range):
            return ResultCode.NOT_SUPPORTED
        if p.control_enforced and not self.control_granted:
            return ResultCode.CONTROL_NOT_PERMITTED
        if op == ControlOp.RESET:
            self._halt(StopKind.STOP)
            self.control_granted = False
            self._status(MachineStatus(StatusOp.RESET), echo=False)
            return ResultCode.SUCCESS
        if op == ControlOp.SET_TARGET_SPEED:
            return self._set_speed(request.speed_kmh)
        if op == ControlOp.SET_TARGET_INCLINATION:
            return self._set_incline(request.incline_pct)
        if op == ControlOp.START_OR_RESUME:
            return self._start()
        return self._stop_or_pause(request.stop_kind)

    def _set_speed(self, speed: float | None) -> int:
        rng = self.profile.speed_range
        if self._ignore_speed or self.timers.in_window("ignore_speed"):
            return ResultCode.SUCCESS
        if self._now() < self._belt_started_at() + self.profile.speed_refused_after_start_s:
            return ResultCode.CONTROL_NOT_PERMITTED
        if speed is None or not rng.minimum_kmh - 1e-6 <= speed <= rng.maximum_kmh + 1e-6:
            return ResultCode.INVALID_PARAMETER
        if self._belt_idle() and self.profile.speed_while_idle == "reject":
            return ResultCode.OPERATION_FAILED
        q = quantize(
            speed,
            increment=rng.increment_kmh,
            minimum=rng.minimum_kmh,
            maximum=rng.maximum_kmh,
            mode=self.profile.target_mode,
        )
        self._status(MachineStatus(StatusOp.TARGET_SPEED_CHANGED, target_speed_kmh=q), echo=True)
        self._apply_speed_target(q)
        return ResultCode.SUCCESS

    def _set_incline(self, incline: float | None) -> int:
        rng = self.profile.incline_range
        if rng is None:
            return ResultCode.NOT_SUPPORTED
        if incline is None or not rng.minimum_pct - 1e-6 <= incline <= rng.maximum_pct + 1e-6:
            return ResultCode.INVALID_PARAMETER
        q = quantize(
            incline,
            increment=rng.increment_pct,
            minimum=rng.minimum_pct,
            maximum=rng.maximum_pct,
            mode=self.profile.target_mode,
        )
        self._status(
            MachineStatus(StatusOp.TARGET_INCLINE_CHANGED, target_incline_pct=q), echo=True
        )
        self._apply_incline_target(q)
        return ResultCode.SUCCESS

    def _start(self) -> int:
        if not self.safety_key_in:
            return ResultCode.OPERATION_FAILED
        if self._belt_idle() and not self.profile.start_needs_console:
            self._status(MachineStatus(StatusOp.STARTED_OR_RESUMED_BY_USER), echo=True)
        self._request_start()
        return ResultCode.SUCCESS

    def _stop_or_pause(self, kind: StopKind | None) -> int:
        if kind is None:
            return ResultCode.INVALID_PARAMETER
        if self.timers.in_window("ignore_stop"):
            return ResultCode.SUCCESS
        if kind is StopKind.STOP and self.profile.stop_fails_every:
            self._stop_requests += 1
            if (self._stop_requests - 1) % self.profile.stop_fails_every == 0:
                return ResultCode.OPERATION_FAILED
        if self._session_active(kind):
            self._status(
                MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, stop_kind=kind), echo=True
            )
        self._halt(kind)
        revoke = self.profile.revoke_control_on_pause if kind is StopKind.PAUSE else False
        if revoke or (kind is StopKind.STOP and self.profile.revoke_control_on_stop):
            self.control_granted = False  # silently: the next command answers 0x05
        return ResultCode.SUCCESS

    def _respond(self, op: int, result: int, written: int | None) -> None:
        data = encode_response(make_response(op, result))

        def send() -> None:
            if self._send(CONTROL_POINT_UUID, data) and written is not None and self.trace:
                self.trace.answered(written, data)

        delay = self.profile.indication_delay_s
        if delay <= 0:
            send()
            return
        self._responses += 1
        name = f"indication-{self._responses}"

        def send_later() -> None:
            self.timers.forget(name)
            send()

        self.timers.set(name, self._now() + delay, send_later)

    # ---- notifications -----------------------------------------------------------------------

    def _send(self, uuid: str, data: bytes) -> bool:
        """Notify or indicate `data`; return whether a central was there to receive it."""
        port = self._port
        if port is None:
            return False
        if self._record_traffic:
            self.sent.append((self._now(), uuid, data))
        port.send(uuid, data)
        return port.subscribed(uuid)

    def _status(self, status: MachineStatus, *, echo: bool = False) -> None:
        """Notify a Fitness Machine Status; `echo` marks one caused by the client itself."""
        if not self.profile.has_control_point or (echo and not self.profile.echo_own_changes):
            return
        data = encode_status(status)
        pad = self.profile.status_padding
        if len(data) < pad:
            data += bytes(pad - len(data))
        self._send(STATUS_UUID, data)

    def _set_training(self, code: TrainingStatusCode) -> None:
        if self.profile.training_status_fixed is not None or code == self.training_status:
            return
        self.training_status = code
        self._send(TRAINING_STATUS_UUID, self._training_bytes())

    def _training_bytes(self) -> bytes:
        status = TrainingStatus(
            status=self.training_status, string_flag=self.profile.training_status_string_flag
        )
        return encode_training_status(status)

    # ---- what the belt provides --------------------------------------------------------------

    safety_key_in: bool

    @abc.abstractmethod
    def _now(self) -> float: ...

    @abc.abstractmethod
    def _belt_idle(self) -> bool: ...

    @abc.abstractmethod
    def _session_active(self, kind: StopKind) -> bool: ...

    @abc.abstractmethod
    def _belt_started_at(self) -> float: ...

    @abc.abstractmethod
    def _apply_speed_target(self, speed: float) -> None: ...

    @abc.abstractmethod
    def _apply_incline_target(self, incline: float) -> None: ...

    @abc.abstractmethod
    def _request_start(self) -> None: ...

    @abc.abstractmethod
    def _halt(self, kind: StopKind) -> None: ...

    @abc.abstractmethod
    def _on_detach(self) -> None: ...
