"""The dev board running student firmware: the shipped examples produce what they should, in simulated
time, and broken firmware (a loop without sleeps, an exception, a memory hog) never takes the lab down."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sim.uart import attach

FIRMWARE = Path(__file__).resolve().parent.parent / "scenarios" / "firmware"
CALM = """environment:
  temperature: {base: 25.0, daily_amplitude: 0, noise: 0, per_person: 0}
  humidity: {base: 50.0, daily_amplitude: 0, noise: 0, per_person: 0}
  illuminance: {base: 500.0, daily_amplitude: 0, noise: 0, per_person: 0}
"""


def board_lab(lab, firmware: str, extra_devices: str = "", wiring: str = "", board: str = ""):
    body = (f"name: t\nroom: {{size_m: [10, 10]}}\n{CALM}devices:\n"
            f"  - {{id: b1, type: devboard, pos_m: [1, 1], firmware: {firmware}{board}}}\n{extra_devices}")
    if wiring:
        body += "wiring:\n" + wiring
    return lab(body)


def of(ring, src="b1", kind=None):
    return [r for r in ring.records if r["src"] == src and (kind is None or r["kind"] == kind)]


def terminal(sim, board="b1"):
    out = bytearray()
    attach(sim.devices[board], "uart0", out.extend)
    return out


def test_blink_toggles_led1_every_500_ms(lab):
    sim, ring = board_lab(lab, FIRMWARE / "blink.py")
    sim.run(3.2)
    leds = [(r["t"], r["on"]) for r in of(ring, kind="output") if r["output"] == "LED1"]
    assert leds == [(0.0, True), (0.5, False), (1.0, True), (1.5, False), (2.0, True), (2.5, False),
                    (3.0, True)]


def test_firmware_path_is_relative_to_the_scenario(lab, tmp_path):
    (tmp_path / "fw").mkdir()
    (tmp_path / "fw" / "on.py").write_text("from machine import Pin\nPin('LED4', Pin.OUT).on()\n")
    sim, ring = board_lab(lab, "fw/on.py")
    sim.run(1)
    assert [(r["output"], r["on"]) for r in of(ring, kind="output")] == [("LED4", True)]
    assert [r["event"] for r in of(ring, kind="firmware")] == ["boot", "main_done"]


def test_key_interrupt_with_debounce_counts_each_press_once(lab):
    presses = "[{at_s: 1, key: KEY1}, {at_s: 2, key: KEY1, hold_ms: 400}, {at_s: 3.5, key: KEY2}]"
    sim, ring = board_lab(lab, FIRMWARE / "key_irq.py", board=f", key_bounce_ms: 8, key_presses: {presses}")
    out = terminal(sim)
    sim.run(5)
    leds = [(r["t"], r["on"]) for r in of(ring, kind="output") if r["output"] == "LED2"]
    assert len(leds) == 2 and leds[0][1] is True and leds[1][1] is False
    # the press at 1 s bounces for up to 8 ms; the LED follows 20 ms after the last edge
    assert 1.02 <= leds[0][0] <= 1.03 and 2.02 <= leds[1][0] <= 2.03
    assert out.decode() == "press 1\r\npress 2\r\n"


def test_press_command_bounces_and_reaches_the_handler(lab, tmp_path):
    (tmp_path / "edges.py").write_text(
        "from machine import Pin\nn = 0\ndef h(p):\n    global n\n    n += 1\n    print(n, p.value())\n"
        "Pin('KEY1', Pin.IN).irq(handler=h, trigger=Pin.IRQ_FALLING)\n")
    sim, ring = board_lab(lab, "edges.py")
    out = terminal(sim)
    sim.run(0.5)
    sim.devices["b1"].command("press", {"key": "KEY1", "hold_ms": 100})
    sim.run(1)
    lines = out.decode().split("\r\n")[:-1]
    assert len(lines) >= 2                               # the contacts bounced: more than one falling edge
    assert all(line.endswith(" 0") for line in lines)    # each handler saw the pin low at its edge


def test_interrupt_priorities_and_pending_events(lab, tmp_path):
    (tmp_path / "prio.py").write_text(
        "import machine, time\nfrom machine import Pin, Timer\n"
        "Timer(0).init(mode=Timer.ONE_SHOT, period=100, callback=lambda t: print('low'), priority=5)\n"
        "Timer(1).init(mode=Timer.ONE_SHOT, period=100, callback=lambda t: print('high'), priority=0)\n"
        "time.sleep_ms(150)\n"
        "state = machine.disable_irq()\n"
        "t2 = Timer(2)\nt2.init(mode=Timer.ONE_SHOT, period=10, callback=lambda t: print('late'))\n"
        "t3 = Timer(3)\nt3.init(mode=Timer.ONE_SHOT, period=10, callback=lambda t: print('dropped'))\n"
        "time.sleep_ms(50)\n"
        "print('pending', t2.irq_entry.pending(), t3.irq_entry.pending())\n"
        "t3.irq_entry.clear()\n"
        "machine.enable_irq(state)\n"
        "print('end', time.ticks_ms())\n")
    sim, ring = board_lab(lab, "prio.py")
    out = terminal(sim)
    sim.run(1)
    assert out.decode().split("\r\n")[:-1] == ["high", "low", "pending True True", "late", "end 200"]


def test_pwm_breathing_led(lab):
    sim, ring = board_lab(lab, FIRMWARE / "pwm_breathe.py")
    sim.run(2.1)
    duty = {round(r["t"], 4): r["pwm_duty"] for r in of(ring, kind="output") if r["output"] == "LED3"}
    assert duty[1.0] == 1.0 and duty[0.5] == pytest.approx(0.25, abs=1e-3)
    assert duty[2.0] == 0.0 and max(duty) == 2.08 and len(duty) == 105     # one step every 20 ms
    assert [t for t, d in duty.items() if d == 1.0] == [1.0]


def test_adc_reading_goes_to_the_uart(lab):
    sim, ring = board_lab(lab, FIRMWARE / "adc_uart.py", "  - {id: t1, type: lm35, pos_m: [1, 2]}\n",
                          "  - b1.a0 -> t1.out\n")
    out = terminal(sim)
    sim.run(2.5)
    lines = out.decode().split("\r\n")[:-1]
    assert len(lines) == 3
    raw = int(lines[-1].split("=")[1].split()[0])
    # 25 °C: 250 mV on a 3.3 V, 12-bit ADC is 310 counts (the part is within ±0.5 °C)
    assert abs(raw - 310) <= 8
    assert lines[-1] == f"A0={raw} raw {raw * 3300 // 4096} mV {raw * 3300 // 4096 / 10:.1f} C"


def test_i2c_sensors_shown_on_the_lcd(lab):
    devices = ("  - {id: lcd, type: lcd1602, pos_m: [1, 2]}\n  - {id: lux1, type: bh1750, pos_m: [1, 3]}\n"
               "  - {id: sht1, type: sht3x, pos_m: [1, 4]}\n")
    sim, ring = board_lab(lab, FIRMWARE / "i2c_lcd.py", devices,
                          "  - b1.i2c -> lcd.i2c\n  - b1.i2c -> lux1.i2c\n  - b1.i2c -> sht1.i2c\n")
    sim.run(3)
    shown = of(ring, "lcd", "lcd")
    last = shown[-1]
    assert last["backlight"] is True
    temp, hum = last["line1"].split()[1:4:2]
    assert abs(float(temp[:-1]) - 25.0) < 0.5 and abs(float(hum[:-1]) - 50.0) < 3
    assert last["line1"].startswith("T ") and last["line2"].endswith(" lx")
    assert abs(float(last["line2"].split()[1]) - 500) < 500 * 0.2
    assert not [r for r in ring.records if r["kind"] == "frame.lost"]


def test_relay_and_buzzer(lab):
    sim, ring = board_lab(lab, FIRMWARE / "relay_buzzer.py", "  - {id: lamp1, type: lamp, pos_m: [1, 2]}\n",
                          "  - b1.relay -> lamp1.power\n", board=", key_presses: [{at_s: 1, key: KEY2}]")
    sim.run(2)
    outs = [(r["output"], r["on"]) for r in of(ring, kind="output")]
    assert outs == [("RELAY", True), ("BUZZER", True), ("BUZZER", False)]
    assert [r["on"] for r in of(ring, "lamp1", "output")] == [True]
    assert not of(ring, kind="watchdog")


def test_infinite_loop_is_a_watchdog_reset_and_the_lab_runs_on(lab, tmp_path):
    (tmp_path / "spin.py").write_text("x = 0\nwhile True:\n    x += 1\n")
    devices = f"  - {{id: b2, type: devboard, pos_m: [2, 1], firmware: {FIRMWARE / 'blink.py'}}}\n"
    sim, ring = board_lab(lab, "spin.py", devices, board=", line_budget: 20000")
    sim.run(2.6)
    dogs = of(ring, kind="watchdog")
    assert [r["t"] for r in dogs] == [1.0, 2.05]         # stuck at boot; bites 1 s later; boots 50 ms on
    assert "20000 lines without a sleep" in dogs[0]["reason"] and dogs[0]["file"] == "spin.py"
    assert [r["cause"] for r in of(ring, kind="state")] == ["watchdog", "watchdog"]
    assert len([r for r in of(ring, "b2", "output")]) == 6     # the other board blinked on


def test_exception_is_a_crash_record_with_file_and_line(lab, tmp_path):
    (tmp_path / "bad.py").write_text("import time\ntime.sleep_ms(100)\n\ndef f(x):\n    return 10 / x\n\nf(0)\n")
    sim, ring = board_lab(lab, "bad.py")
    out = terminal(sim)
    sim.run(1)
    (crash,) = of(ring, kind="crash")
    assert (crash["t"], crash["file"], crash["line"], crash["where"]) == (0.1, "bad.py", 5, "main")
    assert crash["error"] == "ZeroDivisionError: division by zero"
    assert "ZeroDivisionError" in out.decode() and 'File "bad.py", line 5' in out.decode()


def test_exception_in_an_interrupt_handler(lab, tmp_path):
    (tmp_path / "irqbad.py").write_text(
        "import time\nfrom machine import Timer\n"
        "Timer(0).init(period=100, callback=lambda t: [][1])\n"
        "while True:\n    time.sleep_ms(300)\n    print('alive')\n")
    sim, ring = board_lab(lab, "irqbad.py")
    out = terminal(sim)
    sim.run(1)
    (crash,) = of(ring, kind="crash")
    assert (crash["t"], crash["line"], crash["where"]) == (0.100002, 3, "irq")    # 2 µs interrupt latency
    assert crash["error"].startswith("IndexError")
    assert out.decode().count("alive") == 3                 # main runs on; the failed handler is off


def test_memory_hog_gets_memory_error(lab, tmp_path):
    (tmp_path / "hog.py").write_text(
        "import time\nbuf = []\nwhile True:\n    buf.append(bytearray(1024))\n    time.sleep_ms(1)\n")
    sim, ring = board_lab(lab, "hog.py", board=", heap_kb: 64")
    sim.run(2)
    (crash,) = of(ring, kind="crash")
    assert crash["error"].startswith("MemoryError") and crash["line"] in (3, 4, 5)
    assert 0.05 < crash["t"] < 0.1
    (tmp_path / "big.py").write_text("x = bytearray(10_000_000)\n")
    sim, ring = board_lab(lab, "big.py")
    sim.run(1)
    assert of(ring, kind="crash")[0]["error"].startswith("MemoryError") and of(ring, kind="crash")[0]["line"] == 1


@pytest.mark.parametrize("source, what", [("open('/etc/passwd')", "NameError"),
                                          ("import os", "ImportError"),
                                          ("().__class__", "__class__"),
                                          ("x = 1 +", "SyntaxError")])
def test_firmware_has_no_file_or_network_access(lab, tmp_path, source, what):
    (tmp_path / "evil.py").write_text(source + "\n")
    sim, ring = board_lab(lab, "evil.py")
    sim.run(1)
    (crash,) = of(ring, kind="crash")
    assert what in crash["error"] and crash["file"] == "evil.py" and crash["line"] == 1


def test_flash_through_the_inbox_resets_the_board(lab):
    sim, ring = board_lab(lab, FIRMWARE / "blink.py")
    sim.run(1.2)
    replies = []
    sim.post("b1", "flash", {"source": "from machine import Pin\nPin('LED2', Pin.OUT).on()\n", "name": "new.py"},
             replies.append)
    sim.run(2)
    assert replies == [{"ok": True, "file": "new.py"}]
    state = [r for r in of(ring) if r["kind"] in ("state", "firmware", "output") and r["t"] >= 1.2]
    assert [(r["kind"], r.get("cause") or r.get("event") or r.get("output")) for r in state] == [
        ("output", "LED1"), ("state", "flash"), ("firmware", "boot"), ("output", "LED2"), ("firmware", "main_done")]
    assert state[2]["t"] == pytest.approx(1.25)


def test_no_firmware_threads_left_after_close(lab):
    before = {t.ident for t in threading.enumerate()}
    sim, ring = board_lab(lab, FIRMWARE / "blink.py")
    sim.run(1)
    sim.close()
    assert {t.ident for t in threading.enumerate() if t.name.startswith("firmware-")} <= before


def test_code_that_escapes_the_line_counter_meets_the_wall_clock_bound(lab, tmp_path, monkeypatch):
    from devices import board_runner
    monkeypatch.setattr(board_runner, "WALL_LIMIT_S", 0.3)
    (tmp_path / "evade.py").write_text("buf = []\ntry:\n    while True:\n        buf.append(bytearray(1000))\n"
                                       "except MemoryError:\n    while True:\n        pass\n")
    devices = f"  - {{id: b2, type: devboard, pos_m: [2, 1], firmware: {FIRMWARE / 'blink.py'}}}\n"
    sim, ring = board_lab(lab, "evade.py", devices, board=", heap_kb: 16")
    sim.run(1.5)
    (dog,) = of(ring, kind="watchdog")
    assert dog["t"] == 1.0 and "wall-clock" in dog["reason"]
    assert len(of(ring, "b2", "output")) == 3


def test_embedded_room_runs_the_same_twice():
    from sim import RingSink
    from sim.rooms import room_file
    from sim.scenario import build, load

    runs = []
    for _ in range(2):
        scenario, _ = load(room_file("embedded-lab"))
        ring = RingSink(1_000_000)
        sim = build(scenario, sinks=[ring])
        sim.run(25)
        sim.close()
        runs.append(ring.records)
    assert runs[0] == runs[1]
    kinds = {(r["src"], r["kind"]) for r in runs[0]}
    assert {("blink", "output"), ("keys", "output"), ("breathe", "output"), ("adc", "frame.tx"), ("lcd1", "lcd"),
            ("lamp1", "output")} <= kinds
    assert not [r for r in runs[0] if r["kind"] in ("crash", "watchdog")]


def test_a_missing_firmware_file_is_a_located_scenario_problem(write_scenario):
    from sim.scenario import ScenarioError, load
    path = write_scenario("name: t\nroom: {size_m: [10, 10]}\ndevices:\n"
                          "  - {id: b1, type: devboard, pos_m: [1, 1], firmware: fw/nope.py}\n")
    with pytest.raises(ScenarioError) as err:
        load(path)
    assert "lab.yaml:4:" in str(err.value) and "there is no file 'fw/nope.py'" in str(err.value)


LATENCY = """
import time
from machine import Pin, Timer
key = [0]
ticks = {"n": 0, "first": 0, "last": 0, "short": 10**9, "long": 0}
def on_key(pin):
    key[0] = time.ticks_us()
