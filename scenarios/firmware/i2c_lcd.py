# I2C sensors to the LCD: an SHT3x (0x44) and a BH1750 (0x23) on the I2C bus, shown on an LCD1602
# behind a PCF8574 backpack (0x27) once a second.
import time
from machine import I2C
from lcd_i2c import I2cLcd

i2c = I2C(0, freq=100000)
lcd = I2cLcd(i2c, 0x27, 2, 16)
i2c.writeto(0x23, b"\x01")              # BH1750: power on
i2c.writeto(0x23, b"\x10")              # continuous high-resolution mode, 120 ms a conversion
time.sleep_ms(180)
while True:
    i2c.writeto(0x44, b"\x24\x00")      # SHT3x: single shot, high repeatability, no clock stretching
    time.sleep_ms(20)
    d = i2c.readfrom(0x44, 6)
    t = -45 + 175 * (d[0] << 8 | d[1]) / 65535
    rh = 100 * (d[3] << 8 | d[4]) / 65535
    b = i2c.readfrom(0x23, 2)
    lux = (b[0] << 8 | b[1]) / 1.2
    lcd.move_to(0, 0)
    lcd.putstr("T %4.1fC H %4.1f%%" % (t, rh))
    lcd.move_to(0, 1)
    lcd.putstr("L %6.0f lx" % lux)
    time.sleep_ms(1000)
