"""The serial server: a real TCP port on 127.0.0.1 into the lab's RS-485 bus (Modbus TCP gateway or transparent).

Labs run at speed 1 in a thread while real clients (pymodbus, raw sockets) talk to them.
"""

import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.framer.rtu import FramerRTU

from devices.modbus import crc16, crc_ok, with_crc

LAB = """
name: serial server
lab: ss
room: {size_m: [5, 5]}
devices:
  - {id: ss1, type: serial_server, tcp_port: 0, PARAMS}
  - {id: th1, type: rs485_th, address: 1, baud: 9600}
wiring:
  - ss1.rs485 -> th1.rs485
"""


def lab_text(**params) -> str:
    return LAB.replace(", PARAMS", "".join(f", {k}: {v}" for k, v in params.items()))


class Running:
    """A lab running at speed 1 in a thread, and its serial server's port."""

    def __init__(self, sim, ring) -> None:
        self.sim, self.ring, self.port = sim, ring, sim.devices["ss1"].tcp_port
        self.runner = threading.Thread(target=sim.run, args=(120.0,), kwargs={"speed": 1.0}, daemon=True)
        self.runner.start()

    def finish(self) -> None:
        """Stop the run and close the lab (its clients are let go, so their records are in)."""
        self.sim.stop()
        self.runner.join(5)
        self.sim.close()

    def records(self, kind: str, src: str = "ss1") -> list[dict]:
        self.finish()
        return [r for r in self.ring.records if r["kind"] == kind and r["src"] == src]


@pytest.fixture
def running(lab):
    """Start the serial-server lab with these serial server parameters; stopped and closed after the test."""
    started = []

    def start(**params) -> Running:
        started.append(Running(*lab(lab_text(**params))))
        return started[-1]

    yield start
    for run in started:
        run.finish()


def client(port: int) -> ModbusTcpClient:
    c = ModbusTcpClient("127.0.0.1", port=port, timeout=3, retries=0)
    assert c.connect()
    return c


def raw(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=3)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_by_server(sock: socket.socket, within_s: float = 3.0) -> bool:
    sock.settimeout(within_s)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- Modbus TCP gateway -------------------------------------------------------------------------
def test_pymodbus_reads_and_writes_the_transmitter_through_the_serial_server(running):
    run = running()
    c = client(run.port)
    try:
        rr = c.read_holding_registers(0, count=2, device_id=1)
        assert not rr.isError(), rr
        humidity, temperature = rr.registers[0] / 10, rr.registers[1] / 10
        assert 35 <= humidity <= 65 and 18 <= temperature <= 30, (humidity, temperature)
        ir = c.read_input_registers(0, count=2, device_id=1)
        assert not ir.isError() and abs(ir.registers[1] / 10 - temperature) < 1
        # FC06: move the transmitter to address 5 (it answers at its old address, then changes)
        wr = c.write_register(2, 5, device_id=1)
        assert not wr.isError() and wr.registers == [5]
        assert c.read_holding_registers(2, count=1, device_id=5).registers == [5]
        gone = c.read_holding_registers(2, count=1, device_id=1)
        assert gone.isError() and gone.exception_code == 0x0B
    finally:
        c.close()
    tx = [r["data"] for r in run.records("frame.tx")]
    write = with_crc(bytes.fromhex("0106 0002 0005")).hex(" ").upper()
    assert tx[:3] == ["01 03 00 00 00 02 C4 0B", "01 04 00 00 00 02 71 CB", write]
    answers = [r["data"] for r in run.ring.records if r["kind"] == "frame.tx" and r["src"] == "th1"]
    assert answers[0].startswith("01 03 04") and crc_ok(bytes.fromhex(answers[0]))
    assert [r["kind"] for r in run.ring.records if r["src"] == "ss1" and r["kind"].startswith("tcp.")] == \
        ["tcp.connect", "tcp.close"]


