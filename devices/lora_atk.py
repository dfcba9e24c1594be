"""ATK-LORA-01 style LoRa UART module (SX1278, 410-493 MHz): AT configuration, transparent radio link.

The MD0 pin picks the mode. High: configuration mode, the radio is off and the UART takes AT
commands (lines end in CR LF, replies ``OK`` / ``ERROR``). Low: data mode, every byte on the UART
goes out over the air and what the radio receives comes out of the UART.

Commands (each also has the query form ``AT+X?`` and the test form ``AT+X=?``)::

    AT                  OK
    AT+ADDR=00,0B       the module's address, two hex bytes (FF,FF: broadcast and monitor)
    AT+NETID=0          network id 0..255: modules only hear their own network
    AT+WLRATE=23,5      channel 0..83 (410 + ch MHz), air rate 0..5 (0.3/1.2/2.4/4.8/9.6/19.2 kbit/s)
    AT+TPOWER=3         transmit power 0..3 (11/14/17/20 dBm)
    AT+TMODE=0          0 transparent (to the same address), 1 fixed point (see below)
    AT+PACKSIZE=3       largest packet 0..3 (32/64/128/240 bytes)
    AT+UART=7,0         baud 0..7 (1200/2400/4800/9600/19200/38400/57600/115200), parity 0 none 1 even 2 odd
    AT+FLASH=1          1: save the settings now and keep saving them; 0: settings last until power-off
    AT+INFO?            every setting, one line each
    AT+DEFAULT          factory settings
    AT+RESET            restart (settings come back from flash)
    ATE0 / ATE1         echo off / on

Data mode. Bytes are collected until the UART is quiet for 3 character times or a packet is full,
then sent as one radio packet: ``[address hi, address lo, net id] + data``. Transparent mode sends
to the module's own address on its own channel; fixed-point mode takes the first three bytes of
each UART packet as the target address (hi, lo) and channel, and sends the rest there. A receiver
passes a packet to its UART if the net id matches and the address is its own, or either is FF,FF.
Air rates are LoRa settings: 0.3k SF12/125 kHz, 1.2k SF12/500, 2.4k SF11/500, 4.8k SF10/500, 9.6k
SF7/250, 19.2k SF7/500 (coding rate 4/5): the slower, the further it reaches.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.device import Device, DeviceParams
from sim.radio import RadioFaults, medium
from sim.uart import uart_port

from .at import ATError, ATModule, Dialect, at_command

#: air-rate code -> (spreading factor, bandwidth Hz, nominal bit/s)
AIR_RATES: dict[int, tuple[int, float, int]] = {
    0: (12, 125e3, 300), 1: (12, 500e3, 1200), 2: (11, 500e3, 2400),
    3: (10, 500e3, 4800), 4: (7, 250e3, 9600), 5: (7, 500e3, 19200),
}
TPOWER_DBM = (11.0, 14.0, 17.0, 20.0)
PACKSIZES = (32, 64, 128, 240)
BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
PARITIES = ("N", "E", "O")
MAX_CHANNEL = 83
HEADER = 3                                  # address hi, address lo, net id


class ATKLoraParams(DeviceParams):
    md0: Literal[0, 1] = Field(0, description="MD0 pin level: 1 configuration (AT) mode, 0 data mode")
    addr: int = Field(0, ge=0, le=0xFFFF, description="module address (AT+ADDR), 0..65535; 65535 = FF,FF: "
                      "broadcast and monitor")
    netid: int = Field(0, ge=0, le=255, description="network id (AT+NETID)")
    channel: int = Field(23, ge=0, le=MAX_CHANNEL, description="channel (AT+WLRATE): 410 + channel MHz")
    air_rate: int = Field(2, ge=0, le=5, description="air rate code (AT+WLRATE): 0 0.3k, 1 1.2k, 2 2.4k, "
                          "3 4.8k, 4 9.6k, 5 19.2k bit/s")
    tpower: int = Field(3, ge=0, le=3, description="transmit power code (AT+TPOWER): 0 11, 1 14, 2 17, 3 20 dBm")
    tmode: Literal[0, 1] = Field(0, description="0 transparent, 1 fixed point (AT+TMODE)")
    packsize: int = Field(3, ge=0, le=3, description="packet size code (AT+PACKSIZE): 32/64/128/240 bytes")
    baud: Literal[BAUDS] = Field(115200, description="UART speed, bit/s (AT+UART)")
    parity: Literal[PARITIES] = Field("N", description="UART parity: N, E or O")
    SUPPLY_RANGE_V: ClassVar = (3.3, 5.5)


class ATKLora(RadioFaults, ATModule, Device):
    """ATK-LORA-01 style LoRa UART module: AT configuration with MD0 high, transparent link with MD0 low."""
    FAMILY = "radios"
    TITLE = "LoRa UART module, ATK-LORA-01 style (SX1278, 410-493 MHz)"
    TITLE_ZH = "LoRa 无线串口模块 (ATK-LORA-01, SX1278)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.3, 5.5), 118.0
    Params = ATKLoraParams
    DIALECT = Dialect("atk-lora", terminator="crlf", echo=False, max_line=64)
    COMMANDS = {"md0": "level: 1 (configuration mode, AT commands) or 0 (data mode) — the MD0 pin"}

    @classmethod
    def port_specs(cls, params):
        return {"uart": uart_port("UART: TXD, RXD (TTL); AT commands with MD0 high, data with MD0 low")}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.md0 = params.md0
        self.node = None
        self._buf = bytearray()
        self._token = 0

    def nv_defaults(self):
        p = self.p
        return {"echo": False, "baud": p.baud, "parity": p.parity, "addr": p.addr, "netid": p.netid,
                "channel": p.channel, "rate": p.air_rate, "tpower": p.tpower, "tmode": p.tmode,
                "packsize": p.packsize, "flash": 0}

    # -- life cycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self.node = medium(self.sim).join(self, "lora")
        self._apply()
        super().start()

    def _apply(self) -> None:
        """Put the working settings on the radio."""
        sf, bw, _ = AIR_RATES[self.nv["rate"]]
        self.node.configure(channel=self.nv["channel"], rate=sf, bandwidth_hz=bw,
                            tx_power_dbm=TPOWER_DBM[self.nv["tpower"]])
        self.node.listening = self.powered and self.md0 == 0

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        self._buf.clear()
        if self.node is not None:
            self._apply()

    def boot(self):
        """At power-on and after AT+RESET: the settings (back from flash) go on the radio."""
        self._apply()
        return
        yield

    def command(self, name, args):
        if name != "md0":
            return super().command(name, args)
        level = args.get("level")
        if level not in (0, 1) or isinstance(level, bool):
            raise ValueError(f"md0 needs level 0 or 1; got {level!r}")
        self.set_md0(level)
        return {"ok": True, "md0": level}

    def set_md0(self, level: int) -> None:
        """Drive the MD0 pin."""
        if level == self.md0:
            return
        self.md0 = level
        self._buf.clear()
        self.emit("state", state="config" if level else "data", md0=level)
        if self.node is not None:
            self._apply()

    # -- UART ----------------------------------------------------------------------------------------
    def uart_receive(self, port: str, data: bytes) -> None:
        if self.md0 == 1:
            super().uart_receive(port, data)          # the AT interpreter
            return
        if not self.powered:
            return
        self._buf += data
        size = PACKSIZES[self.nv["packsize"]] + (HEADER if self.nv["tmode"] == 1 else 0)
        while len(self._buf) >= size:
            chunk = bytes(self._buf[:size])
            del self._buf[:size]
            self._send(chunk)
        self._token += 1
        token = self._token
        baud = self.nv["baud"]
        gap = max(3 * 11 / baud, 0.002)
        self.sim.env.timeout(gap).callbacks.append(lambda _e: self._quiet(token))

    def _quiet(self, token: int) -> None:
        if token == self._token and self._buf and self.md0 == 0:
            chunk = bytes(self._buf)
            self._buf.clear()
            self._send(chunk)

    def _send(self, chunk: bytes) -> None:
        nv = self.nv
        if nv["tmode"] == 1:
            if len(chunk) <= HEADER:
                self.emit("event", error=f"fixed-point packet of {len(chunk)} bytes has no data after its "
                                         "3-byte address and channel; not sent")
                return
            addr, channel, data = (chunk[0] << 8) | chunk[1], chunk[2], chunk[HEADER:]
            if channel > MAX_CHANNEL:
                self.emit("event", error=f"fixed-point packet names channel {channel}; channels are "
                                         f"0..{MAX_CHANNEL}; not sent")
                return
        else:
            addr, channel, data = nv["addr"], nv["channel"], chunk
        packet = bytes([addr >> 8, addr & 0xFF, nv["netid"]]) + data
        medium(self.sim).send(self.node, packet, channel=channel)

    def radio_receive(self, node, payload, sender, rssi_dbm, snr_db) -> None:
        if len(payload) <= HEADER or self.md0 != 0 or not self.powered:
            return
        addr, netid = (payload[0] << 8) | payload[1], payload[2]
        mine = self.nv["addr"]
        if netid != self.nv["netid"] or not (addr == mine or addr == 0xFFFF or mine == 0xFFFF):
            why = "netid" if netid != self.nv["netid"] else "address"
            self.emit("frame.lost", bus="lora", reason=why, to=f"{addr >> 8:02X},{addr & 0xFF:02X}",
                      netid=netid)        # heard on the air, not for this module: its UART stays quiet
            return
        self.uart_send("uart", payload[HEADER:])

    # -- AT commands ---------------------------------------------------------------------------------
    def _set(self, **values) -> None:
        self.nv.update(values)
        if self.nv["flash"]:
            self.save()
        self._apply()

    @at_command("+ADDR", "set")
    def _addr(self, call):
        call.count(2)
        hi, lo = (call.int(i, 0, 255, base=16) for i in (0, 1))
        if any(len(a) != 2 for a in call.args):
            raise ATError("range")
        self._set(addr=(hi << 8) | lo)

    @at_command("+ADDR", "query")
    def _addr_q(self, call):
        a = self.nv["addr"]
        return f"+ADDR:{a >> 8:02X},{a & 0xFF:02X}"

    @at_command("+ADDR", "test")
    def _addr_t(self, call):
        return "+ADDR:(00-FF),(00-FF)"

    @at_command("+NETID", "set")
    def _netid(self, call):
        call.count(1)
        self._set(netid=call.int(0, 0, 255))

    @at_command("+NETID", "query")
    def _netid_q(self, call):
        return f"+NETID:{self.nv['netid']}"

    @at_command("+NETID", "test")
    def _netid_t(self, call):
        return "+NETID:(0-255)"

    @at_command("+WLRATE", "set")
    def _wlrate(self, call):
        call.count(2)
        channel, rate = call.int(0, 0, MAX_CHANNEL), call.int(1, 0, 5)
        self._set(channel=channel, rate=rate)

    @at_command("+WLRATE", "query")
    def _wlrate_q(self, call):
        return f"+WLRATE:{self.nv['channel']},{self.nv['rate']}"

    @at_command("+WLRATE", "test")
    def _wlrate_t(self, call):
        return f"+WLRATE:(0-{MAX_CHANNEL}),(0-5)"

    @at_command("+TPOWER", "set")
    def _tpower(self, call):
        call.count(1)
        self._set(tpower=call.int(0, 0, 3))

    @at_command("+TPOWER", "query")
    def _tpower_q(self, call):
        return f"+TPOWER:{self.nv['tpower']}"

    @at_command("+TPOWER", "test")
    def _tpower_t(self, call):
        return "+TPOWER:(0-3)"

    @at_command("+TMODE", "set")
    def _tmode(self, call):
        call.count(1)
        self._set(tmode=call.int(0, 0, 1))

    @at_command("+TMODE", "query")
    def _tmode_q(self, call):
        return f"+TMODE:{self.nv['tmode']}"

    @at_command("+TMODE", "test")
    def _tmode_t(self, call):
        return "+TMODE:(0-1)"

    @at_command("+PACKSIZE", "set")
    def _packsize(self, call):
        call.count(1)
        self._set(packsize=call.int(0, 0, 3))

    @at_command("+PACKSIZE", "query")
    def _packsize_q(self, call):
        return f"+PACKSIZE:{self.nv['packsize']}"

    @at_command("+PACKSIZE", "test")
    def _packsize_t(self, call):
        return "+PACKSIZE:(0-3)"

    @at_command("+UART", "set")
    def _uart_set(self, call):
        call.count(2)
        baud, parity = BAUDS[call.int(0, 0, 7)], PARITIES[call.int(1, 0, 2)]
        # the OK goes out at the old setting; the new one applies once it is through
        self.sim.env.timeout(0).callbacks.append(lambda _e: self._set(baud=baud, parity=parity))

    @at_command("+UART", "query")
    def _uart_q(self, call):
        return f"+UART:{BAUDS.index(self.nv['baud'])},{PARITIES.index(self.nv['parity'])}"

    @at_command("+UART", "test")
    def _uart_t(self, call):
        return "+UART:(0-7),(0-2)"

    @at_command("+FLASH", "set")
    def _flash(self, call):
        call.count(1)
        on = call.int(0, 0, 1)
        self.nv["flash"] = on
        self.save(None if on else ["flash"])

    @at_command("+FLASH", "query")
    def _flash_q(self, call):
        return f"+FLASH:{self.nv['flash']}"

    @at_command("+FLASH", "test")
    def _flash_t(self, call):
        return "+FLASH:(0-1)"

    @at_command("+INFO", "query")
    def _info(self, call):
        return [self._addr_q(call), self._netid_q(call), self._wlrate_q(call), self._tpower_q(call),
                self._tmode_q(call), self._packsize_q(call), self._uart_q(call), self._flash_q(call)]

    @at_command("+DEFAULT", "exec")
    def _default(self, call):
        self.factory()
        self._apply()

    @at_command("+RESET", "exec")
    def _reset(self, call):
        self.sim.env.timeout(0).callbacks.append(lambda _e: self.reboot(0.1))
