"""UARTs: a byte stream between two ports at each end's own baud rate and format.

A device with a UART mixes in ``UartPort`` and implements ``uart(port) -> (baud, parity)`` and
``uart_receive(port, data)``. ``uart_send(port, data)`` puts bytes on its TX line: they take
``len * bits_per_char / baud`` seconds, one chunk after another (a transmitter sends one byte
at a time), and arrive at the wired peer, and at any terminal adapter plugged into the port,
when the last byte is through. Each receiver decodes the line at its own settings
(``sim.buses.uart_line``): at another baud or parity it hears garbage, as on the bench.

A terminal adapter (``attach``) is a USB-TTL adapter on a port: what the device sends reaches
``on_output`` decoded at the adapter's baud (None: whatever the port is set to, so it never
mismatches, though bytes sent at another speed, such as a boot ROM's, are still garbage); ``adapter.write(data)`` sends bytes to the device's RX at that baud. The
pseudo-terminal and TCP exposure (``sim.serial_port``) are adapters whose bytes come from
other threads through the inbox. Chunks are traced: ``frame.tx`` (``bus`` ``uart``) when a
device's bytes have gone out, ``frame.rx`` with ``via`` when an adapter's bytes reached it.

Whoever holds no device object (the viewer's serial console) plugs an adapter in through the inbox
too: ``OPEN`` attaches one and hands it back in the reply, ``INPUT`` writes to it, ``CLOSE``
unplugs it. An adapter that only listens changes nothing: no record, no random draw, no event.
"""

from __future__ import annotations

from typing import Callable

from .buses import frame_time_s, uart_line
from .ports import Port, bus

#: Inbox action: bytes from an outside terminal for a device's UART.
INPUT = "uart.input"
#: Inbox action: plug a terminal adapter into the target device's UART: args ``port``, ``on_output``
#: (called in the simulation thread; it must not raise), optional ``baud``, ``parity``, ``via``; the
#: reply is ``{"ok": True, "adapter": Adapter}``.
OPEN = "uart.open"
#: Inbox action: unplug an adapter (args ``adapter``).
CLOSE = "uart.close"
#: Standard rates a UART can be set to (bit/s).
BAUDS = (1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 74880, 115200, 230400, 460800, 921600)


def uart_port(doc: str = "") -> Port:
    """A point-to-point UART port (TX/RX/GND, crossed by the wire)."""
    return bus("uart", doc or "UART (TX, RX, GND)")


def text_of(data: bytes) -> str:
    """Bytes as readable text for the trace (non-ASCII bytes as \\xNN)."""
    return "".join(chr(b) if 32 <= b < 127 or b in (9, 10, 13) else f"\\x{b:02x}" for b in data)


class Adapter:
    """A terminal on a device's UART port (see the module doc). ``on_output(data)`` runs in the
    simulation thread; ``write`` is for the simulation thread too (outside threads post ``INPUT``)."""

    def __init__(self, device, port: str, on_output: Callable[[bytes], None], baud: int | None = None,
                 parity: str = "N", via: str = "terminal") -> None:
        self.device, self.port, self.on_output = device, port, on_output
        self.baud, self.parity, self.via = baud, parity, via
        self._busy_until = 0.0
        self.closed = False

    def settings(self) -> tuple[int, str]:
        if self.baud is None:
            return self.device.uart(self.port)
        return self.baud, self.parity

    def hear(self, data: bytes, tx: tuple[int, str], configured: tuple[int, str]) -> None:
        if self.closed:
            return
        rx = configured if self.baud is None else (self.baud, self.parity)   # following: as the port was set
        heard, _ = uart_line(data, tx[0], tx[1], *rx)
        if heard:
            self.on_output(heard)

    def write(self, data: bytes) -> None:
        """Send ``data`` to the device's RX; it arrives once its bytes have taken their time on the line."""
        if self.closed or not data:
            return
        env = self.device.sim.env
        tx = self.settings()
        start = max(env.now, self._busy_until)
        self._busy_until = end = start + frame_time_s(len(data), *tx)
        event = env.timeout(end - env.now)
        event.callbacks.append(lambda _e: self._arrive(data, tx))

    def _arrive(self, data: bytes, tx: tuple[int, str]) -> None:
        dev = self.device
        if self.closed or not dev.powered or _cut(dev, self.port):
            return
        heard = received(dev, self.port, data, tx)
        if heard:
            dev.emit("frame.rx", port=self.port, bus="uart", via=self.via, data=heard.hex(" ").upper(),
                     text=text_of(heard))
            dev.uart_receive(self.port, heard)

    def close(self) -> None:
        self.closed = True
        adapters = getattr(self.device, "_uart_adapters", {}).get(self.port, [])
        if self in adapters:
            adapters.remove(self)


