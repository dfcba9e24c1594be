"""A module's TCP, UDP and MQTT sessions with real hosts, through its simulated link.

Each session opens a real connection (``sim.outside``) on the module's behalf and applies the
module's ``Path`` to what passes: the bytes of a request first cross the radio and the access
node's backhaul (``path.up``) before they are handed to the real socket, and what the real host
sends back crosses them the other way (``path.down``) before the module sees it. A blocked
path (the access node's ``internet_problem``: uplink down, DNS not answering) fails the way a
module on the bench fails: a timeout, or a DNS error. The generators are meant to be run with
``yield from`` inside a module's AT handler.
"""

from __future__ import annotations

from typing import Callable

from sim import outside

CONNECT_TIMEOUT_S = 10.0
DNS_TIMEOUT_S = 2.0
ACK_TIMEOUT_S = 10.0


class _Waiter:
    """SimPy events a session's generators wait on, fired by the real connection's events."""

    def __init__(self, env) -> None:
        self.env = env
        self.events: dict[object, object] = {}

    def expect(self, key):
        event = self.env.event()
        self.events[key] = event
        return event

    def fire(self, key, value) -> bool:
        event = self.events.pop(key, None)
        if event is not None and not event.triggered:
            event.succeed(value)
            return True
        return False

    def fail_all(self, value) -> None:
        for key in list(self.events):
            self.fire(key, value)


def _wait(env, event, timeout_s: float, timeout_value):
    """Generator: the event's value, or ``timeout_value`` if it has not fired within ``timeout_s``."""
    timer = env.timeout(timeout_s, timeout_value)
    done = yield event | timer
    return done[event] if event in done else timeout_value


def blocked(access, host: str):
    """Generator: None if ``host`` can be reached through ``access`` now, else the failure after the time a
    module takes to give up ("dns" or "timeout")."""
    env = access.sim.env
    problem = access.internet_problem(host) if access is not None else "wan"
    if problem == "dns":
        yield env.timeout(DNS_TIMEOUT_S)
        return "dns"
    if problem is not None:
        yield env.timeout(CONNECT_TIMEOUT_S)
        return "timeout"
    return None


class _Session:
    """What a module's TCP and MQTT sessions share: a real connection to ``host``, opened through the path
    and let go of on close."""

    def __init__(self, device, path, access, host: str, port: int) -> None:
        self.device, self.path, self.access = device, path, access
        self.host, self.port = host, port
        self.conn: outside.Connection | None = None
        self._w = _Waiter(device.sim.env)

    def _open(self, dial: Callable[[], outside.Connection], key: str, accepted, up_bytes: int, down_bytes: int):
        """Generator: ``accepted`` once the host is reachable, the request (``up_bytes``) is up the path, the real
        connection (``dial()``) fired ``key`` with ``accepted`` and the answer (``down_bytes``) is down the path;
        else why not ("dns", "timeout", or what ``key`` fired with)."""
        problem = yield from blocked(self.access, self.host)
        if problem:
            return problem
        if not (yield from self.path.up(up_bytes)):
            return "timeout"
        answered = self._w.expect(key)
        self.conn = dial()
        result = yield from _wait(self.device.sim.env, answered, CONNECT_TIMEOUT_S, "timeout")
        if result != accepted:
            self._drop()
            return result
        if not (yield from self.path.down(down_bytes)):
            self._drop()
            return "timeout"
        return accepted

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class TcpSession(_Session):
    """A real TCP client connection for a module. ``on_data(bytes)`` and ``on_closed(reason)`` run in the
    simulation after the data (or the close) has come down the path."""

    def __init__(self, device, path, access, host: str, port: int, on_data: Callable[[bytes], None],
                 on_closed: Callable[[str], None]) -> None:
        super().__init__(device, path, access, host, port)
        self.on_data, self.on_closed = on_data, on_closed
        self.open = False
        self.local_port = 0
        self._early: list[bytes] = []        # what the server sent before the handshake was through

    def connect(self):
        """Generator: None when connected, else "dns", "refused", "timeout" or "error"."""
        sim, owner = self.device.sim, self.device.id
        failure = yield from self._open(lambda: outside.TcpConnection(sim, owner, self.host, self.port, self._event),
                                        "open", None, 0, 0)
        if failure is not None:
            return failure
        self.open = True
        if self._early:
            self.device.sim.env.process(self._flush())
        return None

    def _flush(self):
        """Hand over what the server sent at once on connecting, after the module has said it connected."""
        yield self.device.sim.env.timeout(0)
        early, self._early = self._early, []
        for data in early:
            if self.open:
                self.on_data(data)

    def send(self, data: bytes):
        """Generator: True once the data is through the path and handed to the real socket."""
        if not self.open:
            return False
        if not (yield from self.path.up(len(data))):
            self._lost("the link to the access point failed")
            return False
        if self.access is not None and self.access.internet_problem(self.host):
            self._lost("the uplink went down")
            return False
        if self.conn is not None and self.open:
            self.conn.send(data)
            return True
        return False

    def close(self) -> None:
        self.open = False
        self._drop()

    def _lost(self, reason: str) -> None:
        if self.open:
            self.open = False
            self._drop()
            self.on_closed(reason)

    def _event(self, kind: str, **f) -> None:
        if kind == "open":
            self.local_port = f.get("local_port", 0)
            self._w.fire("open", None)
        elif kind == "fail":
            self._w.fire("open", f.get("reason", "error"))
        elif kind == "data":
            self.device.sim.env.process(self._down(f["data"]))
        elif kind == "closed":
            self.device.sim.env.process(self._down(None, f.get("reason", "closed")))

    def _down(self, data: bytes | None, reason: str = ""):
        ok = yield from self.path.down(len(data) if data else 0)
        if not self.open:
            if data and ok and self.conn is not None:      # still finishing the handshake
                self._early.append(data)
            return
        if data is None or not ok:
            self.open = False
            self._drop()
            self.on_closed(reason or "the link to the access point failed")
            return
        self.on_data(data)


