"""Real connections a simulated module opens on a student's behalf: TCP, UDP and MQTT to real hosts.

When a module in the lab connects to a broker or a server (``AT+MQTTCONN``, ``AT+QMTOPEN``,
``AT+CIPSTART``), the device asks for one of these. Each owns a worker thread that does the
blocking work (name lookup, connect, send, paho's network loop); everything that comes back
(connected, refused, a name that does not resolve, data, a message, the close) is posted through
the inbox (``EVENT``) and reaches the device's ``on_event(kind, **fields)`` in the simulation
thread, at the simulated time it is applied. The simulation never waits for the network.
The device applies its simulated link's latency and loss to what it hands over and to what
comes back.

Outcomes (``kind``): ``open`` (connected), ``fail`` (``reason``: ``dns`` the name does not resolve,
``refused``, ``timeout``, ``error``), ``data`` (``data`` bytes; UDP adds ``host``/``port``),
``closed`` (``reason``); MQTT adds ``connack`` (``rc``: 0 accepted, else the broker's refusal code),
``suback`` (``mid``, ``qos``: granted, 128 refused), ``puback`` (``mid``), ``message``
(``topic``, ``payload``, ``qos``, ``retain``), ``unsuback`` (``mid``).
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import Any, Callable

#: Inbox action carrying a connection's event to its owner.
EVENT = "net.event"
CONNECT_TIMEOUT_S = 5.0


def _install(sim) -> None:
    if EVENT not in sim.handlers:
        sim.handlers[EVENT] = _deliver


def _deliver(msg) -> dict:
    conn = msg.args["conn"]
    if not conn.dropped:
        conn.on_event(msg.args["kind"], **msg.args["fields"])
    return {"ok": True}


class Connection:
    """Base: a worker thread taking jobs from a queue; events go back through the inbox."""

    def __init__(self, sim, owner: str, on_event: Callable[..., None], name: str) -> None:
        _install(sim)
        self.sim, self.owner, self.on_event = sim, owner, on_event
        self.dropped = False           # the device let go of it: late events are ignored
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        sim.on_close.append(self.close)

    def post(self, kind: str, **fields: Any) -> None:
        self.sim.post(self.owner, EVENT, {"conn": self, "kind": kind, "fields": fields})

    def _run(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Let go (from the simulation thread); the thread closes the socket and ends."""
        self.dropped = True
        self.jobs.put(("close",))
        if self.close in self.sim.on_close:
            self.sim.on_close.remove(self.close)

    def _dial(self, host: str, port: int, connect: Callable[[tuple], Any]) -> bool:
        """In the worker thread: resolve ``host`` and ``connect(address)``; False (the failure posted) if
        either goes wrong."""
        addr = resolve(host, port)
        if addr is None:
            self.post("fail", reason="dns")
            return False
        try:
            connect(addr)
        except socket.timeout:
            self.post("fail", reason="timeout")
            return False
        except ConnectionRefusedError:
            self.post("fail", reason="refused")
            return False
        except OSError as exc:
            self.post("fail", reason="error", error=exc.strerror or str(exc))
            return False
        return True


def resolve(host: str, port: int, kind=socket.SOCK_STREAM) -> tuple | None:
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, kind)
    except (socket.gaierror, UnicodeError, OSError):
        return None
    return infos[0][4] if infos else None


