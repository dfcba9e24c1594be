"""What Quectel's cellular modules (BC26 and BC95 NB-IoT, ``devices.bc26`` and ``devices.bc95``; RM500Q
5G, ``devices.nr5g``) share: identity and SIM, the radio and network commands, the boot banner.

They attach by themselves at power-on when a SIM is in (``AT+CFUN=1``, the default), report the
cell with ``AT+CEREG``, ``AT+CSQ`` and ``AT+CGPADDR``, and carry data with the latency of their
coverage class, paging cycle, eDRX and PSM (``devices.cellular``). Replies differ by model only
in the separator after a result code's colon (``SEP``): ``+CGATT: 1`` (BC26, RM500Q) or
``+CGATT:1`` (BC95), as the real ones write.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.device import Device
from sim.fault_effects import FirmwareFaults
from sim.radio import RadioFaults
from sim.uart import uart_port

from .at import ATError, ATModule, Dialect, Reply, at_command
from .cellular import Cellular, CellularParams
from .wireless import Listening

NB_BAUDS = (4800, 9600, 57600, 115200)
#: How BC26 and RM500Q frame their talk.
QUECTEL = Dialect("quectel", terminator="cr", info="{}\r\n", info_lead="\r\n", final="\r\n{}\r\n",
                  urc="\r\n{}\r\n", max_line=1024, prompt="> ")


class NbParams(CellularParams):
    baud: Literal[NB_BAUDS] = Field(9600, description="UART speed, bit/s")
    SUPPLY_RANGE_V: ClassVar = (3.1, 4.2)


class QuectelModem(Listening, RadioFaults, Cellular, FirmwareFaults, ATModule, Device):
    """The AT commands BC26, BC95 and RM500Q share."""
    FAMILY = "modules"
    SUPPLY_RANGE_V, CURRENT_MA = (3.1, 4.2), 60.0
    Params = NbParams
    RAT = "nbiot"
    SEP: ClassVar[str] = ": "
    MODEL: ClassVar[str] = ""
    REVISION: ClassVar[str] = ""
    BOOT_S: ClassVar[tuple[float, float]] = (0.5, 0.2)     # power-on to RDY, then to +CPIN: READY

    @classmethod
    def port_specs(cls, params):
        return {"uart": uart_port("main UART: TXD, RXD (3.3 V), AT commands")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.init_cellular()

    def nv_defaults(self):
        return {**super().nv_defaults(), "cfun": 1, "cereg": 0, "psm": 0, "edrx": 0, "nnmi": 0, "nsmi": 0,
                "ncdp": "", "ncdp_port": 5683}

    def start(self) -> None:
        self.join_radio()
        super().start()

    def r(self, name: str, value: str) -> str:
        """``+NAME: value`` with this model's separator."""
        return f"{name}{self.SEP}{value}"

    # -- life cycle ---------------------------------------------------------------------------------------
    def boot(self):
        """The banner: ``RDY``, then ``+CPIN: READY`` if a SIM is in; then the attach."""
        rdy_s, cpin_s = self.BOOT_S
        yield self.sim.env.timeout(rdy_s)
        self.at.send("\r\nRDY\r\n")
        if cpin_s:
            yield self.sim.env.timeout(cpin_s)
        if self.sim_ready:
            self.at.urc("+CPIN: READY")
        self.after_boot()

    def after_boot(self):
        if self.nv["cfun"] == 1 and self.sim_ready:
            self.keep_attached()

    def power_lost(self) -> None:
        if self.cell is not None:
            self.cell.detach(self)
        self.on_detached()
        self._reset_cell()

    def radio_on(self) -> bool:
        return self.nv["cfun"] == 1

    def power_options(self):
        return bool(self.nv["psm"]), bool(self.nv["edrx"])

    def on_reg(self, stat: int) -> None:
        mode = self.nv.get("cereg", 0)
        if mode == 1 or (mode >= 2 and stat not in (1, 5)):
            self.at.urc(self.r("+CEREG", str(stat)))
        elif mode >= 2:
            self.at.urc(self.r("+CEREG", f'{stat},"{self.cell.p.tac:04X}","{self.cell.p.cell_id:08X}",9'))

    # -- identity and SIM ------------------------------------------------------------------------------------
    @at_command("I", "exec")
    def _ati(self, call):
        return ["Quectel", self.MODEL, f"Revision: {self.REVISION}"]

    @at_command("+CGMI", "exec")
    def _cgmi(self, call):
        return "Quectel"

    @at_command("+CGMM", "exec")
    def _cgmm(self, call):
        return self.MODEL

    @at_command("+CGMR", "exec")
    def _cgmr(self, call):
        return f"Revision: {self.REVISION}" if self.SEP == ": " else f"REVISION:{self.REVISION}"

    @at_command("+CGSN", "exec", "set")
    def _cgsn(self, call):
        if call.form == "set":
            call.count(1)
            call.int(0, 0, 3)
            return self.r("+CGSN", self.imei)
        return self.imei

    @at_command("+CIMI", "exec")
    def _cimi(self, call):
        if not self.sim_ready:
            raise ATError("state", self.cme(10))
        return self.imsi

    @at_command("+CPIN", "query")
    def _cpin(self, call):
        if not self.sim_ready:
            raise ATError("state", self.cme(10))
        return self.r("+CPIN", "READY")

    def cme(self, code: int) -> str:
        return f"+CME ERROR{self.SEP}{code}"

    # -- radio and network -------------------------------------------------------------------------------------
    @at_command("+CFUN", "query", "set", "test")
    def _cfun(self, call):
        if call.form == "test":
            return self.r("+CFUN", "(0,1),(0,1)" if self.SEP == ": " else "(0,1)")
        if call.form == "query":
            return self.r("+CFUN", str(self.nv["cfun"]))
        call.count(1, 2)
        fun = call.int(0, 0, 1)
        if len(call.args) > 1:
            call.int(1, 0, 1)                    # given, it must be a 0/1 reset flag (not empty)
        self.nv["cfun"] = fun
        self.node.listening = fun == 1
        if fun == 0 and self.cell is not None:
            self.on_detached()
            self.detach()
        elif fun == 1 and self.cell is None and not self._attaching and self.sim_ready:
            self.keep_attached()
        return None

    @at_command("+CGATT", "query", "set")
    def _cgatt(self, call):
        if call.form == "query":
            return self.r("+CGATT", "1" if self.cell is not None else "0")
        call.count(1)
        want = call.int(0, 0, 1)
        if want == 1:
            if self.nv["cfun"] != 1 or not self.sim_ready:
                raise ATError("state")
            if self.cell is None and not self._attaching:
                self.keep_attached()
        elif self.cell is not None:
            self.on_detached()
            self.detach()
        return None

    @at_command("+CEREG", "query", "set", "test")
    def _cereg(self, call):
        if call.form == "test":
            return self.r("+CEREG", "(0-5)")
        if call.form == "query":
            n = self.nv["cereg"]
            if n >= 2 and self.cell is not None:
                return self.r("+CEREG", f'{n},{self.reg},"{self.cell.p.tac:04X}","{self.cell.p.cell_id:08X}",9')
            return self.r("+CEREG", f"{n},{self.reg}")
        call.count(1)
        self.nv["cereg"] = call.int(0, 0, 5)
        return None

    @at_command("+CSQ", "exec")
    def _csq(self, call):
        rsrp, _ = self.signal()
        if self.nv["cfun"] != 1 or rsrp == float("-inf") or not self.in_coverage(self.signal()[1]):
            return self.r("+CSQ", "99,99")
        rssi = rsrp + self._rsrp_offset_db()
        return self.r("+CSQ", f"{max(0, min(31, int((rssi + 113) // 2)))},99")

    @at_command("+CGPADDR", "exec", "set", "query")
    def _cgpaddr(self, call):
        if call.form == "set":
            call.count(1)
            call.int(0, 0, 10)
        if self.cell_ip is None:
            return self.r("+CGPADDR", "0") if self.SEP == ":" else Reply([], "OK")
        cid = 0 if self.SEP == ":" else 1
        ip = f'"{self.cell_ip}"' if self.SEP == ": " else self.cell_ip
        return self.r("+CGPADDR", f"{cid},{ip}")

    @at_command("+CPSMS", "query", "set")
    def _cpsms(self, call):
        if call.form == "query":
            return self.r("+CPSMS", f'{self.nv["psm"]},,,"00100001","00000101"')
        call.count(1, 5)
        mode = call.int(0, 0, 2)
        for i in (3, 4):
            if call.has(i):
                value = call.str(i, max_len=8, min_len=8)
                if any(c not in "01" for c in value):
                    raise ATError("range")
        self.nv["psm"] = 1 if mode == 1 else 0
        return None

    @at_command("+CEDRXS", "query", "set")
    def _cedrxs(self, call):
        if call.form == "query":
            return self.r("+CEDRXS", '5,"0101"') if self.nv["edrx"] else Reply([], "OK")
        call.count(1, 3)
        mode = call.int(0, 0, 3)
        if call.has(1):
            call.int(1, 5, 5)
        if call.has(2):
            value = call.str(2, max_len=4, min_len=4)
            if any(c not in "01" for c in value):
                raise ATError("range")
        self.nv["edrx"] = 1 if mode in (1, 2) else 0
        return None

