"""The ESP8266's MQTT commands (ESP-AT 2.x command set, ``devices.esp8266``): one real MQTT session with
a broker (``devices.netclient``); what the broker sends comes as ``+MQTTSUBRECV``.
"""

from __future__ import annotations

from .at import ATError, Reply, at_command
from .netclient import MqttSession


class EspMqtt:
    """Mixed into ``Esp8266``: its MQTT client (link id 0, MQTT over plain TCP)."""

    def _clear_mqtt(self) -> None:
        self.mqtt_cfg: dict | None = None
        self.mqtt: MqttSession | None = None
        self.mqtt_target = ("", 0, 0)
        self.subs: dict[str, int] = {}

    @at_command("+MQTTUSERCFG", "set", "query")
    def _mqtt_usercfg(self, call):
        if call.form == "query":
            cfg = self.mqtt_cfg
            if cfg is None:
                return None
            return (f'+MQTTUSERCFG:0,{cfg["scheme"]},"{cfg["client_id"]}","{cfg["username"]}",'
                    f'"{cfg["password"]}",0,0,"{cfg["path"]}"')
        call.count(8)
        call.int(0, 0, 0)
        scheme = call.int(1, 1, 10)
        client_id = call.str(2, max_len=256, min_len=1, quoted=True)
        username = call.str(3, max_len=64, quoted=True) if call.quoted[3] else ""
        password = call.str(4, max_len=64, quoted=True) if call.quoted[4] else ""
        call.int(5, 0, 0), call.int(6, 0, 0)
        path = call.str(7, max_len=32, quoted=True) if call.quoted[7] else ""
        if scheme != 1:                       # only MQTT over plain TCP is modelled
            raise ATError("range")
        if self.mqtt is not None:
            raise ATError("state")
        self.mqtt_cfg = {"scheme": scheme, "client_id": client_id, "username": username, "password": password,
                         "path": path, "state": 1}

    @at_command("+MQTTCONN", "query")
    def _mqttconn_q(self, call):
        cfg = self.mqtt_cfg
        if cfg is None:
            return '+MQTTCONN:0,0,0,"","","",0'
        host, port, reconnect = self.mqtt_target
        return f'+MQTTCONN:0,{cfg["state"]},{cfg["scheme"]},"{host}","{port}","{cfg["path"]}",{reconnect}'

    @at_command("+MQTTCONN", "set")
    def _mqttconn(self, call):
        call.count(4)
        call.int(0, 0, 0)
        host = call.str(1, max_len=128, min_len=1, quoted=True)
        port = call.int(2, 1, 65535)
        reconnect = call.int(3, 0, 1)
        if self.mqtt_cfg is None or self.mqtt is not None or self.ap is None:
            raise ATError("state")
        return self._mqttconn_run(host, port, reconnect)

    def _mqttconn_run(self, host: str, port: int, reconnect: int):
        cfg = self.mqtt_cfg
        session = MqttSession(self, self._path(), self.ap, host, port, client_id=cfg["client_id"],
                              username=cfg["username"], password=cfg["password"],
                              on_message=self._mqtt_message, on_closed=self._mqtt_closed)
        rc = yield from session.connect()
        if rc != 0:
            self.emit("state", state="mqtt_failed", host=host, port=port, reason=str(rc))
            cfg["state"] = 3
            return Reply([], "ERROR")
        self.mqtt, self.mqtt_target = session, (host, port, reconnect)
        self.subs = {}
        cfg["state"] = 4
        self.emit("state", state="mqtt_connected", host=host, port=port)
        return Reply([f'+MQTTCONNECTED:0,{cfg["scheme"]},"{host}","{port}","{cfg["path"]}",{reconnect}'], "OK")

    def _mqtt_message(self, topic: str, payload: bytes) -> None:
        head = f'+MQTTSUBRECV:0,"{topic}",{len(payload)},'.encode()
        self.at.send(head + payload + b"\r\n")

    def _mqtt_closed(self, reason: str) -> None:
        self.mqtt = None
        if self.mqtt_cfg is not None:
            self.mqtt_cfg["state"] = 3
        self.at.urc("+MQTTDISCONNECTED:0")
        self.emit("state", state="mqtt_closed", reason=reason)

    def _topic(self, call, n: int) -> str:
        """The topic of MQTTSUB, MQTTUNSUB and MQTTPUB (``n`` arguments in all, the first the link id 0)."""
        call.count(n)
        call.int(0, 0, 0)
        return call.str(1, max_len=128, min_len=1, quoted=True)

    def _need_session(self) -> None:
        if self.mqtt is None:
            raise ATError("state")

    @at_command("+MQTTSUB", "query")
    def _mqttsub_q(self, call):
        state = 6 if self.subs else (4 if self.mqtt else 0)
        return [f'+MQTTSUB:0,{state},"{t}",{q}' for t, q in self.subs.items()]

    @at_command("+MQTTSUB", "set")
    def _mqttsub(self, call):
        topic = self._topic(call, 3)
        qos = call.int(2, 0, 2)
        self._need_session()
        if topic in self.subs:
            return Reply(["ALREADY SUBSCRIBE"], "OK")
        return self._mqttsub_run(topic, qos)

    def _mqttsub_run(self, topic: str, qos: int):
        granted = (yield from self.mqtt.subscribe(topic, qos)) if self.mqtt else None
        if granted is None or granted == 128:
            return Reply([], "ERROR")
        self.subs[topic] = qos
        if self.mqtt_cfg is not None:
            self.mqtt_cfg["state"] = 6
        return None

    @at_command("+MQTTUNSUB", "set")
    def _mqttunsub(self, call):
        topic = self._topic(call, 2)
        self._need_session()
        if topic not in self.subs:
            return Reply(["NO UNSUBSCRIBE"], "OK")
        return self._mqttunsub_run(topic)

    def _mqttunsub_run(self, topic: str):
        ok = (yield from self.mqtt.unsubscribe(topic)) if self.mqtt else False
        if not ok:
            return Reply([], "ERROR")
        self.subs.pop(topic, None)
        return None

    @at_command("+MQTTPUB", "set")
    def _mqttpub(self, call):
        topic = self._topic(call, 5)
        data = call.str(2, max_len=256, quoted=True)
        qos = call.int(3, 0, 2)
        retain = call.int(4, 0, 1)
        self._need_session()
        return self._mqttpub_run(topic, data.encode("latin-1"), qos, bool(retain))

    def _mqttpub_run(self, topic: str, payload: bytes, qos: int, retain: bool):
        ok = (yield from self.mqtt.publish(topic, payload, qos, retain)) if self.mqtt else False
        return None if ok else Reply([], "ERROR")

    @at_command("+MQTTCLEAN", "set")
    def _mqttclean(self, call):
        call.count(1)
        call.int(0, 0, 0)
        if self.mqtt is not None:
            self.mqtt.close()
            self.mqtt = None
        self.mqtt_cfg = None
        self.subs = {}
