"""TCP ports of a running lab: a small threaded server on 127.0.0.1, and the door from its sockets
into the simulation.

``TcpListener`` accepts clients in one thread and serves each client in a thread of its own:
received bytes go to ``on_data(client, data)``, which may read on (``client.more``) and answers
with ``client.send``. It knows nothing of the simulation.

``serve`` opens a device's port for one run: connections and closings become trace records,
and the port closes with ``Simulation.close``. Socket threads never touch the simulation:
``ask`` posts an input through the inbox and waits, for a bounded wall-clock time, for the
answer the simulation gives at simulated time (a handler may answer with a SimPy event, e.g.
a bus exchange, and the answer comes when it fires). A paused or stopped lab therefore
cannot hang a client, and a request whose client stopped waiting never reaches a wire
(``Answer.claim``). A listening port with no client emits nothing and draws no random
numbers, so the trace is the same as without it.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import threading
import time
from concurrent.futures import CancelledError, Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable

HOST = "127.0.0.1"
#: Set to 1 (or "any"): every device listens on a free port instead of its configured one (for test
#: suites, and for a machine running many labs at once); the start lines say which.
ANY_PORT_ENV = "IOTLAB_TCP_ANY_PORT"
#: Inbox actions: a request to a device's ``tcp_request(msg)``, and a record from a socket thread.
REQUEST, RECORD = "tcp.request", "tcp.record"


class ListenError(OSError):
    """A device's port cannot be opened; the message says which and what to do."""

    def __init__(self, device: str, port: int, reason: str) -> None:
        self.device, self.port = device, port
        super().__init__(f"{device}: {HOST}:{port} {reason}; choose another with --tcp-port {device}=PORT "
                         "(0: any free port)")


class Client:
    """One accepted connection. ``send`` and ``close`` may be called from any thread."""

    def __init__(self, sock: socket.socket, number: int, peer: str) -> None:
        self.sock = sock
        self.number = number
        self.peer = peer
        self.reason = ""
        self.closed = False
        self._send_lock = threading.Lock()
        self._eof = False
        self.waiting: Answer | None = None     # the answer this client's thread waits for

    def send(self, data: bytes) -> bool:
        """Send everything; False if the connection is gone."""
        if self.closed:
            return False
        try:
            with self._send_lock:
                self.sock.sendall(data)
            return True
        except OSError as exc:
            self.close(f"send failed: {exc.strerror or exc}")
            return False

    def more(self, timeout_s: float, limit: int = 65536) -> bytes | None:
        """In the serving thread: bytes that arrive within ``timeout_s``, or None (nothing came, or the
        client closed)."""
        if self.closed or self._eof:
            return None
        try:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout_s))
            if not ready:
                return None
            data = self.sock.recv(limit)
        except (OSError, ValueError):
            return None
        if not data:
            self._eof = True
            return None
        return data

    def close(self, reason: str = "") -> None:
        """Close the connection; the first reason given is the one recorded."""
        if not self.reason:
            self.reason = reason
        if self.closed:
            return
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)     # wakes the serving thread's recv
        except OSError:
            pass
        waiting = self.waiting
        if waiting is not None:
            waiting.abandon()                         # and its wait for the simulation


