"""Trace records to MQTT messages, in the three payload formats, and commands back.

native         iotlab/<lab>/<device>/telemetry | event | status (retained) | cmd -> cmd/result
thingsboard    the ThingsBoard gateway API: v1/gateway/connect, telemetry, attributes, rpc
homeassistant  native topics plus retained discovery configs under homeassistant/
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from ..reference import unit_of
from ..trace import SAMPLE_META
from .outbox import Message

EVENT_KINDS = ("event", "alarm")
META = ("t", "src", "kind")
#: Home Assistant device classes by reading name.
HA_CLASSES = {"temperature_c": "temperature", "humidity_rh": "humidity", "illuminance_lux": "illuminance",
              "co2_ppm": "carbon_dioxide"}
HA_BINARY = {"motion": "motion"}


def _json(value: Any) -> bytes:
    return orjson.dumps(value)


def plain_id(value: Any) -> bool:
    """A request id the bridge will echo: a number or short text (nothing nested)."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                             and abs(value) < 2 ** 53) or (isinstance(value, str) and len(value) <= 100)


class Command:
    """A request parsed from the broker: the inbox action (a device command by default), its target,
    its arguments, and how to answer."""

    def __init__(self, device: str, name: str, args: dict, answer, action: str = "command") -> None:
        self.device, self.name, self.args, self.answer, self.action = device, name, args, answer, action

    @property
    def message_args(self) -> dict:
        return {"name": self.name, "args": self.args} if self.action == "command" else self.args


#: The lab-wide topics under ``iotlab/<lab>/$sim/`` (every format): a fault in or out, a student's answer,
#: firmware for a board.
SIM_TOPICS = ("fault", "answer", "flash")


def sim_request(base: str, topic: str, payload: bytes) -> "Command | Message":
    """A Command for ``$sim/fault`` ({"action": "inject"|"clear", "target", "fault", "params"}) or
    ``$sim/answer`` ({"task", "text"}) or ``$sim/flash`` ({"target", "source", "name"}), or the error reply
    for a bad one."""
    what = topic.rsplit("/", 1)[1]
    reply_topic, request_id = f"{topic}/result", None

    def answer(result: dict) -> Message:
        body = {"id": request_id, **result} if request_id is not None else result
        return (reply_topic, _json(body), False, "$sim", 0)
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return answer({"ok": False, "error": f"the request is not JSON ({exc})"})
    if not isinstance(body, dict) or not plain_id(body.get("id")):
        return answer({"ok": False, "error": "a request is a JSON object with an optional id (number or short text)"})
    request_id = body.get("id")
    if what == "flash":
        target, source, name = body.get("target"), body.get("source"), body.get("name", "main.py")
        if not isinstance(target, str) or not isinstance(source, str) or not isinstance(name, str):
            return answer({"ok": False, "error": 'a flash request is {"target": BOARD, "source": PYTHON TEXT, '
                                                 '"name": FILE NAME}'})
        return Command(target, "flash", {"source": source, "name": name}, answer, action="flash")
    if what == "answer":
        return Command("$sim", "answer", {"task": body.get("task"), "text": body.get("text")}, answer,
                       action="answer")
    action, target, fault = body.get("action"), body.get("target"), body.get("fault")
    params = body.get("params", {})
    if action not in ("inject", "clear") or not isinstance(target, str) or not isinstance(fault, str) \
            or not isinstance(params, dict):
        return answer({"ok": False, "error": 'a fault request is {"action": "inject"|"clear", "target": DEVICE '
                                             'or DEVICE.PORT, "fault": NAME, "params": {...}}'})
    return Command(target, fault, {"fault": fault, **params}, answer, action=f"fault.{action}")


