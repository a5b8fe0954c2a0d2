"""One exception tree for everything retrowalk raises on purpose.

RetrowalkError
 +-- WorkoutError            a workout file is wrong (file, line, column, path in the workout)
 |    +-- WorkoutErrors      several problems found in one pass, each a WorkoutError
 +-- SafetyError             a workout or a target is beyond the active safety profile
 +-- ProtocolError           bytes that are not valid FTMS (characteristic, hex)
 +-- DeviceError             the treadmill, its link or its control point
 |    +-- DeviceNotFound
 |    +-- Disconnected
 |    +-- ControlRejected    a control procedure answered with a failure (op, result)
 |    +-- ControlTimeout     no indication within the timeout (op, timeout)
 |    +-- CapabilityError    the plan does not fit the machine's ranges
 +-- TelemetryError          telemetry stopped or makes no sense
 +-- SessionError            a recorded session cannot be read or written
 |    +-- RecordingRefused   the session could not be recorded: the run does not start
 |    +-- ExportError        a session cannot be exported: unknown, unreadable, output unwritable
 +-- ConfigError             a command-line option or config value is not allowed

Every error carries the attributes a caller needs and a message that says what happened, where,
and what to do next. The CLI maps classes to exit codes through `exit_code`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable

_E = TypeVar("_E", bound=BaseException)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_DEVICE = 3
EXIT_INTERRUPTED = 130


class RetrowalkError(Exception):
    """Base of every error retrowalk raises on purpose."""

    exit_code: int = EXIT_FAILURE


@dataclass(frozen=True)
class SourceLocation:
    """Where in a workout file something is: file, 1-based line and column, field path."""

    file: str
    line: int | None = None
    column: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


class WorkoutError(RetrowalkError):
    """A workout file is wrong; the message names file:line:col and the field path."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(self.render())

    def render(self) -> str:
        """Return the one-line form `FILE:LINE:COL: path: message`."""
        if self.location is None:
            return self.message
        prefix = f"{self.location}: "
        if self.location.path:
            prefix += f"{self.location.path}: "
        return prefix + self.message


class WorkoutErrors(WorkoutError):  # noqa: N818 - a collection of WorkoutError
    """Several problems found in one workout file; `problems` lists them in file order."""

    def __init__(self, problems: list[WorkoutError]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))

    def render(self) -> str:
        """Return one line per problem."""
        return "\n".join(p.render() for p in self.problems)


class SafetyError(RetrowalkError):
    """A workout or target is beyond the active safety profile; `violations` lists each line."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, violations: list[str] | None = None) -> None:
        self.violations = violations or []
        super().__init__(message)


class ProtocolError(RetrowalkError):
    """Bytes that are not valid for an FTMS characteristic."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, characteristic: str, data: bytes, reason: str) -> None:
        self.characteristic = characteristic
        self.data = bytes(data)
        self.reason = reason
        super().__init__(f"{characteristic}: {reason} (bytes: {self.data.hex(' ') or 'empty'})")


class DeviceError(RetrowalkError):
    """The treadmill, its link or its control point failed."""

    exit_code = EXIT_DEVICE


class DeviceNotFound(DeviceError):  # noqa: N818 - reads as a sentence where it is raised
    """No treadmill matched; the message says what was searched and what to try."""


class Disconnected(DeviceError):  # noqa: N818 - likewise
    """The link to the treadmill dropped."""


class ControlRejected(DeviceError):  # noqa: N818 - likewise
    """A control procedure answered with a result code other than success.

    `result_code` is the raw FTMS result (0x02 not supported, 0x03 invalid parameter, 0x04
    operation failed, 0x05 control not permitted); the properties say what it means, so callers
    above the device layer never compare protocol codes.
    """

    def __init__(
        self, op: str, result: str, advice: str = "", *, result_code: int | None = None
    ) -> None:
        self.op = op
        self.result = result
        self.result_code = result_code  # the raw FTMS result code, when the machine sent one
        message = f"the treadmill refused {op}: {result}"
        if advice:
            message += f". {advice}"
        super().__init__(message)

    @property
    def not_supported(self) -> bool:
        """Return whether the machine does not support the procedure at all (0x02)."""
        return self.result_code == 0x02

    @property
    def not_permitted(self) -> bool:
        """Return whether the machine wants control requested first (0x05)."""
        return self.result_code == 0x05

    @property
    def failed(self) -> bool:
        """Return whether the machine answered "operation failed" (0x04): worth a retry."""
        return self.result_code == 0x04


class ControlTimeout(DeviceError):  # noqa: N818 - reads as a sentence where it is raised
    """No control point indication arrived within the timeout."""

    def __init__(self, op: str, timeout_s: float) -> None:
        self.op = op
        self.timeout_s = timeout_s
        super().__init__(
            f"the treadmill did not answer {op} within {timeout_s:g} s; "
            "check that it is on and not connected to another app"
        )


class CapabilityError(DeviceError):
    """The plan does not fit the machine's speed or incline ranges."""

    exit_code = EXIT_BAD_INPUT


class TelemetryError(RetrowalkError):
    """Telemetry stopped arriving or makes no sense."""


class SessionError(RetrowalkError):
    """A recorded session cannot be read or written."""


class RecordingRefused(SessionError):  # noqa: N818 - reads as a sentence where it is raised
    """The session folder cannot be written or has no room: the run is refused before it starts."""

    exit_code = EXIT_BAD_INPUT


class ExportError(SessionError):
    """A session cannot be exported or charted: its name, its log or the output is wrong."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(RetrowalkError):
    """A command-line option or configuration value is not allowed."""

    exit_code = EXIT_BAD_INPUT


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ` (did you mean 'x'?)` for the closest of `choices` to a mistyped `word`, or ""."""
    import difflib  # noqa: PLC0415 - only when a message needs it

    # 0.8: a typo or two (retro-into, walkng-pad), not a different name (retro-extreme).
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


def first_error(group: BaseExceptionGroup[_E]) -> _E:
    """Return the first error of `group` (from `except*`), however deeply task groups nest it."""
    first = group.exceptions[0]
    return first_error(first) if isinstance(first, BaseExceptionGroup) else first
