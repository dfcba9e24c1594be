"""The MQTT bridge: a trace sink that publishes a running lab and feeds commands back into it.

Two threads: the simulation only formats records and drops them on a queue (it never waits
for the network); one worker thread owns the paho client, the outbox and the socket: it
connects and reconnects with back-off, hands messages over, and runs paho's network loop
itself, so a publish is written at once instead of waking a second network thread. With
QoS 1 every numbered message waits in the SQLite outbox until the broker acknowledges it, so
a broker restart or a network cut loses nothing; messages a full outbox had to drop are
reported by sequence number.
"""

from __future__ import annotations

import queue
import ssl
import sys
import threading
import time
import uuid
from typing import Callable

import orjson
import paho.mqtt.client as mqtt

from .config import MqttConfig, tls_context
from .formats import SIM_TOPICS, Command, make_format, sim_request
from .outbox import Outbox

MAX_COMMAND_BYTES = 4096
MAX_FLASH_BYTES = 256 * 1024         # $sim/flash carries a firmware file
WINDOW = 30            # messages handed to paho and not yet acknowledged, at most (paho sends 20 at once)
REFILL = 5             # hand more over once this many slots are free (measured: bigger windows are slower)
POLL_S = 0.005          # the worker's network wait while there is traffic; idle it waits longer
IDLE_POLL_S = 0.02


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
        self._socket_open = False
        self._acked: list[int] = []
        self._done_rows: list[int] = []
        self._mids: dict[int, int] = {}
        self._handed = 0
        self._warned_full = False
        self._last_problem = ""
        self._backoff = 1.0
        self.client = self._make_client()
        self._worker = threading.Thread(target=self._work, name="iotlab-mqtt", daemon=True)

    # -- set-up ----------------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        c = self.config
        client_id = c.client_id or f"iotlab-{c.lab}-{uuid.uuid4().hex[:8]}"
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                             protocol=mqtt.MQTTv311, clean_session=True)
        client.max_queued_messages_set(0)
        client.max_inflight_messages_set(20)
        if c.username:
            client.username_pw_set(c.username, c.password)
        if c.tls:
            client.tls_set_context(tls_context(c))
        client.will_set(self.format.will_topic, b"offline", qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def start(self, connect_timeout_s: float = 10.0) -> None:
        """Start the worker and wait up to ``connect_timeout_s`` for the first connection."""
        self.queue.put(("messages", self.format.startup()))
        self._worker.start()
        if not self.connected.wait(connect_timeout_s):
            self.log(f"MQTT: not connected to {self.config.url()} yet; messages wait in the outbox and go "
                     "out once it accepts us" if self.outbox else
                     f"MQTT: not connected to {self.config.url()} yet; QoS 0 messages are dropped until it accepts us")

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
        self.queue.put(("stop", drain_timeout_s if self._ever_connected else 0.5))
        self._worker.join()
        waiting = len(self.outbox) if self.outbox else 0
        if waiting:
            numbers = self.outbox.waiting_numbers()
            self.log(f"MQTT: {waiting} messages were still waiting for {self.config.url()} when the run ended"
                     + (": " + "; ".join(f"{d}: {_ranges(s)}" for d, s in sorted(numbers.items())) if numbers else ""))
        self._report_dropped()
        if self.outbox:
            self.outbox.close()

    # -- paho callbacks (all in the worker thread) ---------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            self._problem(f"MQTT: {self.config.url()} refused the connection: {reason_code}")
            return
        client.subscribe([(topic, 1) for topic in self.format.command_subscriptions]
                         + [(f"iotlab/{self.format.lab}/$sim/{what}", 1) for what in SIM_TOPICS])
        # Retained "online" again: the broker may have published our will while we were away.
        client.publish(self.format.will_topic, b"online", qos=1, retain=True)
        if self._ever_connected:
            self.log(f"MQTT: reconnected to {self.config.url()}")
        self._ever_connected = True
        self._last_problem = ""
        self._backoff = 1.0
        self.connected.set()

    def _on_publish(self, client, userdata, mid, reason_code=None, properties=None) -> None:
        self._acked.append(mid)

    def _on_message(self, client, userdata, message) -> None:
        try:
            self._command(message)
        except Exception as exc:            # a command must never stop the bridge
            self.log(f"MQTT: ignored a command on {message.topic}: {type(exc).__name__}: {exc}")

    def _command(self, message) -> None:
        if message.retain:
            self.log(f"MQTT: ignored a retained command on {message.topic}; publish commands without "
                     "the retain flag, or they run again at every connection")
            return
        cap = MAX_FLASH_BYTES if message.topic.endswith("/$sim/flash") else MAX_COMMAND_BYTES
        if len(message.payload) > cap and "/$sim/" in message.topic:
            self._accept([(f"{message.topic}/result", orjson.dumps(
                {"ok": False, "error": f"the request is {len(message.payload)} bytes; requests are at most "
                                       f"{cap} bytes"}), False, "$sim", 0)])
            return
        if len(message.payload) > MAX_COMMAND_BYTES and "/$sim/" not in message.topic:
            reply = self.format.too_big(message.topic, len(message.payload))
            if reply is not None:
                self._accept([reply])
            return
        if message.topic.startswith(f"iotlab/{self.format.lab}/$sim/"):
            parsed = sim_request(f"iotlab/{self.format.lab}", message.topic, message.payload)
        else:
            parsed = self.format.command(message.topic, message.payload)
        if parsed is None:
            return
        if not isinstance(parsed, Command):
            self._accept([parsed])
            return
        answer = parsed.answer
        self.sim.post(parsed.device, parsed.action, parsed.message_args,
                      reply=lambda result: self.queue.put(("messages", [answer(result)])))

    def _problem(self, text: str) -> None:
        """Say a connection problem once, not at every retry."""
        if text != self._last_problem:
            self._last_problem = text
            self.log(text)

    # -- the worker ------------------------------------------------------------------------------
    def _work(self) -> None:
        next_try, deadline = 0.0, None
        while True:
            now = time.monotonic()
            if not self._socket_open and now >= next_try:
                if not self._connect():
                    next_try = now + self._next_backoff()
            busy = self._busy()
            # Idle, the worker sleeps on the queue (a new reading wakes it at once) and looks at the
            # socket between naps; busy, it waits on the socket for acknowledgements instead.
            for kind, payload in self._take(0.0 if busy else IDLE_POLL_S if self._socket_open else 0.1):
                if kind == "stop":
                    deadline = time.monotonic() + payload
                else:
                    self._accept(payload)
            if self._socket_open:
                if self.outbox is not None and self.connected.is_set():
                    self._hand_over()
                rc = self.client.loop(timeout=POLL_S if self._busy() else 0.0)
                if rc != mqtt.MQTT_ERR_SUCCESS:
                    self._lost(rc)
                    next_try = time.monotonic() + self._next_backoff()
            self._settle()
            if deadline is not None and (not self._busy() or time.monotonic() > deadline):
                break
        if self._socket_open:
            self.client.disconnect()
            self.client.loop(timeout=0.1)

    def _next_backoff(self) -> float:
        """1 s, 2 s, 4 s ... up to 30 s between attempts; back to 1 s only after a connection is accepted
        (a broker that refuses us, or drops us at once, is not hammered every second)."""
        delay = self._backoff
        self._backoff = min(self._backoff * 2, 30.0)
        return delay

    def _connect(self) -> bool:
        try:
            if self._ever_connected:
                self.client.reconnect()
            else:
                self.client.connect(self.config.host, self.config.port, self.config.keepalive)
        except ssl.SSLError as exc:
            self._problem(f"MQTT: TLS with {self.config.url()} failed: {exc.reason or exc}; retrying with back-off")
            return False
        except (OSError, ValueError) as exc:
            self._problem(f"MQTT: cannot reach {self.config.url()}: {getattr(exc, 'strerror', None) or exc}; "
                          "retrying with back-off")
            return False
        self._socket_open = True
        return True

    def _lost(self, rc) -> None:
        was_connected = self.connected.is_set()
        self._socket_open = False
        self.connected.clear()
        if was_connected:
            self.log(f"MQTT: lost {self.config.url()} ({mqtt.error_string(rc)}); retrying with back-off"
                     + ("; messages wait in the outbox" if self.outbox else ""))

    def _take(self, wait_s: float) -> list:
        items = []
        try:
            items.append(self.queue.get(timeout=wait_s) if wait_s else self.queue.get_nowait())
            while True:
                items.append(self.queue.get_nowait())
        except queue.Empty:
            pass
        return items

    def _busy(self) -> bool:
        return bool(self._mids) or (self.outbox is not None and len(self.outbox) > 0)

    def _accept(self, messages) -> None:
        if self.outbox is None:                     # QoS 0: now or never
            for topic, payload, retain, device, seq in messages:
                sent = self.connected.is_set() and \
                    self.client.publish(topic, payload, qos=0, retain=retain).rc == mqtt.MQTT_ERR_SUCCESS
                if sent:
                    self.published += 1
                elif seq:
                    self.dropped.setdefault(device, []).append(seq)
            return
        if self.outbox.put(messages, floor=self._handed) and not self._warned_full:
            self._warned_full = True
            self.log(f"MQTT: warning: the outbox is full ({self.outbox.max_messages} messages); the oldest "
                     "waiting messages are being dropped and will be listed at the end of the run")

    def _settle(self) -> None:
        """Forget acknowledged messages; the outbox rows go in batches (one DELETE per few hundred)."""
        acked, self._acked = self._acked, []
        done = [row for row in (self._mids.pop(mid, None) for mid in acked) if row is not None]
        if self.outbox is None or not (done or self._done_rows):
            return
        self.published += len(done)
        self._done_rows += done
        if len(self._done_rows) >= 256 or not self._mids:
            self.outbox.done(self._done_rows)
            self._done_rows = []

    def _hand_over(self) -> None:
        """Keep up to WINDOW messages with paho; refill in batches, not one SELECT per acknowledgement."""
        room = WINDOW - len(self._mids)
        if room < REFILL and self._mids:
            return
        for row_id, topic, payload, retain in self.outbox.after(self._handed, room):
            info = self.client.publish(topic, payload, qos=1, retain=bool(retain))
            if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
                break                     # paho did not keep it: try again later
            # Any other code (even a lost connection) means paho holds the message and resends it.
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