class NativeFormat:
    name = "native"

    def __init__(self, lab: str, devices: list[dict]) -> None:
        self.lab = lab
        self.base = f"iotlab/{lab}"
        self.devices = {d["id"]: d for d in devices}
        self._seq: dict[str, int] = {}

    # -- numbering ------------------------------------------------------------------------
    def next_seq(self, device: str) -> int:
        n = self._seq.get(device, 0) + 1
        self._seq[device] = n
        return n

    @property
    def sequences(self) -> dict[str, int]:
        """The last sequence number given to each device's messages."""
        return dict(self._seq)

    # -- topics -----------------------------------------------------------------------------
    def status_topic(self, device: str) -> str:
        return f"{self.base}/{device}/status"

    @property
    def will_topic(self) -> str:
        return f"{self.base}/$sim/status"

    def startup(self) -> list[Message]:
        out = [(self.will_topic, b"online", True, "$sim", 0)]
        out += [(self.status_topic(d), b"online", True, d, 0) for d in self.devices]
        return out

    def shutdown(self) -> list[Message]:
        out = [(self.status_topic(d), b"offline", True, d, 0) for d in self.devices]
        return out + [(self.will_topic, b"offline", True, "$sim", 0)]

    def messages(self, record: dict) -> list[Message]:
        kind, src = record["kind"], record["src"]
        if kind == "sample":
            seq = self.next_seq(src)
            body = {"t": record["t"], "seq": seq}
            body.update((k, v) for k, v in record.items() if k not in META)
            return [(f"{self.base}/{src}/telemetry", _json(body), False, src, seq)]
        if kind in EVENT_KINDS or (kind == "state" and record.get("state") == "config"):
            seq = self.next_seq(src)
            body = {"t": record["t"], "seq": seq, "kind": kind}
            body.update((k, v) for k, v in record.items() if k not in META)
            return [(f"{self.base}/{src}/event", _json(body), False, src, seq)]
        if kind == "state" and record.get("state") in ("online", "offline") and src in self.devices:
            return [(self.status_topic(src), record["state"].encode(), True, src, 0)]
        return []

    # -- commands -----------------------------------------------------------------------------
    @property
    def command_subscriptions(self) -> list[str]:
        return [f"{self.base}/+/cmd"]

    def command(self, topic: str, payload: bytes) -> Command | Message:
        """A Command, or the error reply (a message) for a bad one."""
        device = topic[len(self.base) + 1:].rsplit("/", 1)[0]
        reply_topic = f"{self.base}/{device}/cmd/result"
        request_id = None

        def answer(result: dict) -> Message:
            body = {"id": request_id, **result} if request_id is not None else result
            return (reply_topic, _json(body), False, device, 0)
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            return answer({"ok": False, "error": f"the command is not JSON ({exc}); send "
                                                 '{"name": COMMAND, "args": {...}}'})
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return answer({"ok": False, "error": 'a command is {"name": COMMAND, "args": {...}, "id": optional}'})
        if not plain_id(body.get("id")):
            return answer({"ok": False, "error": "id must be a number or text of at most 100 characters"})
        request_id = body.get("id")
        args = body.get("args", {})
        if not isinstance(args, dict):
            return answer({"ok": False, "error": "args must be a JSON object"})
        return Command(device, body["name"], args, answer)

    def too_big(self, topic: str, size: int) -> Message | None:
        """The error answer for a command over the size cap."""
        device = topic[len(self.base) + 1:].rsplit("/", 1)[0]
        return (f"{self.base}/{device}/cmd/result",
                _json({"ok": False, "error": f"the command is {size} bytes; commands are at most 4096 bytes"}),
                False, device, 0)


