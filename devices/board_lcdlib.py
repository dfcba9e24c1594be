"""The LCD1602 driver firmware imports as ``lcd_i2c``: an HD44780 in 4-bit mode behind a PCF8574 I2C
expander (P0 RS, P1 RW, P2 E, P3 backlight, P4-P7 D4-D7), as in the common MicroPython driver. It puts
the real expander bytes on the bus; the display (``devices.board_lcd``) decodes them. It waits as the
common driver does: 20 ms at power-on, 5 ms and 1 ms between the reset nibbles, 5 ms after clear and
home (the controller is busy 1.52 ms; what is written meanwhile is lost)."""

from __future__ import annotations

RS, EN, BACKLIGHT = 0x01, 0x04, 0x08


class I2cLcd:
    BOARD_API = True

    def __init__(self, i2c, addr=0x27, num_lines=2, num_columns=16):
        self.i2c, self.addr, self.lines, self.cols = i2c, addr, num_lines, num_columns
        self.backlight = BACKLIGHT
        self.i2c.writeto(addr, bytes([0]))
        self.sleep_ms(20)                             # power-on: the controller needs 15 ms
        for nibble, wait_ms in ((0x03, 5), (0x03, 1), (0x03, 1), (0x02, 1)):   # reset, then 4-bit mode
            self._nibble(nibble, 0)
            self.sleep_ms(wait_ms)
        self.command(0x28)                            # 4-bit, 2 lines, 5x8 dots
        self.command(0x0C)                            # display on, no cursor
        self.command(0x06)                            # increment, no shift
        self.clear()

    def _nibble(self, nibble, rs):
        byte = (nibble << 4) | rs | self.backlight
        self.i2c.writeto(self.addr, bytes([byte | EN, byte]))

    def sleep_ms(self, ms):
        """Wait (the board's ``time.sleep_ms``; the display needs time after some commands)."""

    def command(self, cmd):
        self._nibble(cmd >> 4, 0)
        self._nibble(cmd & 0x0F, 0)
        if cmd <= 3:
            self.sleep_ms(5)                          # clear and home take 1.52 ms

    def write_data(self, data):
        self._nibble(data >> 4, RS)
        self._nibble(data & 0x0F, RS)

    def clear(self):
        self.command(0x01)
        self.row = self.col = 0

    def move_to(self, col, row):
        self.col, self.row = col, row
        self.command(0x80 | (col + 0x40 * row))

    def backlight_on(self):
        self.backlight = BACKLIGHT
        self.i2c.writeto(self.addr, bytes([BACKLIGHT]))

    def backlight_off(self):
        self.backlight = 0
        self.i2c.writeto(self.addr, bytes([0]))

    def putchar(self, ch):
        if ch == "\n":
            self.move_to(0, (self.row + 1) % self.lines)
            return
        self.write_data(0xDF if ch == "\u00b0" else ord(ch) & 0xFF)
        self.col += 1

    def putstr(self, text):
        for ch in str(text):
            self.putchar(ch)
