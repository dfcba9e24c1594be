"""Quectel RM500Q-style 5G module (or the modem of a 5G CPE): status commands and TCP sockets over a
5G NR standalone cell.

It attaches by itself to the strongest 5G cell (a ``base_station`` with ``rat: nr5g``), and
reports it as the real module does: ``AT+QENG="servingcell"`` (RSRP, RSRQ, SINR, band, ARFCN,
PCI, TAC), ``AT+QNWINFO``, ``AT+COPS?``, ``AT+C5GREG?``, ``AT+CSQ``. The link is fast: RRC set-up
in 20 ms, a rate from the SINR (Shannon over 100 MHz, at most 2 Gbit/s) and 1 ms scheduling.
``AT+QIOPEN``/``AT+QISEND``/``AT+QIRD``/``AT+QICLOSE`` open real TCP connections to the host named
(access mode 0: buffered, read with QIRD; 1: pushed in the URC).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from .at import SILENT, ATError, Reply, at_command
from .cellular import CellularParams
from .netclient import TcpSession
from .quectel import QUECTEL, QuectelModem

NR_BAUDS = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)
#: Quectel TCP/IP error codes in +QIOPEN.
QI_DNS, QI_CONNECT, QI_USED, QI_PDP = 565, 566, 563, 561


class Rm500qParams(CellularParams):
    baud: Literal[NR_BAUDS] = Field(115200, description="UART speed, bit/s")
    SUPPLY_RANGE_V: ClassVar = (3.3, 4.4)


class RM500Q(QuectelModem):
    """Quectel RM500Q 5G NR module / 5G CPE modem: signal and cell reports, high-rate low-latency TCP."""
    TITLE = "Quectel RM500Q 5G module / 5G CPE modem"
    TITLE_ZH = "移远 RM500Q 5G 模组 / 5G CPE"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 4.4), 900.0
    Params = Rm500qParams
    RAT = "nr5g"
    MODEL = "RM500Q-GL"
    REVISION = "RM500QGLABR11A06M4G"
    DIALECT = QUECTEL
    BOOT_S = (1.0, 0.0)

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.sockets: dict[int, dict] = {}

    def on_reg(self, stat: int) -> None:
        mode = self.nv.get("cereg", 0)
        if mode:
            self.at.urc(f"+C5GREG: {stat}")

    def on_detached(self) -> None:
        for sock_id in list(self.sockets):
            self._closed(sock_id, "the network detached", urc=True)

    def power_lost(self) -> None:
        for sock in self.sockets.values():
            sock["session"].close()
        self.sockets = {}
        super().power_lost()

    # -- status ---------------------------------------------------------------------------------------------
    def _registered(self) -> bool:
        return self.cell is not None

    @at_command("+COPS", "query")
    def _cops(self, call):
        if not self._registered():
            return "+COPS: 0"
        return f'+COPS: 0,0,"{self.cell.p.operator}",12'

    @at_command("+QNWINFO", "exec")
    def _qnwinfo(self, call):
        if not self._registered():
            return '+QNWINFO: No Service'
        c = self.cell.p
        return f'+QNWINFO: "NR5G-SA","{c.plmn}","NR5G BAND 78",{c.earfcn}'

    @at_command("+C5GREG", "query", "set")
    def _c5greg(self, call):
        if call.form == "query":
            return f"+C5GREG: {self.nv['cereg']},{self.reg}"
        call.count(1)
        self.nv["cereg"] = call.int(0, 0, 2)

    @at_command("+QENG", "set")
    def _qeng(self, call):
        call.count(1)
        if call.str(0, quoted=True).lower() != "servingcell":
            raise ATError("range")
        if self.cell is None:
            return '+QENG: "servingcell","SEARCH"'
        rsrp, sinr = self.signal()
        c = self.cell.p
        mcc, mnc = self.cell.mcc_mnc
        state = "CONNECT" if self._state() == "connected" else "NOCONN"
        rsrq = -11
        return (f'+QENG: "servingcell","{state}","NR5G-SA","TDD",{mcc},{mnc},{c.cell_id:X},{c.pci},{c.tac:X},'
                f'{c.earfcn},78,12,{int(round(rsrp))},{rsrq},{int(round(sinr))},1,-')

    # -- TCP sockets --------------------------------------------------------------------------------------------
    @at_command("+QIOPEN", "set")
    def _qiopen(self, call):
        call.count(5, 7)
        call.int(0, 1, 16)
        sock_id = call.int(1, 0, 11)
        call.choice(2, ["TCP"])
        host = call.str(3, max_len=150, min_len=1, quoted=True)
        port = call.int(4, 1, 65535)
        if call.has(5):
            call.int(5, 0, 65535)
        mode = call.int(6, 0, 1, default=0)
        self.at.spawn(self._qiopen_run(sock_id, host, port, mode))
        return None

    def _qiopen_run(self, sock_id: int, host: str, port: int, mode: int):
        if sock_id in self.sockets:
            yield self.sim.env.timeout(0.01)
            self.at.urc(f"+QIOPEN: {sock_id},{QI_USED}")
            return
        if self.cell is None:
            yield self.sim.env.timeout(0.5)
            self.at.urc(f"+QIOPEN: {sock_id},{QI_PDP}")
            return
        session = TcpSession(self, self.path(), self.cell, host, port,
                             lambda data, sid=sock_id: self._data(sid, data),
                             lambda why, sid=sock_id: self._closed(sid, why, urc=True))
        self.sockets[sock_id] = {"session": session, "host": host, "port": port, "mode": mode, "buf": bytearray()}
        failure = yield from session.connect()
        if failure is not None:
            self.sockets.pop(sock_id, None)
            self.at.urc(f"+QIOPEN: {sock_id},{QI_DNS if failure == 'dns' else QI_CONNECT}")
            return
        self.at.urc(f"+QIOPEN: {sock_id},0")

    def _data(self, sock_id: int, data: bytes) -> None:
        sock = self.sockets.get(sock_id)
        if sock is None:
            return
        if sock["mode"] == 1:
            self.at.send(f'\r\n+QIURC: "recv",{sock_id},{len(data)}\r\n'.encode() + data)
        else:
            first = not sock["buf"]
            sock["buf"] += data
            if first:
                self.at.urc(f'+QIURC: "recv",{sock_id}')

    def _closed(self, sock_id: int, reason: str, urc: bool) -> None:
        sock = self.sockets.pop(sock_id, None)
        if sock is None:
            return
        sock["session"].close()
        if urc:
            self.at.urc(f'+QIURC: "closed",{sock_id}')

    def _sock(self, call) -> dict:
        sock = self.sockets.get(call.int(0, 0, 11))
        if sock is None or not sock["session"].open:
            raise ATError("state")
        return sock

    @at_command("+QISEND", "set")
    def _qisend(self, call):
        n = call.count(1, 2)
        sock = self._sock(call)
        length = call.int(1, 1, 1460) if n == 2 else None
        return self._qisend_run(sock, length)

    def _qisend_run(self, sock: dict, length: int | None):
        data = yield self.at.read_data(length=length, ctrl_z=length is None)
        if data is None:
            return SILENT
        ok = yield from sock["session"].send(data)
        return Reply([], "SEND OK" if ok else "SEND FAIL")

    @at_command("+QIRD", "set")
    def _qird(self, call):
        call.count(1, 2)
        sock = self.sockets.get(call.int(0, 0, 11))
        if sock is None:
            raise ATError("state")
        want = call.int(1, 0, 1500, default=1500)
        data = bytes(sock["buf"][:want])
        del sock["buf"][:want]
        self.at.info(f"+QIRD: {len(data)}")
        if data:
            self.at.send(data + b"\r\n")
        return Reply([], "OK")

    @at_command("+QICLOSE", "set")
    def _qiclose(self, call):
        call.count(1, 2)
        sock_id = call.int(0, 0, 11)
        if call.has(1):
            call.int(1, 0, 65535)
        if sock_id not in self.sockets:
            raise ATError("state")
        self._closed(sock_id, "closed", urc=False)

    @at_command("+QISTATE", "query", "exec")
    def _qistate(self, call):
        return [f'+QISTATE: {i},"TCP","{s["host"]}",{s["port"]},{s["session"].local_port},2,1,{i},'
                f'{s["mode"]},"uart1"' for i, s in sorted(self.sockets.items())]
