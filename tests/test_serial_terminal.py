"""A module's UART on real terminals: a pseudo-terminal (read and written like picocom would, and with
pyserial), a raw TCP port, `iotlab serial`, and the scenario key and --serial option that ask for them."""

import os
import select
import socket
import subprocess
import sys
import time

import pytest

from sim.serial_port import Exposure, expose, lookup, parse_option

from at_support import Running

LAB = """
name: terminal lab
lab: LABID
room: {size_m: [10, 8]}
devices:
  - {id: esp1, type: esp8266, pos_m: [2, 2]}
  - {id: ap, type: wifi_ap, pos_m: [8, 6], ssid: Lab, key: "12345678"}
SERIAL
"""


def lab_text(lab_id: str = "term", serial: str = "") -> str:
    return LAB.replace("LABID", lab_id).replace("SERIAL", serial)


def drain(fd: int) -> bytes:
    """What is waiting already (the module's boot banner, sent before the terminal was opened)."""
    out = b""
    while select.select([fd], [], [], 0.2)[0]:
        out += os.read(fd, 4096)
    return out


def read_until(fd: int, text: bytes, timeout_s: float = 5.0) -> bytes:
    out = b""
    end = time.monotonic() + timeout_s
    while text not in out and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            out += os.read(fd, 4096)
    assert text in out, out
    return out


@pytest.fixture
def running(lab):
    started = []

    def start(text: str, speed: float = 1.0):
        sim, ring = lab(text)
        sim.advance_to(1.0)                 # past the boot banner
        started.append(Running(sim, speed))
        return sim, ring
    yield start
    for run in started:
        run.stop()


def test_a_pty_carries_at_commands_both_ways(running):
    sim, ring = running(lab_text(serial="serial:\n  - {device: esp1, pty: true}"))
    line = next(e for e in sim.endpoints if "serial terminal on /dev/" in e)
    path = line.split(" on ")[1].split(" ")[0]
    assert os.path.exists(path)
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)       # the student's terminal program opens it
    try:
        assert drain(fd).endswith(b"\r\nready\r\n")
        os.write(fd, b"AT\r\n")
        assert read_until(fd, b"OK\r\n") == b"AT\r\n\r\nOK\r\n"
        os.write(fd, b"AT+CWMODE?\r\n")
        assert read_until(fd, b"OK\r\n") == b"AT+CWMODE?\r\n+CWMODE:1\r\n\r\nOK\r\n"
        os.write(fd, b"AT+NOPE\r\n")
        assert read_until(fd, b"ERROR\r\n") == b"AT+NOPE\r\n\r\nERROR\r\n"
    finally:
        os.close(fd)
    rx = [r for r in ring.records if r["kind"] == "frame.rx" and r.get("via") == "pty"]
    assert rx and rx[0]["text"] == "AT\r\n"


def test_pyserial_on_the_pty(running):
    serial = pytest.importorskip("serial")
    sim, _ = running(lab_text(serial="serial:\n  - {device: esp1, pty: true}"))
    path = next(e for e in sim.endpoints if "/dev/" in e).split(" on ")[1].split(" ")[0]
    with serial.Serial(path, 115200, timeout=3) as port:
        port.reset_input_buffer()
        port.write(b"ATE0\r\n")
        assert port.read_until(b"OK\r\n").endswith(b"OK\r\n")
        port.write(b"AT+GMR\r\n")
        reply = port.read_until(b"OK\r\n")
    assert reply.startswith(b"AT version:1.7.5.0") and reply.endswith(b"\r\nOK\r\n")


def test_a_tcp_port_carries_at_commands_and_a_second_client_hears_it_too(running):
    sim, ring = running(lab_text(serial="serial:\n  - {device: esp1, tcp_port: 0}"))
    port = int(next(e for e in sim.endpoints if "127.0.0.1:" in e).split("127.0.0.1:")[1].split(" ")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=3) as a, \
            socket.create_connection(("127.0.0.1", port), timeout=3) as b:
        time.sleep(0.1)
        a.sendall(b"AT+CWJAP?\r\n")
        assert read_until(a.fileno(), b"OK\r\n") == b"AT+CWJAP?\r\nNo AP\r\n\r\nOK\r\n"
        assert b"No AP" in read_until(b.fileno(), b"OK\r\n")
    time.sleep(0.2)
    connects = [r for r in ring.records if r["kind"] == "tcp.connect" and r["src"] == "esp1"]
    assert len(connects) == 2


def test_the_terminal_speed_can_be_wrong_like_on_the_bench(running):
    sim, _ = running(lab_text(serial="serial:\n  - {device: esp1, tcp_port: 0, baud: 9600}"))
    port = int(next(e for e in sim.endpoints if "127.0.0.1:" in e).split("127.0.0.1:")[1].split(" ")[0])
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(b"AT\r\n")
        time.sleep(0.5)
        s.setblocking(False)
        try:
            got = s.recv(4096)
        except BlockingIOError:
            got = b""
    assert b"OK" not in got


