"""``iotlab bench fieldbus``: 32 Modbus slaves polled back to back, against the bus's own limit.

One gateway polls 32 RS-485 temperature-humidity transmitters (FC03, two registers)
as fast as the bus allows, at 9600 and at 115200 bit/s, for a simulated hour. The
baseline is physics, not software: one transaction cannot take less than the
request (8 bytes), the 3.5-character silence before the slave may answer, the
reply (9 bytes) and the silence before the next request. The ratio of polls per
simulated second to that limit says how much bus time the simulated master wastes
(target >= 0.95). Wall time says what an hour of a busy bus costs to simulate.
Then, if the serial server is available, the Modbus TCP round trip through it at
``--speed 1``.
"""

from __future__ import annotations

import time

from ..buses import frame_time_s, silence_s

SLAVES = 32


def bus_spec(baud: int, until_s: float, slaves: int = SLAVES) -> dict:
    devices = [{"id": "gw", "type": "gateway", "analog_inputs": 0, "digital_inputs": 0, "single_wire_pins": 0,
                "rs485_baud": baud, "poll_period_s": 0.01, "modbus_timeout_s": 0.1, "pos_m": [1, 1]}]
    devices += [{"id": f"th{i}", "type": "rs485_th", "address": i, "baud": baud, "turnaround_ms": 0,
                 "pos_m": [1 + i * 0.2, 2]} for i in range(1, slaves + 1)]
    wiring = ["gw.rs485 -> th1.rs485"] + [f"th{i}.rs485 -> th{i + 1}.rs485" for i in range(1, slaves)]
    return {"name": "fieldbus benchmark", "lab": "bench", "seed": 1, "duration": until_s,
            "room": {"size_m": [10, 5]}, "devices": devices, "wiring": wiring}


def limit_polls_per_s(baud: int) -> float:
    """Transactions per second the bus itself allows (8-byte request, 9-byte reply, two silences)."""
    silence = silence_s(baud)
    return 1.0 / (frame_time_s(8, baud) + silence + frame_time_s(9, baud) + silence)


def run(baud: int, until_s: float) -> dict:
    from ..scenario.builder import build
    from ..scenario.spec import Scenario
    from ..sinks import CounterSink

    scenario = Scenario.model_validate(bus_spec(baud, until_s))
    counter = CounterSink()
    start = time.perf_counter()
    sim = build(scenario, sinks=[counter])
    sim.run(until_s)
    wall = time.perf_counter() - start
    polls = counter.count("sample")
    rate = polls / until_s
    return {"baud": baud, "polls": polls, "polls_per_s": rate, "limit_per_s": limit_polls_per_s(baud),
            "ratio": rate / limit_polls_per_s(baud), "lost": counter.count("frame.lost"), "wall_s": wall,
            "records": polls + sum(counter.by_kind.values())}


def main(until_s: float, tcp_requests: int) -> int:
    print(f"fieldbus: {SLAVES} Modbus RTU slaves (FC03, 2 registers) polled back to back for "
          f"{until_s:g} s of simulated time; limit = request + 3.5-char silence + reply + silence")
    worst = 1.0
    for baud in (9600, 115200):
        r = run(baud, until_s)
        worst = min(worst, r["ratio"])
        print(f"  {baud:>6} bit/s: {r['polls_per_s']:8.2f} polls/s simulated, bus limit {r['limit_per_s']:8.2f}"
              f" -> ratio {r['ratio']:.3f}; {r['polls']} polls, {r['lost']} lost, wall {r['wall_s']:.1f} s "
              f"({r['polls'] / r['wall_s']:,.0f} polls, {r['records'] / r['wall_s']:,.0f} trace records per wall second)")
    print(f"  target ratio >= 0.95: {'met' if worst >= 0.95 else 'NOT met'} (worst {worst:.3f})")
    if tcp_requests > 0:
        from .serial_tcp import latency
        print(f"Modbus TCP round trip through a serial server, {tcp_requests} FC03 requests, lab at --speed 1 "
              "(the bus's own time for the exchange is the floor):")
        for r in latency(tcp_requests)["runs"]:
            how = "back to back" if not r["pause_ms"] else f"{r['pause_ms']:g} ms apart"
            print(f"  {r['baud']:>6} bit/s, {how}: median {r['median_ms']:.2f} ms, p95 {r['p95_ms']:.2f}, "
                  f"p99 {r['p99_ms']:.2f}; bus {r['bus_ms']:.2f} ms (exchange {r['exchange_ms']:.2f}); "
                  f"overhead {r['overhead_ms']:.2f} ms; errors {r['errors']}")
    return 0
