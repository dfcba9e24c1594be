"""RS-485 to Ethernet serial server (串口服务器, like the USR-TCP232-410s), with a real TCP port.

Modbus TCP mode: a Modbus TCP to RTU gateway. Each request's unit id is the RS-485 address;
the gateway puts ``unit + PDU + CRC`` on the bus and answers with the slave's PDU under the
client's transaction id. No answer, or a bad one: exception 0x0B; unit ids 248-255: 0x0A
without touching the bus; unit 0: a broadcast, sent with no answer. Transparent mode: bytes
from a client (chunks arriving within ``packing_ms`` of each other) go onto the bus as one
frame, and a slave's answer goes back unchanged.

The TCP side runs in socket threads (``sim.tcp``); requests enter the simulation through the
inbox and wait their turn for the half-duplex bus, one exchange at a time, in arrival order,
across all clients. Malformed Modbus TCP input closes that client with an ``event`` record.
"""

from __future__ import annotations

import math
from collections import deque
from typing import ClassVar, Literal

from pydantic import Field

from sim import tcp
from sim.buses import RS485Port, frame_time_s, rs485_transaction, silence_s
from sim.device import Device, DeviceParams
from sim.fault_effects import FirmwareFaults
from sim.ports import bus

from .modbus import reply_problem
from .modbus_tcp import (BROADCAST, HEADER, PATH_UNAVAILABLE, RESERVED_UNITS, TARGET_NO_RESPONSE, adu,
                         exception_pdu, header, reply_pdu, request_size, rtu_request)
from .sensors_rs485 import BAUD_CODES

#: How long the rest of a Modbus TCP frame split over several TCP segments may take, wall seconds.
FRAGMENT_WAIT_S = 0.2
#: The longest frame transparent mode joins from TCP chunks (a Modbus RTU frame is at most 256 bytes).
MAX_FRAME = 256


class SerialServerParams(DeviceParams):
    mode: Literal["modbus_tcp", "transparent"] = Field(
        "modbus_tcp", description="modbus_tcp: Modbus TCP to RTU gateway (unit id = RS-485 address); "
                                  "transparent: bytes pass unchanged both ways")
    tcp_port: int = Field(5020, ge=0, le=65535, description="TCP port on 127.0.0.1 (0: any free port; "
                                                            "`iotlab run --tcp-port ID=PORT` overrides it)")
    baud: Literal[BAUD_CODES] = Field(9600, description="RS-485 bus speed, bit/s")
    parity: Literal["N", "E", "O"] = Field("N", description="RS-485 parity: N(one), E(ven), O(dd); "
                                                            "8 data bits, 1 stop bit")
    timeout_s: float = Field(0.3, gt=0, le=10, description="how long to wait for a slave's reply on the bus, s")
    max_clients: int = Field(4, ge=1, le=64, description="TCP clients served at once; one more is refused")
    packing_ms: float = Field(10.0, ge=1, le=1000, description="transparent mode: TCP bytes arriving within "
                                                               "this gap form one RS-485 frame, ms")
    SUPPLY_RANGE_V: ClassVar = (5.0, 36.0)


