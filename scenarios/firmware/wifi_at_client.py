# Wi-Fi AT client: an ESP8266 on UART1 (115200 8N1) driven with AT commands. Join the access point,
# connect to an MQTT broker and publish the LM35 temperature on A0 every 10 s; each command and how it
# went is printed on UART0. Change SSID, KEY and BROKER for your lab.
import time
from machine import ADC, UART

SSID, KEY = "IoT-Lab", "iot12345"
BROKER, PORT = "127.0.0.1", 1883
TOPIC = "lab/board/temperature"

esp = UART(1, 115200)
adc = ADC(0)


def command(cmd, timeout_ms=2000, expect=b"OK"):
    """Send one AT command; wait for its final answer (expect, ERROR or FAIL) or the timeout."""
    esp.read()                                   # drop anything stale
    esp.write(cmd + "\r\n")
    reply, waited = b"", 0
    while waited < timeout_ms:
        time.sleep_ms(20)
        waited += 20
        chunk = esp.read()
        if chunk:
            reply += chunk
            if expect in reply or b"ERROR" in reply or b"FAIL" in reply:
                break
    ok = expect in reply
    print(cmd, "->", "OK" if ok else last_line(reply))
    return ok


def last_line(reply):
    """The module's last printable line (its boot messages at 74880 baud are garbage at 115200)."""
    text = "".join(chr(b) for b in reply if 32 <= b < 127 or b == 10)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return lines[-1] if lines else "no answer"


time.sleep_ms(1000)                              # the module boots
while not command("AT"):
    time.sleep_ms(1000)
command("AT+CWMODE=1")
while not command('AT+CWJAP="%s","%s"' % (SSID, KEY), 20000):
    time.sleep_ms(5000)
command('AT+MQTTUSERCFG=0,1,"iotlab-board","","",0,0,""')
while not command('AT+MQTTCONN=0,"%s",%d,0' % (BROKER, PORT), 10000):
    time.sleep_ms(5000)
while True:
    celsius = adc.read() * 3.3 / 4096 * 100      # LM35: 10 mV per degree, 12-bit ADC at 3.3 V
    command('AT+MQTTPUB=0,"%s","%.1f",1,0' % (TOPIC, celsius), 5000)
    time.sleep_ms(10000)
