"""HCI transport specs (`--adapter`, `sim --transport`), checked before anything is opened.

Public API: `check_adapter(spec)` and `check_transport(spec)` return the spec, or raise
ConfigError naming it and what is allowed; `TRANSPORTS` (bumble's transport names);
`ADAPTER_ADVICE`, what to try when an adapter cannot be opened. Imports no bumble, so the CLI
refuses a bad spec (exit 2) without loading the Bluetooth stack.
"""

from __future__ import annotations

from retrowalk.errors import ConfigError

TRANSPORTS = (
    "tcp-client",
    "tcp-server",
    "usb",
    "pyusb",
    "serial",
    "hci-socket",
    "vhci",
    "unix",
    "ws-client",
    "ws-server",
    "udp",
    "pty",
    "file",
    "android-emulator",
)
EXAMPLES = "tcp-client:127.0.0.1:PORT (a `retrowalk sim --transport`) or usb:0 (a USB dongle)"
ADAPTER_ADVICE = (
    "Is `retrowalk sim --transport tcp-server:HOST:PORT` running there, or the USB Bluetooth "
    "dongle plugged in (and not claimed by the system's Bluetooth service)?"
)


def check_adapter(spec: str) -> str:
    """Return `spec` if it names a bumble HCI transport a host can open (see the module)."""
    return _check(spec, "--adapter", EXAMPLES)


def check_transport(spec: str) -> str:
    """Return `spec` if the simulator can serve on it: tcp-server:HOST:PORT, or a controller."""
    checked = _check(spec, "--transport", "tcp-server:127.0.0.1:PORT or usb:0")
    if checked.partition(":")[0] in {"tcp-client", "ws-client"}:
        raise ConfigError(
            f"--transport {spec!r}: the simulator serves, it does not dial out; "
            "use tcp-server:127.0.0.1:PORT"
        )
    return checked


def _check(spec: str, option: str, examples: str) -> str:
    spec = spec.strip()
    name, _, rest = spec.partition(":")
    if name not in TRANSPORTS:
        raise ConfigError(
            f"{option} {spec!r}: unknown transport {name!r}; use {examples} "
            f"(transports: {', '.join(TRANSPORTS)})"
        )
    if name in {"tcp-client", "tcp-server"}:
        host, _, port = rest.rpartition(":")
        lowest = 0 if name == "tcp-server" else 1  # a server on port 0 takes a free one
        if not host or not port.isdigit() or not lowest <= int(port) < 65536:
            raise ConfigError(
                f"{option} {spec!r}: {name} needs HOST:PORT with a port from {lowest} to 65535, "
                f"e.g. {name}:127.0.0.1:9001"
            )
    return spec
