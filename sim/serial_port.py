"""A lab's UARTs on real terminals: a pseudo-terminal (``/dev/pts/N``) and/or a TCP port on 127.0.0.1.

Each exposed UART gets a terminal adapter (``sim.uart.attach``): what the device sends goes,
decoded at the adapter's baud, to a writer thread per endpoint (the simulation never waits for
a slow terminal; bytes a terminal does not take within a second are lost, as on a serial line
without flow control). What a terminal types is read by a thread and enters the simulation
only through the inbox (``sim.uart.INPUT``), at the current simulated time. The pseudo-terminal
is in raw mode (no echo, no line editing: a serial port); the TCP port is a raw byte stream
(like ser2net's raw mode), up to ``MAX_CLIENTS`` at once, each hearing everything.

While a lab runs, ``<runtime dir>/iotlab-<uid>/<lab>.serial.json`` lists its exposed UARTs, so
``iotlab serial LAB DEVICE`` finds the port; it is removed when the lab closes.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import re
import select
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from . import tcp
from .uart import BAUDS, INPUT, attach, install

MAX_CLIENTS = 4
WRITE_WAIT_S = 1.0
OPTION_RE = re.compile(r"^(?P<target>[A-Za-z][\w-]*(?:\.[\w-]+)?|all)=(?P<kinds>[^@]+)(?:@(?P<baud>\d+))?$")


class SerialListenError(tcp.ListenError):
    def __init__(self, device: str, port: int, reason: str) -> None:
        self.device, self.port = device, port
        OSError.__init__(self, f"{device}: {tcp.HOST}:{port} {reason}; choose another with --serial "
                               f"{device}=tcp:PORT (tcp alone: any free port)")


@dataclass
class Exposure:
    """One UART to expose: ``device`` (``id`` or ``id.port``), a pty and/or a TCP port (0: any free),
    and the terminal's baud (None: whatever the device is set to, so it never mismatches)."""
    device: str
    pty: bool = False
    tcp_port: int | None = None
    baud: int | None = None


def parse_option(text: str) -> Exposure | str:
    """``DEV[.PORT]=pty|tcp[:PORT]|pty+tcp[:PORT][@BAUD]`` (``all`` for every UART); an Exposure or
    what is wrong with it."""
    m = OPTION_RE.match(text.strip())
    if not m:
        return (f"{text!r}: write DEV=pty, DEV=tcp:PORT or DEV=pty+tcp:PORT, optionally @BAUD for the "
                "terminal's speed (e.g. esp1=tcp:7001@115200; DEV.PORT for a device with several UARTs; "
                "all=pty for every UART)")
    exp = Exposure(m["target"])
    for kind in m["kinds"].split("+"):
        kind = kind.strip().lower()
        if kind == "pty":
            exp.pty = True
        elif kind == "tcp" or kind.startswith("tcp:"):
            port = kind[4:] or "0"
            if not port.isdigit() or not 0 <= int(port) <= 65535:
                return f"{text}: {port!r} is not a TCP port; give 0..65535 (0 or none: any free port)"
            exp.tcp_port = int(port)
        else:
            return f"{text}: {kind!r} is not pty or tcp[:PORT]"
    if m["baud"]:
        baud = int(m["baud"])
        if baud not in BAUDS:
            return f"{text}: {baud} is not a UART speed; speeds: {', '.join(map(str, BAUDS))}"
        exp.baud = baud
    return exp


def uarts_of(device) -> list[str]:
    return [name for name, port in device.ports.items() if port.form == "uart"]


def resolve(sim, target: str) -> tuple[object, str] | str:
    """(device, port) for ``id`` or ``id.port``, or why not."""
    dev_id, _, port = target.partition(".")
    device = sim.devices.get(dev_id)
    if device is None:
        with_uart = [d for d in sim.devices.values() if uarts_of(d)]
        return f"no device {dev_id!r} in this lab; devices with a UART: {', '.join(d.id for d in with_uart) or 'none'}"
    uarts = uarts_of(device)
    if not uarts:
        return f"{dev_id} ({device.TYPE}) has no UART"
    if port:
        if port not in uarts:
            return f"{dev_id} has no UART port {port!r}; its UARTs: {', '.join(uarts)}"
        return device, port
    if len(uarts) > 1:
        return f"{dev_id} has several UARTs ({', '.join(uarts)}); say which: {dev_id}.{uarts[0]}"
    return device, uarts[0]


def expose(sim, exposure: Exposure) -> list[str]:
    """Open the endpoints of ``exposure`` for this run (closed by ``sim.close``); the lines that say where.
    ValueError for a device or port that is not there; SerialListenError for a TCP port that is taken."""
    if exposure.device == "all":
        lines = []
        for device in sim.devices.values():
            for port in uarts_of(device):
                lines += expose(sim, Exposure(f"{device.id}.{port}", exposure.pty, exposure.tcp_port and 0,
                                              exposure.baud))
        return lines
    found = resolve(sim, exposure.device)
    if isinstance(found, str):
        raise ValueError(found)
    device, port = found
    install(sim)
    name = device.id if len(uarts_of(device)) == 1 else f"{device.id}.{port}"
    lines = []
    outlets: list[_Outlet] = []
    via = "+".join(k for k, on in (("pty", exposure.pty), ("tcp", exposure.tcp_port is not None)) if on)
    adapter = attach(device, port, lambda data: [o.put(data) for o in outlets], exposure.baud, via=via)
    speed = f"{exposure.baud} bit/s" if exposure.baud else "the module's speed"
    if exposure.pty:
        end = _Pty(sim, device.id, adapter)
        outlets.append(end)
        sim.on_close.append(end.close)
        lines.append(f"{name}: serial terminal on {end.path} ({speed}; picocom -b {device.uart(port)[0]} {end.path})")
        _register(sim, name, pty=end.path)
    if exposure.tcp_port is not None:
        end = _Tcp(sim, device.id, adapter, exposure.tcp_port)
        outlets.append(end)
        lines.append(f"{name}: serial terminal on {tcp.HOST}:{end.port} ({speed}; iotlab serial {end.port})")
        _register(sim, name, tcp=end.port)
    sim.on_close.append(adapter.close)
    sim.endpoints.extend(lines)
    return lines


