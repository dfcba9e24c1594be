# Blink: LED1 toggles every 500 ms.
import time
from machine import Pin

led = Pin("LED1", Pin.OUT)
while True:
    led.toggle()
    time.sleep_ms(500)
