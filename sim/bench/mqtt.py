"""``iotlab bench mqtt``: the bridge against raw paho, and live publish lag.

1. Throughput: a 1,000-device room at --speed max through the bridge, until the broker has
   taken every message (QoS 1: acknowledged), against raw paho publishing the same payloads to
   the same private broker in the same run. Messages per second for both and the ratio, at QoS 0
   and QoS 1.
2. Live: 5,000 devices at 1 Hz in real time; a subscriber in another process measures the lag
   from a reading's simulated time to its arrival (p50, p99); the run's CPU share with and
   without the bridge gives the bridge's share.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt

from ..mqtt.bridge import MqttBridge
from ..mqtt.broker import start_private
from ..mqtt.config import MqttConfig
from .kernel import room_spec


def _sim(sensors: int, until_s: float, spread: bool = False):
    from ..scenario.builder import build
    from ..scenario.spec import Scenario
    spec = room_spec(sensors, until_s, per=100, spread=True) if spread else room_spec(sensors, until_s)
    return build(Scenario.model_validate(spec))


def _bridge_run(port: int, sensors: int, until_s: float, qos: int) -> tuple[float, int, list]:
    sim = _sim(sensors, until_s)
    captured: list = []
    bridge = MqttBridge(sim, MqttConfig(port=port, lab="bench", qos=qos, client_id=f"bench-bridge-{qos}"),
                        log=lambda text: None)
    original = bridge.format.messages

    def keep(record):
        out = original(record)
        captured.extend(out)
        return out
    bridge.format.messages = keep
    sim.trace.subscribe(bridge)
    bridge.start()
    start = time.perf_counter()
    sim.run(until_s)
    bridge.close(drain_timeout_s=300)
    return time.perf_counter() - start, bridge.published, captured


def _raw_paho(port: int, messages: list, qos: int) -> tuple[float, int]:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-raw-{qos}")
    client.max_queued_messages_set(0)
    done, acked = threading.Event(), [0]
    total = len(messages)

    def on_publish(c, u, mid, rc=None, props=None):
        acked[0] += 1
        if acked[0] >= total:
            done.set()
    client.on_publish = on_publish
    client.connect("127.0.0.1", port, 30)
    client.loop_start()
    start = time.perf_counter()
    for topic, payload, retain, _device, _seq in messages:
        client.publish(topic, payload, qos=qos, retain=retain)
    done.wait(300)
    elapsed = time.perf_counter() - start
    client.disconnect()
    client.loop_stop()
    return elapsed, acked[0]


SUBSCRIBER = r"""
import sys, time, json, threading
import paho.mqtt.client as mqtt
port, anchor_file, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
lags = []
anchor = [None]
def on_message(c, u, m):
    if anchor[0] is None:
        try:
            anchor[0] = float(open(anchor_file).read())
        except (OSError, ValueError):
            return
    body = json.loads(m.payload)
    lags.append(time.time() - (anchor[0] + body["t"]))
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-lag")
c.on_message = on_message
c.on_connect = lambda c, u, f, rc, p=None: c.subscribe("iotlab/bench-live/+/telemetry", 0)
c.connect("127.0.0.1", port, 30)
c.loop_start()
print("ready", flush=True)
time.sleep(seconds)
c.loop_stop()
lags.sort()
n = len(lags)
print(json.dumps({"n": n, "p50": lags[n // 2] if n else None, "p99": lags[int(n * 0.99)] if n else None}))
"""


def _live(port: int, sensors: int, seconds: float, with_bridge: bool, spread: bool) -> dict:
    sim = _sim(sensors, seconds, spread)
    result: dict = {}
    if with_bridge:
        anchor_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"iotlab-bench-anchor-{os.getpid()}")
        sub = subprocess.Popen([sys.executable, "-c", SUBSCRIBER, str(port), anchor_file, str(seconds + 3)],
                               stdout=subprocess.PIPE, text=True)
        sub.stdout.readline()
        bridge = MqttBridge(sim, MqttConfig(port=port, lab="bench-live", qos=0, client_id="bench-live"),
                            log=lambda text: None)
        sim.trace.subscribe(bridge)
        bridge.start()
        with open(anchor_file, "w") as handle:
            handle.write(repr(time.time()))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sim.run(seconds, speed=1.0)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    result["cpu_share"] = cpu / wall
    if with_bridge:
        bridge.close()
        import json
        result.update(json.loads(sub.stdout.read().strip().splitlines()[-1]))
        sub.wait()
        os.unlink(anchor_file)
    return result


def main(sensors: int, until_s: float, live_devices: int = 5000, live_seconds: float = 60.0) -> int:
    broker = start_private()
    try:
        print(f"MQTT benchmark against {broker.describe()} on 127.0.0.1:{broker.port}")
        for qos in (0, 1):
            bridge_s, published, messages = _bridge_run(broker.port, sensors, until_s, qos)
            raw_s, raw_n = _raw_paho(broker.port, messages, qos)
            ours, raw = published / bridge_s, raw_n / raw_s
            print(f"  QoS {qos}: bridge {published:,} messages in {bridge_s:.2f} s = {ours:,.0f} msg/s; "
                  f"raw paho {raw_n:,} in {raw_s:.2f} s = {raw:,.0f} msg/s; ratio {ours / raw:.2f} (target >= 0.8)")
        if live_seconds > 0:
            for spread, how in ((True, f"on {live_devices // 100} gateways polling out of step"),
                                (False, "all read at the same instant each second (worst case)")):
                base = _live(broker.port, live_devices, live_seconds, False, spread)
                live = _live(broker.port, live_devices, live_seconds, True, spread)
                print(f"  live, {live_devices:,} devices at 1 Hz {how}, {live_seconds:g} s in real time: "
                      f"{live['n']:,} readings received, lag p50 {live['p50'] * 1000:.1f} ms, "
                      f"p99 {live['p99'] * 1000:.1f} ms (target p99 < 100 ms); CPU {live['cpu_share']:.1%} "
                      f"of a core with the bridge, {base['cpu_share']:.1%} without")
    finally:
        broker.stop()
    return 0
