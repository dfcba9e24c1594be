"""An ADAM-4017+-style analog input module on RS-485: eight channels, Modbus RTU or the ASCII protocol.

Channels ``ai0``..``ai7`` take 4-20 mA loops (with the 125 Ω sense resistor the
installer fits) or voltages; each has a range code. The module answers either
Modbus RTU or the ADAM ASCII protocol (``protocol``), as its INIT switch selects.

Modbus map: input registers (FC04) 0x0000-0x0007 the channels, the range's span as
0x0000-0xFFFF (4 mA = 0x0000, 20 mA = 0xFFFF; -10 V = 0x0000, +10 V = 0xFFFF),
0x0008-0x000F channel status (0 ok, 1 open 4-20 mA loop (burn-out), 2 outside the range);
holding registers (FC03/06) 0x0100-0x0107 range codes, 0x0200 address, 0x0201 baud
code. ASCII (every command ends in CR; a bad command gets ``?AA``; another address,
silence): ``#AA`` all channels ``>+07.234+12.000...``, ``#AAN`` one channel,
``$AA2`` configuration ``!AATTCCFF``, ``$AAM`` name, ``$AAF`` firmware,
``$AA8CN`` a channel's range ``!AACNRrr``, ``$AA7CNRrr`` set it, ``%AANNTTCCFF``
new address and baud.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from sim.device import Device, DeviceParams
from sim.fault_effects import FirmwareFaults
from sim.ports import bus, input_of

from .analog_in import RANGES, Channel
from .modbus import RegisterSlave, parse_registers_reply, read_request
from .rs485_slave import BAUD_CODES, ModbusSlave, SlaveSettings
from .sensing import BadReading

#: ADAM range codes (hex) modelled, and the iotlab range each one is.
RANGE_CODES = {0x05: "±2.5V", 0x06: "±20mA", 0x07: "4-20mA", 0x08: "±10V", 0x09: "±5V", 0x48: "0-10V"}
CODE_OF = {name: code for code, name in RANGE_CODES.items()}
#: ADAM baud codes for the ASCII configuration commands.
ADAM_BAUD = {1200: 0x03, 2400: 0x04, 4800: 0x05, 9600: 0x06, 19200: 0x07, 38400: 0x08, 57600: 0x09, 115200: 0x0A}
OK, OPEN, OVER = 0, 1, 2
CMD_RE = re.compile(rb"^([#$%])([0-9A-F]{2})([0-9A-Z]*)\r$")


class DAQParams(DeviceParams, SlaveSettings):
    channels: Literal[4, 8] = Field(8, description="number of analog inputs ai0..ai3 or ai0..ai7")
    ranges: dict[str, Literal[tuple(CODE_OF)]] = Field(
        default_factory=dict, description="range of a channel, e.g. {ai0: 4-20mA}; unset: the range that fits "
                                          "the part wired to it", examples=[{"ai0": "4-20mA", "ai1": "±10V"}])
    protocol: Literal["modbus", "ascii"] = Field("modbus", description="Modbus RTU or the ADAM ASCII protocol")
    shunt_ohm: float = Field(125.0, gt=0, le=1000, description="sense resistor fitted where a loop is wired, Ω")
    SUPPLY_RANGE_V: ClassVar = (10.0, 30.0)

    @model_validator(mode="after")
    def _channels(self):
        for name in self.ranges:
            if not (name.startswith("ai") and name[2:].isdigit() and int(name[2:]) < self.channels):
                raise ValueError(f"ranges names {name!r}; this module's channels are ai0..ai{self.channels - 1}")
        return self


class DAQAnalogInput(FirmwareFaults, ModbusSlave, Device):
    """8-channel analog input module (ADAM-4017+ style), Modbus RTU or ASCII over RS-485."""
    FAMILY = "daq"
    TITLE, TITLE_ZH = "8-channel analog input module (ADAM-4017+ style)", "8 路模拟量采集模块 (ADAM-4017+)"
    SUPPLY_RANGE_V, CURRENT_MA = (10.0, 30.0), 50.0
    Params = DAQParams
    CONFIG_REGISTERS = {"address": 0x0200, "baud": 0x0201}
    NAME, FIRMWARE = "4017P", "A1.02"

    @classmethod
    def port_specs(cls, params):
        ports = {f"ai{i}": input_of("analog_v", "current_loop", doc="analog input") for i in range(params.channels)}
        ports["rs485"] = bus("rs485", "RS-485 (D+/D-)")
        return ports

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.init_slave(params, RegisterSlave(self._read_holding, self._write_holding, read_input=self._read_input))
        self.protocol = params.protocol
        self._codes = [CODE_OF.get(params.ranges.get(f"ai{i}", ""), 0x08) for i in range(params.channels)]
        self._channels: list[Channel | None] = []

    def start(self) -> None:
        self._channels = []
        for i in range(self.p.channels):
            link = self.links[f"ai{i}"][0] if self.links[f"ai{i}"] else None
            if link is None:
                self._channels.append(None)
                continue
            part, port = link.peer(self)
            channel = Channel(part, port, self.p.ranges.get(f"ai{i}"), self.p.shunt_ohm, 16)
            if channel.range not in CODE_OF:          # the tool's default has no code here: nearest one
                channel = Channel(part, port, "4-20mA" if channel.loop else "±10V", self.p.shunt_ohm, 16)
            self._codes[i] = CODE_OF[channel.range]
            self._channels.append(channel)

    def _set_range(self, i: int, code: int) -> None:
        self._codes[i] = code
        channel = self._channels[i] if i < len(self._channels) else None
        if channel is not None:
            self._channels[i] = Channel(channel.part, channel.port, RANGE_CODES[code], self.p.shunt_ohm, 16)
        self.emit("state", state="config", channel=f"ai{i}", range=RANGE_CODES[code])

    # -- measuring ----------------------------------------------------------------------------------
    def measure(self, i: int) -> tuple[float, int]:
        """(value in the range's unit, status) of channel ``i``; an open input reads 0 V. A 4-20 mA
        channel below 3.6 mA is burn-out (an open loop); any channel past its span is over range."""
        channel = self._channels[i] if i < len(self._channels) else None
        if channel is None:
            return 0.0, OK if RANGE_CODES[self._codes[i]] != "4-20mA" else OPEN
        value = channel.convert(channel.terminal_volts(self.links[f"ai{i}"][0].broken))
        if channel.range == "4-20mA" and value < 3.6:
            return value, OPEN
        if channel.range == "4-20mA":                  # NAMUR NE43: 3.6-21 mA is a reading
            return value, OVER if value > 21.0 else OK
        if value > channel.hi or value < channel.lo:
            return value, OVER
        return value, OK

    def _span(self, i: int) -> tuple[float, float]:
        _, lo, hi, _, _ = RANGES[RANGE_CODES[self._codes[i]]]
        return lo, hi

    # -- Modbus ------------------------------------------------------------------------------------
    def _read_input(self, register: int) -> int | None:
        """0x0000-0x0007 values, 0x0008-0x000F statuses (a 4-channel module reads 0 past its channels)."""
        register = self.mapped(register)
        n = self.p.channels
        if 0 <= register < 8:
            if register >= n:
                return 0
            value, _ = self.measure(register)
            lo, hi = self._span(register)
            return max(0, min(0xFFFF, round((value - lo) / (hi - lo) * 0xFFFF)))
        if 8 <= register < 16:
            return self.measure(register - 8)[1] if register - 8 < n else 0
        return None

    def _read_holding(self, register: int) -> int | None:
        register = self.mapped(register)
        if 0x0100 <= register < 0x0100 + self.p.channels:
            return self._codes[register - 0x0100]
        return self.read_config(register)

    def _write_holding(self, register: int, value: int, dry: bool = False) -> str | None:
        register = self.mapped(register)
        if 0x0100 <= register < 0x0100 + self.p.channels:
            if value not in RANGE_CODES:
                return "value"
            if not dry:
                self._set_range(register - 0x0100, value)
            return None
        return self.write_config(register, value, dry)

    # -- the ASCII protocol ------------------------------------------------------------------------
    def rs485_addressed(self, frame: bytes) -> bool:
        if self.protocol == "modbus":
            return super().rs485_addressed(frame)
        return frame[1:3] == f"{self.bus_address:02X}".encode()

    def rs485_receive(self, port: str, heard: bytes):
        if self.protocol == "modbus":
            return super().rs485_receive(port, heard)
        m = CMD_RE.match(heard)
        if m is None or int(m.group(2), 16) != self.bus_address:
            return None               # garbage or another module: silent
        self.emit("frame.rx", port=port, bus="rs485", data=heard.decode("ascii").replace("\r", "\\r"))
        reply = self._ascii(m.group(1).decode(), m.group(3).decode())
        self.apply_pending()
        return max(self.turnaround_s, 0.002), (reply + "\r").encode("ascii")

    def _ascii(self, lead: str, body: str) -> str:
        aa = f"{self.bus_address:02X}"
        n = self.p.channels
        if lead == "#" and body == "":
            return ">" + "".join(self._ascii_value(i) for i in range(n))
        if lead == "#" and len(body) == 1 and body.isdigit() and int(body) < n:
            return ">" + self._ascii_value(int(body))
        if lead == "$" and body == "2":
            return f"!{aa}{self._codes[0]:02X}{ADAM_BAUD[self.baud]:02X}00"
        if lead == "$" and body == "M":
            return f"!{aa}{self.NAME}"
        if lead == "$" and body == "F":
            return f"!{aa}{self.FIRMWARE}"
        m = re.fullmatch(r"8C(\d)", body) if lead == "$" else None
        if m and int(m.group(1)) < n:
            return f"!{aa}C{m.group(1)}R{self._codes[int(m.group(1))]:02X}"
        m = re.fullmatch(r"7C(\d)R([0-9A-F]{2})", body) if lead == "$" else None
        if m and int(m.group(1)) < n and int(m.group(2), 16) in RANGE_CODES:
            self._set_range(int(m.group(1)), int(m.group(2), 16))
            return f"!{aa}"
        m = re.fullmatch(r"([0-9A-F]{2})([0-9A-F]{2})([0-9A-F]{2})([0-9A-F]{2})", body) if lead == "%" else None
        if m:
            new, baud = int(m.group(1), 16), int(m.group(3), 16)
            speeds = {code: b for b, code in ADAM_BAUD.items() if b in BAUD_CODES}
            if 1 <= new <= 247 and baud in speeds:
                self._pending.update(address=new, baud=speeds[baud])
                return f"!{new:02X}"
        return f"?{aa}"

    def _ascii_value(self, i: int) -> str:
        """Engineering units, sign and fixed digits as the ADAM data format 00 gives them."""
        value, status = self.measure(i)
        if status == OPEN and RANGE_CODES[self._codes[i]] == "4-20mA":
            return "-0000.0"           # burn-out; out of range otherwise, the module sends what it measures
        return f"{value:+07.3f}" if abs(self._span(i)[1]) >= 10 else f"{value:+07.4f}"

    # -- what a gateway does with it ---------------------------------------------------------------
    def served(self) -> list[str]:
        """Ids that go quiet with the module: itself and the parts on its channels."""
        return [self.id] + [c.part.id for c in self._channels if c is not None]

    def master_poll(self):
        address, n = self.address, self.p.channels
        if self.protocol == "ascii":
            request = f"#{address:02X}\r".encode()
            return request, lambda reply: _parse_ascii(reply, n)
        return (read_request(address, 0x04, 0x0000, 16),
                lambda reply: self._pairs(parse_registers_reply(reply, address, 0x04, 16)))

    def _pairs(self, result):
        """Registers 0..15 as (value in the range's unit, status) per channel, or the reason."""
        if isinstance(result, str):
            return result
        n = self.p.channels
        return [(self.scale(i, raw), status) for i, (raw, status) in enumerate(zip(result[:n], result[8:8 + n]))]

    def samples(self, values: list[tuple[float | None, int]]):
        """Per wired channel: (part id, port, reading or BadReading), from (value in range unit, status)."""
        out = []
        for i, channel in enumerate(self._channels):
            if channel is None:
                continue
            value, status = values[i]
            port = f"{self.id}.ai{i}"
            if status == OPEN:
                out.append((channel.part.id, port, BadReading(
                    f"{self.id} ai{i} reports an open loop / under range (burn-out)", link=True)))
            elif status == OVER:
                out.append((channel.part.id, port, BadReading(f"{self.id} ai{i} reports a value outside its range")))
            else:
                try:
                    out.append((channel.part.id, port, channel.part.decode(channel.in_part_unit(value))))
                except BadReading as exc:
                    out.append((channel.part.id, port, exc))
        return out

    def scale(self, i: int, raw: int) -> float:
        lo, hi = self._span(i)
        return lo + raw / 0xFFFF * (hi - lo)


def _parse_ascii(reply: bytes, n: int):
    text = reply.decode("ascii", "replace")
    if not text.endswith("\r") or not text.startswith(">"):
        return "malformed"
    fields = re.findall(r"[+-][0-9.]+", text[1:-1])
    if len(fields) != n:
        return "malformed"
    out = []
    for f in fields:
        if f == "-0000.0":
            out.append((None, OPEN))
        else:
            out.append((float(f), OK))
    return out
