"""A dev board with its UART0 run by the RTL (``peripherals: {uart0: rtl}``) or an HDL exercise's variant."""

from __future__ import annotations

from test_firmware import board_lab, of, terminal

HELLO = 'import time\nwhile True:\n    print("hello")\n    time.sleep_ms(200)\n'


def _run(lab, tmp_path, model: str):
    fw = tmp_path / "hello.py"
    fw.write_text(HELLO)
    board = "" if model == "default" else f", peripherals: {{uart0: {model}}}"
    sim, ring = board_lab(lab, fw, board=board)
    out = terminal(sim)
    sim.run(1.0)
    frames = [(round(r["t"], 6), r["data"]) for r in of(ring, kind="frame.tx")]
    return bytes(out), frames


def test_rtl_uart_sends_the_same_bytes_as_the_behavioural_model(lab, tmp_path):
    default, _ = _run(lab, tmp_path, "default")
    behavioural, frames_b = _run(lab, tmp_path, "behavioural")
    rtl, frames_r = _run(lab, tmp_path, "rtl")
    assert default == behavioural == rtl == b"hello\r\n" * 5
    # the RTL keeps 8 clocks a bit at 921.6 kHz: exactly 115200 baud, the same line times
    assert frames_b == frames_r


def test_rtl_uart_runs_the_same_twice(lab, tmp_path):
    assert _run(lab, tmp_path, "rtl") == _run(lab, tmp_path, "rtl")


def test_the_baud_bug_garbles_the_serial_output(lab, tmp_path):
    out, frames = _run(lab, tmp_path, "uart_baud_bug")
    assert out and out != b"hello\r\n" * 5
    assert b"hello" not in out
    assert frames and frames[0][1] == "68 65 6C 6C 6F 0D 0A"    # sent right, at the wrong bit time


def _run_exercise(tmp_path, name: str, firmware: str, variant: str, model: str, kinds: tuple, field):
    """Run scenarios/exercises/NAME.yaml with the board's ``variant`` peripheral model replaced by ``model``:
    the task results, and ``field(record)`` of each record of ``kinds``."""
    from pathlib import Path

    from sim.scenario import build, load
    src = Path(__file__).parent.parent / "scenarios" / "exercises" / f"{name}.yaml"
    fw = (src.parent.parent / "firmware" / firmware).resolve()
    periph = f"{{{variant.split(':')[0]}: "
    text = src.read_text().replace(f"../firmware/{firmware}", str(fw)).replace(
        periph + variant.split(":")[1] + "}", periph + model + "}")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    scenario, _ = load(path)
    sim = build(scenario)
    seen = []
    sim.trace.subscribe(lambda r: r["kind"] in kinds and seen.append(field(r)))
    sim.run(scenario.duration)
    results = {r.id: r.status for r in sim.grader.finish(sim.now)}
    sim.close()
    return results, seen


def _exercise(tmp_path, model: str):
    return _run_exercise(tmp_path, "hdl-uart-bug", "hello_uart.py", "uart0:uart_baud_bug", model,
                         ("uart.heard",), lambda r: (r["t"], r["heard"]))


def test_the_hdl_exercise_fails_with_the_bug_and_passes_with_the_fixed_uart(tmp_path):
    bug, heard_bug = _exercise(tmp_path, "uart_baud_bug")
    assert bug == {"readable": "fail"}
    assert heard_bug and all(text != "hello" for _, text in heard_bug)
    fixed, heard_ok = _exercise(tmp_path, "rtl")
    assert fixed == {"readable": "pass"}
    assert [text for _, text in heard_ok] == ["hello"] * 5
    assert _exercise(tmp_path, "uart_baud_bug") == (bug, heard_bug)     # deterministic


ECHO = ('import time\nfrom machine import UART\nu = UART(0, 115200)\nwhile True:\n'
        '    line = u.readline()\n    if line:\n        u.write(b"got " + line)\n    time.sleep_ms(10)\n')


def _echo(lab, tmp_path, model: str, terminal_baud: int = 115200):
    from sim.uart import attach
    fw = tmp_path / "echo.py"
    fw.write_text(ECHO)
    sim, ring = board_lab(lab, fw, board=f", peripherals: {{uart0: {model}}}")
    out = bytearray()
    term = attach(sim.devices["b1"], "uart0", out.extend, baud=terminal_baud)
    sim.run(0.2)
    term.write(b"ping 123\n")
    sim.run(0.5)
    rx = [r["data"] for r in of(ring, kind="frame.rx")]
    return bytes(out), rx


def test_rtl_uart_receives_what_a_terminal_types(lab, tmp_path):
    rtl = _echo(lab, tmp_path, "rtl")
    assert rtl == _echo(lab, tmp_path, "behavioural")
    assert rtl[0] == b"got ping 123\n"


def test_rtl_uart_receiver_garbles_a_terminal_at_another_baud(lab, tmp_path):
    out, rx = _echo(lab, tmp_path, "rtl", terminal_baud=57600)
    assert rx and rx[0] != "70 69 6E 67 20 31 32 33 0A"        # the RTL sampled bits at 8 clocks, not 16
    assert b"ping" not in out