class SerialServer(FirmwareFaults, RS485Port, Device):
    """RS-485 to Ethernet serial server: a Modbus TCP gateway or a transparent byte pipe on a TCP port."""
    FAMILY = "gateways"
    TITLE = "RS-485 to Ethernet serial server (Modbus TCP gateway / transparent)"
    TITLE_ZH = "串口服务器 (RS-485 转以太网)"
    SUPPLY_RANGE_V, CURRENT_MA = (5.0, 36.0), 100.0
    Params = SerialServerParams
    #: After a broadcast the master leaves the slaves this long to act (Modbus serial line: 100-200 ms).
    BROADCAST_DELAY_S = 0.1
    #: A socket thread waits this long (wall seconds) for the lab, plus the queue's bus time at the run's pace.
    WAIT_S = 2.0

    @classmethod
    def port_specs(cls, params):
        return {"rs485": bus("rs485", "RS-485 master for the TCP clients' requests")}

    def start(self) -> None:
        self._jobs: deque = deque()
        self._busy = False
        p = self.p
        if p.mode == "modbus_tcp":
            on_data, what, note = self._modbus_tcp, "Modbus TCP", "unit id = RS-485 address"
        else:
            on_data, what = self._transparent, "transparent TCP"
            note = f"raw bytes to RS-485 at {p.baud} bit/s 8{p.parity}1"
        self.listener = tcp.serve(self.sim, self, p.tcp_port, on_data, max_clients=p.max_clients,
                                  what=what, note=note, admit=self._admit)

    @property
    def tcp_port(self) -> int:
        """The port actually listened on (the one asked for, or the free one found for 0)."""
        return self.listener.port

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if not on:
            self.listener.drop_clients("the serial server lost power")

    # -- socket threads ---------------------------------------------------------------------
    def _admit(self) -> str | None:
        return None if self.powered else "the serial server has no power"

    def _wait_s(self) -> float:
        """Wall-clock bound on one request: every client's exchange ahead of it, at the run's pace."""
        p, speed = self.p, self.sim.speed
        exchange = frame_time_s(2 * MAX_FRAME, p.baud, p.parity) + p.timeout_s + 2 * silence_s(p.baud, p.parity)
        return self.WAIT_S + (0.0 if math.isinf(speed) else p.max_clients * exchange / speed)

    def _bad(self, client, what: str) -> None:
        tcp.record(self.sim, self.id, "event", client=client.peer, error=what)
        client.close(what)

    def _fill(self, client, buf: bytes, size: int) -> bytes:
        """``buf`` with at least ``size`` bytes, reading the rest if it follows at once (else as it is)."""
        while len(buf) < size:
            more = client.more(FRAGMENT_WAIT_S, size - len(buf))
            if more is None:
                break
            buf += more
        return buf

    def _modbus_tcp(self, client, data: bytes) -> None:
        buf = data
        while buf and not client.closed:
            if not self.powered:
                client.close("the serial server has no power")
                return
            buf = self._fill(client, buf, HEADER)
            if len(buf) < HEADER:
                return self._bad(client, f"{len(buf)} bytes are not a Modbus TCP frame (its header alone is "
                                         f"{HEADER} bytes): {buf.hex(' ').upper()}")
            parsed = header(buf)
            if isinstance(parsed, str):
                return self._bad(client, parsed)
            tid, length, unit = parsed
            buf = self._fill(client, buf, 6 + length)
            if len(buf) < 6 + length:
                return self._bad(client, f"MBAP length {length} announces {length - 1} PDU bytes; "
                                         f"{len(buf) - HEADER} arrived")
            pdu, buf = buf[HEADER:6 + length], buf[6 + length:]
            size = request_size(pdu)
            if size is not None and size != len(pdu):
                return self._bad(client, f"MBAP length {length} does not match the function {pdu[0]:02X} "
                                         f"request, whose PDU is {size} bytes (length {size + 1})")
            answer = self._forward(client, unit, pdu)
            if answer is not None and not client.send(adu(tid, unit, answer)):
                return

    def _forward(self, client, unit: int, pdu: bytes) -> bytes | None:
        """The PDU to answer ``pdu`` for ``unit`` with (None: no answer)."""
        if unit in RESERVED_UNITS:
            return exception_pdu(pdu[0], PATH_UNAVAILABLE)
        frame = rtu_request(unit, pdu)
        if unit == BROADCAST:
            tcp.tell(self.sim, self.id, {"frame": frame, "mode": "broadcast"})
            return None
        result = tcp.ask(self.sim, self.id, {"frame": frame, "mode": "modbus"}, self._wait_s(), client)
        if client.closed:
            return None
        reply = reply_pdu(result.get("reply") if result else None, unit, pdu[0])
        return exception_pdu(pdu[0], TARGET_NO_RESPONSE) if reply is None else reply

    def _transparent(self, client, data: bytes) -> None:
        if not self.powered:
            client.close("the serial server has no power")
            return
        frame, gap = data, self.p.packing_ms / 1000.0
        while len(frame) < MAX_FRAME:
            more = client.more(gap, MAX_FRAME - len(frame))
            if more is None:
                break
            frame += more
        # A serial frame is at most MAX_FRAME bytes: a longer burst goes out as several, in order.
        for start in range(0, len(frame), MAX_FRAME):
            result = tcp.ask(self.sim, self.id, {"frame": frame[start:start + MAX_FRAME], "mode": "raw"},
                             self._wait_s(), client)
            reply = result.get("reply") if result else None
            if reply:
                client.send(reply)
            if client.closed:
                return

    # -- the simulation ------------------------------------------------------------------------
    def tcp_request(self, msg):
        """Inbox handler: queue a frame for the bus; the event fires with ``{"ok", "reply"}`` when done."""
        frame, mode = msg.args["frame"], msg.args["mode"]
        done = self.sim.env.event()
        self._jobs.append((frame, mode, getattr(msg.reply, "claim", None), done))
        if not self._busy:
            self._busy = True
            self.sim.env.process(self._bus())
        return done

    def _bus(self):
        """One exchange at a time on the half-duplex bus, in arrival order, a silence between frames."""
        env, p = self.sim.env, self.p
        silence = silence_s(p.baud, p.parity)
        try:
            while self._jobs:
                frame, mode, claim, done = self._jobs.popleft()
                if claim is not None and not claim():
                    done.succeed({"ok": False, "error": "the client stopped waiting"})
                    continue
                if not self.powered:
                    done.succeed({"ok": True, "reply": None})
                    continue
                if mode == "broadcast":     # every slave hears it and acts, none answers; then let them work
                    yield from rs485_transaction(self.sim, self, "rs485", frame, p.baud, p.parity, p.timeout_s,
                                                 expect_reply=False)
                    yield env.timeout(self.BROADCAST_DELAY_S)
                    reply = None
                else:
                    reply = yield from rs485_transaction(self.sim, self, "rs485", frame, p.baud, p.parity,
                                                         p.timeout_s)
                    if reply is not None and mode == "modbus":
                        problem = _reply_problem(reply, frame)
                        if problem:
                            self.emit("frame.lost", port="rs485", bus="rs485", reason=problem)
                            reply = None
                done.succeed({"ok": True, "reply": reply})
                yield env.timeout(silence)
        finally:
            self._busy = False


def _reply_problem(reply: bytes, request: bytes) -> str | None:
    """Why ``reply`` is no good answer to ``request`` (the ``frame.lost`` reason), or None; an exception
    reply is a good answer here (it goes back to the client)."""
    problem = reply_problem(reply, request[0], request[1]) if len(reply) >= 4 else "malformed"
    return None if problem and problem.startswith("exception") else problem
