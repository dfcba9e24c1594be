# I2C sensor to an OLED: an SHT3x (0x44) read once a second and shown on a 128x64 SSD1306 (0x3C) with
# MicroPython's framebuf text and a bar for the humidity.
import time
from machine import I2C
from ssd1306 import SSD1306_I2C

i2c = I2C(0, freq=400000)
oled = SSD1306_I2C(128, 64, i2c)
start = time.ticks_ms()
while True:
    i2c.writeto(0x44, b"\x24\x00")      # SHT3x: single shot, high repeatability
    time.sleep_ms(20)
    d = i2c.readfrom(0x44, 6)
    t = -45 + 175 * (d[0] << 8 | d[1]) / 65535
    rh = 100 * (d[3] << 8 | d[4]) / 65535
    oled.fill(0)
    oled.text("SHT31", 0, 0)
    oled.text("T  %5.1f C" % t, 0, 16)
    oled.text("RH %5.1f %%" % rh, 0, 32)
    oled.rect(0, 52, 128, 10, 1)
    oled.fill_rect(2, 54, int(124 * rh / 100), 6, 1)
    oled.text("up %d s" % (time.ticks_diff(time.ticks_ms(), start) // 1000), 64, 0)
    oled.show()
    time.sleep_ms(1000)
