# ADC to UART: read A0 (an LM35 here: 10 mV per degree) once a second and print it on UART0.
import time
from machine import ADC, UART

adc = ADC(0)
uart = UART(0, baudrate=115200)
while True:
    raw = adc.read()                    # 12 bits, 0-3.3 V
    mv = raw * 3300 // 4096
    uart.write("A0=%d raw %d mV %.1f C\r\n" % (raw, mv, mv / 10))
    time.sleep_ms(1000)