def on_tick(timer):
    now = time.ticks_us()
    if ticks["n"]:
        gap = time.ticks_diff(now, ticks["last"])
        ticks["short"], ticks["long"] = min(ticks["short"], gap), max(ticks["long"], gap)
    else:
        ticks["first"] = now
    ticks["n"] += 1
    ticks["last"] = now
Pin("KEY1", Pin.IN).irq(handler=on_key, trigger=Pin.IRQ_FALLING)
time.sleep_ms(100)
Timer(0).init(period=1, mode=Timer.PERIODIC, callback=on_tick)
time.sleep_ms(5000.5)
Timer(0).deinit()
print(key[0], ticks["n"], ticks["short"], ticks["long"], ticks["first"], ticks["last"])
"""


@pytest.mark.parametrize("latency", [2.0, 25.0])
def test_interrupt_latency_and_timer_accuracy_in_simulated_time(lab, tmp_path, latency):
    (tmp_path / "lat.py").write_text(LATENCY)
    sim, ring = board_lab(lab, "lat.py", board=f", key_bounce_ms: 0, irq_latency_us: {latency}, "
                          "key_presses: [{at_s: 0.05, key: KEY1}]")
    out = terminal(sim)
    sim.run(6)
    assert not of(ring, kind="crash"), out.decode()
    key_us, ticks, shortest, longest, first, last = map(int, out.decode().split())
    lat = int(latency)
    assert key_us == 50_000 + lat                         # the edge at 50 ms, the handler's first line after it
    # a 1 ms periodic timer for 5 s: every period exactly 1000 µs, no drift over 5,000 ticks
    assert (ticks, shortest, longest) == (5000, 1000, 1000)
    assert (first, last) == (101_000 + lat, 5_100_000 + lat)


HASTY = """
import time
from machine import I2C
from lcd_i2c import I2cLcd
class Hasty(I2cLcd):
    def sleep_ms(self, ms):
        pass                      # a driver that never waits for the display
