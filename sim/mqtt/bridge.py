"""The MQTT bridge: a trace sink that publishes a running lab and feeds commands back into it.

Threads: the simulation only formats records and drops them on a queue (it never waits for
the network); a worker thread owns the outbox and hands messages to paho; paho's network
thread talks to the broker and reconnects with back-off. With QoS 1, every numbered message
waits in the SQLite outbox until the broker acknowledges it, so a broker restart or a network
cut loses nothing; messages that a full outbox had to drop are reported by sequence number.
"""

from __future__ import annotations

import queue
import ssl
import sys
import threading
import uuid
from typing import Callable

import paho.mqtt.client as mqtt

from .config import MqttConfig
from .formats import Command, make_format
from .outbox import Outbox

MAX_COMMAND_BYTES = 4096
WINDOW = 500            # messages handed to paho and not yet acknowledged, at most


class MqttBridge:
    def __init__(self, sim, config: MqttConfig, log: Callable[[str], None] | None = None) -> None:
        self.sim, self.config = sim, config
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.format = make_format(config.format, config.lab, sim.scene.get("devices", []))
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.outbox = Outbox(config.outbox_path, config.outbox_max) if config.qos == 1 else None
        self.published = 0                          # messages the broker acknowledged (QoS 1) or that were sent
        self.dropped: dict[str, list[int]] = {}     # QoS 0 messages that found no connection
        self.connected = threading.Event()
        self._ever_connected = False
        self._acked: queue.SimpleQueue = queue.SimpleQueue()
        self._mids: dict[int, int] = {}
        self._handed = 0
        self._stopping = threading.Event()
        self._warned_full = False
        self.client = self._make_client()
        self._worker = threading.Thread(target=self._work, name="iotlab-mqtt", daemon=True)

    # -- set-up ----------------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        c = self.config
        client_id = c.client_id or f"iotlab-{c.lab}-{uuid.uuid4().hex[:8]}"
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=mqtt.MQTTv311, clean_session=True)
        client.max_queued_messages_set(0)
        if c.username:
            client.username_pw_set(c.username, c.password)
        if c.tls:
            context = ssl.create_default_context(cafile=c.ca_file)
            if c.cert_file:
                context.load_cert_chain(c.cert_file, c.key_file)
            client.tls_set_context(context)
        client.will_set(self.format.will_topic, b"offline", qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def start(self, connect_timeout_s: float = 10.0) -> None:
        """Connect (waiting up to ``connect_timeout_s`` for the first connection) and start publishing."""
        self.client.connect_async(self.config.host, self.config.port, self.config.keepalive)
        self.client.loop_start()
        self._worker.start()
        self.queue.put(("messages", self.format.startup()))
        if not self.connected.wait(connect_timeout_s):
            self.log(f"MQTT: no answer from {self.config.url()} yet; messages wait in the outbox "
                     "and go out once it answers" if self.outbox else
                     f"MQTT: no answer from {self.config.url()} yet; QoS 0 messages are dropped until it does")

    # -- the sink (simulation thread) -----------------------------------------------------------
    def write_batch(self, records: list[dict]) -> None:
        out = []
        messages = self.format.messages
        for record in records:
            out += messages(record)
        if out:
            self.queue.put(("messages", out))

    def close(self, drain_timeout_s: float = 30.0) -> None:
        """Publish the lab going offline, wait for the outbox to empty, and disconnect."""
        self.queue.put(("messages", self.format.shutdown()))
        self.queue.put(("stop", None))
        self._worker.join(drain_timeout_s if self._ever_connected else 0.5)
        waiting = len(self.outbox) if self.outbox else 0
        if waiting:
            self.log(f"MQTT: {waiting} messages were still waiting for {self.config.url()} when the run ended")
        self._stopping.set()
        self.client.disconnect()
        self.client.loop_stop()
        self._report_dropped()
        if self.outbox:
            self.outbox.close()

    # -- paho callbacks (network thread) ------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            self.log(f"MQTT: {self.config.url()} refused the connection: {reason_code}")
            return
        client.subscribe([(topic, 1) for topic in self.format.command_subscriptions])
        # Retained "online" again: the broker may have published our will while we were away.
        client.publish(self.format.will_topic, b"online", qos=1, retain=True)
        if self._ever_connected:
            self.log(f"MQTT: reconnected to {self.config.url()}")
        self._ever_connected = True
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties=None) -> None:
        self.connected.clear()
        if not self._stopping.is_set():
            self.log(f"MQTT: lost {self.config.url()} ({reason_code}); retrying with back-off"
                     + ("; messages wait in the outbox" if self.outbox else ""))

    def _on_publish(self, client, userdata, mid, reason_code=None, properties=None) -> None:
        self._acked.put(mid)

    def _on_message(self, client, userdata, message) -> None:
        if len(message.payload) > MAX_COMMAND_BYTES:
            self.log(f"MQTT: ignored a {len(message.payload)}-byte command on {message.topic} "
                     f"(commands are at most {MAX_COMMAND_BYTES} bytes)")
            return
        parsed = self.format.command(message.topic, message.payload)
        if parsed is None:
            return
        if not isinstance(parsed, Command):
            self.queue.put(("messages", [parsed]))
            return
        answer = parsed.answer
        self.sim.post(parsed.device, "command", {"name": parsed.name, "args": parsed.args},
                      reply=lambda result: self.queue.put(("messages", [answer(result)])))

    # -- the worker ------------------------------------------------------------------------------
    def _work(self) -> None:
        stopping = False
        while True:
            items = []
            try:
                items.append(self.queue.get(timeout=0.005 if self._busy() else 0.2))
                while True:
                    items.append(self.queue.get_nowait())
            except queue.Empty:
                pass
            for kind, payload in items:
                if kind == "stop":
                    stopping = True
                else:
                    self._accept(payload)
            self._settle()
            if self.outbox is not None and self.connected.is_set():
                self._hand_over()
            if stopping and not self._busy():
                return

    def _busy(self) -> bool:
        return bool(self._mids) or (self.outbox is not None and len(self.outbox) > 0)

    def _accept(self, messages) -> None:
        if self.outbox is None:                     # QoS 0: now or never
            for topic, payload, retain, device, seq in messages:
                if self.connected.is_set():
                    self.client.publish(topic, payload, qos=0, retain=retain)
                    self.published += 1
                elif seq:
                    self.dropped.setdefault(device, []).append(seq)
            return
        if self.outbox.put(messages, floor=self._handed) and not self._warned_full:
            self._warned_full = True
            self.log(f"MQTT: warning: the outbox is full ({self.outbox.max_messages} messages); the oldest "
                     "waiting messages are being dropped and will be listed at the end of the run")

    def _settle(self) -> None:
        done = []
        while True:
            try:
                mid = self._acked.get_nowait()
            except queue.Empty:
                break
            row = self._mids.pop(mid, None)
            if row is not None:
                done.append(row)
        if done and self.outbox is not None:
            self.outbox.done(done)
            self.published += len(done)

    def _hand_over(self) -> None:
        room = WINDOW - len(self._mids)
        if room <= 0:
            return
        for row_id, topic, payload, retain in self.outbox.after(self._handed, room):
            info = self.client.publish(topic, payload, qos=1, retain=bool(retain))
            if info.rc != mqtt.MQTT_ERR_SUCCESS and info.rc != mqtt.MQTT_ERR_NO_CONN:
                break
            self._mids[info.mid] = row_id
            self._handed = row_id

    def dropped_by_policy(self) -> dict[str, list[int]]:
        """Sequence numbers, per device, that were never published: no connection at QoS 0, a full outbox."""
        dropped = {d: list(s) for d, s in self.dropped.items()}
        if self.outbox is not None:
            for device, seqs in self.outbox.dropped.items():
                dropped.setdefault(device, []).extend(seqs)
        return {d: sorted(s) for d, s in dropped.items()}

    def _report_dropped(self) -> None:
        dropped = self.dropped_by_policy()
        if dropped:
            total = sum(len(v) for v in dropped.values())
            self.log(f"MQTT: {total} numbered messages were dropped by policy: "
                     + "; ".join(f"{d}: {_ranges(s)}" for d, s in sorted(dropped.items())))


def _ranges(numbers: list[int]) -> str:
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(f"{start}" if start == n else f"{start}-{n}")
            start = None
    return ", ".join(out)
