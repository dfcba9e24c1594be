# Modbus RTU master over RS-485: every 2 s, read the temperature-humidity transmitter at address 1
# (9600 8N1, holding registers 0x0000 humidity x10 and 0x0001 temperature x10) through UART2 and the
# board's MAX485 transceiver, and print the values (or what went wrong) on UART0.
# DE/RE of the transceiver are tied to pin RS485_DE: high to send, low to listen.
import time
from machine import UART, Pin

de = Pin("RS485_DE", Pin.OUT, value=0)
bus = UART(2, 9600)


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def read_holding(addr, reg, count):
    req = bytes([addr, 0x03, reg >> 8, reg & 0xFF, count >> 8, count & 0xFF])
    req += crc16(req)
    bus.read()                          # drop anything stale
    de.on()                             # drive the bus
    bus.write(req)
    bus.flush()                         # wait until the last byte is out
    de.off()                            # listen for the reply
    time.sleep_ms(100)                  # the reply timeout
    reply = bus.read()
    if not reply:
        return None, "no reply"
    if len(reply) < 5 or crc16(reply[:-2]) != reply[-2:]:
        return None, "bad CRC"
    if reply[1] & 0x80:
        return None, "exception %d" % reply[2]
    return [reply[3 + 2 * i] << 8 | reply[4 + 2 * i] for i in range(count)], None


while True:
    regs, err = read_holding(1, 0x0000, 2)
    if err:
        print("th1:", err)
    else:
        rh = regs[0] / 10
        t = (regs[1] - 65536 if regs[1] > 32767 else regs[1]) / 10
        print("T %.1f C RH %.1f %%" % (t, rh))
    time.sleep_ms(2000)
