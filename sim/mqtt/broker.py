"""Which broker a run talks to: the one asked for, one already on localhost, or a private one.

With no ``--mqtt`` option: a broker answering on 127.0.0.1:1883 is used; otherwise a private
broker is started for the run on a free loopback port — mosquitto if it is on PATH, else the
pure-Python amqtt broker in a child process — and stopped when the run ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# MQTT 3.1.1 CONNECT (clean session, keepalive 10 s, client id "iotlab-probe") and DISCONNECT.
_CONNECT = bytes([0x10, 24, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 10, 0, 12]) + b"iotlab-probe"
_DISCONNECT = bytes([0xE0, 0])


def answers_mqtt(host: str, port: int, timeout_s: float = 0.5) -> bool:
    """True if an MQTT broker accepts an anonymous connection at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.settimeout(timeout_s)
            sock.sendall(_CONNECT)
            reply = sock.recv(4)
            if len(reply) == 4 and reply[0] == 0x20 and reply[3] == 0:
                sock.sendall(_DISCONNECT)
                return True
    except OSError:
        pass
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Broker:
    host: str
    port: int
    how: str                                  # "given", "local", "mosquitto" or "amqtt"
    process: subprocess.Popen | None = None
    workdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def describe(self) -> str:
        return {"given": "the broker given with --mqtt",
                "local": "the broker already running on localhost",
                "mosquitto": "a private mosquitto started for this run",
                "amqtt": "a private Python broker (amqtt) started for this run"}[self.how]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.workdir is not None:
            self.workdir.cleanup()


def start_private(use_mosquitto: bool = True) -> Broker:
    """Start mosquitto (or amqtt) on a free 127.0.0.1 port and wait until it answers."""
    port = free_port()
    workdir = tempfile.TemporaryDirectory(prefix="iotlab-broker-")
    mosquitto = shutil.which("mosquitto") if use_mosquitto else None
    if mosquitto:
        conf = Path(workdir.name) / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "max_queued_messages 0\n")
        cmd, how = [mosquitto, "-c", str(conf)], "mosquitto"
    else:
        cmd, how = [sys.executable, "-m", "sim.mqtt.amqtt_broker", str(port)], "amqtt"
    log = open(Path(workdir.name) / "broker.log", "wb")
    # Its own session: Ctrl-C on the run must not kill the broker before the bridge has drained.
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    broker = Broker("127.0.0.1", port, how, process, workdir)
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if answers_mqtt("127.0.0.1", port, 0.2):
            return broker
        time.sleep(0.05)
    tail = (Path(workdir.name) / "broker.log").read_text(errors="replace")[-300:]
    broker.stop()
    raise RuntimeError(f"could not start {how} on 127.0.0.1:{port}: {tail.strip() or 'no output'}")


LOCAL_ENV = "IOTLAB_MQTT_LOCAL"


def local_address() -> tuple[str, int]:
    """Where the zero-setup default looks for a running broker: $IOTLAB_MQTT_LOCAL or 127.0.0.1:1883."""
    host, _, port = os.environ.get(LOCAL_ENV, "127.0.0.1:1883").rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError:
        raise RuntimeError(f"{LOCAL_ENV} must be host:port, e.g. 127.0.0.1:1883") from None


def choose(probe_host: str | None = None, probe_port: int | None = None) -> Broker:
    """The zero-setup default: a broker at the local address if one answers, else a private one."""
    default_host, default_port = local_address()
    probe_host, probe_port = probe_host or default_host, probe_port or default_port
    if answers_mqtt(probe_host, probe_port):
        return Broker(probe_host, probe_port, "local")
    return start_private(use_mosquitto=True)