def attach(device, port: str, on_output: Callable[[bytes], None], baud: int | None = None,
           parity: str = "N", via: str = "terminal") -> Adapter:
    """Plug a terminal adapter into ``device.port`` (a UART); returns it."""
    if port not in device.ports or device.ports[port].form != "uart":
        uarts = [n for n, p in device.ports.items() if p.form == "uart"]
        raise ValueError(f"{device.id} has no UART port {port!r}; its UARTs: {', '.join(uarts) or 'none'}")
    adapter = Adapter(device, port, on_output, baud, parity, via)
    if not hasattr(device, "_uart_adapters"):
        device._uart_adapters = {}
    device._uart_adapters.setdefault(port, []).append(adapter)
    return adapter


def _cut(device, port: str) -> bool:
    """A wire-break or short fault on the port: its wire and any adapter on it carry nothing."""
    return device.has_fault("wire_break", port) or device.has_fault("short", port)


class UartPort:
    """Mixed into every device with a UART port (before ``Device``)."""

    def uart(self, port: str) -> tuple[int, str]:
        """(baud, parity) the port is set to now; 8 data bits, 1 stop bit."""
        return int(getattr(self, "baud", 9600)), str(getattr(self, "parity", "N"))

    def uart_receive(self, port: str, data: bytes) -> None:
        """Bytes this port's UART decoded from its RX line."""

    def uart_send(self, port: str, data: bytes, line: tuple[int, str] | None = None) -> float:
        """Transmit ``data`` on ``port``; returns the simulated time its last byte is through. ``line``: the
        (baud, parity) these bytes actually go out at, if not the port's setting (a boot ROM's own speed)."""
        env = self.sim.env
        busy = getattr(self, "_uart_busy", None)
        if busy is None:
            busy = self._uart_busy = {}
        if not data or not self.powered:
            return max(env.now, busy.get(port, 0.0))
        configured = self.uart(port)
        tx = line or configured
        start = max(env.now, busy.get(port, 0.0))
        busy[port] = end = start + frame_time_s(len(data), *tx)
        event = env.timeout(end - env.now)
        event.callbacks.append(lambda _e: self._uart_deliver(port, bytes(data), tx, configured))
        return end

    def uart_idle_at(self, port: str) -> float:
        """When the port's transmitter will have sent everything queued."""
        return max(self.sim.env.now, getattr(self, "_uart_busy", {}).get(port, 0.0))

    def _uart_deliver(self, port: str, data: bytes, tx: tuple[int, str], configured: tuple[int, str]) -> None:
        if not self.powered:
            return
        self.emit("frame.tx", port=port, bus="uart", data=data.hex(" ").upper(), text=text_of(data))
        for adapter in list(getattr(self, "_uart_adapters", {}).get(port, ())):
            adapter.hear(data, tx, configured)
        if _cut(self, port):
            return
        end = self.peer(port)
        if end is None:
            return
        other, other_port = end
        receive = getattr(other, "uart_receive", None)
        if receive is None or not other.powered or _cut(other, other_port):
            return
        heard = received(other, other_port, data, tx)
        if heard:
            receive(other_port, heard)


def received(device, port: str, data: bytes, tx: tuple[int, str]) -> bytes:
    """What ``device``'s UART ``port`` makes of ``data`` sent at ``tx`` (baud, parity): its own receiver's
    bytes when it models one (``uart_line_in(port, data, tx)``, e.g. a board's RTL UART), else what a
    receiver at the port's configured settings samples (``uart_line``)."""
    own = getattr(device, "uart_line_in", None)
    heard = own(port, data, tx) if own is not None else None
    if heard is None:
        rx = device.uart(port)
        heard, _ = uart_line(data, tx[0], tx[1], rx[0], rx[1])
    return heard


def handle_input(sim, msg) -> dict:
    """Inbox handler for ``INPUT``: ``{"adapter": Adapter, "data": bytes}`` from a terminal thread."""
    adapter, data = msg.args["adapter"], msg.args["data"]
    adapter.write(bytes(data))
    return {"ok": True}


def handle_open(sim, msg) -> dict:
    """Inbox handler for ``OPEN`` (see there); a device or port that is not there is a ValueError."""
    device = sim.devices.get(msg.target)
    if device is None:
        raise ValueError(f"no device {msg.target!r} in this lab")
    args = msg.args
    adapter = attach(device, str(args["port"]), args["on_output"], args.get("baud"), args.get("parity", "N"),
                     str(args.get("via", "terminal")))
    sim.on_close.append(adapter.close)
    return {"ok": True, "adapter": adapter}


def handle_close(sim, msg) -> dict:
    """Inbox handler for ``CLOSE``: ``{"adapter": Adapter}``."""
    msg.args["adapter"].close()
    return {"ok": True}


def install(sim) -> None:
    sim.handlers.setdefault(INPUT, lambda msg: handle_input(sim, msg))
    sim.handlers.setdefault(OPEN, lambda msg: handle_open(sim, msg))
    sim.handlers.setdefault(CLOSE, lambda msg: handle_close(sim, msg))
