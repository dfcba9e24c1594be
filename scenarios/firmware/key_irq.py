# Key interrupt with debounce: each press of KEY1 toggles LED2 and prints the count on UART0.
# Any edge of the key (the contacts bounce for a few ms) restarts a 20 ms one-shot timer; when the
# timer runs out the contacts have settled, and a settled low level after a high one is one press.
import time
from machine import Pin, Timer

led = Pin("LED2", Pin.OUT)
key = Pin("KEY1", Pin.IN, Pin.PULL_UP)
debounce = Timer(1)
stable = 1
presses = 0


def settled(timer):
    global stable, presses
    level = key.value()
    if level == 0 and stable == 1:
        presses += 1
        led.toggle()
        print("press", presses)
    stable = level


def on_edge(pin):
    debounce.init(mode=Timer.ONE_SHOT, period=20, callback=settled)


key.irq(handler=on_edge, trigger=Pin.IRQ_FALLING | Pin.IRQ_RISING, priority=1)
while True:
    time.sleep_ms(1000)