def test_a_long_print_on_the_rtl_uart_is_not_taken_for_a_stuck_cpu(lab, tmp_path, monkeypatch):
    # 1000 bytes through the co-simulated UART take longer in wall time than a hand-over may (here 0.2 s)
    # while the firmware is stuck; the board's own RTL cycles do not count against the firmware
    import devices.board_runner
    monkeypatch.setattr(devices.board_runner, "WALL_LIMIT_S", 0.2)
    fw = tmp_path / "long.py"
    fw.write_text('print("x" * 1000)\n')
    sim, ring = board_lab(lab, fw, board=", peripherals: {uart0: rtl}")
    out = terminal(sim)
    sim.run(0.5)
    assert not of(ring, kind="watchdog") and not of(ring, kind="crash")
    assert bytes(out) == b"x" * 1000 + b"\r\n"


KEYS = "key_presses: [{at_s: 0.5, key: KEY1}, {at_s: 1.5, key: KEY1, hold_ms: 400}]"


def _keys(lab, model: str):
    from test_firmware import FIRMWARE
    sim, ring = board_lab(lab, FIRMWARE / "key_irq.py", board=f", peripherals: {{gpio: {model}}}, {KEYS}")
    out = terminal(sim)
    sim.run(3.0)
    leds = [(round(r["t"], 6), r["output"], r["on"]) for r in of(ring, kind="output")]
    dogs = [r["reason"] for r in of(ring, kind="watchdog")]
    return bytes(out), leds, dogs


def test_rtl_gpio_runs_the_key_interrupt_example_like_the_behavioural_board(lab):
    beh = _keys(lab, "behavioural")
    rtl = _keys(lab, "rtl")
    assert beh[0] == b"press 1\r\npress 2\r\n" and not beh[2]
    assert rtl == beh


def test_rtl_gpio_drives_the_leds_of_blink(lab):
    from test_firmware import FIRMWARE
    runs = []
    for model in ("behavioural", "rtl"):
        sim, ring = board_lab(lab, FIRMWARE / "blink.py", board=f", peripherals: {{gpio: {model}}}")
        sim.run(2.2)
        runs.append([(r["t"], r["output"], r["on"]) for r in of(ring, kind="output")])
    assert runs[0] == runs[1] and len(runs[0]) == 5


def test_an_interrupt_that_never_clears_hangs_the_board_until_the_watchdog_resets_it(lab):
    out, leds, dogs = _keys(lab, "gpio_irq_bug")
    assert dogs and dogs[0].startswith("interrupt storm: KEY1 still pending after its handler ran 100 times")
    assert b"press" not in out                   # the debounce timer never gets a turn


def test_an_exercise_variant_must_fit_its_peripheral(lab):
    import pytest
    from test_firmware import FIRMWARE
    with pytest.raises(Exception, match="gpio_irq_bug is an exercise variant of gpio, not of uart0"):
        board_lab(lab, FIRMWARE / "blink.py", board=", peripherals: {uart0: gpio_irq_bug}")


def _gpio_exercise(tmp_path, model: str):
    return _run_exercise(tmp_path, "hdl-gpio-irq-bug", "key_irq.py", "gpio:gpio_irq_bug", model,
                         ("uart.heard", "watchdog"), lambda r: (r["kind"], r.get("heard") or r.get("reason")))


def test_the_gpio_exercise_fails_with_the_bug_and_passes_with_the_fixed_gpio(tmp_path):
    bug, seen_bug = _gpio_exercise(tmp_path, "gpio_irq_bug")
    assert bug == {"counted": "fail"}
    assert [k for k, _ in seen_bug] == ["watchdog"] * 3
    fixed, seen_ok = _gpio_exercise(tmp_path, "rtl")
    assert fixed == {"counted": "pass"}
    assert seen_ok == [("uart.heard", f"press {n}") for n in (1, 2, 3)]


def _timer_run(lab, tmp_path, model: str, source: str, seconds: float, board: str = ""):
    fw = tmp_path / "t.py"
    fw.write_text(source)
    sim, ring = board_lab(lab, fw, board=f", peripherals: {{timer: {model}}}{board}")
    out = terminal(sim)
    sim.run(seconds)
    return bytes(out).decode(), ring


def test_rtl_timer_runs_the_breathing_led_like_the_behavioural_timer(lab, tmp_path):
    from test_firmware import FIRMWARE
    src = FIRMWARE.joinpath("pwm_breathe.py").read_text()
    runs = []
    for model in ("behavioural", "rtl"):
        _, ring = _timer_run(lab, tmp_path, model, src, 1.0, board=", timer_clock_hz: 100000")
        runs.append([(round(r["t"], 9), r["pwm_duty"], r.get("freq_hz")) for r in of(ring, kind="output")])
    beh, rtl = runs
    assert len(beh) == 50 and len(rtl) > 30
    # the same instants (the 20 ms timer ticks, 2000 clocks at 100 kHz); the RTL's pwm pin measured over a
    # period of 100 clocks, so each duty within half a step of the firmware's (a step too small to see is no
    # change, so no record)
    at = {t: d for t, d, _ in beh}
    assert all(t in at and abs(d - at[t]) <= 0.005 + 1e-9 for t, d, _ in rtl)
    assert {f for *_, f in rtl} == {1000.0} and max(d for _, d, _ in rtl) > 0.9


