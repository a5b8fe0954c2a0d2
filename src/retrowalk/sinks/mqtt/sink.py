"""The MQTT sink: live state, events and the session summary out; remote commands in.

`run_mqtt` reads its own channel of the bus, so a slow or absent broker never stalls the engine,
and it never raises for broker trouble: it reconnects with jittered exponential backoff
(`retrowalk.backoff`), buffers events meanwhile, and returns once the channel is closed and what
is left is delivered (or the final flush time is up). Received commands are kept by a
`CommandInbox` (emergency stops first, each source bounded) and read by a reader that never
waits on the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from typing import TYPE_CHECKING

from retrowalk.broker.client import MqttError, Will, connect, describe, wait_unbounded
from retrowalk.broker.incoming import Discards
from retrowalk.errors import first_error
from retrowalk.sinks.mqtt.dispatch import Dispatcher
from retrowalk.sinks.mqtt.inbox import CommandInbox, is_urgent
from retrowalk.sinks.mqtt.outbox import Outbox
from retrowalk.sinks.mqtt.payloads import dumps, ha_discovery

if TYPE_CHECKING:
    from retrowalk.broker.client import Client, Message
    from retrowalk.engine.bus import Channel
    from retrowalk.sinks.mqtt.dispatch import Submit
    from retrowalk.sinks.mqtt.settings import MqttSettings
    from retrowalk.workout.plan import Plan

__all__ = ["run_mqtt"]

log = logging.getLogger("retrowalk.mqtt")
# How long a command (never an emergency stop) waits for more to arrive before it is handled:
# the socket reader gives one message per turn of the event loop, so handling a flood message by
# message would slow the reading of an emergency stop behind it by the handling of each.
BATCH_S = 0.005


async def run_mqtt(settings: MqttSettings, channel: Channel, submit: Submit, *, plan: Plan) -> None:
    """Publish the workout and take remote commands until `channel` closes; never raises."""
    outbox = Outbox(settings, workout=plan.name)
    try:
        async with asyncio.TaskGroup() as tg:
            dispatcher = Dispatcher(settings, outbox, submit)
            tg.create_task(_pump(channel, outbox), name="mqtt-pump")
            worker = tg.create_task(dispatcher.run(), name="mqtt-commands")
            await _Connection(settings, outbox, dispatcher).run()
            dispatcher.close()
            # The engine is done, so a command still with it should be answered at once; never
            # let one that is not hold up the end of `retrowalk run`.
            await asyncio.wait({worker}, timeout=settings.final_flush_s)
            worker.cancel()
    except Exception:  # a bug here must never end the workout: log it, keep going without MQTT
        log.exception("MQTT: publishing stopped after an unexpected error; the workout goes on")


async def _pump(channel: Channel, outbox: Outbox) -> None:
    """Move items from the engine's channel into the outbox until the channel closes."""
    try:
        async for item in channel:
            outbox.feed(item)
    finally:
        outbox.close()


