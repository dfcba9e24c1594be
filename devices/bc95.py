"""Quectel BC95 NB-IoT module: CoAP to an IoT platform, and UDP sockets.

``AT+NMGS`` sends a real CoAP message (NON POST ``/t/d``, ``devices.coap``) to the ``AT+NCDP``
address, and ``AT+NSOST`` a real UDP datagram (``devices.netclient``); what comes back is a URC
(``+NNMI``, ``+NSONMI``) or waits to be read (``AT+NMGR``, ``AT+NSORF``). What it shares with BC26
and RM500Q: ``devices.quectel``.
"""

from __future__ import annotations

import ipaddress

from dataclasses import replace

from .at import ATError, Reply, at_command
from .coap import coap_payload, coap_post
from .netclient import UdpSession
from .quectel import QUECTEL, QuectelModem


class BC95(QuectelModem):
    """Quectel BC95 NB-IoT module: CoAP to an IoT platform (NCDP/NMGS) and UDP sockets (NSOCR/NSOST)."""
    TITLE = "Quectel BC95 NB-IoT module (CoAP / UDP)"
    TITLE_ZH = "移远 BC95 NB-IoT 模块 (CoAP / UDP)"
    MODEL = "BC95HB-02-STD_850"
    REVISION = "V100R100C10B657SP3"
    SEP = ":"
    DIALECT = replace(QUECTEL, name="bc95", echo=False)

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._clear_sockets()

    def _clear_sockets(self) -> None:
        self.sockets: dict[int, dict] = {}
        self.platform: UdpSession | None = None
        self.downlinks: list[bytes] = []
        self.sent = self.received = 0
        self._msg_id = 0

    def boot(self):
        yield self.sim.env.timeout(0.8)
        self.at.send("\r\nBoot: Unsigned\r\nSecurity B.. Verified\r\nProtocol A.. Verified\r\nApps A...... "
                     "Verified\r\n\r\nREBOOT_CAUSE_APPLICATION_AT\r\nNeul \r\nOK\r\n")
        self.after_boot()

    def power_lost(self) -> None:
        self.on_detached()
        super().power_lost()
        self._clear_sockets()

    def on_detached(self) -> None:
        for sock in self.sockets.values():
            sock["session"].close()
        if self.platform is not None:
            self.platform.close()
        self.sockets, self.platform = {}, None

    @at_command("+NRB", "exec")
    def _nrb(self, call):
        return self.restart("REBOOTING", 0.2)

    @at_command("+NBAND", "query")
    def _nband(self, call):
        return "+NBAND:8"

    @at_command("+NUESTATS", "exec")
    def _nuestats(self, call):
        rsrp, snr = self.signal()
        cell = self.cell
        if cell is None:
            rsrp_t, snr_t = -32768, -32768
        else:
            rsrp_t, snr_t = int(round(rsrp * 10)), int(round(snr * 10))
        total = rsrp_t + 108 if cell is not None else -32768
        return Reply(["\r\n".join([f"Signal power:{rsrp_t}", f"Total power:{total}",
                                f"TX power:{int(self.p.tx_power_dbm * 10)}", "TX time:0", "RX time:0",
                                f"Cell ID:{cell.p.cell_id if cell else 0}", f"ECL:{self.ecl(rsrp) if cell else 255}",
                                f"SNR:{snr_t}", f"EARFCN:{cell.p.earfcn if cell else 0}",
                                f"PCI:{cell.p.pci if cell else 0}", f"RSRQ:{-108 if cell else -32768}",
                                "OPERATOR MODE:4"])], "OK")

    # -- CoAP to the platform ------------------------------------------------------------------------
    @at_command("+NCDP", "query", "set")
    def _ncdp(self, call):
        if call.form == "query":
            return f"+NCDP:{self.nv['ncdp']},{self.nv['ncdp_port']}" if self.nv["ncdp"] else "+NCDP:,5683"
        call.count(1, 2)
        host = call.str(0, max_len=64, min_len=1)
        try:
            ipaddress.IPv4Address(host)          # the platform's IPv4 address; the BC95 takes no names
        except ValueError:
            raise ATError("range") from None
        port = call.int(1, 1, 65535, default=5683)
        self.nv["ncdp"], self.nv["ncdp_port"] = host, port
        self.save(["ncdp", "ncdp_port"])
        return None

    @at_command("+NNMI", "query", "set")
    def _nnmi(self, call):
        return self.int_setting(call, "nnmi", 0, 2)

    @at_command("+NSMI", "query", "set")
    def _nsmi(self, call):
        return self.int_setting(call, "nsmi", 0, 1)

    @at_command("+NMGS", "set")
    def _nmgs(self, call):
        call.count(2)
        n = call.int(0, 1, 512)
        data = _hex(call.str(1, max_len=1024, min_len=2), n)
        if not self.nv["ncdp"] or self.cell is None:
            raise ATError("state", "+CME ERROR:513" if self.cell is None else "ERROR")
        if self.platform is None:
            self.platform = UdpSession(self, self.path(), self.cell, self._platform_data)
        self._msg_id += 1
        self.sim.env.process(self._nmgs_run(self.platform, coap_post(data, self._msg_id)))
        return None

    def _nmgs_run(self, session, message: bytes):
        ok = yield from session.send(message, self.nv["ncdp"], self.nv["ncdp_port"])
        if ok:
            self.sent += 1
        if self.nv["nsmi"]:
            self.at.urc("+NSMI:SENT" if ok else "+NSMI:DISCARDED")

    def _platform_data(self, data: bytes, host: str, port: int) -> None:
        payload = coap_payload(data)
        if payload is None:
            return
        self.received += 1
        if self.nv["nnmi"] == 1:
            self.at.urc(f"+NNMI:{len(payload)},{payload.hex().upper()}")
        else:
            self.downlinks.append(payload)
            if self.nv["nnmi"] == 2:
                self.at.urc("+NNMI")

    @at_command("+NMGR", "exec")
    def _nmgr(self, call):
        if not self.downlinks:
            return None
        payload = self.downlinks.pop(0)
        return f"{len(payload)},{payload.hex().upper()}"

    @at_command("+NQMGS", "exec")
    def _nqmgs(self, call):
        return f"PENDING=0,SENT={self.sent},ERROR=0"

    @at_command("+NQMGR", "exec")
    def _nqmgr(self, call):
        return f"BUFFERED={len(self.downlinks)},RECEIVED={self.received},DROPPED=0"

    # -- UDP sockets -------------------------------------------------------------------------------------
    @at_command("+NSOCR", "set")
    def _nsocr(self, call):
        call.count(3, 4)
        call.choice(0, ["DGRAM"])
        call.int(1, 17, 17)
        port = call.int(2, 0, 65535)
        if call.has(3):
            call.int(3, 0, 1)
        if self.cell is None:
            raise ATError("state")
        if len(self.sockets) >= 7 or any(s["port"] == port and port for s in self.sockets.values()):
            raise ATError("state")
        sock_id = next(i for i in range(7) if i not in self.sockets)
        entry = {"port": port, "queue": []}
        entry["session"] = UdpSession(self, self.path(), self.cell,
                                      lambda d, h, p, sid=sock_id: self._udp_in(sid, d, h, p))
        self.sockets[sock_id] = entry
        return str(sock_id)

    def _udp_in(self, sock_id: int, data: bytes, host: str, port: int) -> None:
        sock = self.sockets.get(sock_id)
        if sock is None:
            return
        sock["queue"].append((host, port, data))
        self.at.urc(f"+NSONMI:{sock_id},{len(data)}")

    @at_command("+NSOST", "set")
    def _nsost(self, call):
        call.count(5)
        sock_id = call.int(0, 0, 6)
        host = call.str(1, max_len=64, min_len=1)
        port = call.int(2, 1, 65535)
        n = call.int(3, 1, 512)
        data = _hex(call.str(4, max_len=1024, min_len=2), n)
        sock = self._socket(sock_id)
        self.sim.env.process(sock["session"].send(data, host, port))
        return f"{sock_id},{n}"

    @at_command("+NSORF", "set")
    def _nsorf(self, call):
        call.count(2)
        sock_id = call.int(0, 0, 6)
        want = call.int(1, 1, 512)
        sock = self._socket(sock_id)
        if not sock["queue"]:
            return None
        host, port, data = sock["queue"][0]
        part, rest = data[:want], data[want:]
        if rest:
            sock["queue"][0] = (host, port, rest)
        else:
            sock["queue"].pop(0)
        return f"{sock_id},{host},{port},{len(part)},{part.hex().upper()},{len(rest)}"

    @at_command("+NSOCL", "set")
    def _nsocl(self, call):
        call.count(1)
        sock_id = call.int(0, 0, 6)
        sock = self._socket(sock_id)
        del self.sockets[sock_id]
        sock["session"].close()
        return None

    def _socket(self, sock_id: int) -> dict:
        sock = self.sockets.get(sock_id)
        if sock is None:
            raise ATError("state")
        return sock


def _hex(text: str, n: int) -> bytes:
    """``n`` bytes written as ``2n`` hex digits, or the range error."""
    if len(text) != 2 * n:
        raise ATError("range")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ATError("range") from None
