"""``iotlab bench kernel``: a 1,000-sensor room at 1 Hz for a simulated hour, trace to a file.

iotlab runs the room through the real pipeline (scenario spec, registry, device
models, gateway ADC, trace bus, JSONL sink). The baseline is the same workload
written directly on SimPy, as a careful SimPy user would: a process per sensor,
the same room temperature model, noise and quantisation, one JSON line per
sample. Both count delivered samples per wall second ("events/s").
"""

from __future__ import annotations

import math
import os
import tempfile
import time

import orjson
import simpy

from ..environment import RoomEnvironment
from ..rng import normals, stream
from ..trace import time_key


def _scheduled(env: simpy.Environment) -> int:
    """Events the kernel scheduled (SimPy numbers them from an internal counter)."""
    counter = getattr(env, "_eid", None)
    return next(counter) if counter is not None else -1


def room_spec(sensors: int, until_s: float, per: int = 1000, spread: bool = False) -> dict:
    """``sensors`` LM35s at 1 Hz on gateways of up to ``per`` analog inputs each; with ``spread``,
    the gateways' polls are spread evenly over each second instead of all at once."""
    gateways = [f"gw{g}" if g else "gw" for g in range((sensors + per - 1) // per)]
    devices = [{"id": gw, "type": "gateway", "analog_inputs": min(per, sensors - g * per), "digital_inputs": 0,
                "single_wire_pins": 0, "pos_m": [1, 1], "poll_offset_s": g / len(gateways) if spread else 0.0}
               for g, gw in enumerate(gateways)]
    devices += [{"id": f"t{i:04d}", "type": "lm35", "pos_m": [1 + (i % 40) * 0.5, 1 + (i // 40) * 0.5]}
                for i in range(sensors)]
    return {"name": "kernel benchmark", "lab": "bench", "seed": 1, "duration": until_s,
            "room": {"size_m": [25, 1 + sensors // 40 * 0.5 + 1]}, "devices": devices,
            "wiring": [f"{gateways[i // per]}.ai{i % per + 1} -> t{i:04d}.out" for i in range(sensors)]}


def run_iotlab(sensors: int, until_s: float, path: str) -> tuple[float, int, int]:
    from ..scenario.builder import build
    from ..scenario.spec import Scenario
    from ..sinks import CounterSink, JsonlSink

    scenario = Scenario.model_validate(room_spec(sensors, until_s))
    counter, sink = CounterSink(), JsonlSink(path)
    start = time.perf_counter()
    sim = build(scenario, sinks=[counter, sink])
    sim.run(until_s)
    sink.close()
    return time.perf_counter() - start, counter.count("sample"), _scheduled(sim.env)


def run_bare(sensors: int, until_s: float, path: str) -> tuple[float, int, int]:
    """The same room on bare SimPy: process per sensor, lag + bias + noise, ADC, a JSON line a sample."""
    start = time.perf_counter()
    env = simpy.Environment()
    room = RoomEnvironment.default(1)
    out = open(path, "wb", buffering=1 << 20)
    write, dumps, newline = out.write, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    lsb = 10.0 / 4096
    count = [0]

    def sensor(name: str):
        rng = stream(1, name)
        noise = normals(rng)
        bias = float(rng.uniform(-0.3, 0.3))
        alpha = 1.0 - math.exp(-1.0 / 120.0)
        y = room.value("temperature", 0.0)
        while True:
            x = room.value("temperature", env.now)
            y += (x - y) * alpha
            volts = (y + bias + 0.03 * next(noise)) * 0.01
            reading = round(round(volts / lsb) * lsb * 100.0, 2)
            write(dumps({"t": time_key(env.now), "src": name, "kind": "sample", "via": "gw",
                         "temperature_c": reading}, option=newline))
            count[0] += 1
            yield env.timeout(1.0)

    for i in range(sensors):
        env.process(sensor(f"t{i:04d}"))
    env.run(until=until_s)
    out.close()
    return time.perf_counter() - start, count[0], _scheduled(env)


def main(sensors: int, until_s: float) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, bare_path = os.path.join(tmp, "iotlab.jsonl"), os.path.join(tmp, "bare.jsonl")
        bare_s, bare_n, bare_ev = run_bare(sensors, until_s, bare_path)
        ours_s, ours_n, ours_ev = run_iotlab(sensors, until_s, ours_path)
        sizes = os.path.getsize(ours_path), os.path.getsize(bare_path)
    ours_rate, bare_rate = ours_n / ours_s, bare_n / bare_s
    print(f"kernel benchmark: {sensors} sensors x 1 Hz, {until_s:g} s simulated, trace written to a file")
    print(f"  bare SimPy : {bare_n:>10,} samples in {bare_s:6.2f} s = {bare_rate:>10,.0f} events/s "
          f"({bare_ev:,} SimPy events, {sizes[1] / 1e6:.0f} MB trace)")
    print(f"  iotlab     : {ours_n:>10,} samples in {ours_s:6.2f} s = {ours_rate:>10,.0f} events/s "
          f"({ours_ev:,} SimPy events, {sizes[0] / 1e6:.0f} MB trace)")
    print(f"  ratio iotlab / bare = {ours_rate / bare_rate:.2f}  (target >= 0.7); "
          f"wall for the run: {ours_s:.2f} s (target <= 10 s for 1,000 sensors x 1 h)")
    return 0
