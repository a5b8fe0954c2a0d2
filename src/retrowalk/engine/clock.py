"""Real, virtual and scaled time for the event loop.

Everything in retrowalk takes time from the running loop (`loop.time()`, `asyncio.sleep`,
`asyncio.timeout`). Fast mode swaps the loop, not the code: `VirtualTimeEventLoop` jumps to the
next timer whenever nothing is ready, so an hour of workout runs in about a second through the
same byte path. `ScaledTimeEventLoop` runs N times faster than the wall clock (`--speedup N`).
"""

from __future__ import annotations

import asyncio
import selectors
import time
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from _typeshed import FileDescriptorLike

T = TypeVar("T")


class _DelegatingSelector(selectors.BaseSelector):
    """Wrap a real selector; subclasses change only how long `select` waits."""

    def __init__(self, real: selectors.BaseSelector) -> None:
        self._real = real

    def register(
        self,
        fileobj: FileDescriptorLike,
        events: int,
        data: Any = None,  # noqa: ANN401 - selector API
    ) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(
        self,
        fileobj: FileDescriptorLike,
        events: int,
        data: Any = None,  # noqa: ANN401 - selector API
    ) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        return self._real.select(timeout)

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._real.get_map()


class _JumpingSelector(_DelegatingSelector):
    """Poll without blocking; when nothing is ready, advance virtual time to the next timer.

    The real selector is polled at most once per `_POLL_EVERY_S` of wall time while callbacks
    are ready (`timeout == 0`), and likewise before virtual time jumps while the loop watches
    nothing but its own wake-up pipe (`set_quiet_fd`: signals and other threads'
    call_soon_threadsafe write to it, and both can wait that long). An hour of workout is about
    25,000 passes of the loop, most of them jumps. Once the loop watches anything else (a socket,
    a terminal) it is polled before every jump, so no I/O that has arrived is jumped over.
    """

    _POLL_EVERY_S = 0.002

    def __init__(self, real: selectors.BaseSelector, advance: Callable[[float], None]) -> None:
        super().__init__(real)
        self._advance = advance
        self._polled = 0.0
        self._quiet: bool | None = None  # whether only quiet_fd is watched (None: look again)
        self._quiet_fd: int | None = None

    def set_quiet_fd(self, fd: int) -> None:
        """Name the loop's own wake-up pipe, the one file whose watch allows throttled polls."""
        self._quiet_fd, self._quiet = fd, None

    def register(
        self,
        fileobj: FileDescriptorLike,
        events: int,
        data: Any = None,  # noqa: ANN401 - selector API
    ) -> selectors.SelectorKey:
        self._quiet = None
        return super().register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        self._quiet = None
        return super().unregister(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout == 0 or (timeout is not None and self._only_quiet()):
            wall = time.monotonic()
            if wall - self._polled < self._POLL_EVERY_S:
                if timeout:
                    self._advance(timeout)
                return []
            self._polled = wall
            ready = self._real.select(0)
            if ready or not timeout:
                return ready
            self._advance(timeout)
            return []
        ready = self._real.select(0)
        if ready:
            return ready
        if timeout is None:
            # No timer at all: only real I/O (a thread, a socket) can wake the loop.
            return self._real.select(None)
        self._advance(timeout)
        return []

    def _only_quiet(self) -> bool:
        # Asked on every pass; what is watched changes only through register and unregister.
        if self._quiet is None:
            keys = self._real.get_map()
            self._quiet = len(keys) == 1 and self._quiet_fd in keys
        return self._quiet


class VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next scheduled timer when the loop is idle."""

    def __init__(self, start: float = 0.0) -> None:
        self._virtual_now = start
        selector = _JumpingSelector(selectors.DefaultSelector(), self._advance)
        super().__init__(selector)
        selector.set_quiet_fd(self._ssock.fileno())  # type: ignore[attr-defined]  # wake-up pipe

    def time(self) -> float:
        """Return the virtual time in seconds."""
        return self._virtual_now

    def _advance(self, seconds: float) -> None:
        self._virtual_now += seconds


class _ScaledSelector(_DelegatingSelector):
    def __init__(self, real: selectors.BaseSelector, factor: float) -> None:
        super().__init__(real)
        self.factor = factor

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        return self._real.select(None if timeout is None else timeout / self.factor)


class ScaledTimeEventLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock runs `factor` times faster than the monotonic clock.

    `set_factor()` changes the rate from now on: the clock keeps its value and never goes back,
    and timers already set fire at their loop times, sooner or later in real time.
    """

    def __init__(self, factor: float) -> None:
        _check_factor(factor)
        self._factor = factor
        self._origin = time.monotonic()
        self._base = 0.0  # the loop time at `_origin`
        self._selector_scale = _ScaledSelector(selectors.DefaultSelector(), factor)
        super().__init__(self._selector_scale)

    @property
    def factor(self) -> float:
        """Return how many times faster than real time the clock runs."""
        return self._factor

    def time(self) -> float:
        """Return scaled time in seconds."""
        return self._base + (time.monotonic() - self._origin) * self._factor

    def set_factor(self, factor: float) -> None:
        """Run `factor` times faster than real time from now on."""
        _check_factor(factor)
        now, origin = self.time(), time.monotonic()
        self._base, self._origin, self._factor = now, origin, factor
        self._selector_scale.factor = factor


def _check_factor(factor: float) -> None:
    if not factor > 0:
        msg = f"speed-up factor must be positive, got {factor}"
        raise ValueError(msg)


def loop_factory(
    *, fast: bool = False, speedup: float = 1.0, scalable: bool = False
) -> Callable[[], asyncio.AbstractEventLoop]:
    """Return the factory for a real-time, virtual-time (`fast`) or scaled event loop.

    `scalable`: a scaled loop even at 1.0, whose rate `set_speedup()` can change later.
    """
    if fast:
        return VirtualTimeEventLoop
    if speedup != 1.0 or scalable:
        return lambda: ScaledTimeEventLoop(speedup)
    return asyncio.new_event_loop


def run(
    main: Callable[[], Awaitable[T]],
    *,
    fast: bool = False,
    speedup: float = 1.0,
    scalable: bool = False,
) -> T:
    """Run `main()` to completion on the loop that the time mode asks for."""

    async def _main() -> T:
        return await main()

    factory = loop_factory(fast=fast, speedup=speedup, scalable=scalable)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_main())


