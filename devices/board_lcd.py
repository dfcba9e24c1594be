"""LCD1602 character display on a PCF8574 I2C backpack: the HD44780 controller as the expander drives it.

Each byte written to the expander sets its eight pins (P0 RS, P1 RW, P2 E, P3 backlight, P4-P7 D4-D7);
the controller latches D7-D4 on each falling edge of E, 8-bit at power-on until a function set selects
4-bit mode (the usual 0x3, 0x3, 0x3, 0x2 reset sequence). Clear, home, entry mode, display on/off and
DDRAM addresses are followed; CGRAM writes are taken and ignored. What the display shows goes to the
trace as ``lcd`` records (``line1``, ``line2``), one per simulated instant in which it changed.

Timing: after an instruction the controller is busy (``EXEC_S``: 1.52 ms for clear and home, 37 µs for
the others and for data); a nibble latched while it is busy is lost, so the nibbles after it pair up
wrong and the display shows garbage, as on the bench when a driver does not wait after a clear. The
first one lost in each busy spell is an ``lcd.ignored`` record. Writes from an MCU's interrupt handler
are timed on the handler's own clock (``sim.buses.i2c_transfer``, ``lag_s``).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.device import DeviceParams

from .display import I2cDisplay

ADDRESSES = tuple(range(0x20, 0x28)) + tuple(range(0x38, 0x40))
EXEC_S = {"clear": 1.52e-3, "home": 1.52e-3, "other": 37e-6}


class LCD1602Params(DeviceParams):
    address: Literal[ADDRESSES] = Field(0x27, description="PCF8574 I2C address (A0-A2 jumpers): 0x20-0x27, "
                                        "or 0x38-0x3F for a PCF8574A")
    SUPPLY_RANGE_V: ClassVar = (4.5, 5.5)


def _char(code: int) -> str:
    if code == 0xDF:
        return "\u00b0"
    return chr(code) if 0x20 <= code <= 0x7D else "?"


class LCD1602(I2cDisplay):
    """LCD1602 (HD44780) on a PCF8574 I2C backpack."""
    TITLE, TITLE_ZH = "LCD1602 display with PCF8574 I2C backpack", "LCD1602 液晶屏 (PCF8574 I2C 转接板)"
    SUPPLY_RANGE_V, CURRENT_MA = (4.5, 5.5), 25.0
    Params = LCD1602Params
    TRACE_FIELDS = ("line1", "line2", "backlight")
    I2C_DOC = "SDA/SCL of the PCF8574 backpack"

    def _reset(self) -> None:
        self.ddram = bytearray(b" " * 0x68)
        self.addr, self.increment, self.display_on = 0, True, False
        self.four_bit, self.high = False, None
        self.port, self.cgram = 0, False
        self.busy_until, self._told = 0.0, -1.0

    def i2c_transfer(self, write: bytes, read: int) -> bytes:
        return self.i2c_transfer_at(write, read, self.sim.env.now)

    def i2c_transfer_at(self, write: bytes, read: int, at: float) -> bytes:
        """``at``: the master's time of the transfer (ahead of the clock inside an interrupt handler)."""
        for byte in write:
            if self.port & 0x04 and not byte & 0x04:      # E falls: latch D7-D4
                self._latch(self.port >> 4, bool(self.port & 0x01), at)
            self.port = byte
        self._changed()
        return bytes([self.port]) * read

    def _latch(self, nibble: int, rs: bool, now: float) -> None:
        if now < self.busy_until - 1e-12:
            if self._told != self.busy_until:
                self._told = self.busy_until
                self.emit("lcd.ignored", why=f"busy: written {1e6 * (self.busy_until - now):.0f} µs before "
                          "the last instruction finished")
            return
        if not self.four_bit:
            value = nibble << 4                               # 8-bit mode: D3-D0 are not wired
            if not rs and value & 0xE0 == 0x20:
                self.four_bit = not value & 0x10
                self.high = None
            return
        if self.high is None:
            self.high = nibble
            return
        value, self.high = (self.high << 4) | nibble, None
        if rs:
            self._data(value)
        else:
            self._command(value)
        kind = "clear" if not rs and value == 0x01 else "home" if not rs and value & 0xFE == 0x02 else "other"
        self.busy_until = now + EXEC_S[kind]

    def _command(self, cmd: int) -> None:
        if cmd & 0x80:
            self.addr, self.cgram = cmd & 0x7F, False
        elif cmd & 0x40:
            self.cgram = True
        elif cmd & 0x20:
            self.four_bit = not cmd & 0x10
        elif cmd & 0x08:
            self.display_on = bool(cmd & 0x04)
        elif cmd & 0x04:
            self.increment = bool(cmd & 0x02)
        elif cmd & 0x02:
            self.addr, self.cgram = 0, False
        elif cmd & 0x01:
            self.ddram[:] = b" " * len(self.ddram)
            self.addr, self.increment, self.cgram = 0, True, False

    def _data(self, value: int) -> None:
        if self.cgram:
            return
        if self.addr < 0x28 or 0x40 <= self.addr < 0x68:
            self.ddram[self.addr] = value
        step = 1 if self.increment else -1
        self.addr = (self.addr + step) & 0x7F
        if self.addr == 0x28:
            self.addr = 0x40
        elif self.addr == 0x68:
            self.addr = 0x00

    def text(self) -> tuple[str, str]:
        if not self.display_on or not self.powered:
            return "", ""
        return ("".join(_char(c) for c in self.ddram[0:16]).rstrip(),
                "".join(_char(c) for c in self.ddram[0x40:0x50]).rstrip())

    def shown(self) -> tuple[str, dict]:
        line1, line2 = self.text()
        return "lcd", {"line1": line1, "line2": line2, "backlight": bool(self.port & 0x08) and self.powered}