class TcpListener:
    """A threaded TCP server bound to 127.0.0.1 only.

    ``on_data(client, data)`` runs in the client's thread for each chunk received;
    ``on_connect(client)``, ``on_close(client, reason)`` and ``on_refuse(peer, reason)`` report
    the connections. A client beyond ``max_clients``, or any while ``admit()`` gives a reason,
    is refused: closed at once.
    """

    def __init__(self, port: int, on_data: Callable[[Client, bytes], None], *, max_clients: int = 4,
                 on_connect: Callable[[Client], None] | None = None,
                 on_close: Callable[[Client, str], None] | None = None,
                 on_refuse: Callable[[str, str], None] | None = None,
                 admit: Callable[[], str | None] | None = None, name: str = "tcp") -> None:
        self.requested_port, self.port = port, port
        self.on_data, self.on_connect, self.on_close, self.on_refuse = on_data, on_connect, on_close, on_refuse
        self.admit = admit
        self.max_clients, self.name = max_clients, name
        self.clients: list[Client] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sock: socket.socket | None = None
        self._stopping = False
        self._count = 0

    def start(self) -> int:
        """Bind and listen (OSError if the port cannot be had), then accept in a thread; the bound port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # a lab restarted at once gets its port
            sock.bind((HOST, self.requested_port))
            sock.listen(16)
        except OSError:
            sock.close()
            raise
        sock.settimeout(0.5)              # shutdown wakes accept on Linux; the timeout elsewhere
        self._sock, self.port = sock, sock.getsockname()[1]
        self._spawn(self._accept, f"{self.name} accept :{self.port}")
        return self.port

    def _spawn(self, target, name: str, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        sock = self._sock
        while not self._stopping:
            try:
                conn, addr = sock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._stopping:          # closed
                    return
                time.sleep(0.05)            # out of file descriptors, say: try again shortly
                continue
            try:
                conn.settimeout(None)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # answers go out at once
            except OSError:                 # gone before it was served
                conn.close()
                continue
            peer = f"{addr[0]}:{addr[1]}"
            refused = self.admit() if self.admit is not None else None
            with self._lock:
                if refused is None and len(self.clients) >= self.max_clients:
                    refused = f"{len(self.clients)} clients already connected (max_clients {self.max_clients})"
                if refused is None and not self._stopping:
                    self._count += 1
                    client = Client(conn, self._count, peer)
                    self.clients.append(client)
            if refused is not None or self._stopping:
                conn.close()
                if refused is not None and not self._stopping and self.on_refuse is not None:
                    self.on_refuse(peer, refused)
                continue
            self._spawn(self._serve, f"{self.name} client {peer}", client)

    def _serve(self, client: Client) -> None:
        if self._stopping:                  # accepted just as the listener closed
            client.close("the lab stopped")
        if self.on_connect is not None:
            self.on_connect(client)
        try:
            while not client.closed:
                data = client.sock.recv(65536)
                if not data:
                    client.close("closed by the client")
                    break
                self.on_data(client, data)
        except OSError as exc:
            client.close(f"connection error: {exc.strerror or exc}")
        except Exception as exc:            # a fault in the handler ends this client, not the lab
            client.close(f"{type(exc).__name__}: {exc}")
        finally:
            client.close("closed by the client")
            client.sock.close()
            with self._lock:
                if client in self.clients:
                    self.clients.remove(client)
            if self.on_close is not None:
                self.on_close(client, client.reason)

    def drop_clients(self, reason: str) -> None:
        """Close every connection (the listener stays open)."""
        with self._lock:
            clients = list(self.clients)
        for client in clients:
            client.close(reason)

    def close(self, reason: str = "the lab stopped", wait_s: float = 2.0) -> None:
        """Stop accepting, close every client and wait (bounded) for their threads; the port is free after."""
        if self._stopping:
            return
        self._stopping = True
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        self.drop_clients(reason)
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(wait_s)


class Answer:
    """What a socket thread waits for: the simulation calls it with the result; ``claim`` (simulation
    side) says whether the asker still waits, and from then on the asker waits for the result."""

    def __init__(self) -> None:
        self._future: Future = Future()
        self._claimed = False

    def __call__(self, result: dict) -> None:
        try:
            self._future.set_result(result)
        except InvalidStateError:           # the asker gave up before the simulation took it
            pass

    def claim(self) -> bool:
        if self._claimed:
            return not self._future.cancelled()
        self._claimed = True
        return self._future.set_running_or_notify_cancel()

    def abandon(self) -> None:
        """The asker goes away: a request not yet taken is withdrawn, and ``wait`` returns None now."""
        if not self._future.cancel():
            self(None)

    def wait(self, wait_s: float) -> dict | None:
        """The result, or None if it did not come within ``wait_s`` wall seconds (given up, or, if the work
        had started, after a second ``wait_s``)."""
        try:
            return self._future.result(wait_s)
        except FutureTimeout:
            if self._future.cancel():
                return None
        except CancelledError:
            return None
        try:
            return self._future.result(wait_s)
        except (FutureTimeout, CancelledError):
            return None


def ask(sim, target: str, args: dict[str, Any], wait_s: float, client: Client | None = None) -> dict | None:
    """From a socket thread: hand ``args`` to device ``target``'s ``tcp_request`` and wait for its answer
    (None if the lab did not answer within ``wait_s`` wall seconds, or ``client`` was closed meanwhile)."""
    answer = Answer()
    if client is not None:
        client.waiting = answer
        if client.closed:
            return None
    try:
        sim.post(target, REQUEST, args, reply=answer)
        return answer.wait(wait_s)
    finally:
        if client is not None:
            client.waiting = None


def tell(sim, target: str, args: dict[str, Any]) -> None:
    """From a socket thread: hand ``args`` to ``target``'s ``tcp_request`` without waiting."""
    sim.post(target, REQUEST, args)


def record(sim, target: str, kind: str, **fields: Any) -> None:
    """From a socket thread: a trace record for ``target``, emitted at the simulated time it is applied."""
    sim.post(target, RECORD, {"kind": kind, "fields": fields})


def serve(sim, device, port: int, on_data: Callable[[Client, bytes], None], *, max_clients: int,
          what: str, note: str = "", admit: Callable[[], str | None] | None = None) -> TcpListener:
    """Open ``device``'s TCP port on 127.0.0.1 for this run (0: any free port) and close it when the run
    ends. Records ``tcp.connect`` and ``tcp.close`` per client, and an ``event`` for a refused one
    (``admit()``: a reason to refuse clients now, or None). ``what`` and ``note`` make the line in
    ``sim.endpoints``. Raises ListenError (after closing what the lab had already opened) if the port
    cannot be had."""
    _install(sim)
    dev_id = device.id
    if os.environ.get(ANY_PORT_ENV, "").strip().lower() in ("1", "any", "yes"):
        port = 0
    listener = TcpListener(
        port, on_data, max_clients=max_clients, name=dev_id, admit=admit,
        on_connect=lambda c: record(sim, dev_id, "tcp.connect", client=c.peer, port=listener.port),
        on_close=lambda c, why: record(sim, dev_id, "tcp.close", client=c.peer, reason=why),
        on_refuse=lambda peer, why: record(sim, dev_id, "event", client=peer, error=f"connection refused: {why}"))
    try:
        listener.start()
    except OSError as exc:
        sim.close()
        reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be opened: {exc.strerror or exc}"
        raise ListenError(dev_id, port, reason) from None
    sim.on_close.append(listener.close)
    sim.endpoints.append(f"{dev_id}: {what} on {HOST}:{listener.port}" + (f" ({note})" if note else ""))
    return listener


def _install(sim) -> None:
    if REQUEST not in sim.handlers:
        sim.handlers[REQUEST] = lambda msg: _route(sim, msg)
        sim.handlers[RECORD] = lambda msg: _record(sim, msg)


def _route(sim, msg):
    device = sim.devices.get(msg.target)
    if device is None or not hasattr(device, "tcp_request"):
        raise ValueError(f"{msg.target!r} serves no TCP port")
    return device.tcp_request(msg)


def _record(sim, msg) -> dict:
    sim.emit(msg.target, msg.args["kind"], **msg.args["fields"])
    return {"ok": True}
