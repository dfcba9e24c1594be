"""Real brokers for the MQTT tests: mosquitto on a free loopback port, with auth, ACLs or TLS."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from sim.mqtt.broker import answers_mqtt, free_port


class Mosquitto:
    """A mosquitto process; ``restart()`` keeps its port and its persistence directory."""

    def __init__(self, workdir: Path, extra: str = "", port: int | None = None, persistence: bool = False) -> None:
        self.workdir, self.extra, self.persistence = workdir, extra, persistence
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.conf = workdir / "mosquitto.conf"
        anonymous = ("" if "allow_anonymous" in extra else "allow_anonymous true\n") + "user root\n"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\n" + anonymous + extra + "\nmax_queued_messages 0\n"
                             + (f"persistence true\npersistence_location {workdir}/\nautosave_interval 1\n"
                                if persistence else "persistence false\n"))

    def start(self, wait_tls: bool = False) -> "Mosquitto":
        log = open(self.workdir / "mosquitto.log", "ab")
        self.process = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.workdir / "mosquitto.log").read_text())
            if wait_tls or "allow_anonymous false" in self.extra:
                if _port_open(self.port):
                    return self
            elif answers_mqtt("127.0.0.1", self.port, 0.2):
                return self
            time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


def _port_open(port: int) -> bool:
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Subscriber:
    """A paho client that records every message it gets: (topic, payload, retain)."""

    def __init__(self, port: int, topics: list[str], client_id: str = "", username: str | None = None,
                 password: str | None = None, persistent: bool = False, tls_ca: str | None = None) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self.ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"test-{free_port()}",
                                  clean_session=not persistent)
        if username:
            self.client.username_pw_set(username, password)
        if tls_ca:
            self.client.tls_set(ca_certs=tls_ca)
        self.client.reconnect_delay_set(0.1, 0.5)
        topics_qos = [(t, 1) for t in topics]
        self.client.on_connect = lambda c, u, f, rc, p=None: (c.subscribe(topics_qos), None)
        self.client.on_subscribe = lambda c, u, mid, rcs, p=None: self.ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, 10)
        self.client.loop_start()
        assert self.ready.wait(5), "subscriber did not subscribe"

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, message.payload, bool(message.retain)))

    def topic(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.messages if t == topic]

    def wait_for(self, predicate, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if predicate(list(self.messages)):
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publish(port: int, topic: str, payload: bytes, retain: bool = False, **auth) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{free_port()}")
    if auth:
        client.username_pw_set(auth["username"], auth["password"])
    client.connect("127.0.0.1", port, 10)
    client.loop_start()
    client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def make_ca(workdir: Path, name: str = "ca") -> dict[str, str]:
    """A test CA and a server certificate for 127.0.0.1, made with the openssl command."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=workdir)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt",
        "-days", "2", "-subj", f"/CN=iotlab test {name}")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-server.key", "-out", f"{name}-server.csr",
        "-subj", "/CN=127.0.0.1")
    (workdir / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", f"{name}-server.csr", "-CA", f"{name}.crt", "-CAkey", f"{name}.key",
        "-CAcreateserial", "-out", f"{name}-server.crt", "-days", "2", "-extfile", "san.ext")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-client.key", "-out", f"{name}-client.csr",
        "-subj", "/CN=iotlab-student")
    run("x509", "-req", "-in", f"{name}-client.csr", "-CA", f"{name}.crt", "-CAkey", f"{name}.key",
        "-CAcreateserial", "-out", f"{name}-client.crt", "-days", "2")
    return {"ca": str(workdir / f"{name}.crt"), "cert": str(workdir / f"{name}-server.crt"),
            "key": str(workdir / f"{name}-server.key"), "client_cert": str(workdir / f"{name}-client.crt"),
            "client_key": str(workdir / f"{name}-client.key")}
