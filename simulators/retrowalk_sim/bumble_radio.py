"""A virtual Bluetooth LE radio for the simulator: bumble controllers on one local link.

Public API:
- `SimController`: bumble's virtual `Controller`, with LE Create Connection Cancel that cancels
  (bumble's returns success and does nothing, so a timed-out connect hung forever:
  docs/reference/bumble.md, pitfall 1); `time_out_links()` (a supervision timeout on every link:
  the radio between the peers died) and `vanish()` (its host is gone: links time out, it
  leaves the air).
- `local_device(link, name, address)`: a powered-off bumble `Device` whose host talks to its own
  `SimController` on `link`, in this process, and that controller.
- `hci_hub(link, host, port, on_client=None)`: an async context manager serving HCI over TCP on
  `host:port`; each TCP client gets a controller of its own on `link` (so a host that
  re-attaches never inherits another's links, pitfall 2), and when its socket closes its peers
  are told the link is gone, as a real controller's supervision timeout would (pitfall 3). It
  yields the listening `asyncio.Server` (its port, when `port` was 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import TYPE_CHECKING, Any

from bumble import hci, ll
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.transport.common import AsyncPipeSink, StreamPacketSource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from bumble.link import LocalLink

__all__ = ["SimController", "hci_hub", "local_device"]

log = logging.getLogger(__name__)

SUPERVISION_TIMEOUT = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR  # 0x08
_clients = itertools.count(1)


class SimController(Controller):
    """A virtual controller whose pending LE connection can be cancelled."""

    def on_hci_le_create_connection_cancel_command(
        self, _command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        """Cancel the pending connection: Command Complete, then a failed Connection Complete."""
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        failed = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address.address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        # The caller sends Command Complete when this returns; the failure must come after it.
        asyncio.get_running_loop().call_soon(self.send_hci_packet, failed)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def time_out_links(self) -> None:
        """Every link of this controller times out, as when the radio between them dies.

        Both ends hear of it (Disconnection Complete, reason 0x08), as after a real supervision
        timeout: the peer through the link, this controller's own host directly.
        """
        for connection in list(self.le_connections.values()):
            connection.send_ll_control_pdu(ll.TerminateInd(SUPERVISION_TIMEOUT))
            self.on_le_disconnected(connection, SUPERVISION_TIMEOUT)

    def vanish(self) -> None:
        """The host behind this controller is gone: its links time out, it leaves the air."""
        self.time_out_links()
        self.pending_le_connection = None
        self.le_legacy_advertiser.stop()
        for advertising_set in self.advertising_sets.values():
            with contextlib.suppress(Exception):  # a set that never started
                advertising_set.stop()
        with contextlib.suppress(KeyError):
            self.link.remove_controller(self)


def local_device(link: LocalLink, name: str, address: str) -> tuple[Device, SimController]:
    """Return a bumble Device (not powered on) and its own controller on `link`."""
    controller = SimController(name, link=link)
    host = Host(controller, AsyncPipeSink(controller))
    return Device(name=name, address=hci.Address(address), host=host), controller


class _SocketSink:
    """Where a controller writes its HCI events: the client's socket."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def on_packet(self, packet: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(packet)


class _HciClient(asyncio.Protocol):
    """One TCP client of the hub: an H4 byte stream to and from its own controller."""

    def __init__(self, link: LocalLink, on_client: Callable[[str, bool], None]) -> None:
        self.link = link
        self.on_client = on_client
        self.source = StreamPacketSource()
        self.controller: SimController | None = None
        self.transport: asyncio.Transport | None = None
        self.peer = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer: Any = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        name = f"hci-client-{next(_clients)}"
        self.controller = SimController(
            name, host_source=self.source, host_sink=_SocketSink(transport), link=self.link
        )
        self.on_client(self.peer, True)  # noqa: FBT003 - (peer, attached)

    def data_received(self, data: bytes) -> None:
        self.source.data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        del exc
        if self.controller is not None:
            self.controller.vanish()
            self.controller = None
            self.on_client(self.peer, False)  # noqa: FBT003 - (peer, attached)


@contextlib.asynccontextmanager
async def hci_hub(
    link: LocalLink,
    host: str,
    port: int,
    on_client: Callable[[str, bool], None] | None = None,
) -> AsyncIterator[asyncio.Server]:
    """Serve HCI over TCP, one controller per client, until the block ends (see the module)."""
    clients: list[_HciClient] = []

    def make() -> _HciClient:
        client = _HciClient(link, on_client or (lambda _peer, _attached: None))
        clients.append(client)
        return client

    server = await asyncio.get_running_loop().create_server(make, host, port)
    try:
        yield server
    finally:
        server.close()
        for client in clients:
            client.connection_lost(None)
            if client.transport is not None:
                client.transport.close()
        await server.wait_closed()
