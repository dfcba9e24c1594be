"""A dev board's UART2 behind its RS-485 transceiver (DE/RE on RS485_DE), UART1 to an ESP8266, and the
Modbus-master and Wi-Fi AT-client example firmware."""

from __future__ import annotations

import re

from test_firmware import FIRMWARE, board_lab, of, terminal

TH = "  - {id: th1, type: rs485_th, pos_m: [2, 1], address: 1}\n"


def _master(lab, tmp_path, source: str | None = None, seconds: float = 5.0):
    fw = FIRMWARE / "modbus_master.py"
    if source is not None:
        fw = tmp_path / "fw.py"
        fw.write_text(source)
    sim, ring = board_lab(lab, fw, extra_devices=TH, wiring="  - b1.rs485 -> th1.rs485\n")
    out = terminal(sim)
    sim.run(seconds)
    return bytes(out).decode(), ring, sim


def test_modbus_master_example_reads_the_transmitter(lab, tmp_path):
    out, ring, sim = _master(lab, tmp_path)
    lines = out.splitlines()
    assert len(lines) == 3 and all(re.fullmatch(r"T -?\d+\.\d C RH \d+\.\d %", line) for line in lines), lines
    th = sim.devices["th1"]
    t = float(lines[-1].split()[1])
    assert abs(t - th.reading(1)) < 0.2                          # MEASURES[1]: temperature
    tx = [r["data"] for r in of(ring, kind="frame.tx") if r["port"] == "rs485"]
    assert tx[0] == "01 03 00 00 00 02 C4 0B"                  # a real Modbus RTU request with its CRC
    assert not [r for r in of(ring, kind="frame.lost")]


BROKEN = FIRMWARE.joinpath("modbus_master.py").read_text()


def test_leaving_de_high_loses_the_reply(lab, tmp_path):
    out, ring, _ = _master(lab, tmp_path, BROKEN.replace("    de.off()                            # listen for "
                                                         "the reply\n", ""), 3.0)
    assert out.splitlines()[0] == "th1: no reply"
    lost = [r["reason"] for r in of(ring, kind="frame.lost")]
    assert lost[0].startswith("receiver off: RS485_DE was high while the reply came")
    assert of(ring, src="th1", kind="frame.tx")                   # the transmitter did answer


def test_dropping_de_before_the_last_byte_cuts_the_request(lab, tmp_path):
    out, ring, _ = _master(lab, tmp_path, BROKEN.replace("    bus.flush()", "    pass"), 3.0)
    assert out.splitlines()[0] == "th1: no reply"
    lost = [r["reason"] for r in of(ring, kind="frame.lost")]
    assert lost[0] == "cut: RS485_DE dropped after 0 of 8 bytes"
    assert not of(ring, src="th1", kind="frame.tx")


def test_writing_with_de_low_reaches_nobody(lab, tmp_path):
    out, ring, _ = _master(lab, tmp_path, BROKEN.replace("    de.on()", "    pass"), 3.0)
    assert out.splitlines()[0] == "th1: no reply"
    assert of(ring, kind="frame.lost")[0]["reason"].startswith("driver off: RS485_DE is low")


def test_the_board_uarts_keep_their_own_settings_and_buffers(lab, tmp_path):
    fw = tmp_path / "fw.py"
    fw.write_text("from machine import UART\nimport time\na = UART(1, 9600)\nb = UART(2, 19200)\n"
                  "time.sleep_ms(300)\nprint(a.read(), b.any())\n")
    sim, ring = board_lab(lab, fw)
    from sim.uart import attach
    term1 = attach(sim.devices["b1"], "uart1", lambda data: None)
    out = terminal(sim)
    sim.run(0.1)
    term1.write(b"OK\r\n")
    sim.run(1.0)
    assert sim.devices["b1"].uart("uart1") == (9600, "N") and sim.devices["b1"].uart("rs485") == (19200, "N")
    assert bytes(out) == b"b'OK\\r\\n' 0\r\n"


def test_a_uart_that_does_not_exist_is_a_crash_naming_the_line(lab, tmp_path):
    fw = tmp_path / "fw.py"
    fw.write_text("from machine import UART\nu = UART(3)\n")
    sim, ring = board_lab(lab, fw)
    sim.run(0.5)
    crash = of(ring, kind="crash")[0]
    assert crash["line"] == 2 and "UART(3) does not exist" in crash["error"]


