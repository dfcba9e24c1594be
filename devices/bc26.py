"""Quectel BC26 NB-IoT module: MQTT over NB-IoT.

``AT+QMTOPEN``/``AT+QMTCONN`` open a real MQTT session to the broker named (``devices.netclient``);
subscribe, publish (the payload inline or after a ``>`` prompt, ended with Ctrl+Z), and what the
broker sends comes back as URCs. What it shares with BC95 and RM500Q: ``devices.quectel``.
"""

from __future__ import annotations

from .at import SILENT, ATError, at_command
from .netclient import MqttSession, TcpSession
from .quectel import QUECTEL, QuectelModem


class BC26(QuectelModem):
    """Quectel BC26 NB-IoT module: MQTT over NB-IoT (QMT commands) with real broker sessions."""
    TITLE = "Quectel BC26 NB-IoT module (MQTT)"
    TITLE_ZH = "移远 BC26 NB-IoT 模块 (MQTT)"
    MODEL = "BC26"
    REVISION = "BC26NBR01A10"
    DIALECT = QUECTEL
    MAX_LINKS = 6

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.mq: dict[int, dict] = {}

    @at_command("&W", "exec")
    def _save(self, call):
        self.save()

    @at_command("+QRST", "set")
    def _qrst(self, call):
        call.count(1)
        call.int(0, 1, 1)
        return self.restart("OK", 0.1)

    @at_command("+CESQ", "exec")
    def _cesq(self, call):
        rsrp, snr = self.signal()
        if self.nv["cfun"] != 1 or not self.in_coverage(snr):
            return "+CESQ: 99,99,255,255,255,255"
        rsrp_code = max(0, min(97, int(rsrp + 141)))
        rsrq_code = max(0, min(34, int((-10.8 + 19.5) * 2)))
        return f"+CESQ: 99,99,255,255,{rsrq_code},{rsrp_code}"

    def on_detached(self) -> None:
        for link_id in list(self.mq):
            self._mq_lost(link_id, urc=True)

    def power_lost(self) -> None:
        for link in list(self.mq):
            self._mq_lost(link, urc=False)
        super().power_lost()

    # -- MQTT ------------------------------------------------------------------------------------------
    def _link(self, call) -> int:
        return call.int(0, 0, self.MAX_LINKS - 1)

    @at_command("+QMTOPEN", "query")
    def _qmtopen_q(self, call):
        return [f'+QMTOPEN: {i},"{s["host"]}",{s["port"]}' for i, s in sorted(self.mq.items())]

    @at_command("+QMTOPEN", "set")
    def _qmtopen(self, call):
        call.count(3)
        link = self._link(call)
        host = call.str(1, max_len=100, min_len=1, quoted=True)
        port = call.int(2, 1, 65535)
        if link in self.mq:
            self.at.spawn(self._urc_later(f"+QMTOPEN: {link},2"))
            return None
        self.mq[link] = {"host": host, "port": port, "state": 1, "session": None}
        self.at.spawn(self._qmtopen_run(link, host, port))
        return None

    def _urc_later(self, line: str):
        yield self.sim.env.timeout(0.01)
        self.at.urc(line)

    def _qmtopen_run(self, link: int, host: str, port: int):
        if self.cell is None:
            yield self.sim.env.timeout(1.0)
            self.mq.pop(link, None)
            self.at.urc(f"+QMTOPEN: {link},3")
            return
        probe = TcpSession(self, self.path(), self.cell, host, port, lambda d: None, lambda r: None)
        failure = yield from probe.connect()
        probe.close()
        if failure is not None:
            self.mq.pop(link, None)
            self.at.urc(f"+QMTOPEN: {link},{4 if failure == 'dns' else -1}")
            return
        if link in self.mq:
            self.mq[link]["state"] = 2
            self.at.urc(f"+QMTOPEN: {link},0")

    @at_command("+QMTCONN", "query")
    def _qmtconn_q(self, call):
        return [f"+QMTCONN: {i},{s['state']}" for i, s in sorted(self.mq.items())]

    @at_command("+QMTCONN", "set")
    def _qmtconn(self, call):
        call.count(2, 4)
        link = self._link(call)
        client = call.str(1, max_len=128, min_len=1, quoted=True)
        user = call.str(2, max_len=256, quoted=True) if call.has(2) else ""
        pwd = call.str(3, max_len=256, quoted=True) if call.has(3) else ""
        state = self.mq.get(link)
        if state is None or state["state"] != 2:
            raise ATError("state")
        self.at.spawn(self._qmtconn_run(link, client, user, pwd))
        return None

    def _qmtconn_run(self, link: int, client: str, user: str, pwd: str):
        state = self.mq[link]
        session = MqttSession(self, self.path(), self.cell, state["host"], state["port"], client_id=client,
                              username=user, password=pwd,
                              on_message=lambda t, p, link=link: self._mq_message(link, t, p),
                              on_closed=lambda why, link=link: self._mq_lost(link, urc=True))
        rc = yield from session.connect()
        if link not in self.mq:
            session.close()
            return
        if rc == 0:
            state["session"], state["state"], state["msgid"] = session, 3, 0
            self.at.urc(f"+QMTCONN: {link},0,0")
        elif isinstance(rc, int):
            self.at.urc(f"+QMTCONN: {link},0,{min(rc, 5)}")
        else:
            self.at.urc(f"+QMTCONN: {link},2")
            self._mq_lost(link, urc=True)

    def _session(self, link: int) -> MqttSession:
        state = self.mq.get(link)
        if state is None or state.get("session") is None:
            raise ATError("state")
        return state["session"]

    def _mq_message(self, link: int, topic: str, payload: bytes) -> None:
        self.at.send(f'\r\n+QMTRECV: {link},0,"{topic}","'.encode() + payload + b'"\r\n')

    def _mq_lost(self, link: int, urc: bool) -> None:
        state = self.mq.pop(link, None)
        if state is None:
            return
        if state.get("session") is not None:
            state["session"].close()
        if urc:
            self.at.urc(f"+QMTSTAT: {link},1")

    def _topic_args(self, call, n: int) -> tuple[int, int, str]:
        """Link, message id and topic of QMTSUB and QMTUNS (``n`` arguments in all)."""
        call.count(n)
        link = self._link(call)
        msgid = call.int(1, 1, 65535)
        topic = call.str(2, max_len=256, min_len=1, quoted=True)
        return link, msgid, topic

    @at_command("+QMTSUB", "set")
    def _qmtsub(self, call):
        link, msgid, topic = self._topic_args(call, 4)
        qos = call.int(3, 0, 2)
        session = self._session(link)
        self.at.spawn(self._qmtsub_run(session, link, msgid, topic, qos))
        return None

    def _qmtsub_run(self, session, link, msgid, topic, qos):
        granted = yield from session.subscribe(topic, qos)
        if granted is None or granted == 128:
            self.at.urc(f"+QMTSUB: {link},{msgid},2")
        else:
            self.at.urc(f"+QMTSUB: {link},{msgid},0,{granted}")

    @at_command("+QMTUNS", "set")
    def _qmtuns(self, call):
        link, msgid, topic = self._topic_args(call, 3)
        session = self._session(link)
        self.at.spawn(self._qmtuns_run(session, link, msgid, topic))
        return None

    def _qmtuns_run(self, session, link, msgid, topic):
        ok = yield from session.unsubscribe(topic)
        self.at.urc(f"+QMTUNS: {link},{msgid},{0 if ok else 2}")

    @at_command("+QMTPUB", "set")
    def _qmtpub(self, call):
        n = call.count(5, 6)
        link = self._link(call)
        qos = call.int(2, 0, 2)
        msgid = call.int(1, 0, 0) if qos == 0 else call.int(1, 1, 65535)
        retain = call.int(3, 0, 1)
        topic = call.str(4, max_len=256, min_len=1, quoted=True)
        payload = call.str(5, max_len=1024, quoted=True).encode("latin-1") if n == 6 else None
        session = self._session(link)
        return self._qmtpub_run(session, link, msgid, qos, bool(retain), topic, payload)

    def _qmtpub_run(self, session, link, msgid, qos, retain, topic, payload):
        if payload is None:
            payload = yield self.at.read_data(ctrl_z=True)
            if payload is None:                           # ESC: cancelled
                return SILENT
        self.at.spawn(self._publish(session, link, msgid, qos, retain, topic, payload))
        return None

    def _publish(self, session, link, msgid, qos, retain, topic, payload):
        ok = yield from session.publish(topic, payload, qos, retain)
        self.at.urc(f"+QMTPUB: {link},{msgid},{0 if ok else 2}")

    @at_command("+QMTDISC", "set")
    @at_command("+QMTCLOSE", "set")
    def _qmtend(self, call):
        """Disconnect from the broker or close the network link: both end the link's session."""
        call.count(1)
        link = self._link(call)
        if link not in self.mq:
            raise ATError("state")
        self._mq_lost(link, urc=False)
        self.at.final("OK")
        self.at.urc(f"{call.name}: {link},0")
        return SILENT