class _Outlet:
    """A writer thread: bytes from the simulation go out without the simulation waiting."""

    def __init__(self, name: str) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = False
        self.thread = threading.Thread(target=self._write_loop, name=name, daemon=True)

    def put(self, data: bytes) -> None:
        if not self.stopping:
            self.queue.put(data)

    def _write_loop(self) -> None:
        while True:
            data = self.queue.get()
            if data is None:
                return
            try:
                self.write(data)
            except Exception:        # a terminal that went away loses the bytes, as a serial line would
                pass

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping = True
        self.queue.put(None)
        if self.thread is not threading.current_thread():
            self.thread.join(2.0)


class _Pty(_Outlet):
    def __init__(self, sim, dev_id: str, adapter) -> None:
        import tty
        super().__init__(f"{dev_id} pty out")
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)                   # a serial port: no echo, no line editing
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)
        self.sim, self.adapter = sim, adapter
        self._closed = False
        self.reader = threading.Thread(target=self._read_loop, name=f"{dev_id} pty in", daemon=True)
        self.thread.start()
        self.reader.start()

    def _read_loop(self) -> None:
        while not self._closed:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if not ready:
                    continue
                data = os.read(self.master, 4096)
            except BlockingIOError:
                continue
            except OSError:
                return
            if data:
                self.sim.post(self.adapter.device.id, INPUT, {"adapter": self.adapter, "data": data})

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._closed:
            _, ready, _ = select.select([], [self.master], [], WRITE_WAIT_S)
            if not ready:
                return                           # nobody reads the terminal: the bytes are lost
            try:
                view = view[os.write(self.master, view):]
            except BlockingIOError:
                continue

    def close(self) -> None:
        if self._closed:
            return
        self.stop()
        self._closed = True
        self.reader.join(2.0)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class _Tcp(_Outlet):
    def __init__(self, sim, dev_id: str, adapter, port: int) -> None:
        super().__init__(f"{dev_id} tcp out")
        self.sim, self.adapter, self.dev_id = sim, adapter, dev_id
        if os.environ.get(tcp.ANY_PORT_ENV, "").strip().lower() in ("1", "any", "yes"):
            port = 0
        self.listener = tcp.TcpListener(
            port, self._on_data, max_clients=MAX_CLIENTS, name=f"{dev_id} serial",
            on_connect=lambda c: tcp.record(sim, dev_id, "tcp.connect", client=c.peer, port=self.port, via="serial"),
            on_close=lambda c, why: tcp.record(sim, dev_id, "tcp.close", client=c.peer, reason=why, via="serial"),
            on_refuse=lambda peer, why: tcp.record(sim, dev_id, "event", client=peer,
                                                   error=f"serial terminal refused: {why}"))
        try:
            self.port = self.listener.start()
        except OSError as exc:
            sim.close()
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be opened: {exc.strerror or exc}"
            raise SerialListenError(dev_id, port, reason) from None
        tcp._install(sim)
        self.thread.start()
        sim.on_close.append(self.close)

    def _on_data(self, client, data: bytes) -> None:
        self.sim.post(self.dev_id, INPUT, {"adapter": self.adapter, "data": data})

    def write(self, data: bytes) -> None:
        with self.listener._lock:
            clients = list(self.listener.clients)
        for client in clients:
            client.send(data)

    def close(self) -> None:
        self.stop()
        self.listener.close()


# -- where a running lab's terminals are ------------------------------------------------------------
def runtime_dir() -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"iotlab-{os.getuid()}"


def _register(sim, name: str, **where) -> None:
    path = runtime_dir() / f"{sim.name or 'lab'}.serial.json"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = {}
        if path.is_file() and getattr(sim, "_serial_registry", None) == path:
            data = json.loads(path.read_text())
        else:
            sim.on_close.append(lambda: _unregister(path))
        sim._serial_registry = path
        data.setdefault("pid", os.getpid())
        data.setdefault("uarts", {}).setdefault(name, {}).update(where)
        path.write_text(json.dumps(data, indent=1))
    except (OSError, ValueError):
        pass                                    # the terminals work; only the lookup by lab name does not


def _unregister(path: Path) -> None:
    try:
        data = json.loads(path.read_text())
        if data.get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def lookup(lab: str) -> dict | None:
    """The exposed UARTs of a lab running on this machine: ``{name: {"tcp": port, "pty": path}}``."""
    path = runtime_dir() / f"{lab}.serial.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    pid = data.get("pid")
    try:
        os.kill(int(pid), 0)
    except (OSError, TypeError, ValueError):
        return None                              # left behind by a lab that died
    return data.get("uarts", {})