class UdpSession:
    """A real UDP socket for a module: ``send(data, host, port)``; ``on_data(data, host, port)``."""

    def __init__(self, device, path, access, on_data: Callable[[bytes, str, int], None]) -> None:
        self.device, self.path, self.access = device, path, access
        self.on_data = on_data
        self.sock = outside.UdpSocket(device.sim, device.id, self._event)

    def send(self, data: bytes, host: str, port: int):
        """Generator: True if the datagram made it through the path and out of the real socket."""
        if self.access is None or self.access.internet_problem(host):
            return False
        if not (yield from self.path.up(len(data))):
            return False
        self.sock.sendto(data, host, port)
        return True

    def close(self) -> None:
        self.sock.close()

    def _event(self, kind: str, **f) -> None:
        if kind == "data":
            self.device.sim.env.process(self._down(f["data"], f["host"], f["port"]))

    def _down(self, data: bytes, host: str, port: int):
        if (yield from self.path.down(len(data))):
            self.on_data(data, host, port)


class MqttSession(_Session):
    """A real MQTT session for a module. ``on_message(topic, payload)`` and ``on_closed(reason)`` run in the
    simulation once the message (or the news) has come down the path."""

    def __init__(self, device, path, access, host: str, port: int, *, client_id: str, username: str = "",
                 password: str = "", keepalive: int = 60, clean: bool = True,
                 on_message: Callable[[str, bytes], None], on_closed: Callable[[str], None]) -> None:
        super().__init__(device, path, access, host, port)
        self.options = dict(client_id=client_id, username=username, password=password, keepalive=keepalive,
                            clean=clean)
        self.on_message, self.on_closed = on_message, on_closed
        self.connected = False
        self._early: dict[tuple[str, int], object] = {}     # acks that came before their "queued"
        self._tags: dict[tuple[str, int], object] = {}
        self._qos0: set[tuple[str, int]] = set()

    def connect(self):
        """Generator: 0 when the broker accepted, the broker's refusal code (> 0), or "dns", "refused",
        "timeout", "error"."""
        sim, owner = self.device.sim, self.device.id
        rc = yield from self._open(lambda: outside.MqttConnection(sim, owner, self.host, self.port, self._event,
                                                                  **self.options),
                                   "connack", 0, 14 + len(self.options["client_id"]), 4)
        self.connected = rc == 0
        return rc

    def subscribe(self, topic: str, qos: int):
        """Generator: the granted QoS (0-2), 128 if refused, None if the session failed."""
        if not self.connected or not (yield from self.path.up(len(topic) + 7)):
            return None
        tag = object()
        done = self._w.expect(tag)
        self.conn.subscribe(topic, qos, tag)
        granted = yield from _wait(self.device.sim.env, done, ACK_TIMEOUT_S, None)
        if granted is None or not (yield from self.path.down(5)):
            return None
        return granted[0] if isinstance(granted, list) and granted else granted

    def unsubscribe(self, topic: str):
        if not self.connected or not (yield from self.path.up(len(topic) + 6)):
            return False
        tag = object()
        done = self._w.expect(tag)
        self.conn.unsubscribe(topic, tag)
        ok = yield from _wait(self.device.sim.env, done, ACK_TIMEOUT_S, None)
        return ok is not None and (yield from self.path.down(4))

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool):
        """Generator: True once the message is out (QoS 0) or acknowledged by the broker (QoS 1, 2)."""
        if not self.connected or not (yield from self.path.up(len(topic) + len(payload) + 4)):
            return False
        tag = object() if qos > 0 else None
        done = self._w.expect(tag) if qos > 0 else None
        self.conn.publish(topic, payload, qos, retain, tag)
        if done is None:
            return True
        ok = yield from _wait(self.device.sim.env, done, ACK_TIMEOUT_S, None)
        return ok is not None and (yield from self.path.down(4))

    def close(self) -> None:
        self.connected = False
        self._drop()

    def _drop(self) -> None:
        super()._drop()
        self._w.fail_all(None)

    def _event(self, kind: str, **f) -> None:
        if kind == "connack":
            self._w.fire("connack", f["rc"])
        elif kind == "fail":
            self._w.fire("connack", f.get("reason", "error"))
        elif kind == "queued":
            key = (f["what"], f["mid"])
            if f["tag"] is None:                      # QoS 0: nobody waits for its ack
                if self._early.pop(key, None) is None:
                    self._qos0.add(key)
            elif not f.get("ok", True):
                self._w.fire(f["tag"], None)
            elif key in self._early:
                self._w.fire(f["tag"], self._early.pop(key))
            else:
                self._tags[key] = f["tag"]
        elif kind in ("suback", "unsuback", "puback"):
            what = {"suback": "sub", "unsuback": "unsub", "puback": "pub"}[kind]
            value = f.get("qos", True)
            if (what, f["mid"]) in self._qos0:
                self._qos0.discard((what, f["mid"]))
                return
            tag = self._tags.pop((what, f["mid"]), None)
            if tag is None:
                self._early[(what, f["mid"])] = value
            else:
                self._w.fire(tag, value)
        elif kind == "message":
            self.device.sim.env.process(self._down(f["topic"], f["payload"]))
        elif kind == "closed":
            if self.connected:
                self.connected = False
                self._drop()
                self.on_closed(f.get("reason", "closed"))

    def _down(self, topic: str, payload: bytes):
        if (yield from self.path.down(len(topic) + len(payload) + 4)) and self.connected:
            self.on_message(topic, payload)