def test_wifi_at_client_example_publishes_to_a_real_broker(lab, tmp_path):
    from at_support import Running
    from mqtt_support import Mosquitto, Subscriber
    broker = Mosquitto(tmp_path).start()
    try:
        sub = Subscriber(broker.port, ["lab/board/temperature"])
        fw = tmp_path / "wifi.py"
        fw.write_text(FIRMWARE.joinpath("wifi_at_client.py").read_text().replace(
            'BROKER, PORT = "127.0.0.1", 1883', f'BROKER, PORT = "127.0.0.1", {broker.port}'))
        extra = ("  - {id: ap1, type: wifi_ap, pos_m: [5, 5], ssid: IoT-Lab, key: iot12345}\n"
                 "  - {id: esp1, type: esp8266, pos_m: [2, 1]}\n"
                 "  - {id: t1, type: lm35, pos_m: [1, 2]}\n")
        sim, ring = board_lab(lab, fw, extra_devices=extra, wiring="  - b1.uart1 -> esp1.uart\n  - b1.a0 -> t1.out\n")
        out = terminal(sim)
        run = Running(sim, speed=4.0, seconds=120)
        try:
            assert sub.wait_for(lambda m: len(m) >= 2, timeout_s=30), bytes(out)
        finally:
            run.stop()
        values = [float(p) for p in sub.topic("lab/board/temperature")]
        assert all(15 < v < 35 for v in values)
        lines = bytes(out).decode().splitlines()
        assert lines[:4] == ["AT -> OK", "AT+CWMODE=1 -> OK", 'AT+CWJAP="IoT-Lab","iot12345" -> OK',
                             'AT+MQTTUSERCFG=0,1,"iotlab-board","","",0,0,"" -> OK']
        assert lines[4] == f'AT+MQTTCONN=0,"127.0.0.1",{broker.port},0 -> OK'
        sub.close()
    finally:
        broker.stop()


def test_dropping_de_in_the_middle_of_the_request_cuts_it_after_the_last_whole_byte(lab, tmp_path):
    # 9600 8N1: 1.042 ms a byte; DE drops 4.5 ms after the write, so 4 of the 8 bytes went out
    out, ring, _ = _master(lab, tmp_path, BROKEN.replace("    bus.flush()", "    time.sleep_us(4500)"), 3.0)
    assert out.splitlines()[0] == "th1: no reply"
    lost = [r for r in of(ring, kind="frame.lost")]
    assert lost[0]["reason"] == "cut: RS485_DE dropped after 4 of 8 bytes"
    tx = [r for r in of(ring, kind="frame.tx") if r["port"] == "rs485"]
    assert (tx[0]["t"], tx[0]["data"]) == (0.0, "01 03 00 00 00 02 C4 0B")    # what the UART started to send
    assert lost[0]["data"] == "01 03 00 00"                                   # what reached the bus
    assert of(ring, src="th1", kind="frame.lost") or not of(ring, src="th1", kind="frame.tx")


def test_raising_de_while_the_reply_comes_loses_it(lab, tmp_path):
    # the request ends at 8.3 ms and the reply comes at about 23-33 ms: DE up for 1 ms at 28 ms
    src = BROKEN.replace("    de.off()                            # listen for the reply\n",
                         "    de.off()\n    time.sleep_us(19667)\n    de.on()\n    time.sleep_ms(1)\n    de.off()\n")
    out, ring, _ = _master(lab, tmp_path, src, 3.0)
    assert out.splitlines()[0] == "th1: no reply"
    assert of(ring, src="th1", kind="frame.tx")
    assert of(ring, kind="frame.lost")[0]["reason"].startswith("receiver off")
    assert not of(ring, kind="frame.rx")                             # a lost reply is not also received


