"""SSD1306 OLED (128x64 or 128x32) on I2C, as the common 0.96" modules wire it.

Each I2C write starts with a control byte: Co (bit 7) set means one byte follows and then another control
byte; D/C (bit 6) says whether what follows is commands (0) or display RAM data (1). The controller
follows its command set: display on/off (0xAE/0xAF), the charge pump (0x8D 0x14: without it a module
powered only from 3.3 V stays dark), addressing modes (0x20: horizontal, vertical, page), the column and
page windows (0x21, 0x22), page-mode addresses (0xB0-0xB7, 0x00-0x1F), contrast (0x81), segment remap
(0xA0/0xA1) and COM scan direction (0xC0/0xC8: the modules are upright with 0xA1 and 0xC8, mirrored
otherwise), multiplex ratio (0xA8), display offset (0xD3) and start line (0x40-0x7F), inverse
(0xA6/0xA7) and entire-display-on (0xA4/0xA5); timing and scrolling commands are taken with their
arguments. RAM is 8 pages of 128 columns, a byte holding eight pixels of a column, bit 0 at the top.

Trace: an ``oled`` record per simulated instant in which what the panel shows changed: ``on`` (lit at
all), ``lit`` (pixels lit), ``text`` (the text on it, read back with the ``framebuf`` 8x8 font at
columns that are multiples of 8, one line for each row of text; an unknown lit cell reads ``?``) and
``pixels`` (the panel as hex, rows top to bottom, 16 bytes a row, MSB on the left) for the viewer.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from sim.device import DeviceParams

from .board_font import FIRST, FONT
from .display import I2cDisplay

WIDTH = 128
ARGS = {0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0x8D: 1, 0xA8: 1, 0xD3: 1, 0xD5: 1, 0xD9: 1, 0xDA: 1, 0xDB: 1,
        0x26: 6, 0x27: 6, 0x29: 5, 0x2A: 5, 0xA3: 2, 0xD6: 1}
GLYPHS = {FONT[i:i + 8]: chr(FIRST + i // 8) for i in range(8, len(FONT) - 8, 8)}   # no space, no 127


class SSD1306Params(DeviceParams):
    address: Literal[0x3C, 0x3D] = Field(0x3C, description="I2C address (the SA0 jumper): 0x3C or 0x3D")
    height: Literal[32, 64] = Field(64, description="panel rows: 64 (0.96\") or 32 (0.91\")")
    external_vcc: bool = Field(False, description="the panel has its own high-voltage supply (no charge pump needed)")
    SUPPLY_RANGE_V: ClassVar = (3.0, 5.5)


class SSD1306(I2cDisplay):
    """SSD1306 128x64 / 128x32 OLED on I2C."""
    TITLE, TITLE_ZH = "SSD1306 OLED display (I2C)", "SSD1306 OLED 显示屏 (I2C)"
    SUPPLY_RANGE_V, CURRENT_MA = (3.0, 5.5), 20.0
    Params = SSD1306Params
    TRACE_FIELDS = ("on", "lit", "text")

    def _reset(self) -> None:
        self.ram = bytearray(8 * WIDTH)
        self.display_on, self.pump, self.inverse, self.all_on = False, False, False, False
        self.mode, self.col, self.page = 2, 0, 0
        self.cols, self.pages = (0, WIDTH - 1), (0, 7)
        self.remap, self.scan_flip, self.mux, self.offset, self.start_line = False, False, 63, 0, 0
        self.contrast = 0x7F
        self._cmd: list[int] = []

    # -- the I2C side -------------------------------------------------------------------------------------
    def i2c_transfer(self, write: bytes, read: int) -> bytes:
        i = 0
        while i < len(write):
            ctrl = write[i]
            i += 1
            data = bool(ctrl & 0x40)
            if ctrl & 0x80:                        # Co: one byte, then another control byte
                if i < len(write):
                    self._byte(write[i], data)
                    i += 1
                continue
            for byte in write[i:]:
                self._byte(byte, data)
            break
        self._changed()
        return b"\x00" * read                      # the status byte: not busy

    def _byte(self, byte: int, data: bool) -> None:
        if data:
            self._data(byte)
            return
        cmd = self._cmd
        cmd.append(byte)
        if len(cmd) - 1 < ARGS.get(cmd[0], 0):
            return
        self._cmd = []
        self._command(cmd[0], cmd[1:])

    def _command(self, op: int, args: list[int]) -> None:
        if op in (0xAE, 0xAF):
            self.display_on = op == 0xAF
        elif op == 0x8D:
            self.pump = bool(args[0] & 0x04)
        elif op == 0x20:
            self.mode = args[0] & 3 if args[0] & 3 != 3 else 2
        elif op == 0x21:
            self.cols = (args[0] & 0x7F, args[1] & 0x7F)
            self.col = self.cols[0]
        elif op == 0x22:
            self.pages = (args[0] & 7, args[1] & 7)
            self.page = self.pages[0]
        elif 0xB0 <= op <= 0xB7:
            self.page = op & 7
        elif op <= 0x0F:
            self.col = (self.col & 0xF0) | op
        elif op <= 0x1F:
            self.col = (self.col & 0x0F) | ((op & 0x0F) << 4)
        elif 0x40 <= op <= 0x7F:
            self.start_line = op & 0x3F
        elif op == 0x81:
            self.contrast = args[0]
        elif op in (0xA0, 0xA1):
            self.remap = op == 0xA1
        elif op in (0xC0, 0xC8):
            self.scan_flip = op == 0xC8
        elif op in (0xA6, 0xA7):
            self.inverse = op == 0xA7
        elif op in (0xA4, 0xA5):
            self.all_on = op == 0xA5
        elif op == 0xA8:
            self.mux = max(15, args[0] & 0x3F)
        elif op == 0xD3:
            self.offset = args[0] & 0x3F

    def _data(self, byte: int) -> None:
        self.ram[self.page * WIDTH + (self.col & 0x7F)] = byte
        if self.mode == 0:                          # horizontal: along the columns, then the next page
            self.col += 1
            if self.col > self.cols[1]:
                self.col = self.cols[0]
                self.page = self.page + 1 if self.page < self.pages[1] else self.pages[0]
        elif self.mode == 1:                        # vertical: down the pages, then the next column
            self.page += 1
            if self.page > self.pages[1]:
                self.page = self.pages[0]
                self.col = self.col + 1 if self.col < self.cols[1] else self.cols[0]
        else:                                       # page mode: along the page, wrapping within it
            self.col = (self.col + 1) & 0x7F

    # -- what the panel shows -------------------------------------------------------------------------------
    def lit_now(self) -> bool:
        return self.powered and self.display_on and (self.pump or self.p.external_vcc)

    def rows(self) -> list[int]:
        """The panel's pixels: one int a row (bit 127 - x is column x), top row first."""
        height = self.p.height
        if not self.lit_now():
            return [0] * height
        full = (1 << WIDTH) - 1
        out = []
        for y in range(height):
            if self.all_on:
                out.append(full)
                continue
            com = (height - 1 - y) if not self.scan_flip else y
            if com > self.mux:
                out.append(0)
                continue
            r = (com + self.start_line + self.offset) & 63
            page, bit = r >> 3, r & 7
            line = self.ram[page * WIDTH:(page + 1) * WIDTH]
            value = 0
            for x in range(WIDTH):
                seg = x if self.remap else WIDTH - 1 - x
                if line[seg] >> bit & 1:
                    value |= 1 << (WIDTH - 1 - x)
            out.append(value ^ full if self.inverse else value)
        return out

    def shown(self) -> tuple[str, dict]:
        rows = self.rows()
        return "oled", {"on": self.lit_now(), "lit": sum(bin(r).count("1") for r in rows), "text": read_text(rows),
                        "pixels": "".join(f"{r:032x}" for r in rows)}


def read_text(rows: list[int]) -> str:
    """The text on the panel in the 8x8 font, at columns that are multiples of 8: one line per band of
    eight rows holding a known character (lines joined with ``\\n``)."""
    lines, y, height = [], 0, len(rows)
    while y <= height - 8:
        cells, known = [], False
        for cx in range(0, WIDTH, 8):
            cols = bytes(sum(((rows[y + r] >> (WIDTH - 1 - (cx + c))) & 1) << r for r in range(8)) for c in range(8))
            ch = GLYPHS.get(cols)
            known = known or ch is not None
            cells.append(ch if ch is not None else (" " if not any(cols) else "?"))
        if known:
            lines.append("".join(cells).rstrip())
            y += 8
        else:
            y += 1
    return "\n".join(lines)
