"""Through to the real world: modules in the lab open real MQTT sessions, TCP connections and UDP datagrams
to a mosquitto and servers the test starts on 127.0.0.1, with the simulated link in between."""

import socket
import threading

import pytest

from mqtt_support import Mosquitto, Subscriber, publish

from at_support import LiveTerm, Running

LAB = """
name: network lab
room: {size_m: [20, 10], campus: {size_m: [1000, 600], room_at_m: [100, 100]}}
devices:
  - {id: ap, type: wifi_ap, pos_m: [2, 2], ssid: Lab, key: "12345678"}
  - {id: esp, type: esp8266, pos_m: [6, 4], ssid: Lab, key: "12345678"}
  - {id: enb, type: base_station, plan: campus, pos_m: [400, 140], tx_power_dbm: 43}
  - {id: gnb, type: base_station, plan: campus, pos_m: [250, 120], rat: nr5g, tx_power_dbm: 40}
  - {id: nb, type: bc26, pos_m: [8, 5]}
  - {id: nb95, type: bc95, pos_m: [9, 5]}
  - {id: g5, type: rm500q, pos_m: [10, 5]}
FAULTS
"""


@pytest.fixture
def broker(tmp_path):
    b = Mosquitto(tmp_path).start()
    yield b
    b.stop()


@pytest.fixture
def live(lab):
    """The lab joined and attached (run fast), then running at speed 1 with terminals on the modules."""
    started = []

    def start(faults: str = ""):
        sim, ring = lab(LAB.replace("FAULTS", faults))
        terms = {d: LiveTerm(sim, d) for d in ("esp", "nb", "nb95", "g5")}
        sim.advance_to(40.0)                     # Wi-Fi joined, NB-IoT and 5G attached
        for t in terms.values():
            t.take()
        started.append(Running(sim, speed=1.0))
        return sim, ring, terms
    yield start
    for run in started:
        run.stop()