def set_speedup(factor: float) -> None:
    """Make the running loop (a scalable one) run `factor` times faster than real time."""
    loop = asyncio.get_running_loop()
    if not isinstance(loop, ScaledTimeEventLoop):
        msg = "set_speedup needs a loop from run(..., scalable=True)"
        raise TypeError(msg)
    loop.set_factor(factor)


def now() -> float:
    """Return the running loop's time (the only clock retrowalk code reads)."""
    return asyncio.get_running_loop().time()


async def sleep_until(deadline: float) -> None:
    """Sleep until the loop's clock reaches `deadline` (absolute, so repeated waits never drift)."""
    delay = deadline - now()
    if delay > 0:
        await asyncio.sleep(delay)
    else:
        await asyncio.sleep(0)


async def repeat(step: Callable[[], float]) -> NoReturn:
    """Call `step()` now and again at each deadline (loop time) it returns, until cancelled.

    Each call is a plain timer callback, not a task step woken through a future, so a check
    that runs several times a second costs the loop a third of what a `sleep_until` loop does.
    Deadlines are absolute (a late call never shifts the ones after it); a deadline already
    past runs on the next pass of the loop. What `step` raises, this raises.
    """
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[NoReturn] = loop.create_future()
    handle: asyncio.TimerHandle | None = None

    def beat() -> None:
        nonlocal handle
        try:
            deadline = step()
        except Exception as exc:  # noqa: BLE001 - handed to the awaiting task, not lost
            failed.set_exception(exc)
            return
        handle = loop.call_at(deadline, beat)

    beat()
    try:
        await failed
    finally:
        if handle is not None:
            handle.cancel()