def test_a_slow_timer_clock_quantizes_the_pwm_duty(lab, tmp_path):
    from test_firmware import FIRMWARE
    _, ring = _timer_run(lab, tmp_path, "rtl", FIRMWARE.joinpath("pwm_breathe.py").read_text(), 1.5)
    duties = [r["pwm_duty"] for r in of(ring, kind="output")]
    # 1 kHz from a 10 kHz clock: ten clocks a period, so the duty moves in tenths
    assert set(duties) <= {round(k / 10, 4) for k in range(11)} and 1.0 in duties and len(duties) < 40


def test_rtl_timer_periods_are_whole_clocks(lab, tmp_path):
    from test_firmware import LATENCY
    out, ring = _timer_run(lab, tmp_path, "rtl", LATENCY.replace("period=1,", "period=1.03,"), 6,
                           board=", timer_clock_hz: 10000, key_presses: [{at_s: 0.05, key: KEY1}]")
    _, ticks, shortest, longest, first, last = map(int, out.split())
    # 1.03 ms at 10 kHz is 10.3 clocks: the RTL keeps 10 (1000 µs) every period
    assert (shortest, longest) == (1000, 1000) and ticks == 5000
    assert first == 100_000 + 1000 + 2                     # one period after init, plus the 2 µs latency


def test_rtl_one_shot_timer_fires_once_and_deinit_stops_a_periodic_one(lab, tmp_path):
    src = ("import time\nfrom machine import Timer\nn = [0, 0]\n"
           "def one(t):\n    n[0] += 1\ndef many(t):\n    n[1] += 1\n"
           "Timer(1).init(mode=Timer.ONE_SHOT, period=50, callback=one)\n"
           "Timer(2).init(mode=Timer.PERIODIC, period=10, callback=many)\n"
           "time.sleep_ms(205)\nTimer(2).deinit()\ntime.sleep_ms(300)\nprint(n[0], n[1])\n")
    assert _timer_run(lab, tmp_path, "behavioural", src, 1.0)[0] == "1 20\r\n"
    assert _timer_run(lab, tmp_path, "rtl", src, 1.0)[0] == "1 20\r\n"


def test_a_broken_rtl_that_never_goes_idle_is_a_watchdog_reset_not_a_hang(lab, tmp_path, monkeypatch):
    # a "fix" whose bit counter never reaches its end: TX_BUSY stays set and the driver would poll forever
    from hdl.exercises import uart_baud_bug
    monkeypatch.setattr(uart_baud_bug.Uart, "bit_end", lambda self, divisor: divisor + 0x10000)
    out, frames = _run(lab, tmp_path, "uart_baud_bug")
    assert out == b""
    fw = tmp_path / "hello.py"
    sim, ring = board_lab(lab, fw, board=", peripherals: {uart0: uart_baud_bug}")
    sim.run(2.5)
    dogs = [r["reason"] for r in of(ring, kind="watchdog")]
    # "hello\r\n" is more than the 4-byte FIFO holds: the driver waits on TX_FULL, which never clears
    assert dogs and dogs[0] == "stuck polling UART0: TX_FULL still set after 1080 reads of STATUS"
    assert [r["cause"] for r in of(ring, kind="state")][:2] == ["watchdog", "watchdog"]


def test_rtl_uart0_refuses_a_parity_it_does_not_have(lab, tmp_path):
    fw = tmp_path / "par.py"
    fw.write_text("from machine import UART\nu = UART(0, 115200, parity=0)\n")
    sim, ring = board_lab(lab, fw, board=", peripherals: {uart0: rtl}")
    sim.run(0.5)
    (crash,) = of(ring, kind="crash")
    assert crash["line"] == 2 and "8N1 only" in crash["error"]


def test_rtl_pwm_at_full_duty_on_a_long_period_and_bad_frequencies(lab, tmp_path):
    src = ("from machine import Pin, PWM\nimport time\np = PWM(Pin('LED1'), freq=1, duty_u16=65535)\n"
           "time.sleep_ms(10)\np.freq(FREQ)\n")
    out, ring = _timer_run(lab, tmp_path, "rtl", src.replace("FREQ", "2"), 0.1, board=", timer_clock_hz: 65536")
    duties = [(r["pwm_duty"], r["freq_hz"]) for r in of(ring, kind="output")]
    assert duties == [(1.0, 1.0)]                   # 65536 clocks a period: COMPARE must still exceed PERIOD
    out, ring = _timer_run(lab, tmp_path, "rtl", src.replace("FREQ", "0"), 0.1)
    assert "PWM freq 0: 1-40000000 Hz" in of(ring, kind="crash")[0]["error"]
    out, ring = _timer_run(lab, tmp_path, "rtl", src.replace("freq=1,", "freq=2,"), 0.1,
                           board=", timer_clock_hz: 1000000")
    assert "too long" in of(ring, kind="crash")[0]["error"]      # 500,000 clocks to measure one period
