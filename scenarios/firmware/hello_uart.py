# Prints "hello" on UART0 (the console) every second.
import time

while True:
    print("hello")
    time.sleep_ms(1000)