def test_an_absent_unit_gets_0B_after_the_bus_timeout_and_a_reserved_one_0A_at_once(running):
    run = running(timeout_s=0.3)
    c = client(run.port)
    try:
        start = time.perf_counter()
        rr = c.read_holding_registers(0, count=2, device_id=7)
        waited = time.perf_counter() - start
        assert rr.isError() and rr.exception_code == 0x0B and 0.3 <= waited < 1.5, waited
        start = time.perf_counter()
        rr = c.read_holding_registers(0, count=2, device_id=250)
        assert rr.isError() and rr.exception_code == 0x0A and time.perf_counter() - start < 0.3
    finally:
        c.close()
    tx = [r["data"] for r in run.records("frame.tx")]
    assert tx == ["07 03 00 00 00 02 C4 6D"]                # unit 250 never reached the bus
    assert [r["reason"] for r in run.ring.records if r["kind"] == "frame.lost"] == ["timeout"]


def test_a_broadcast_goes_on_the_bus_with_no_answer_and_requests_keep_their_order(running):
    run = running()
    sock = raw(run.port)
    broadcast = struct.pack(">HHHB", 1, 0, 6, 0) + bytes.fromhex("06 0009 0001")
    read = struct.pack(">HHHB", 2, 0, 6, 1) + bytes.fromhex("03 0000 0002")
    sock.sendall(broadcast + read)                           # two requests in one segment
    head = sock.recv(7)
    assert struct.unpack(">HHHB", head) == (2, 0, 7, 1)      # the only answer: the read's
    assert sock.recv(100)[:2] == b"\x03\x04"
    sock.close()
    tx = [r["data"] for r in run.records("frame.tx")]
    assert tx == [with_crc(bytes.fromhex("00 06 0009 0001")).hex(" ").upper(), "01 03 00 00 00 02 C4 0B"]
    assert not [r for r in run.ring.records if r["kind"] == "frame.lost"]