class _Connection:
    """The connect / serve / back off loop for one run."""

    def __init__(self, settings: MqttSettings, outbox: Outbox, dispatcher: Dispatcher) -> None:
        self._s = settings
        self._outbox = outbox
        self._dispatcher = dispatcher
        self._identifier = f"retrowalk-{settings.treadmill_id}-{secrets.token_hex(3)}"
        self._random = random.Random()  # noqa: S311 - backoff jitter, not security
        self._last_failure: str | None = None
        self._ever_connected = False
        self._state_sent_at: float | None = None
        self._deadline: float | None = None  # set when the workout ends: the final flush
        self._flush_timer: asyncio.Timeout | None = None
        self._discards = Discards(f"commands from {settings.broker.display}")

    async def run(self) -> None:
        """Serve until the outbox is drained; give up on the broker after the final flush time."""
        loop = asyncio.get_running_loop()
        attempt = 0
        delivered = False
        while True:
            try:
                inbox = CommandInbox(self._discards)
                async with self._connect(inbox) as client:
                    wait_unbounded(client)
                    attempt = 0
                    self._on_connected()
                    # Unbounded while the workout runs; the final flush time once it has ended.
                    async with asyncio.timeout(self._deadline) as self._flush_timer:
                        await self._serve(client, inbox)
                    delivered = True
            except MqttError as exc:
                if delivered:  # everything is out; only the goodbye failed
                    log.debug("MQTT: disconnect failed: %s", describe(exc))
                    return
                self._on_failure(exc)
            except TimeoutError:
                self._give_up("too slow")
                return
            if delivered:
                return
            deadline = self._start_final_flush() if self._outbox.closed else None
            if deadline is not None and loop.time() >= deadline:
                self._give_up("unreachable")
                return
            attempt += 1
            delay = self._s.backoff.delay_s(attempt, self._random)
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - loop.time()))
            await self._sleep_or_close(delay)

    def _connect(self, inbox: CommandInbox) -> contextlib.AbstractAsyncContextManager[Client]:
        """Return a fresh client for one attempt, its commands kept by `inbox`."""
        s = self._s
        return connect(
            s.broker,
            identifier=self._identifier,
            incoming=inbox,
            will=Will(s.topic("status"), b"offline", qos=1, retain=True),
            timeout_s=s.timeout_s,
            keepalive_s=int(s.keepalive_s),
        )

    def _start_final_flush(self) -> float:
        """Return the loop time by which what is left must be out (set once the workout ended)."""
        if self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + self._s.final_flush_s
            if self._flush_timer is not None:
                self._flush_timer.reschedule(self._deadline)
        return self._deadline

    def _give_up(self, why: str) -> None:
        log.warning(
            "MQTT: %s %s at the end of the workout; not delivered: %s",
            self._s.broker.display,
            why,
            self._outbox.undelivered(),
        )

    async def _sleep_or_close(self, delay: float) -> None:
        """Wait `delay` seconds, ending early when the workout finishes (start the final flush)."""
        if self._outbox.closed:
            await asyncio.sleep(delay)
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                while not self._outbox.closed:
                    self._outbox.changed.clear()
                    await self._outbox.changed.wait()

    def _on_connected(self) -> None:
        if self._ever_connected:
            log.warning("MQTT: reconnected to %s", self._s.broker.display)
        else:
            log.info("MQTT: connected to %s as %s", self._s.broker.display, self._s.treadmill_id)
        self._ever_connected = True
        self._last_failure = None
        self._outbox.report_drops()
        self._outbox.mark_state_stale()

    def _on_failure(self, exc: MqttError) -> None:
        reason = describe(exc)
        if reason == self._last_failure:
            log.debug("MQTT: still failing: %s", reason)
            return
        self._last_failure = reason
        lost = "lost" if self._ever_connected else "cannot reach"
        level = logging.ERROR if "login" in reason or "authori" in reason else logging.WARNING
        log.log(
            level,
            "MQTT: %s %s: %s; retrying in the background, the workout goes on",
            lost,
            self._s.broker.display,
            reason,
        )

    async def _serve(self, client: Client, inbox: CommandInbox) -> None:
        """Announce, subscribe, publish until drained, say offline; a lost link raises MqttError.

        Every wait on the broker happens while the receiver watches the link: acks are awaited
        without timers (see `_wait_unbounded`), so a dropped connection must end them.
        """
        try:
            async with asyncio.TaskGroup() as tg:
                receiver = tg.create_task(self._receive(client, inbox), name="mqtt-receive")
                try:
                    await self._announce(client)
                    await self._publish_until_drained(client)
                    await client.publish(self._s.topic("status"), b"offline", qos=1, retain=True)
                finally:
                    receiver.cancel()
        except ExceptionGroup as group:
            rest = group.subgroup(lambda e: not isinstance(e, MqttError | ExceptionGroup))
            broker = group.subgroup(MqttError)
            if rest is not None or broker is None:
                raise
            raise first_error(broker) from None
        except asyncio.CancelledError:
            await _best_effort_offline(client, self._s)
            raise

    async def _announce(self, client: Client) -> None:
        s = self._s
        await client.publish(s.topic("status"), b"online", qos=1, retain=True)
        if s.ha_discovery:
            for topic, config in ha_discovery(treadmill_id=s.treadmill_id, base=s.base):
                await client.publish(topic, dumps(config), qos=1, retain=True)
        await client.subscribe([(s.topic("cmd"), 1), (s.fleet_cmd_topic, 1)])

    async def _receive(self, client: Client, inbox: CommandInbox) -> None:
        """Hand every received command to the dispatcher, in arrival order.

        Never waits on the engine (the dispatcher takes each message at once; an emergency stop
        goes past the commands waiting there and cancels them). `client.messages` gives the first
        message (and ends with MqttError when the link drops); a command other than an emergency
        stop then waits BATCH_S for more, cut short by an emergency stop, and everything waiting
        is taken straight from the inbox, without a turn of the event loop per message.
        """
        async for first in client.messages:
            if not inbox.urgent.is_set() and not is_urgent(first):
                # Let the socket reader run for a moment: a flood is read (and bounded) before
                # it is handled, and an emergency stop behind it cuts the wait short.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(BATCH_S):
                        await inbox.urgent.wait()
            self._hand_over(first)
            while len(inbox):  # in arrival order: nothing sent before a stop may land after it
                self._hand_over(inbox.take())

    def _hand_over(self, message: Message) -> None:
        payload = message.payload
        if isinstance(payload, bytes | bytearray):
            via = "fleet" if message.topic.matches(self._s.fleet_cmd_topic) else "direct"
            self._dispatcher.handle(bytes(payload), via=via, retained=message.retain)

    async def _publish_until_drained(self, client: Client) -> None:
        """Publish results, state and events as they come; return once everything is out."""
        loop = asyncio.get_running_loop()
        outbox = self._outbox
        while True:
            outbox.changed.clear()
            if outbox.closed:
                self._start_final_flush()
            if outbox.drained:
                return
            if await self._publish_next(client, loop.time()):
                continue
            wait = None
            if self._state_sent_at is not None:
                wait = max(0.0, self._state_sent_at + self._s.state_interval_s - loop.time())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await outbox.changed.wait()

    async def _publish_next(self, client: Client, now: float) -> bool:
        """Publish the most urgent pending message; return False if nothing is due."""
        outbox, s = self._outbox, self._s
        results = outbox.stop_results or outbox.results
        if results:  # a controller is waiting for this
            await client.publish(s.topic("cmd/result"), results[0], qos=1)
            results.popleft()
        elif outbox.state_due(now, self._state_sent_at):  # before events: state first after a gap
            payload = outbox.take_state()
            if payload is not None:
                try:
                    await client.publish(s.topic("state"), payload, qos=0, retain=True)
                except MqttError:
                    outbox.requeue_state()
                    raise
                self._state_sent_at = now
        elif outbox.events:
            await client.publish(s.topic("event"), outbox.events[0], qos=1)
            outbox.events.popleft()
        elif outbox.session is not None:  # last: after the Finished/Aborted event
            await client.publish(s.topic("session"), outbox.session, qos=1, retain=True)
            outbox.session = None
        else:
            return False
        return True


async def _best_effort_offline(client: Client, settings: MqttSettings) -> None:
    """On cancellation: say offline (a clean disconnect does not fire the Last Will)."""
    with contextlib.suppress(MqttError, TimeoutError):
        async with asyncio.timeout(1.0):
            await client.publish(settings.topic("status"), b"offline", qos=1, retain=True)
