"""HC-05 Bluetooth serial module (classic SPP): master/slave with a pairing password.

The KEY (EN) pin held high at power-on starts it in AT mode at 38400 bit/s (8N1, whatever the
data speed), lines end in CR LF, no echo, replies ``OK`` / ``+NAME:x`` / ``ERROR:(code)`` with
the firmware's hex error codes (0 bad command, 3 name too long, F/10 password empty/too long,
11 bad role, 12 bad baud, 13 stop bit, 14 parity, 16 SPP not initialised, 17 initialised twice).
With KEY low it starts in data mode at its UART speed: a slave (``ROLE=0``) waits to be found; a
master (``ROLE=1``) connects by itself to its bound address (``CMODE=0``) or to any slave in range
(``CMODE=1``) whose password is the same as its own; then it is transparent. Settings are written
to flash as they are set. The link itself: ``devices.bluetooth``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.device import DeviceParams

from .at import SILENT, ATError, Dialect, Reply, at_command
from .bluetooth import BtModule
from .wifi_ap import mac_of

HC05_BAUDS = (4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1382400)
AT_MODE_BAUD = 38400
#: Text settings: nv key, the longest value, the error code when it is empty, when it is too long.
TEXT_SETTINGS = {"+NAME": ("name", 32, "4", "3"), "+PSWD": ("pswd", 16, "F", "10")}


class Hc05Params(DeviceParams):
    name: str = Field("HC-05", min_length=1, max_length=32, description="Bluetooth name")
    pswd: str = Field("1234", min_length=1, max_length=16, description="pairing password (PIN)")
    role: Literal[0, 1] = Field(0, description="0 slave, 1 master")
    cmode: Literal[0, 1] = Field(1, description="master: 0 connect only to the bound address, 1 to any slave")
    bind: str = Field("", pattern=r"^$|^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{6}$",
                      description="master: the address to connect to, e.g. 98d3:31:fb1234 (CMODE=0)")
    baud: Literal[HC05_BAUDS] = Field(9600, description="UART speed in data mode, bit/s")
    key_pin: bool = Field(False, description="the KEY (EN) pin is held high at power-on: AT mode at 38400 bit/s")
    SUPPLY_RANGE_V: ClassVar = (3.6, 6.0)


def _hc05_address(device_id: str) -> str:
    mac = mac_of(device_id, "98:d3:31").replace(":", "")
    return f"{mac[0:4]}:{mac[4:6]}:{mac[6:12]}"


class HC05(BtModule):
    """HC-05 Bluetooth SPP module: AT mode with the KEY pin, master/slave, pairing password, transparent data."""
    TITLE = "HC-05 Bluetooth serial module (classic SPP)"
    TITLE_ZH = "HC-05 蓝牙串口模块"
    SUPPLY_RANGE_V, CURRENT_MA = (3.6, 6.0), 40.0
    Params = Hc05Params
    TECH = "bt"
    DIALECT = Dialect("hc-05", terminator="crlf", info="{}\r\n", final="{}\r\n", urc="{}\r\n", echo=False,
                      error="ERROR:(0)", max_line=128)
    COMMANDS = {"key": "high: true|false — the KEY (EN) pin, read at power-on and at AT+RESET"}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.address = _hc05_address(device_id)
        self.key_high = params.key_pin
        self.at_mode = False
        self.initialised = False
        self.paired: list[str] = []

    def nv_defaults(self):
        p = self.p
        return {**super().nv_defaults(), "name": p.name, "pswd": p.pswd, "role": p.role, "cmode": p.cmode,
                "bind": p.bind.lower(), "baud": p.baud, "stop": 0, "parity": 0, "inqm": (1, 1, 48)}

    def factory(self) -> None:
        super().factory()
        self.nv.update(name="H-C-2010-06-01", pswd="1234", role=0, cmode=0, bind="", baud=38400)
        self.flash = dict(self.nv)

    def uart(self, port):
        if self.at_mode:
            return AT_MODE_BAUD, "N"
        return int(self.nv["baud"]), "NEO"[self.nv["parity"]]

    def command(self, name, args):
        if name != "key":
            return super().command(name, args)
        high = args.get("high")
        if not isinstance(high, bool):
            raise ValueError("key takes high: true or false")
        self.key_high = high
        self.emit("state", state="key", high=high)
        return {"ok": True, "key_high": high}

    # -- modes -----------------------------------------------------------------------------------------
    def boot(self):
        self.at_mode = self.key_high
        self.initialised = False
        yield self.sim.env.timeout(0.6)
        if not self.at_mode:
            self.pass_through()
            if self.nv["role"] == 1:
                self.sim.env.process(self._auto_connect())

    def findable(self) -> bool:
        """Discoverable: a slave in data mode, not connected."""
        return self.powered and not self.at_mode and self.nv["role"] == 0 and self.link is None

    def auto_connecting(self) -> bool:
        return self.powered and not self.at_mode and self.nv["role"] == 1

    def wants(self, slave: HC05) -> bool:
        return self.nv["cmode"] != 0 or slave.address == self.nv["bind"]

    def paged(self, slave: HC05) -> bool:
        if not slave.findable() or self.link is not None:
            return True
        if slave.nv["pswd"] != self.nv["pswd"]:
            self.emit("state", state="pair_failed", peer=slave.id)
            return False
        self.link_to(slave)
        return True

    def linked(self, peer: HC05) -> None:
        if peer.address not in self.paired:
            self.paired.append(peer.address)
        super().linked(peer)

    def bt_lost(self, reason: str) -> None:
        super().bt_lost(reason)
        if self.at_mode:                               # linked from AT mode: back to commands
            self.at.leave_transparent()

    # -- AT commands ----------------------------------------------------------------------------------------
    @at_command("+VERSION", "query", "exec")
    def _version(self, call):
        return "+VERSION:2.0-20100601"

    @at_command("+ADDR", "query")
    def _addr(self, call):
        return f"+ADDR:{self.address}"

    @at_command("+NAME", "query", "set")
    @at_command("+PSWD", "query", "set")
    def _text_setting(self, call):
        key, longest, empty_code, long_code = TEXT_SETTINGS[call.name]
        if call.form == "query":
            return f"{call.name}:{self.nv[key]}"
        if len(call.args) != 1 or not call.args[0]:
            raise ATError("args", f"ERROR:({empty_code})")
        if len(call.args[0]) > longest:
            raise ATError("range", f"ERROR:({long_code})")
        self.set(**{key: call.args[0]})

    @at_command("+ROLE", "query", "set")
    def _role(self, call):
        if call.form == "query":
            return f"+ROLE:{self.nv['role']}"
        call.count(1)
        if call.args[0] not in ("0", "1"):            # 2, slave-loop, is not modelled
            raise ATError("range", "ERROR:(11)")
        self.set(role=int(call.args[0]))

    @at_command("+CMODE", "query", "set")
    def _cmode(self, call):
        return self.int_setting(call, "cmode", 0, 1, save=True)

    @at_command("+BIND", "query", "set")
    def _bind(self, call):
        if call.form == "query":
            return f"+BIND:{self.nv['bind'] or '0:0:0'}"
        self.set(bind=self._address_arg(call, 3))

    def _address_arg(self, call, n: int) -> str:
        if len(call.args) < 3:
            raise ATError("args", "ERROR:(1A)")
        call.count(n)
        nap, uap, lap = (a.lower() for a in call.args[:3])
        for part, width, code in ((nap, 4, "5"), (uap, 2, "6"), (lap, 6, "7")):
            if len(part) > width:
                raise ATError("range", f"ERROR:({code})")
            if not part or any(c not in "0123456789abcdef" for c in part):
                raise ATError("range", "ERROR:(0)")
        return f"{nap.zfill(4)}:{uap.zfill(2)}:{lap.zfill(6)}"

    @at_command("+UART", "query", "set")
    def _uart_cmd(self, call):
        if call.form == "query":
            return f"+UART:{self.nv['baud']},{self.nv['stop']},{self.nv['parity']}"
        call.count(3)
        try:
            baud = int(call.args[0])
        except ValueError:
            raise ATError("range", "ERROR:(12)") from None
        if baud not in HC05_BAUDS:
            raise ATError("range", "ERROR:(12)")
        if call.args[1] not in ("0", "1"):
            raise ATError("range", "ERROR:(13)")
        if call.args[2] not in ("0", "1", "2"):
            raise ATError("range", "ERROR:(14)")
        self.set(baud=baud, stop=int(call.args[1]), parity=int(call.args[2]))

    @at_command("+ORGL", "exec")
    def _orgl(self, call):
        self.factory()

    @at_command("+RESET", "exec")
    def _reset(self, call):
        return self.restart("OK", 0.1)

    @at_command("+STATE", "query")
    def _state(self, call):
        if self.link is not None:
            return "+STATE:CONNECTED"
        return "+STATE:" + ("INITIALIZED" if self.initialised else "READY")

    # -- SPP: inquiry, pairing, linking ---------------------------------------------------------------------
    def _need_init(self) -> None:
        if not self.initialised:
            raise ATError("state", "ERROR:(16)")

    @at_command("+INIT", "exec")
    def _init(self, call):
        if self.initialised:
            raise ATError("state", "ERROR:(17)")
        self.initialised = True

    @at_command("+INQM", "query", "set")
    def _inqm(self, call):
        if call.form == "query":
            return "+INQM:{},{},{}".format(*self.nv["inqm"])
        call.count(3)
        mode = call.int(0, 0, 1)
        if mode not in (0, 1):
            raise ATError("range", "ERROR:(18)")
        most = call.int(1, 1, 32767)
        try:
            timeout = call.int(2, 1, 48)
        except ATError:
            raise ATError("range", "ERROR:(19)") from None
        self.set(inqm=(mode, most, timeout))

    @at_command("+INQ", "exec")
    def _inq(self, call):
        self._need_init()
        return self._inquire()

    def _inquire(self):
        env = self.sim.env
        _, most, timeout = self.nv["inqm"]
        found = 0
        for slave, rssi in self.nearby():
            yield env.timeout(1.28)
            code = int(max(-128, min(-1, round(rssi)))) & 0xFFFF
            self.at.info(f"+INQ:{slave.address.upper()},1F00,{code:04X}")
            found += 1
            if found >= most:
                return None
        yield env.timeout(timeout * 1.28)
        return None

    @at_command("+PAIR", "set")
    def _pair(self, call):
        self._need_init()
        address = self._address_arg(call, 4)
        timeout = call.int(3, 1, 300)
        return self._pair_run(address, timeout)

    def _target(self, address: str) -> HC05 | None:
        dev = self.by_address(address)
        return dev if dev is not None and dev.findable() and self.in_range(dev) else None

    def _pair_run(self, address: str, timeout: int):
        yield self.sim.env.timeout(1.5)
        slave = self._target(address)
        if slave is None or slave.nv["pswd"] != self.nv["pswd"]:
            yield self.sim.env.timeout(max(0, timeout - 1.5))
            self.emit("state", state="pair_failed", address=address)
            return Reply([], "FAIL")
        if address not in self.paired:
            self.paired.append(address)
        return None

    @at_command("+LINK", "set")
    def _link_cmd(self, call):
        self._need_init()
        address = self._address_arg(call, 3)
        if address not in self.paired:
            raise ATError("state", "ERROR:(15)")
        return self._link_run(address)

    def _link_run(self, address: str):
        yield self.sim.env.timeout(1.0)
        slave = self._target(address)
        if slave is None:
            return Reply([], "FAIL")
        self.link_to(slave)
        self.at.final("OK")
        self.pass_through()
        return SILENT

    @at_command("+RMAAD", "exec")
    def _rmaad(self, call):
        self.paired = []

    @at_command("+ADCN", "query")
    def _adcn(self, call):
        return f"+ADCN:{len(self.paired)}"