def test_iotlab_serial_by_port_and_by_lab_name(running):
    sim, _ = running(lab_text(lab_id="serialtest", serial="serial:\n  - {device: esp1, tcp_port: 0}"))
    port = int(next(e for e in sim.endpoints if "127.0.0.1:" in e).split("127.0.0.1:")[1].split(" ")[0])
    assert lookup("serialtest") == {"esp1": {"tcp": port}}
    cmd = [sys.executable, "-m", "sim.cli", "serial"]
    done = subprocess.run(cmd + [str(port), "--wait", "0.5"], input=b"AT\nAT+CWMODE?\n", capture_output=True,
                          timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "AT\n\nOK\nAT+CWMODE?\n+CWMODE:1\n\nOK\n"
    done = subprocess.run(cmd + ["serialtest", "esp1", "--wait", "0.5"], input=b"AT+CWMODE=9\n",
                          capture_output=True, timeout=20)
    assert done.stdout.decode() == "AT+CWMODE=9\n\nERROR\n"
    done = subprocess.run(cmd + ["serialtest", "nothere"], input=b"", capture_output=True, timeout=20)
    assert done.returncode == 2 and b"exposes no UART 'nothere'" in done.stderr


def test_iotlab_serial_is_a_real_terminal_on_a_tty(running):
    """Typed keys on a pseudo-terminal: Enter sends the line, URCs show as they come, Ctrl+] quits."""
    import pty
    sim, _ = running(lab_text(serial="serial:\n  - {device: esp1, tcp_port: 0}"))
    port = int(next(e for e in sim.endpoints if "127.0.0.1:" in e).split("127.0.0.1:")[1].split(" ")[0])
    pid, fd = pty.fork()
    if pid == 0:                                           # the child: iotlab serial on the tty
        os.execv(sys.executable, [sys.executable, "-m", "sim.cli", "serial", str(port)])
    try:
        read_until(fd, b"Ctrl+] quits")
        os.write(fd, b"AT+CWMODE?\r")
        assert b"+CWMODE:1" in read_until(fd, b"OK")
        os.write(fd, b"\x1d")                              # Ctrl+]
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == 0
    finally:
        os.close(fd)


def test_iotlab_serial_without_a_running_lab():
    done = subprocess.run([sys.executable, "-m", "sim.cli", "serial", "no-such-lab", "esp1"], capture_output=True,
                          timeout=20)
    assert done.returncode == 2
    assert b"no lab 'no-such-lab' with exposed UARTs is running here" in done.stderr


# -- asking for terminals ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("esp1=pty", Exposure("esp1", pty=True)),
    ("esp1=tcp", Exposure("esp1", tcp_port=0)),
    ("esp1=tcp:7001", Exposure("esp1", tcp_port=7001)),
    ("esp1.uart=pty+tcp:7001@9600", Exposure("esp1.uart", pty=True, tcp_port=7001, baud=9600)),
    ("all=pty", Exposure("all", pty=True)),
])
def test_serial_options_parse(text, expected):
    assert parse_option(text) == expected


@pytest.mark.parametrize("text, message", [
    ("esp1", "write DEV=pty"),
    ("esp1=usb", "'usb' is not pty or tcp[:PORT]"),
    ("esp1=tcp:99999", "is not a TCP port"),
    ("esp1=pty@1234", "1234 is not a UART speed"),
])
def test_bad_serial_options_say_what_to_write(text, message):
    assert message in parse_option(text)


def test_run_with_serial_option_checks_the_device(cli, write_scenario):
    path = write_scenario(lab_text())
    code, _, err = cli("run", str(path), "--until", "1s", "--mqtt", "off", "--serial", "ap=pty")
    assert code == 2
    assert "--serial ap=pty: ap has no UART; devices with a UART: esp1" in err
    code, _, err = cli("run", str(path), "--until", "1s", "--mqtt", "off", "--serial", "esp2=pty")
    assert code == 2 and "no device 'esp2'" in err


def test_run_with_serial_option_prints_the_terminals(cli, write_scenario):
    path = write_scenario(lab_text())
    code, _, err = cli("run", str(path), "--until", "2s", "--mqtt", "off", "--serial", "esp1=pty+tcp")
    assert code == 0, err
    assert "esp1: serial terminal on /dev/" in err
    assert "esp1: serial terminal on 127.0.0.1:" in err


def test_scenario_serial_entries_are_validated(cli, write_scenario):
    path = write_scenario(lab_text(serial="serial:\n  - {device: ap, pty: true}\n  - {device: esp1}\n"
                                          "  - {device: esp1, pty: true, baud: 1234}"))
    code, _, err = cli("validate", str(path))
    assert code == 2
    assert "ap has no UART; devices with a UART: esp1" in err
    assert "say where: pty: true and/or tcp_port: PORT" in err
    assert "baud" in err


def test_the_lab_registry_goes_with_the_lab(lab):
    sim, _ = lab(lab_text(lab_id="gone", serial="serial:\n  - {device: esp1, tcp_port: 0}"))
    assert "esp1" in lookup("gone")
    sim.close()
    assert lookup("gone") is None


def test_exposing_a_device_without_a_uart_is_refused(lab):
    sim, _ = lab(lab_text())
    with pytest.raises(ValueError, match="ap .*has no UART"):
        expose(sim, Exposure("ap", pty=True))
