"""The ESP8266's TCP/IP commands (``devices.esp8266``): one TCP or UDP connection to a real host
(``AT+CIPSTART``), data sent after a ``>`` prompt (``AT+CIPSEND=<n>``) or passed through
(``AT+CIPMODE=1``, left with ``+++``), what the host sends as ``+IPD``.
"""

from __future__ import annotations

from .at import SILENT, ATError, Reply, at_command
from .netclient import TcpSession, UdpSession


class EspTcp:
    """Mixed into ``Esp8266``: its single connection (``AT+CIPMUX=0``)."""

    def _clear_tcp(self) -> None:
        self.tcp: TcpSession | UdpSession | None = None
        self.link_type = ""
        self.remote = ("", 0)
        self.closed_once = False
        self.cipmode = 0
        self.passthrough = False

    def _status(self) -> int:
        if self.ap is None:
            return 5
        if self.tcp is not None:
            return 3
        return 4 if self.closed_once else 2

    @at_command("+CIPSTATUS", "exec")
    def _cipstatus(self, call):
        lines = [f"STATUS:{self._status()}"]
        if self.tcp is not None:
            local = getattr(self.tcp, "local_port", 0) or 0
            lines.append(f'+CIPSTATUS:0,"{self.link_type}","{self.remote[0]}",{self.remote[1]},{local},0')
        return lines

    @at_command("+CIPMUX", "query", "set")
    def _cipmux(self, call):
        if call.form == "query":
            return "+CIPMUX:0"
        call.count(1)
        call.int(0, 0, 0)          # one connection at a time: multiple connections are not modelled

    @at_command("+CIPMODE", "query", "set")
    def _cipmode(self, call):
        if call.form == "query":
            return f"+CIPMODE:{self.cipmode}"
        call.count(1)
        self.cipmode = call.int(0, 0, 1)

    @at_command("+CIPSTART", "set")
    def _cipstart(self, call):
        call.count(3, 4)
        kind = call.choice(0, ["TCP", "UDP"])
        host = call.str(1, max_len=64, min_len=1, quoted=True)
        port = call.int(2, 1, 65535)
        if call.has(3):
            call.int(3, 0, 7200)
        if self.tcp is not None:
            return Reply(["ALREADY CONNECTED"], "ERROR")
        if self.ap is None:
            return Reply(["no ip"], "ERROR")
        return self._cipstart_run(kind, host, port)

    def _cipstart_run(self, kind: str, host: str, port: int):
        path = self._path()
        if kind == "UDP":
            problem = self.ap.internet_problem(host)
            if problem == "dns":
                yield self.sim.env.timeout(2.0)
                return Reply(["DNS Fail"], "ERROR")
            session = UdpSession(self, path, self.ap, lambda data, h, p: self._incoming(data))
            session.remote = (host, port)
            self.tcp, self.link_type, self.remote = session, "UDP", (host, port)
            return Reply(["CONNECT"], "OK")
        session = TcpSession(self, path, self.ap, host, port, self._incoming, self._tcp_closed)
        failure = yield from session.connect()
        if failure == "dns":
            return Reply(["DNS Fail"], "ERROR")
        if failure is not None:
            return Reply(["ERROR"], "CLOSED")
        self.tcp, self.link_type, self.remote = session, "TCP", (host, port)
        self.closed_once = False
        return Reply(["CONNECT"], "OK")

    def _incoming(self, data: bytes) -> None:
        if self.passthrough:
            self.at.send(data)
        else:
            self.at.send(b"\r\n+IPD," + str(len(data)).encode() + b":" + data)

    def _tcp_closed(self, reason: str) -> None:
        self.tcp = None
        self.closed_once = True
        if self.passthrough:
            self.at.leave_transparent()
        self.at.urc("CLOSED")
        self.emit("state", state="tcp_closed", reason=reason)

    @at_command("+CIPSEND", "set", "exec")
    def _cipsend(self, call):
        if call.form == "exec":
            if self.cipmode != 1 or self.tcp is None:
                raise ATError("state")
            return self._passthrough()
        call.count(1)
        n = call.int(0, 1, 2048)
        if self.tcp is None:
            return Reply(["link is not valid"], "ERROR")
        if self.cipmode == 1:
            raise ATError("state")
        return self._cipsend_run(n)

    def _cipsend_run(self, n: int):
        self.at.final("OK")
        data = yield self.at.read_data(length=n)
        self.at.send(f"\r\nRecv {n} bytes\r\n")
        session = self.tcp
        if session is None:
            return Reply([], "SEND FAIL")
        ok = yield from self._send(session, data)
        return Reply([], "SEND OK" if ok else "SEND FAIL")

    def _send(self, session, data: bytes):
        if isinstance(session, UdpSession):
            return (yield from session.send(data, *session.remote))
        return (yield from session.send(data))

    def _passthrough(self):
        self.at.final("OK")
        self.at.send("\r\n>")
        self.passthrough = True
        session = self.tcp

        def forward(chunk: bytes) -> None:
            if self.tcp is session and session is not None:
                self.sim.env.process(self._send(session, chunk))
        try:
            yield self.at.transparent(forward, guard_s=1.0, pack_s=0.02)
        finally:
            self.passthrough = False
        return SILENT

    @at_command("+CIPCLOSE", "exec")
    def _cipclose(self, call):
        if self.tcp is None:
            raise ATError("state")
        self.tcp.close()
        self.tcp = None
        self.closed_once = True
        return Reply(["CLOSED"], "OK")
