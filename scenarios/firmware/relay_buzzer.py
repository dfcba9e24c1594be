# Relay and buzzer: KEY2 switches the relay (and the lamp on it); the buzzer beeps 100 ms each time.
# The main loop polls the key every 10 ms and feeds a watchdog.
import time
from machine import Pin, WDT

relay = Pin("RELAY", Pin.OUT)
buzzer = Pin("BUZZER", Pin.OUT)
key = Pin("KEY2", Pin.IN, Pin.PULL_UP)
wdt = WDT(timeout=2000)
last = 1
while True:
    level = key.value()
    if level == 0 and last == 1:
        relay.toggle()
        buzzer.on()
        time.sleep_ms(100)
        buzzer.off()
    last = level
    wdt.feed()
    time.sleep_ms(10)