class EchoServer:
    """A real TCP server that echoes with a prefix, and says hello first."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.received = bytearray()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn) -> None:
        with conn:
            conn.sendall(b"hello")
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                self.received += data
                conn.sendall(b"echo:" + data)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def echo():
    server = EchoServer()
    yield server
    server.close()


class UdpEcho:
    def __init__(self, reply=lambda data: b"echo:" + data) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.reply = reply
        self.running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.running:
            try:
                data, addr = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            self.received.append(data)
            self.sock.sendto(self.reply(data), addr)

    def close(self) -> None:
        self.running = False
        self.sock.close()


# -- ESP8266 ---------------------------------------------------------------------------------------------------
def test_esp8266_mqtt_session_reaches_mosquitto_both_ways(live, broker):
    sim, ring, terms = live()
    t = terms["esp"]
    sub = Subscriber(broker.port, ["lab/#"])
    try:
        t.line('AT+MQTTUSERCFG=0,1,"esp-1","","",0,0,""')
        assert t.until("OK\r\n") == 'AT+MQTTUSERCFG=0,1,"esp-1","","",0,0,""\r\n\r\nOK\r\n'
        t.line(f'AT+MQTTCONN=0,"127.0.0.1",{broker.port},0')
        assert t.until("OK\r\n") == (f'AT+MQTTCONN=0,"127.0.0.1",{broker.port},0\r\n'
                                     f'+MQTTCONNECTED:0,1,"127.0.0.1","{broker.port}","",0\r\n\r\nOK\r\n')
        t.line('AT+MQTTSUB=0,"lab/cmd",1')
        assert t.until("OK\r\n") == 'AT+MQTTSUB=0,"lab/cmd",1\r\n\r\nOK\r\n'
        t.line('AT+MQTTSUB=0,"lab/cmd",1')
        assert t.until("OK\r\n") == 'AT+MQTTSUB=0,"lab/cmd",1\r\nALREADY SUBSCRIBE\r\n\r\nOK\r\n'
        t.line('AT+MQTTPUB=0,"lab/temp","{\\"t\\":23.5\\,\\"h\\":40}",1,0')
        assert t.until("OK\r\n").endswith("\r\nOK\r\n")
        assert sub.wait_for(lambda m: ("lab/temp", b'{"t":23.5,"h":40}', False) in m, 5), sub.messages
        publish(broker.port, "lab/cmd", b"relay=on")
        assert t.until("relay=on\r\n") == '+MQTTSUBRECV:0,"lab/cmd",8,relay=on\r\n'
        t.line("AT+MQTTSUB?")
        assert t.until("OK\r\n") == 'AT+MQTTSUB?\r\n+MQTTSUB:0,6,"lab/cmd",1\r\n\r\nOK\r\n'
        t.line('AT+MQTTUNSUB=0,"lab/none"')
        assert t.until("OK\r\n") == 'AT+MQTTUNSUB=0,"lab/none"\r\nNO UNSUBSCRIBE\r\n\r\nOK\r\n'
        broker.stop()                                    # the broker goes away
        assert t.until("+MQTTDISCONNECTED:0\r\n", 10) == "+MQTTDISCONNECTED:0\r\n"
        t.line("AT+MQTTCLEAN=0")
        assert t.until("OK\r\n") == "AT+MQTTCLEAN=0\r\n\r\nOK\r\n"
    finally:
        sub.close()
    # the radio carried it: frames between the module and the AP while the session ran
    assert any(r["kind"] == "frame.tx" and r.get("bus") == "wifi" and r["src"] == "esp" and r["t"] > 40
               for r in ring.records)


def test_esp8266_mqtt_broker_unreachable_and_unknown_host(live):
    _, _, terms = live()
    t = terms["esp"]
    t.line('AT+MQTTUSERCFG=0,1,"esp-1","","",0,0,""')
    t.until("OK\r\n")
    with socket.socket() as s:                          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    t.line(f'AT+MQTTCONN=0,"127.0.0.1",{closed_port},0')
    assert t.until("ERROR\r\n", 15).endswith("\r\n\r\nERROR\r\n")
    t.line('AT+MQTTCONN=0,"no-such-host.invalid",1883,0')
    assert t.until("ERROR\r\n", 15).endswith("\r\n\r\nERROR\r\n")


def test_esp8266_tcp_both_ways_and_transparent_mode(live, echo):
    _, _, terms = live()
    t = terms["esp"]
    t.line(f'AT+CIPSTART="TCP","127.0.0.1",{echo.port}')
    out = t.until("+IPD,5:hello")
    assert out == f'AT+CIPSTART="TCP","127.0.0.1",{echo.port}\r\nCONNECT\r\n\r\nOK\r\n\r\n+IPD,5:hello'
    t.line("AT+CIPSTATUS")
    assert f'+CIPSTATUS:0,"TCP","127.0.0.1",{echo.port},' in t.until("OK\r\n")
    t.line("AT+CIPSEND=4")
    assert t.until(">") == "AT+CIPSEND=4\r\n\r\nOK\r\n>"
    t.send(b"ping")
    assert t.until("+IPD,9:echo:ping") == "\r\nRecv 4 bytes\r\n\r\nSEND OK\r\n\r\n+IPD,9:echo:ping"
    t.line("AT+CIPMODE=1")
    t.until("OK\r\n")
    t.line("AT+CIPSEND")
    assert t.until(">") == "AT+CIPSEND\r\n\r\nOK\r\n\r\n>"
    t.send(b"raw bytes")
    assert t.until("echo:raw bytes") == "echo:raw bytes"
    import time
    time.sleep(1.2)
    t.send(b"+++")
    time.sleep(1.3)
    t.line("AT+CIPMODE=0")
    assert t.until("OK\r\n") == "AT+CIPMODE=0\r\n\r\nOK\r\n"
    t.line("AT+CIPCLOSE")
    assert t.until("OK\r\n") == "AT+CIPCLOSE\r\nCLOSED\r\n\r\nOK\r\n"
    assert bytes(echo.received) == b"pingraw bytes"


def test_esp8266_tcp_refused_and_closed_by_the_server(live, echo):
    _, _, terms = live()
    t = terms["esp"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    t.line(f'AT+CIPSTART="TCP","127.0.0.1",{closed_port}')
    assert t.until("CLOSED\r\n") == f'AT+CIPSTART="TCP","127.0.0.1",{closed_port}\r\nERROR\r\n\r\nCLOSED\r\n'
    t.line('AT+CIPSTART="TCP","no-such-host.invalid",80')
    assert t.until("ERROR\r\n") == 'AT+CIPSTART="TCP","no-such-host.invalid",80\r\nDNS Fail\r\n\r\nERROR\r\n'


def test_dns_failure_and_wan_down_faults_at_the_router(live, echo):
    _, _, terms = live("""faults:
  - {at: 41s, target: ap, fault: dns_failure}
  - {at: 41s, target: ap, fault: wan_down, duration: 30s}""")
    t = terms["esp"]
    import time
    time.sleep(1.5)
    t.line(f'AT+CIPSTART="TCP","localhost",{echo.port}')
    assert t.until("ERROR\r\n", 10).endswith("DNS Fail\r\n\r\nERROR\r\n")
    t.line(f'AT+CIPSTART="TCP","127.0.0.1",{echo.port}')      # by address: no DNS, but the uplink is down
    assert t.until("CLOSED\r\n", 15).endswith("\r\nERROR\r\n\r\nCLOSED\r\n")
    assert echo.received == bytearray()


# -- BC26 ---------------------------------------------------------------------------------------------------
def test_bc26_mqtt_session_reaches_mosquitto_both_ways(live, broker):
    sim, ring, terms = live()
    t = terms["nb"]
    sub = Subscriber(broker.port, ["nb/#"])
    try:
        t.line("AT+CGATT?")
        assert t.until("OK\r\n") == "AT+CGATT?\r\n\r\n+CGATT: 1\r\n\r\nOK\r\n"
        t.line(f'AT+QMTOPEN=0,"127.0.0.1",{broker.port}')
        assert t.until("+QMTOPEN: 0,0\r\n", 30) == \
            f'AT+QMTOPEN=0,"127.0.0.1",{broker.port}\r\n\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n'
        t.line('AT+QMTCONN=0,"bc26-1"')
        assert t.until("+QMTCONN: 0,0,0\r\n", 30) == 'AT+QMTCONN=0,"bc26-1"\r\n\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n'
        t.line('AT+QMTSUB=0,1,"nb/down",1')
        assert t.until("+QMTSUB: 0,1,0,1\r\n", 30).endswith("\r\nOK\r\n\r\n+QMTSUB: 0,1,0,1\r\n")
        t.line('AT+QMTPUB=0,1,1,0,"nb/up"')
        assert t.until("> ") == 'AT+QMTPUB=0,1,1,0,"nb/up"\r\n> '
        t.send(b'{"temp":21.5}\x1a')
        assert t.until("+QMTPUB: 0,1,0\r\n", 30).endswith("\r\nOK\r\n\r\n+QMTPUB: 0,1,0\r\n")
        assert sub.wait_for(lambda m: ("nb/up", b'{"temp":21.5}', False) in m, 5), sub.messages
        publish(broker.port, "nb/down", b"led=1")
        assert t.until('"led=1"\r\n', 40) == '\r\n+QMTRECV: 0,0,"nb/down","led=1"\r\n'
        t.line("AT+QMTDISC=0")
        assert t.until("+QMTDISC: 0,0\r\n") == "AT+QMTDISC=0\r\n\r\nOK\r\n\r\n+QMTDISC: 0,0\r\n"
    finally:
        sub.close()
    # NB-IoT latency: an uplink from idle took seconds, not milliseconds
    ups = [r for r in ring.records if r["src"] == "nb" and r["kind"] == "frame.tx" and r.get("bus") == "nbiot"]
    assert ups and all("ecl" in r for r in ups)


def test_bc26_qmtopen_failures(live):
    _, _, terms = live()
    t = terms["nb"]
    t.line('AT+QMTOPEN=0,"no-such-host.invalid",1883')
    assert t.until("+QMTOPEN: 0,4\r\n", 30).endswith("+QMTOPEN: 0,4\r\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    t.line(f'AT+QMTOPEN=1,"127.0.0.1",{closed_port}')
    assert t.until("+QMTOPEN: 1,-1\r\n", 30).endswith("+QMTOPEN: 1,-1\r\n")


# -- BC95 ------------------------------------------------------------------------------------------------------
def test_bc95_udp_socket_and_coap_to_the_platform(live):
    _, _, terms = live()
    t = terms["nb95"]
    udp = UdpEcho()
    platform = UdpEcho(reply=lambda data: bytes([0x50, 0x02, 0x12, 0x34, 0xFF]) + b"\x01\x02")
    try:
        t.line("AT+NSOCR=DGRAM,17,5683,1")
        assert t.until("OK\r\n") == "\r\n0\r\n\r\nOK\r\n"
        t.line(f"AT+NSOST=0,127.0.0.1,{udp.port},2,ABCD")
        assert t.until("OK\r\n") == "\r\n0,2\r\n\r\nOK\r\n"
        assert t.until("+NSONMI:0,7\r\n", 30) == "\r\n+NSONMI:0,7\r\n"
        t.line("AT+NSORF=0,100")
        assert t.until("OK\r\n") == f"\r\n0,127.0.0.1,{udp.port},7,6563686F3AABCD,0\r\n\r\nOK\r\n"
        assert udp.received == [b"\xab\xcd"]
        t.line(f"AT+NCDP=127.0.0.1,{platform.port}")
        t.until("OK\r\n")
        t.line("AT+NNMI=1")
        t.until("OK\r\n")
        t.line("AT+NMGS=3,010203")
        assert t.until("OK\r\n") == "\r\nOK\r\n"
        assert t.until("+NNMI:2,0102\r\n", 40) == "\r\n+NNMI:2,0102\r\n"
        message = platform.received[0]
        assert message[:2] == b"\x50\x02" and message.endswith(b"\xff\x01\x02\x03")   # CoAP NON POST /t/d
        assert b"\xb1t\x01d" in message
    finally:
        udp.close()
        platform.close()


# -- RM500Q ----------------------------------------------------------------------------------------------------
def test_rm500q_tcp_over_5g_is_fast(live, echo):
    sim, _, terms = live()
    t = terms["g5"]
    t.line(f'AT+QIOPEN=1,0,"TCP","127.0.0.1",{echo.port},0,1')
    out = t.until('+QIURC: "recv",0,5\r\nhello', 10)
    assert out == (f'AT+QIOPEN=1,0,"TCP","127.0.0.1",{echo.port},0,1\r\n\r\nOK\r\n\r\n+QIOPEN: 0,0\r\n'
                   '\r\n+QIURC: "recv",0,5\r\nhello')
    t.line("AT+QISEND=0,4")
    assert t.until("> ") == "AT+QISEND=0,4\r\n> "
    t.send(b"ping")
    assert t.until("echo:ping") == '\r\nSEND OK\r\n\r\n+QIURC: "recv",0,9\r\necho:ping'
    t.line("AT+QICLOSE=0")
    assert t.until("OK\r\n") == "AT+QICLOSE=0\r\n\r\nOK\r\n"
