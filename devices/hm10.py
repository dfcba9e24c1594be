"""HM-10 BLE serial module (CC2541).

Commands carry no line ending: a command is what arrived before the line went quiet (send it as
one string). Replies have no line ending either: ``OK``, ``OK+Set:x``, ``OK+Get:x``,
``OK+NAME:x``; it answers nothing to a command it does not know. Baud codes 0..8 = 9600, 19200,
38400, 57600, 115200, 4800, 2400, 1200, 230400 (a new speed after ``AT+RESET``). A master
(``AT+ROLE1``) with ``AT+IMME0`` connects by itself to the first slave it finds; with
``AT+IMME1`` it waits for ``AT+DISC?`` and ``AT+CONN<n>`` / ``AT+CON<address>``. Sending ``AT``
while connected drops the link (``OK+LOST``). The link itself: ``devices.bluetooth``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.device import DeviceParams
from sim.fault_effects import BatteryFaults

from .at import SILENT, ATError, Dialect, Reply, at_command
from .bluetooth import BtModule
from .wifi_ap import mac_of

HM10_BAUDS = (9600, 19200, 38400, 57600, 115200, 4800, 2400, 1200, 230400)
#: Settings that are one digit: nv key, the digits allowed.
DIGIT_SETTINGS = {"+ROLE": ("role", "01"), "+BAUD": ("baud_code", "012345678"), "+TYPE": ("type", "0123"),
                  "+IMME": ("imme", "01"), "+NOTI": ("noti", "01")}


class Hm10Params(DeviceParams):
    name: str = Field("HMSoft", min_length=1, max_length=12, description="BLE name")
    role: Literal[0, 1] = Field(0, description="0 peripheral (slave), 1 central (master)")
    baud_code: int = Field(0, ge=0, le=8, description="UART speed code: 0 9600, 1 19200, 2 38400, 3 57600, "
                                                       "4 115200, 5 4800, 6 2400, 7 1200, 8 230400")
    passkey: str = Field("000000", pattern=r"^\d{6}$", description="six-digit PIN (used with TYPE 2 or 3)")
    imme: Literal[0, 1] = Field(0, description="master: 0 connect by itself at power-on, 1 wait for AT commands")
    SUPPLY_RANGE_V: ClassVar = (3.3, 6.0)


class HM10(BatteryFaults, BtModule):
    """HM-10 BLE serial module (CC2541): AT commands without line ending, OK+Set/OK+Get replies."""
    TITLE = "HM-10 BLE serial module (CC2541)"
    TITLE_ZH = "HM-10 蓝牙 4.0 BLE 串口模块"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 6.0), 9.0
    Params = Hm10Params
    TECH = "ble"
    PACKET, INTERVAL_S, PACK_S, PACK_MAX = 20, 0.03, 0.02, 20
    PAGE_S, RESCAN_S = 0.5, 1.0
    DIALECT = Dialect("hm-10", terminator="none", syntax="suffix", info="{}", final="{}", urc="{}", echo=False,
                      error="", max_line=64, gap_s=0.05, case_insensitive=False)

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.address = mac_of(device_id, "d4:36:39").replace(":", "").upper()
        self.found: list[HM10] = []

    def nv_defaults(self):
        p = self.p
        return {**super().nv_defaults(), "name": p.name, "role": p.role, "baud_code": p.baud_code,
                "baud": HM10_BAUDS[p.baud_code], "pass": p.passkey, "type": 0, "imme": p.imme, "noti": 0,
                "last": ""}

    def factory(self) -> None:
        super().factory()
        self.nv.update(name="HMSoft", role=0, baud_code=0, baud=9600, imme=0, type=0, noti=0, last="")
        self.nv["pass"] = "000000"
        self.flash = dict(self.nv)

    def boot(self):
        self.nv["baud"] = HM10_BAUDS[self.nv["baud_code"]]       # a new speed takes effect at reset
        yield self.sim.env.timeout(0.3)
        if self.nv["role"] == 1 and self.nv["imme"] == 0:
            self.sim.env.process(self._auto_connect())

    # -- finding and connecting --------------------------------------------------------------------------
    def findable(self) -> bool:
        """Advertising: a peripheral, not connected."""
        return self.powered and self.nv["role"] == 0 and self.link is None

    def auto_connecting(self) -> bool:
        return self.powered and self.nv["role"] == 1 and self.nv["imme"] == 0

    def wants(self, dev: HM10) -> bool:
        return not self.nv["last"] or dev.address == self.nv["last"]

    def paged(self, dev: HM10) -> bool:
        if dev.findable() and self.link is None:
            self._connect(dev)
        return True

    def _connect(self, dev: HM10) -> bool:
        if dev.nv["type"] >= 2 and dev.nv["pass"] != self.nv["pass"]:
            self.emit("state", state="pair_failed", peer=dev.id)
            return False
        self.set(last=dev.address)
        self.link_to(dev)
        return True

    def linked(self, peer: HM10) -> None:
        super().linked(peer)
        if self.nv["noti"]:
            self.at.urc("OK+CONN")
        self.pass_through()

    def _from_uart(self, data: bytes) -> None:
        if data == b"AT" and self.link is not None:         # the host asks for the link to be dropped
            self.link.drop("AT")
            if not self.nv["noti"]:
                self.at.urc("OK+LOST")
            return
        super()._from_uart(data)

    def bt_lost(self, reason: str) -> None:
        super().bt_lost(reason)
        self.at.leave_transparent()
        if self.nv["noti"]:
            self.at.urc("OK+LOST")

    # -- AT commands ------------------------------------------------------------------------------------------
    @at_command("+ADDR", "query")
    def _addr(self, call):
        return Reply([], f"OK+ADDR:{self.address}")

    @at_command("+VERR", "query")
    @at_command("+VERS", "query")
    def _version(self, call):
        return Reply([], "HMSoft V540")

    @at_command("+NAME", "query", "set")
    def _name(self, call):
        if call.form == "query":
            return Reply([], f"OK+NAME:{self.nv['name']}")
        name = call.args[0]
        if len(name) > 12 or not name.isprintable():
            raise ATError("range")
        self.set(name=name)
        return Reply([], f"OK+Set:{name}")

    @at_command("+ROLE", "query", "set")
    @at_command("+BAUD", "query", "set")
    @at_command("+TYPE", "query", "set")
    @at_command("+IMME", "query", "set")
    @at_command("+NOTI", "query", "set")
    def _digit_setting(self, call):
        key, digits = DIGIT_SETTINGS[call.name]
        if call.form == "query":
            return Reply([], f"OK+Get:{self.nv[key]}")
        value = call.args[0]
        if len(value) != 1 or value not in digits:
            raise ATError("range")
        self.set(**{key: int(value)})
        return Reply([], f"OK+Set:{value}")

    @at_command("+PASS", "query", "set")
    def _pass(self, call):
        if call.form == "query":
            return Reply([], f"OK+Get:{self.nv['pass']}")
        value = call.args[0]
        if len(value) != 6 or not value.isdigit():
            raise ATError("range")
        self.set(**{"pass": value})
        return Reply([], f"OK+Set:{value}")

    @at_command("+RENEW", "exec")
    def _renew(self, call):
        return self.restart("OK+RENEW", 0.5, factory=True)    # the reply at the speed in use

    @at_command("+RESET", "exec")
    def _reset(self, call):
        return self.restart("OK+RESET", 0.5)

    @at_command("+DISC", "query")
    def _disc(self, call):
        if self.nv["role"] != 1:
            raise ATError("state")
        return self._discover()

    def _discover(self):
        self.at.final("OK+DISCS")
        yield self.sim.env.timeout(3.0)
        self.found = [dev for dev, _ in self.nearby()]
        for i, dev in enumerate(self.found):
            self.at.info(f"OK+DIS{i}:{dev.address}")
        return Reply([], "OK+DISCE")

    @at_command("+CONN", "set")
    def _conn_index(self, call):
        if self.nv["role"] != 1 or not call.args[0].isdigit():
            raise ATError("range")
        i = int(call.args[0])
        if i >= len(self.found):
            return Reply([], "OK+CONNE")
        return self._connect_run(self.found[i])

    @at_command("+CON", "set")
    def _con_address(self, call):
        address = call.args[0].upper()
        if self.nv["role"] != 1 or len(address) != 12 or any(c not in "0123456789ABCDEF" for c in address):
            raise ATError("range")
        return self._connect_run(self.by_address(address))

    def _connect_run(self, target: HM10 | None):
        self.at.final("OK+CONNA")
        yield self.sim.env.timeout(0.5)
        if target is None or not target.findable() or self.in_range(target) is None or not self._connect(target):
            return Reply([], "OK+CONNF")
        return Reply([], "OK+CONN") if not self.nv["noti"] else SILENT