def test_a_reset_drops_de_and_forgets_a_reply_in_flight(lab, tmp_path):
    src = ("import time, machine\nfrom machine import UART, Pin\nde = Pin('RS485_DE', Pin.OUT)\nbus = UART(2, 9600)\n"
           "de.on()\nbus.write(b'\\x01\\x03\\x00\\x00\\x00\\x02\\xc4\\x0b')\nbus.flush()\nde.off()\n"
           "machine.reset()\n")
    out, ring, _ = _master(lab, tmp_path, src, 0.2)
    de = [(r["t"], r["on"]) for r in of(ring, kind="output") if r["output"] == "RS485_DE"]
    assert de[:2] == [(0.0, True), (de[1][0], False)]
    assert of(ring, kind="state")[0]["cause"] == "machine.reset()"
    assert of(ring, src="th1", kind="frame.tx") and not of(ring, kind="frame.rx")


def _powered_lab(lab, source: str, tmp_path, fault_at: float, fault_s: float):
    fw = tmp_path / "fw.py"
    fw.write_text(source)
    return lab(f"name: t\nroom: {{size_m: [10, 10]}}\ndevices:\n"
               f"  - {{id: b1, type: devboard, pos_m: [1, 1], firmware: {fw}}}\n{TH}"
               f"wiring:\n  - b1.rs485 -> th1.rs485\n"
               f"faults:\n  - {{at: {fault_at}, target: b1, fault: power_loss, duration: {fault_s}}}\n")


def test_a_power_cut_lets_go_of_the_bus_and_cuts_a_frame_going_out(lab, tmp_path):
    # DE high, a frame going out: the power goes 4.5 ms in, so 4 of 8 bytes made it; after the power comes
    # back the firmware (booting again) writes without raising DE, and nothing goes on the bus
    src = ("import time\nfrom machine import UART, Pin\nde = Pin('RS485_DE', Pin.OUT)\nbus = UART(2, 9600)\n"
           "if time.ticks_ms() < 100:\n    de.on()\n"
           "bus.write(b'\\x01\\x03\\x00\\x00\\x00\\x02\\xc4\\x0b')\nbus.flush()\ntime.sleep_ms(100)\n")
    sim, ring = _powered_lab(lab, src, tmp_path, 0.0045, 0.1)
    sim.run(0.5)
    lost = [r["reason"] for r in of(ring, kind="frame.lost")]
    assert lost[0] == "cut: RS485_DE dropped after 4 of 8 bytes"
    assert lost[1].startswith("driver off")
    assert not of(ring, src="th1", kind="frame.tx")


def test_an_lcd_still_busy_after_a_handler_loses_what_main_writes_next(lab, tmp_path):
    # the handler clears the display with a driver that does not wait; main, whose sleep ended while the
    # handler ran, continues only when the handler is done, and writes during the clear's 1.52 ms
    from test_firmware import board_lab as _board_lab
    (tmp_path / "busy.py").write_text(
        "import time\nfrom machine import I2C, Timer\nfrom lcd_i2c import I2cLcd\n"
        "class Hasty(I2cLcd):\n    def command(self, cmd):\n        self._nibble(cmd >> 4, 0)\n"
        "        self._nibble(cmd & 0x0F, 0)\n"
        "i2c = I2C(0, freq=400000)\nlcd = I2cLcd(i2c, 0x27, 2, 16)\nfast = Hasty(i2c, 0x27, 2, 16)\n"
        "def tick(t):\n    fast.putstr('abc')\n    fast.command(0x01)\n"
        "t0 = time.ticks_us()\nTimer(0).init(mode=Timer.ONE_SHOT, period=100, callback=tick)\n"
        "time.sleep_us(100300)\nprint(time.ticks_diff(time.ticks_us(), t0))\nlcd.putstr('X')\n")
    sim, ring = _board_lab(lab, "busy.py", "  - {id: lcd, type: lcd1602, pos_m: [1, 2]}\n", "  - b1.i2c -> lcd.i2c\n")
    out = terminal(sim)
    sim.run(0.5)
    # the handler starts at 100.002 ms and its eight nibble writes take 8 x 72.5 µs at 400 kHz: main, due at
    # 100.3 ms, goes on at 100.582 ms
    assert int(out.decode()) == 100_582
    ignored = of(ring, "lcd", "lcd.ignored")
    assert len(ignored) == 1 and ignored[0]["why"].startswith("busy: written")
    assert of(ring, "lcd", "lcd")[-1]["line1"] != "X"