i2c = I2C(0, freq=100000)
t0 = time.ticks_us()
i2c.writeto(0x27, b"\\x08\\x0c")
t1 = time.ticks_us()
lcd = LCD(i2c, 0x27, 2, 16)
lcd.putstr("hello")
print(time.ticks_diff(t1, t0))
"""


@pytest.mark.parametrize("driver", ["I2cLcd", "Hasty"])
def test_i2c_takes_bus_time_and_the_lcd_loses_what_comes_while_it_is_busy(lab, tmp_path, driver):
    (tmp_path / "lcd.py").write_text(HASTY.replace("LCD(", f"{driver}("))
    sim, ring = board_lab(lab, "lcd.py", "  - {id: lcd, type: lcd1602, pos_m: [1, 2]}\n", "  - b1.i2c -> lcd.i2c\n")
    out = terminal(sim)
    sim.run(1)
    assert out.decode() == "290\r\n"          # (1 start + 3 bytes x 9 + 1 stop) clocks at 100 kHz
    last = of(ring, "lcd", "lcd")[-1]
    ignored = of(ring, "lcd", "lcd.ignored")
    if driver == "I2cLcd":
        assert last["line1"] == "hello" and not ignored
    else:                                      # the clear's 1.52 ms: what followed it paired up wrong
        assert last["line1"] != "hello" and ignored and ignored[0]["why"].startswith("busy: written")


def test_i2c_sensor_on_the_oled(lab):
    devices = "  - {id: oled, type: ssd1306, pos_m: [1, 2]}\n  - {id: sht1, type: sht3x, pos_m: [1, 4]}\n"
    sim, ring = board_lab(lab, FIRMWARE / "i2c_oled.py", devices, "  - b1.i2c -> oled.i2c\n  - b1.i2c -> sht1.i2c\n")
    sim.run(2.5)
    shown = of(ring, "oled", "oled")
    last = shown[-1]
    lines = last["text"].split("\n")
    assert last["on"] is True and lines[0].startswith("SHT31") and lines[0].endswith("up 2 s")
    assert abs(float(lines[1].split()[1]) - 25.0) < 0.5 and abs(float(lines[2].split()[1]) - 50.0) < 3
    assert len(last["pixels"]) == 64 * 32 and last["lit"] > 300
    # the bar: half of the 124 columns inside the frame, on rows 54-59
    row = int(last["pixels"][56 * 32:57 * 32], 16)
    assert 55 < bin(row).count("1") - 2 < 70


def test_an_oled_without_its_charge_pump_stays_dark(lab, tmp_path):
    (tmp_path / "dark.py").write_text(
        "from machine import I2C\nfrom ssd1306 import SSD1306_I2C\ni2c = I2C(0)\n"
        "class NoPump(SSD1306_I2C):\n    def write_cmd(self, cmd):\n"
        "        super().write_cmd(0x10 if cmd == 0x14 else cmd)\n"
        "oled = NoPump(128, 64, i2c)\noled.text('hello', 0, 0)\noled.show()\n")
    sim, ring = board_lab(lab, "dark.py", "  - {id: oled, type: ssd1306, pos_m: [1, 2]}\n", "  - b1.i2c -> oled.i2c\n")
    sim.run(0.5)
    oled = sim.devices["oled"]
    assert not of(ring, kind="crash") and of(ring, "oled", "oled")
    assert oled.display_on and not oled.pump                     # switched on, but no high voltage
    assert not [r for r in of(ring, "oled", "oled") if r["on"] or r["lit"]]


def test_oled_reads_text_and_follows_page_addressing():
    from devices.board_framebuf import MONO_VLSB, FrameBuffer
    from devices.ssd1306 import read_text
    buf = bytearray(1024)
    fb = FrameBuffer(buf, 128, 64, MONO_VLSB)
    fb.text("Hi 42", 8, 3)
    fb.text("~ok", 0, 40)
    rows = [sum(((buf[(y >> 3) * 128 + x] >> (y & 7)) & 1) << (127 - x) for x in range(128)) for y in range(64)]
    assert read_text(rows) == " Hi 42\n~ok"


def test_an_lcd_written_from_an_interrupt_handler_shows_the_text(lab, tmp_path):
    # a handler cannot hand time over; its I2C waits and the driver's delays run on its own clock
    (tmp_path / "irqlcd.py").write_text(
        "import time\nfrom machine import I2C, Timer\nfrom lcd_i2c import I2cLcd\n"
        "i2c = I2C(0, freq=100000)\nlcd = I2cLcd(i2c, 0x27, 2, 16)\nn = [0]\n"
        "def tick(t):\n    n[0] += 1\n    lcd.clear()\n    lcd.putstr('tick %d' % n[0])\n"
        "Timer(0).init(period=200, callback=tick)\nwhile True:\n    time.sleep_ms(1000)\n")
    sim, ring = board_lab(lab, "irqlcd.py", "  - {id: lcd, type: lcd1602, pos_m: [1, 2]}\n", "  - b1.i2c -> lcd.i2c\n")
    sim.run(1.1)
    assert not of(ring, "lcd", "lcd.ignored") and not of(ring, kind="crash")
    assert of(ring, "lcd", "lcd")[-1]["line1"] == "tick 5"


def _oled(lab, height=64):
    sim, ring = lab(f"name: t\nroom: {{size_m: [5, 5]}}\ndevices:\n"
                    f"  - {{id: oled, type: ssd1306, pos_m: [1, 1], height: {height}}}\n")
    oled = sim.devices["oled"]
    oled.i2c_transfer(bytes([0x00, 0x8D, 0x14, 0xAF, 0xA1, 0xC8]), 0)     # pump on, display on, upright
    return sim, ring, oled


def _lit(oled):
    rows = oled.rows()
    return {(x, y) for y, r in enumerate(rows) for x in range(128) if r >> (127 - x) & 1}


def test_ssd1306_horizontal_and_vertical_addressing_within_their_windows(lab):
    sim, ring, oled = _oled(lab)
    oled.i2c_transfer(bytes([0x00, 0x20, 0x00, 0x21, 10, 11, 0x22, 2, 3]), 0)     # horizontal, cols 10-11, pages 2-3
    oled.i2c_transfer(bytes([0x40, 0x01, 0x02, 0x04, 0x80]), 0)                   # 10/p2, 11/p2, 10/p3, 11/p3
    assert _lit(oled) == {(10, 16), (11, 17), (10, 26), (11, 31)}
    oled.i2c_transfer(bytes([0x00, 0x20, 0x01, 0x21, 20, 21, 0x22, 0, 1]), 0)
    oled.i2c_transfer(bytes([0x40, 0xFF, 0x01, 0x01]), 0)
    assert {(20, y) for y in range(8)} | {(20, 8), (21, 0)} <= _lit(oled)        # vertical: down, then across


def test_ssd1306_page_mode_remap_and_a_single_command_control_byte(lab):
    sim, ring, oled = _oled(lab)
    # page mode (the reset default): page 5, column 0x23 set by two nibbles; Co=1 control bytes one at a time
    oled.i2c_transfer(bytes([0x80, 0xB5, 0x80, 0x03, 0x80, 0x12, 0xC0, 0x81]), 0)
    assert _lit(oled) == {(0x23, 40), (0x23, 47)}
    oled.i2c_transfer(bytes([0x00, 0xA0]), 0)                                     # segment remap off: mirrored
    assert _lit(oled) == {(127 - 0x23, 40), (127 - 0x23, 47)}
    oled.i2c_transfer(bytes([0x00, 0xA1, 0xC0]), 0)                               # COM scan normal: upside down
    assert _lit(oled) == {(0x23, 63 - 40), (0x23, 63 - 47)}
    oled.i2c_transfer(bytes([0x00, 0xC8, 0xA7]), 0)                               # inverse
    assert len(_lit(oled)) == 128 * 64 - 2
    oled.i2c_transfer(bytes([0x00, 0xA6, 0xAE]), 0)                               # display off
    assert not _lit(oled)


def test_ssd1306_128x32_shows_the_first_four_pages(lab):
    sim, ring, oled = _oled(lab, height=32)
    oled.i2c_transfer(bytes([0x00, 0xA8, 31, 0x20, 0x00, 0x40]), 0)         # 32 rows, horizontal, start line 0
    oled.i2c_transfer(bytes([0x40]) + bytes([0x80]) * (128 * 8), 0)             # bit 7 of every page lit
    assert {y for _, y in _lit(oled)} == {7, 15, 23, 31}
    sim.run(0.01)
    (rec,) = [r for r in of(ring, "oled", "oled") if r["lit"]][-1:]
    assert len(rec["pixels"]) == 32 * 32 and rec["lit"] == 4 * 128
