"""Talking to a running lab over MQTT: publish a request on one of its ``$sim`` topics, wait for the answer."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid

DEFAULT_URL = "mqtt://" + os.environ.get("IOTLAB_MQTT_LOCAL", "127.0.0.1:1883")


class RemoteError(Exception):
    """The lab could not be reached or did not answer; the message says what to check."""


def request(url: str | None, lab: str, what: str, body: dict, timeout_s: float = 5.0) -> dict:
    """Publish ``body`` (with a fresh id) on ``iotlab/<lab>/$sim/<what>`` and return the lab's answer
    from ``.../<what>/result``."""
    import orjson
    import paho.mqtt.client as mqtt

    from ..mqtt.config import parse_url, tls_context

    try:
        config = parse_url(url or DEFAULT_URL)
    except ValueError as exc:
        raise RemoteError(str(exc)) from None
    topic = f"iotlab/{lab}/$sim/{what}"
    request_id = uuid.uuid4().hex[:12]
    got: dict = {}
    done, subscribed = threading.Event(), threading.Event()

    def on_message(client, userdata, message):
        try:
            answer = orjson.loads(message.payload)
        except orjson.JSONDecodeError:
            return
        if isinstance(answer, dict) and answer.get("id") == request_id:
            got.update(answer)
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"iotlab-cli-{request_id}")
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls:
        client.tls_set_context(tls_context(config))
    client.on_message = on_message
    client.on_subscribe = lambda *a, **k: subscribed.set()
    try:
        client.connect(config.host, config.port, keepalive=30)
    except OSError as exc:
        raise RemoteError(f"cannot reach the broker at {config.url()}: {exc.strerror or exc}; "
                          "give the lab's broker with --mqtt URL (the run prints it)") from None
    client.loop_start()
    try:
        client.subscribe(topic + "/result", qos=1)
        if not subscribed.wait(timeout_s):
            raise RemoteError(f"the broker at {config.url()} did not confirm the subscription")
        client.publish(topic, orjson.dumps({**body, "id": request_id}), qos=1).wait_for_publish(timeout_s)
        deadline = time.monotonic() + timeout_s
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise RemoteError(f"no answer from lab {lab!r} on {config.url()} within {timeout_s:g} s: is it "
                              "running, with MQTT on that broker and that lab id?")
    finally:
        client.loop_stop()
        client.disconnect()
    got.pop("id", None)
    return got


def ask(command: str, args, what: str, body: dict, refusal: str = "the lab refused it: ") -> dict | int:
    """``request`` for a command's ``main``: the lab's answer, or the exit code after printing why not
    (1: the lab could not be reached, 2: it refused)."""
    try:
        answer = request(args.mqtt, args.lab, what, body, args.timeout)
    except RemoteError as exc:
        print(f"iotlab {command}: {exc}", file=sys.stderr)
        return 1
    if not answer.get("ok"):
        print(f"iotlab {command}: {refusal}{answer.get('error', answer)}", file=sys.stderr)
        return 2
    return answer
