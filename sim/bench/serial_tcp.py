"""Round trips through a serial server's real TCP port, against the bus's own time for the exchange.

A lab with one serial server and one rs485_th transmitter runs at speed 1 (wall clock) in a
thread; a raw socket client sends Modbus TCP requests (FC03, 2 registers) one after another
and times each round trip. The bus's own time is the request (8 bytes) and the reply (9
bytes) at the baud rate, the slave's turnaround, and the 3.5-character silence the server
keeps after each exchange (a back-to-back request arrives within it and waits for it; a
request after a pause does not). What is left is the cost of the socket threads, the inbox
and the paced clock.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import typing

import numpy as np

from ..buses import frame_time_s, silence_s

BAUDS = (9600, 115200)
WARM_UP = 5
PAUSE_S = 0.010          # longer than any silence (3.6 ms at 9600 bit/s)


def lab_spec(baud: int) -> dict:
    return {"name": "serial server latency", "lab": "bench", "seed": 1, "duration": 3600,
            "room": {"size_m": [5, 5]},
            "devices": [{"id": "ss1", "type": "serial_server", "tcp_port": 0, "baud": baud},
                        {"id": "th1", "type": "rs485_th", "address": 1, "baud": baud}],
            "wiring": ["ss1.rs485 -> th1.rs485"]}


def allowed_bauds() -> list[int]:
    """The speeds both the serial server and the transmitter can be set to."""
    from .. import registry
    sets = [set(typing.get_args(registry.load(t).Params.model_fields["baud"].annotation))
            for t in ("serial_server", "rs485_th")]
    return sorted(sets[0] & sets[1])


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the serial server closed the connection")
        data += chunk
    return data


def measure(baud: int, requests: int, pause_s: float = 0.0) -> dict:
    """Round trips at one baud rate: percentiles in ms, and the bus's share of them. ``pause_s``: wall
    time between a reply and the next request (0: back to back)."""
    from ..scenario.builder import build
    from ..scenario.spec import Scenario

    sim = build(Scenario.model_validate(lab_spec(baud)))
    slave = sim.devices["th1"]
    turnaround = getattr(slave, "turnaround_s", None)
    if turnaround is None:
        turnaround = slave.TURNAROUND_S
    runner = threading.Thread(target=sim.run, args=(3600.0,), kwargs={"speed": 1.0}, daemon=True)
    runner.start()
    times, errors = [], 0
    try:
        with socket.create_connection(("127.0.0.1", sim.devices["ss1"].tcp_port), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for tid in range(requests + WARM_UP):
                request = struct.pack(">HHHBBHH", tid, 0, 6, 1, 0x03, 0x0000, 2)
                start = time.perf_counter()
                sock.sendall(request)
                head = _recv_exactly(sock, 7)
                body = _recv_exactly(sock, struct.unpack(">H", head[4:6])[0] - 1)
                elapsed = time.perf_counter() - start
                if body[0] != 0x03:
                    errors += 1
                if tid >= WARM_UP:
                    times.append(elapsed * 1000.0)
                if pause_s:
                    time.sleep(pause_s)
    finally:
        sim.stop()
        runner.join(10)
        sim.close()
    request_s, reply_s = frame_time_s(8, baud, "N"), frame_time_s(9, baud, "N")
    gap_s = silence_s(baud, "N")
    ms = np.array(times)
    median = float(np.median(ms))
    exchange_ms = (request_s + turnaround + reply_s) * 1000.0
    bus_ms = exchange_ms + gap_s * 1000.0
    return {"baud": baud, "requests": len(times), "errors": errors, "pause_ms": round(pause_s * 1000.0, 3),
            "median_ms": round(median, 3), "p95_ms": round(float(np.percentile(ms, 95)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3), "min_ms": round(float(ms.min()), 3),
            "bus_ms": round(bus_ms, 3), "exchange_ms": round(exchange_ms, 3),
            "request_ms": round(request_s * 1000.0, 3),
            "turnaround_ms": round(turnaround * 1000.0, 3), "reply_ms": round(reply_s * 1000.0, 3),
            "silence_ms": round(gap_s * 1000.0, 3),
            "overhead_ms": round(median - (exchange_ms if pause_s > gap_s else bus_ms), 3)}


def latency(requests: int = 200) -> dict:
    """FC03 round trips through a serial server at 9600 and 115200 bit/s (each speed the parts allow),
    back to back and with a pause longer than the silence after each reply (which shows the cost of
    the socket threads, the inbox and the paced clock on its own, ``overhead_ms``)."""
    if requests < 1:
        raise ValueError("requests must be at least 1")
    bauds = [b for b in BAUDS if b in allowed_bauds()]
    return {"requests": requests,
            "runs": [measure(baud, requests, pause) for baud in bauds for pause in (0.0, PAUSE_S)]}