def test_clients_share_the_bus_one_exchange_at_a_time(running):
    run = running()
    results = []

    def poll():
        c = client(run.port)
        try:
            results.extend(not c.read_holding_registers(0, count=2, device_id=1).isError() for _ in range(3))
        finally:
            c.close()

    threads = [threading.Thread(target=poll) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [True] * 9
    run.records("tcp.close")
    spans = []                                     # each request's [start, end of the reply] on the wire
    for r in run.ring.records:
        if r["kind"] == "frame.tx" and r["src"] == "ss1":
            spans.append([r["t"], None])
        elif r["kind"] == "frame.rx" and r["src"] == "ss1":
            spans[-1][1] = r["t"]
    assert len(spans) == 9 and all(end is not None for _, end in spans)
    assert all(spans[i][1] < spans[i + 1][0] for i in range(8))    # never two on the wire at once


# -- transparent mode ---------------------------------------------------------------------------
def test_transparent_mode_moves_raw_bytes_both_ways(running):
    run = running(mode="transparent", packing_ms=20)
    sock = raw(run.port)
    sock.sendall(bytes.fromhex("01 03 00 00"))               # one frame in two chunks, within packing_ms
    time.sleep(0.003)
    sock.sendall(bytes.fromhex("00 02 C4 0B"))
    reply = sock.recv(100)
    assert len(reply) == 9 and reply[:3] == bytes.fromhex("01 03 04") and crc_ok(reply)
    sock.sendall(bytes.fromhex("01 03 00 00 00 02 C4 0C"))   # a bad CRC: the slave stays silent, so do we
    sock.settimeout(0.6)
    with pytest.raises(socket.timeout):
        sock.recv(100)
    sock.close()
    tx = [r["data"] for r in run.records("frame.tx")]
    assert tx == ["01 03 00 00 00 02 C4 0B", "01 03 00 00 00 02 C4 0C"]


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("data, error", [
    (struct.pack(">HHHB", 1, 1, 6, 1) + bytes.fromhex("03 0000 0002"), "protocol id 1"),
    (struct.pack(">HHHB", 1, 0, 12, 1) + bytes.fromhex("03 0000 0002"), "MBAP length 12 announces 11 PDU bytes; 5"),
    (struct.pack(">HHHB", 1, 0, 7, 1) + bytes.fromhex("03 0000 0002 00"), "MBAP length 7 does not match"),
    (struct.pack(">HHHB", 1, 0, 300, 1), "MBAP length 300 is outside 2..254"),
    (b"hello", "5 bytes are not a Modbus TCP frame"),
])
def test_malformed_modbus_tcp_closes_that_client_with_an_event_and_the_lab_goes_on(running, data, error):
    run = running()
    bad = raw(run.port)
    bad.sendall(data)
    assert closed_by_server(bad)
    bad.close()
    c = client(run.port)                                 # a new client is served as before
    try:
        assert not c.read_holding_registers(0, count=2, device_id=1).isError()
    finally:
        c.close()
    events = run.records("event")
    assert len(events) == 1 and error in events[0]["error"] and "\n" not in events[0]["error"], events
    assert [r for r in run.ring.records if r["kind"] == "tcp.close"][0]["reason"] == events[0]["error"]
    assert not [r for r in run.ring.records if r["kind"] == "frame.tx" and r["t"] < events[0]["t"]]


def test_a_client_beyond_max_clients_is_refused_with_an_event(running):
    run = running(max_clients=1)
    first = client(run.port)
    try:
        assert not first.read_holding_registers(0, count=1, device_id=1).isError()
        extra = raw(run.port)
        assert closed_by_server(extra)
        extra.close()
        assert not first.read_holding_registers(0, count=1, device_id=1).isError()
    finally:
        first.close()
    events = run.records("event")
    assert len(events) == 1 and "refused" in events[0]["error"] and "max_clients 1" in events[0]["error"]


def test_a_serial_server_that_loses_power_drops_its_clients(running):
    run = running()
    sock = raw(run.port)
    run.sim.post("ss1", "fault.inject", {"fault": "power_loss"})
    assert closed_by_server(sock)
    sock.close()
    again = raw(run.port)                          # and refuses new ones while it has none
    assert closed_by_server(again)
    again.close()
    run.finish()
    gone = [r.get("reason") or r.get("error") for r in run.ring.records if r["kind"] in ("tcp.close", "event")]
    # The first client's close and the second's refusal come from two socket threads: either may be first.
    assert "connection refused: the serial server has no power" in gone
    assert set(gone) <= {"the serial server lost power", "connection refused: the serial server has no power"}


def test_a_lab_that_is_not_running_cannot_hang_a_client(lab):
    sim, ring = lab(lab_text())
    c = client(sim.devices["ss1"].tcp_port)
    try:
        start = time.perf_counter()
        rr = c.read_holding_registers(0, count=2, device_id=1)
        assert rr.isError() and rr.exception_code == 0x0B
        assert time.perf_counter() - start < 2.8
    finally:
        c.close()
    sim.run(1.0)                                  # the request its client gave up on never reaches the bus
    assert not [r for r in ring.records if r["kind"] == "frame.tx"]


# -- life cycle and determinism ---------------------------------------------------------------
def test_closing_the_lab_frees_its_port(lab):
    sim, _ = lab(lab_text())
    port = sim.devices["ss1"].tcp_port
    sock = raw(port)
    sim.close()
    assert closed_by_server(sock, 1.0)
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def test_a_listening_port_leaves_the_trace_unchanged(lab):
    body = """
name: d
room: {size_m: [10, 10]}
devices:
  - {id: gw, type: gateway}
  - {id: th1, type: rs485_th}
SS
wiring: [gw.rs485 -> th1.rs485WIRE]
"""
    with_server = body.replace("SS", "  - {id: ss1, type: serial_server, tcp_port: 0}").replace(
        "WIRE", ", ss1.rs485 -> th1.rs485")
    without = body.replace("SS\n", "").replace("WIRE", "")
    traces = []
    for text in (with_server, without):
        sim, ring = lab(text)
        sim.run(120)
        sim.close()
        traces.append([r for r in ring.records if r["kind"] != "run.start"])
    assert len(traces[0]) > 300 and traces[0] == traces[1]


# -- the command line ---------------------------------------------------------------------------
def test_cli_tcp_port_errors_are_one_line_and_exit_2(cli, write_scenario, monkeypatch):
    monkeypatch.delenv("IOTLAB_TCP_ANY_PORT", raising=False)
    path = str(write_scenario(lab_text()))
    code, _, err = cli("run", path, "--until", "1s", "--mqtt", "off", "--tcp-port", "ss9=5020")
    assert code == 2 and err.count("\n") == 1 and "no device 'ss9'" in err and "ss1 (serial_server)" in err
    code, _, err = cli("run", path, "--until", "1s", "--mqtt", "off", "--tcp-port", "th1=5020")
    assert code == 2 and err.count("\n") == 1 and "no TCP port" in err
    code, _, err = cli("run", path, "--until", "1s", "--mqtt", "off", "--tcp-port", "ss1=http")
    assert code == 2 and err.count("\n") == 1 and "0 to 65535" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = cli("run", path, "--until", "1s", "--mqtt", "off", "--tcp-port", f"ss1={port}")
    assert code == 2 and err.count("\n") == 1
    assert f"127.0.0.1:{port} is in use; choose another with --tcp-port ss1=PORT" in err


def test_cli_prints_the_start_line_with_the_bound_port(cli, write_scenario, monkeypatch):
    monkeypatch.delenv("IOTLAB_TCP_ANY_PORT", raising=False)
    path = str(write_scenario(lab_text()))
    port = free_port()
    code, _, err = cli("run", path, "--until", "1s", "--mqtt", "off", "--tcp-port", f"ss1={port}")
    assert code == 0 and f"ss1: Modbus TCP on 127.0.0.1:{port} (unit id = RS-485 address)" in err
    code, _, err = cli("run", path, "--until", "1s", "--mqtt", "off")      # tcp_port: 0 in the file
    assert code == 0 and "ss1: Modbus TCP on 127.0.0.1:" in err and "127.0.0.1:0 " not in err


def test_cli_run_serves_a_client_and_frees_the_port_on_ctrl_c(write_scenario, tmp_path):
    path, trace = write_scenario(lab_text()), tmp_path / "t.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "run", str(path), "--speed", "1", "--until", "1h",
                             "--mqtt", "off", "--trace", str(trace), "--tcp-port", "ss1=0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        port = None
        deadline = time.monotonic() + 10
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if line.startswith("ss1: Modbus TCP on 127.0.0.1:"):
                port = int(line.split("127.0.0.1:")[1].split()[0])
        assert port, "no start line"
        c = client(port)
        try:
            rr = c.read_holding_registers(0, count=2, device_id=1)
            assert not rr.isError() and 18 <= rr.registers[1] / 10 <= 30
        finally:
            c.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
    text = trace.read_text()
    assert '"kind":"tcp.connect"' in text and '"data":"01 03 00 00 00 02 C4 0B"' in text
    assert text.rstrip().splitlines()[-1].startswith('{"t":') and '"run.end"' in text.splitlines()[-1]


# -- CRC --------------------------------------------------------------------------------------------
VECTORS = ["01 03 00 00 00 02 C4 0B", "02 03 00 07 00 01 35 F8", "03 01 00 00 00 04 3C 2B",
           "03 05 00 00 FF 00 8D D8", "06 06 00 02 00 06 A9 BF", "01 04 00 01 00 02 20 0B"]


@pytest.mark.parametrize("vector", VECTORS)
def test_crc_matches_the_published_frames_and_pymodbus(vector):
    frame = bytes.fromhex(vector)
    assert with_crc(frame[:-2]) == frame
    assert FramerRTU.check_CRC(frame[:-2], int.from_bytes(frame[-2:], "big"))


def test_crc_matches_pymodbus_on_random_frames():
    rng = random.Random(485)
    for _ in range(2000):
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 256)))
        assert struct.pack("<H", crc16(body)) == FramerRTU.compute_CRC(body).to_bytes(2, "big")
