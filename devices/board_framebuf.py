"""``framebuf`` and ``ssd1306`` as a dev board's firmware imports them (MicroPython's modules, in Python).

``FrameBuffer(buf, width, height, format)`` draws into ``buf``: MONO_VLSB (one byte holds eight pixels of
a column, bit 0 at the top: the SSD1306's own layout), MONO_HLSB and MONO_HMSB; ``fill``, ``pixel``,
``hline``, ``vline``, ``line``, ``rect``, ``fill_rect``, ``text`` (the 8x8 font), ``scroll`` and ``blit``.
``SSD1306_I2C(width, height, i2c, addr=0x3C)`` is MicroPython's driver: its ``init_display`` sends the
usual command sequence (charge pump on), ``show`` the column and page window and then the whole
buffer behind a 0x40 control byte; ``poweroff``, ``poweron``, ``contrast``, ``invert``, ``rotate``.
"""

from __future__ import annotations

from .board_font import glyph

MONO_VLSB = MVLSB = 0
MONO_HLSB = 3
MONO_HMSB = 4


class FrameBuffer:
    BOARD_API = True

    def __init__(self, buffer, width, height, format, stride=None):
        if format not in (MONO_VLSB, MONO_HLSB, MONO_HMSB):
            raise ValueError("invalid format (this board has MONO_VLSB, MONO_HLSB, MONO_HMSB)")
        self.buf, self.width, self.height, self.format = buffer, int(width), int(height), format
        self.stride = int(stride) if stride is not None else self.width
        if format != MONO_VLSB:
            self.stride = (self.stride + 7) & ~7
        need = ((self.height + 7) // 8) * self.stride if format == MONO_VLSB else self.stride * self.height // 8
        if len(buffer) < need:
            raise ValueError(f"buffer too small: {len(buffer)} bytes for {need}")

    def _at(self, x, y):
        if self.format == MONO_VLSB:
            return (y >> 3) * self.stride + x, y & 7
        i = x + y * self.stride
        return i >> 3, (x & 7) if self.format == MONO_HMSB else 7 - (x & 7)

    def pixel(self, x, y, c=None):
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        i, bit = self._at(x, y)
        if c is None:
            return self.buf[i] >> bit & 1
        self.buf[i] = (self.buf[i] & ~(1 << bit)) | ((1 if c else 0) << bit)
        return None

    def fill_rect(self, x, y, w, h, c):
        for yy in range(max(0, y), min(self.height, y + h)):
            for xx in range(max(0, x), min(self.width, x + w)):
                i, bit = self._at(xx, yy)
                self.buf[i] = (self.buf[i] & ~(1 << bit)) | ((1 if c else 0) << bit)

    def fill(self, c):
        if self.format == MONO_VLSB and len(self.buf) >= self.stride * ((self.height + 7) // 8):
            n = self.stride * ((self.height + 7) // 8)
            self.buf[:n] = (b"\xff" if c else b"\x00") * n
        else:
            self.fill_rect(0, 0, self.width, self.height, c)

    def hline(self, x, y, w, c):
        self.fill_rect(x, y, w, 1, c)

    def vline(self, x, y, h, c):
        self.fill_rect(x, y, 1, h, c)

    def rect(self, x, y, w, h, c, f=False):
        if f:
            self.fill_rect(x, y, w, h, c)
            return
        self.hline(x, y, w, c)
        self.hline(x, y + h - 1, w, c)
        self.vline(x, y, h, c)
        self.vline(x + w - 1, y, h, c)

    def line(self, x1, y1, x2, y2, c):
        dx, dy = abs(x2 - x1), -abs(y2 - y1)
        sx, sy = (1 if x1 < x2 else -1), (1 if y1 < y2 else -1)
        err = dx + dy
        while True:
            self.pixel(x1, y1, c)
            if x1 == x2 and y1 == y2:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x1 += sx
            if e2 <= dx:
                err += dx
                y1 += sy

    def text(self, s, x, y, c=1):
        for ch in str(s):
            for col, bits in enumerate(glyph(ch)):
                for row in range(8):
                    if bits >> row & 1:
                        self.pixel(x + col, y + row, c)
            x += 8

    def scroll(self, xstep, ystep):
        old = [[self.pixel(x, y) for x in range(self.width)] for y in range(self.height)]
        for y in range(self.height):
            for x in range(self.width):
                sx, sy = x - xstep, y - ystep
                if 0 <= sx < self.width and 0 <= sy < self.height:
                    self.pixel(x, y, old[sy][sx])

    def blit(self, fb, x, y, key=-1):
        for yy in range(fb.height):
            for xx in range(fb.width):
                c = fb.pixel(xx, yy)
                if c != key:
                    self.pixel(x + xx, y + yy, c)


class SSD1306_I2C(FrameBuffer):
    """MicroPython's ``ssd1306.SSD1306_I2C``: the frame buffer, and the controller over I2C."""
    BOARD_API = True

    def __init__(self, width, height, i2c, addr=0x3C, external_vcc=False):
        self.i2c, self.addr, self.external_vcc = i2c, addr, external_vcc
        self.pages = height // 8
        self.buffer = bytearray(self.pages * width)
        super().__init__(self.buffer, width, height, MONO_VLSB)
        self.init_display()

    def write_cmd(self, cmd):
        self.i2c.writeto(self.addr, bytes([0x80, cmd]))

    def init_display(self):
        for cmd in (0xAE, 0x20, 0x00, 0x40, 0xA1, 0xA8, self.height - 1, 0xC8, 0xD3, 0x00,
                    0xDA, 0x02 if self.width > 2 * self.height else 0x12, 0xD5, 0x80,
                    0xD9, 0x22 if self.external_vcc else 0xF1, 0xDB, 0x30, 0x81, 0xFF, 0xA4, 0xA6,
                    0x8D, 0x10 if self.external_vcc else 0x14, 0xAF):
            self.write_cmd(cmd)
        self.fill(0)
        self.show()

    def poweroff(self):
        self.write_cmd(0xAE)

    def poweron(self):
        self.write_cmd(0xAF)

    def contrast(self, contrast):
        self.write_cmd(0x81)
        self.write_cmd(contrast)

    def invert(self, invert):
        self.write_cmd(0xA6 | (invert & 1))

    def rotate(self, rotate):
        self.write_cmd(0xC0 | ((rotate & 1) << 3))
        self.write_cmd(0xA0 | (rotate & 1))

    def show(self):
        x0, x1 = 0, self.width - 1
        if self.width != 128:                   # narrow displays are centred in the 128 columns
            col_offset = (128 - self.width) // 2
            x0 += col_offset
            x1 += col_offset
        for cmd in (0x21, x0, x1, 0x22, 0, self.pages - 1):
            self.write_cmd(cmd)
        self.i2c.writeto(self.addr, b"\x40" + bytes(self.buffer))
