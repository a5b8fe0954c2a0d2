"""The one module that imports aiomqtt: a client per connection attempt, and broker errors in words.

`connect()` opens a fresh client (nothing carries over between attempts) whose received messages
are kept by an `Incoming` policy instead of aiomqtt's queue, which would drop and log each
message beyond its size. Messages are read with `client.messages` as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
from typing import TYPE_CHECKING

import aiomqtt
from aiomqtt import Client, Message, MqttError, Will
from aiomqtt.exceptions import MqttConnectError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from retrowalk.broker.incoming import Incoming
    from retrowalk.broker.url import Broker

__all__ = ["Client", "Message", "MqttError", "Will", "connect", "describe", "wait_unbounded"]

_client_log = logging.getLogger("retrowalk.mqtt.client")


@contextlib.asynccontextmanager
async def connect(  # noqa: PLR0913 - each is one setting of the connection
    broker: Broker,
    *,
    identifier: str,
    incoming: Incoming,
    will: Will | None = None,
    timeout_s: float = 5.0,
    keepalive_s: int = 5,
) -> AsyncIterator[Client]:
    """Connect a fresh client (clean session); MqttError if the broker cannot be reached."""
    tls = None
    if broker.tls:
        tls = aiomqtt.TLSParameters(ca_certs=str(broker.ca_file) if broker.ca_file else None)
    client = Client(
        broker.host,
        broker.port,
        username=broker.username,
        password=broker.password,
        identifier=identifier,
        will=will,
        clean_session=True,  # commands sent while we were away must not arrive late
        timeout=timeout_s,
        keepalive=keepalive_s,
        tls_params=tls,
        logger=_client_log,
        queue_type=_queue_over(incoming),
        # Small messages at a steady rate: without this, Nagle + delayed ACK hold some for ~40 ms.
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    )
    try:
        async with client:
            yield client
    finally:
        incoming.close()


def _queue_over(incoming: Incoming) -> type[asyncio.Queue[Message]]:
    """Return a queue class for aiomqtt's `queue_type` whose items `incoming` keeps.

    aiomqtt documents subclassing the queue (its priority-queue example overrides `_put` and
    `_get`); the storage is `_queue`, as in the standard library's own PriorityQueue. Unbounded
    as far as asyncio is concerned (aiomqtt's maxsize is 0): `incoming` bounds it.
    """

    class _IncomingQueue(asyncio.Queue[Message]):
        def _init(self, maxsize: int) -> None:
            del maxsize
            self._queue = incoming

        def _put(self, item: Message) -> None:
            incoming.put(item)

        def _get(self) -> Message:
            return incoming.take()

    return _IncomingQueue


def wait_unbounded(client: Client) -> None:
    """Once connected, wait for acks without a timer: a lost link ends the wait instead.

    The receiver ends the session as soon as the connection drops, and paho's keepalive
    (checked on real time) drops a connection to a broker that went silent. Timers would only
    misfire on a virtual-time loop (`--fast`), where they leap ahead while a reply is in flight.
    """
    client.timeout = math.inf


def describe(exc: MqttError) -> str:
    """Return a short reason for a broker failure (never credentials: none are in the error)."""
    # Only a refused CONNACK carries these codes (a failed publish's 4 means "not connected").
    code = exc.rc if isinstance(exc, MqttConnectError) else None
    value = getattr(code, "value", code)
    if value in {4, 134}:
        return "the broker refused the login: bad user name or password"
    if value in {5, 135}:
        return "the broker refused the login: not authorised (check the user name and password)"
    text = str(exc) or type(exc).__name__
    if exc.__cause__ is not None:
        text += f" ({exc.__cause__})"
    return text
