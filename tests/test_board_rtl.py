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


def _exercise(tmp_path, model: str):
    from pathlib import Path

    from sim.scenario import build, load
    src = Path(__file__).parent.parent / "scenarios" / "exercises" / "hdl-uart-bug.yaml"
    fw = (src.parent.parent / "firmware" / "hello_uart.py").resolve()
    text = src.read_text().replace("../firmware/hello_uart.py", str(fw)).replace("{uart0: uart_baud_bug}",
                                                                                  f"{{uart0: {model}}}")
    path = tmp_path / "hdl-uart-bug.yaml"
    path.write_text(text)
    scenario, _ = load(path)
    sim = build(scenario)
    heard = []
    sim.trace.subscribe(lambda r: r["kind"] == "uart.heard" and heard.append((r["t"], r["heard"])))
    sim.run(scenario.duration)
    results = {r.id: r.status for r in sim.grader.finish(sim.now)}
    sim.close()
    return results, heard


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


def test_a_long_print_on_the_rtl_uart_is_not_taken_for_a_stuck_cpu(lab, tmp_path):
    # 1000 bytes through the co-simulated UART take longer in wall time than a hand-over may (2 s) while the
    # firmware is stuck; the board's own RTL cycles do not count against the firmware
    fw = tmp_path / "long.py"
    fw.write_text('print("x" * 1000)\n')
    sim, ring = board_lab(lab, fw, board=", peripherals: {uart0: rtl}")
    out = terminal(sim)
    sim.run(0.5)
    assert not of(ring, kind="watchdog") and not of(ring, kind="crash")
    assert bytes(out) == b"x" * 1000 + b"\r\n"