class TcpConnection(Connection):
    """A real TCP client connection: ``send(data)``; events open/fail/data/closed."""

    def __init__(self, sim, owner: str, host: str, port: int, on_event, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        super().__init__(sim, owner, on_event, f"{owner} tcp {host}:{port}")
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.sock: socket.socket | None = None
        self.thread.start()

    def send(self, data: bytes) -> None:
        self.jobs.put(("send", bytes(data)))

    def _run(self) -> None:
        if not self._dial(self.host, self.port, self._open):
            return
        sock = self.sock
        self.post("open", local_port=sock.getsockname()[1])
        threading.Thread(target=self._read, name=f"{self.owner} tcp read", daemon=True).start()
        while True:
            job = self.jobs.get()
            if job[0] == "close":
                break
            try:
                sock.sendall(job[1])
            except OSError:
                break
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _open(self, addr: tuple) -> None:
        sock = socket.create_connection(addr, timeout=self.timeout_s)
        sock.settimeout(None)
        self.sock = sock

    def _read(self) -> None:
        sock = self.sock
        reason = "closed by the server"
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                reason = "connection lost"
                data = b""
            if not data:
                if not self.dropped:
                    self.post("closed", reason=reason)
                return
            self.post("data", data=data)


class UdpSocket(Connection):
    """A real UDP socket on an ephemeral local port: ``sendto``; datagrams back are ``data`` events."""

    def __init__(self, sim, owner: str, on_event) -> None:
        super().__init__(sim, owner, on_event, f"{owner} udp")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.settimeout(0.2)
        self.thread.start()
        threading.Thread(target=self._read, name=f"{owner} udp read", daemon=True).start()

    def sendto(self, data: bytes, host: str, port: int) -> None:
        self.jobs.put(("send", bytes(data), host, port))

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job[0] == "close":
                self.sock.close()
                return
            addr = resolve(job[2], job[3], socket.SOCK_DGRAM)
            if addr is None:
                self.post("fail", reason="dns", host=job[2])
                continue
            try:
                self.sock.sendto(job[1], addr)
            except OSError as exc:
                self.post("fail", reason="error", error=exc.strerror or str(exc))

    def _read(self) -> None:
        while not self.dropped:
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.post("data", data=data, host=addr[0], port=addr[1])


class MqttConnection(Connection):
    """A real MQTT 3.1.1 client (paho) for a module's MQTT session."""

    def __init__(self, sim, owner: str, host: str, port: int, on_event, *, client_id: str, username: str = "",
                 password: str = "", keepalive: int = 60, clean: bool = True,
                 will: tuple[str, bytes, int, bool] | None = None) -> None:
        super().__init__(sim, owner, on_event, f"{owner} mqtt {host}:{port}")
        import paho.mqtt.client as mqtt
        self.host, self.port, self.keepalive = host, port, keepalive
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311, clean_session=clean)
        if username:
            self.client.username_pw_set(username, password or None)
        if will:
            self.client.will_set(will[0], will[1], qos=will[2], retain=will[3])
        self.client.on_connect = lambda c, u, f, rc, p=None: self.post("connack", rc=_rc(rc))
        self.client.on_subscribe = lambda c, u, mid, rcs, p=None: self.post(
            "suback", mid=mid, qos=[_rc(r) for r in rcs])
        self.client.on_unsubscribe = lambda c, u, mid, rcs=None, p=None: self.post("unsuback", mid=mid)
        self.client.on_publish = lambda c, u, mid, rc=None, p=None: self.post("puback", mid=mid)
        self.client.on_message = lambda c, u, m: self.post("message", topic=m.topic, payload=bytes(m.payload),
                                                           qos=m.qos, retain=bool(m.retain))
        self.client.on_disconnect = self._on_disconnect
        self._mids: queue.SimpleQueue = queue.SimpleQueue()
        self.thread.start()

    def _on_disconnect(self, client, userdata, flags, rc, properties=None) -> None:
        if not self.dropped:
            self.post("closed", reason="disconnected by the broker" if _rc(rc) else "disconnected")

    def subscribe(self, topic: str, qos: int, tag: Any = None) -> None:
        self.jobs.put(("sub", topic, qos, tag))

    def unsubscribe(self, topic: str, tag: Any = None) -> None:
        self.jobs.put(("unsub", topic, tag))

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool, tag: Any = None) -> None:
        self.jobs.put(("pub", topic, bytes(payload), qos, retain, tag))

    def _run(self) -> None:
        if not self._dial(self.host, self.port, lambda addr: self.client.connect(addr[0], addr[1], self.keepalive)):
            return
        self.client.loop_start()
        while True:
            job = self.jobs.get()
            kind = job[0]
            if kind == "close":
                break
            if kind == "sub":
                rc, mid = self.client.subscribe(job[1], job[2])
                self.post("queued", what="sub", mid=mid, tag=job[3], ok=rc == 0)
            elif kind == "unsub":
                rc, mid = self.client.unsubscribe(job[1])
                self.post("queued", what="unsub", mid=mid, tag=job[2], ok=rc == 0)
            elif kind == "pub":
                info = self.client.publish(job[1], job[2], qos=job[3], retain=job[4])
                self.post("queued", what="pub", mid=info.mid, tag=job[5], ok=info.rc == 0)
        try:
            self.client.disconnect()
        except Exception:
            pass
        self.client.loop_stop()


def _rc(code) -> int:
    value = getattr(code, "value", code)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0 if not getattr(code, "is_failure", False) else 128