class ThingsBoardFormat(NativeFormat):
    """ThingsBoard's gateway API; device names are ``<lab>.<device>`` so a class can share a tenant."""
    name = "thingsboard"

    def __init__(self, lab: str, devices: list[dict]) -> None:
        super().__init__(lab, devices)
        self.epoch_ms = int(time.time() * 1000)     # simulated second 0 is the moment the run started

    def tb_name(self, device: str) -> str:
        return f"{self.lab}.{device}"

    def startup(self) -> list[Message]:
        out = [(self.will_topic, b"online", True, "$sim", 0)]
        for d, info in self.devices.items():
            out.append(("v1/gateway/connect", _json({"device": self.tb_name(d), "type": info.get("type", "")}),
                        False, d, 0))
            out.append(("v1/gateway/attributes", _json({self.tb_name(d): {"status": "online"}}), False, d, 0))
        return out

    def shutdown(self) -> list[Message]:
        out = [("v1/gateway/attributes", _json({self.tb_name(d): {"status": "offline"}}), False, d, 0)
               for d in self.devices]
        out += [("v1/gateway/disconnect", _json({"device": self.tb_name(d)}), False, d, 0) for d in self.devices]
        return out + [(self.will_topic, b"offline", True, "$sim", 0)]

    def messages(self, record: dict) -> list[Message]:
        kind, src = record["kind"], record["src"]
        ts = self.epoch_ms + int(record["t"] * 1000)
        if kind == "sample" or kind in EVENT_KINDS:
            seq = self.next_seq(src)
            values = {"seq": seq, **{k: v for k, v in record.items() if k not in META}}
            if kind != "sample":
                values["event"] = kind
            return [("v1/gateway/telemetry", _json({self.tb_name(src): [{"ts": ts, "values": values}]}),
                     False, src, seq)]
        if kind == "state" and record.get("state") in ("online", "offline") and src in self.devices:
            return [("v1/gateway/attributes", _json({self.tb_name(src): {"status": record["state"]}}),
                     False, src, 0)]
        return []

    @property
    def command_subscriptions(self) -> list[str]:
        return ["v1/gateway/rpc"]

    def too_big(self, topic: str, size: int) -> None:
        return None                       # an oversized RPC cannot be read to know whose it is

    def command(self, topic: str, payload: bytes) -> Command | Message | None:
        """An RPC request; None for anything else on v1/gateway/rpc (our own replies come back there too)."""
        try:
            body = orjson.loads(payload)
            name, data = body["device"], body["data"]
            request_id, method, params = data["id"], data["method"], data.get("params", {})
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None
        if not isinstance(name, str) or not name.startswith(self.lab + ".") or not plain_id(request_id):
            return None                   # another lab's device (a class shares the broker), or not an RPC
        device = name[len(self.lab) + 1:]

        def answer(result: dict) -> Message:
            return ("v1/gateway/rpc", _json({"device": name, "id": request_id, "data": result}), False, device, 0)
        if not isinstance(method, str) or not isinstance(params, dict):
            return answer({"ok": False, "error": "method must be text and params an object"})
        return Command(device, method, params, answer)


class HomeAssistantFormat(NativeFormat):
    """Native topics, plus a retained discovery config per reading the first time a device reports it."""
    name = "homeassistant"

    def __init__(self, lab: str, devices: list[dict]) -> None:
        super().__init__(lab, devices)
        self._announced: set[str] = set()

    def messages(self, record: dict) -> list[Message]:
        out = []
        src = record["src"]
        if record["kind"] == "sample" and src not in self._announced:
            self._announced.add(src)
            out += self.discovery(src, [k for k in record if k not in SAMPLE_META])
        return out + super().messages(record)

    def discovery(self, device: str, fields: list[str]) -> list[Message]:
        info = self.devices.get(device, {})
        out = []
        for field in fields:
            component = "binary_sensor" if field in HA_BINARY else "sensor"
            uid = f"iotlab_{self.lab}_{device}_{field}"       # ids are [A-Za-z0-9_-]: no clashes
            config = {
                "name": field, "unique_id": uid, "object_id": uid,
                "state_topic": f"{self.base}/{device}/telemetry",
                "value_template": f"{{{{ value_json.{field} }}}}",
                "availability": [{"topic": self.status_topic(device)}, {"topic": self.will_topic}],
                "availability_mode": "all",
                "payload_available": "online", "payload_not_available": "offline",
                "device": {"identifiers": [f"iotlab_{self.lab}_{device}"],
                           "name": f"{device} ({self.lab})", "model": info.get("type", ""),
                           "manufacturer": "iotlab"},
            }
            if component == "binary_sensor":
                config.update(payload_on="1", payload_off="0", device_class=HA_BINARY[field])
            else:
                if unit_of(field):
                    config["unit_of_measurement"] = unit_of(field).replace("%RH", "%")
                if field in HA_CLASSES:
                    config["device_class"] = HA_CLASSES[field]
                config["state_class"] = "measurement"
            out.append((f"homeassistant/{component}/{uid}/config", _json(config), True, device, 0))
        return out


def make_format(name: str, lab: str, devices: list[dict]) -> NativeFormat:
    classes = {"native": NativeFormat, "thingsboard": ThingsBoardFormat, "homeassistant": HomeAssistantFormat}
    return classes[name](lab, devices)
