"""ESP8266 Wi-Fi module with ESP-AT firmware: a station that joins an access point over the radio
medium and opens real TCP/UDP connections and MQTT sessions on the student's behalf.

Replies follow ESP-AT: lines end in CR LF, each command ends with ``OK`` or ``ERROR``, a command
typed while another runs gets ``busy p...``. At power-on the ROM bootloader prints its banner at
74880 bit/s (garbage on a terminal at 115200, as on the bench) and the firmware says ``ready``.
Mode, the saved access point and the UART set with ``_DEF`` survive a power cycle; with a saved
access point and ``AT+CWAUTOCONN=1`` (the default) it joins again by itself after a reset or
after losing the AP.

The parts: the Wi-Fi station (``devices.esp_wifi``), the TCP/IP commands (``devices.esp_tcp``),
the MQTT commands (``devices.esp_mqtt``); this module is the module itself: life cycle and the
basic commands.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.device import Device, DeviceParams
from sim.fault_effects import FirmwareFaults
from sim.radio import RadioFaults, medium
from sim.uart import uart_port

from .at import SILENT, ATError, ATModule, Dialect, at_command
from .esp_mqtt import EspMqtt
from .esp_tcp import EspTcp
from .esp_wifi import EspWifi
from .wifi_ap import mac_of
from .wireless import Listening

ESP_BAUDS = (9600, 19200, 38400, 57600, 74880, 115200, 230400, 460800, 921600)
BOOT_ROM = (b"\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\nload 0x40100000, len 2592, room 16 \r\n"
            b"tail 0\r\nchksum 0xf3\r\nload 0x3ffe8000, len 764, room 8 \r\ntail 4\r\nchksum 0x92\r\n"
            b"csum 0x92\r\n\r\n2nd boot version : 1.7(5d6f877)\r\n")
GMR = ("AT version:1.7.5.0(Oct  9 2021 09:26:04)", "SDK version:3.0.5(b29dcd3)",
       "compile time:Oct 15 2021 18:05:30", "Bin version(Wroom 02):1.7.5")


class Esp8266Params(DeviceParams):
    baud: Literal[ESP_BAUDS] = Field(115200, description="UART speed stored in the module (AT+UART_DEF), bit/s")
    ssid: str = Field("", max_length=32, description="access point saved in flash (joined at power-on); empty: none")
    key: str = Field("", max_length=64, description="its key")
    tx_power_dbm: float = Field(17.0, ge=0, le=20.5, description="transmit power, dBm")
    SUPPLY_RANGE_V: ClassVar = (3.0, 3.6)


class Esp8266(Listening, EspWifi, EspTcp, EspMqtt, RadioFaults, FirmwareFaults, ATModule, Device):
    TRACE_FIELDS = ("ssid", "ap", "ip", "rssi_dbm", "reason")
    """ESP8266 (ESP-01 / ESP-12) Wi-Fi module with ESP-AT firmware: station, TCP/UDP, MQTT."""
    FAMILY = "modules"
    TITLE = "ESP8266 Wi-Fi module (ESP-AT firmware)"
    TITLE_ZH = "ESP8266 Wi-Fi 模块 (ESP-AT 固件)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.0, 3.6), 80.0
    Params = Esp8266Params
    DIALECT = Dialect("esp-at", terminator="crlf", info="{}\r\n", final="\r\n{}\r\n", urc="{}\r\n",
                      busy="busy p...", max_line=256, prompt=">")

    @classmethod
    def port_specs(cls, params):
        return {"uart": uart_port("UART: TX, RX (3.3 V TTL), AT commands")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.mac = mac_of(device_id, "5c:cf:7f")
        self.node = None
        self._clear_links()

    def nv_defaults(self):
        return {**super().nv_defaults(), "mode": 1, "ssid": self.p.ssid, "key": self.p.key, "autoconn": 1,
                "sysstore": 1}

    def factory(self) -> None:
        """The defaults, and no access point saved (``AT+RESTORE``)."""
        super().factory()
        self.nv["ssid"] = self.flash["ssid"] = ""
        self.nv["key"] = self.flash["key"] = ""

    def _clear_links(self) -> None:
        self._clear_wifi()
        self._clear_tcp()
        self._clear_mqtt()

    # -- life cycle ------------------------------------------------------------------------------------
    def start(self) -> None:
        self.node = medium(self.sim).join(self, "wifi", channel=1, tx_power_dbm=self.p.tx_power_dbm)
        super().start()

    def boot(self):
        env = self.sim.env
        self.uart_send("uart", BOOT_ROM, (74880, "N"))          # the ROM bootloader's own speed
        yield env.timeout(0.35)
        self.at.send("\r\nready\r\n")
        if self.nv["autoconn"] and self.nv["ssid"] and self.nv["mode"] in (1, 3):
            env.process(self._auto_join(self._generation))

    def power_lost(self) -> None:
        self._drop_sessions()
        if self.ap is not None:
            self.ap.leave(self)
        self._clear_links()
        if self.node is not None:
            self.node.listening = self.powered

    def _drop_sessions(self) -> None:
        if self.tcp is not None:
            self.tcp.close()
        if self.mqtt is not None:
            self.mqtt.close()
        self.tcp = self.mqtt = None

    # -- basic -------------------------------------------------------------------------------------------
    @at_command("+RST", "exec")
    def _rst(self, call):
        return self.restart("OK", 0.02)

    @at_command("+GMR", "exec")
    def _gmr(self, call):
        return list(GMR)

    @at_command("+RESTORE", "exec")
    def _restore(self, call):
        return self.restart("OK", 0.02, factory=True)

    @at_command("+SYSSTORE", "query", "set")
    def _sysstore(self, call):
        return self.int_setting(call, "sysstore", 0, 1, save=True)

    @at_command("+UART_CUR", "query", "set")
    def _uart_cur(self, call):
        return self._uart(call, save=False)

    @at_command("+UART_DEF", "query", "set")
    @at_command("+UART", "query", "set")
    def _uart_def(self, call):
        return self._uart(call, save=True)

    def _uart(self, call, save: bool):
        if call.form == "query":
            baud = self.flash["baud"] if save else self.nv["baud"]
            return f"{call.name}:{baud},8,1,0,0"
        call.count(5)
        baud = call.int(0, 110, 921600)
        if baud not in ESP_BAUDS:
            raise ATError("range")
        call.int(1, 8, 8), call.int(2, 1, 1), call.int(3, 0, 0), call.int(4, 0, 0)
        self.at.final("OK")
        self.nv["baud"] = baud                      # the reply went out at the old speed
        if save:
            self.save(["baud"])
        return SILENT
