"""HC-05 and HM-10: golden transcripts, pairing with a password, transparent data over the radio medium."""

import pytest

from at_support import Term

LAB = """
name: bluetooth bench
room: {size_m: [12, 8]}
devices:
  - {id: master, type: hc05, pos_m: [1, 1], role: 1, MASTER}
  - {id: slave, type: hc05, pos_m: [3, 1] SLAVE}
  - {id: hm1, type: hm10, pos_m: [1, 6], role: 1, imme: 1}
  - {id: hm2, type: hm10, pos_m: [3, 6]}
"""


def bench(lab, master: str = "key_pin: true", slave: str = ""):
    sim, ring = lab(LAB.replace("MASTER", master).replace(" SLAVE", slave))
    sim.advance_to(1.0)
    return sim, ring


def commas(address: str) -> str:
    return address.replace(":", ",")


def test_hc05_at_mode_golden_transcript(lab):
    sim, _ = bench(lab)
    t = Term(sim, "master")
    assert t.cmd("AT") == "OK\r\n"
    assert t.cmd("AT+VERSION?") == "+VERSION:2.0-20100601\r\nOK\r\n"
    assert t.cmd("AT+NAME?") == "+NAME:HC-05\r\nOK\r\n"
    assert t.cmd("AT+NAME=Bench1") == "OK\r\n"
    assert t.cmd("AT+NAME?") == "+NAME:Bench1\r\nOK\r\n"
    assert t.cmd("AT+ROLE?") == "+ROLE:1\r\nOK\r\n"
    assert t.cmd("AT+PSWD?") == "+PSWD:1234\r\nOK\r\n"
    assert t.cmd('AT+PSWD="4321"') == "OK\r\n"
    assert t.cmd("AT+PSWD?") == "+PSWD:4321\r\nOK\r\n"
    assert t.cmd("AT+UART?") == "+UART:9600,0,0\r\nOK\r\n"
    assert t.cmd("AT+CMODE?") == "+CMODE:1\r\nOK\r\n"
    assert t.cmd("AT+ADDR?") == f"+ADDR:{sim.devices['master'].address}\r\nOK\r\n"
    assert t.cmd("AT+STATE?") == "+STATE:READY\r\nOK\r\n"


@pytest.mark.parametrize("line, reply", [
    ("AT+ROLE=3", "ERROR:(11)"),
    ("AT+UART=9601,0,0", "ERROR:(12)"),
    ("AT+UART=9600,2,0", "ERROR:(13)"),
    ("AT+UART=9600,0,3", "ERROR:(14)"),
    ("AT+NAME=" + "n" * 33, "ERROR:(3)"),
    ("AT+PSWD=" + "1" * 17, "ERROR:(10)"),
    ("AT+INQ", "ERROR:(16)"),
    ("AT+FOO", "ERROR:(0)"),
    ("AT+BIND=98d3,31", "ERROR:(1A)"),
    ("AT+BIND=98d30,31,fb1234", "ERROR:(5)"),
])
def test_hc05_errors_have_the_firmware_codes_and_change_nothing(lab, line, reply):
    sim, _ = bench(lab)
    dev = sim.devices["master"]
    before = dict(dev.nv), dict(dev.flash)
    t = Term(sim, "master")
    assert t.cmd(line) == reply + "\r\n"
    assert (dict(dev.nv), dict(dev.flash)) == before


def test_hc05_at_mode_is_38400_whatever_the_data_speed(lab):
    sim, _ = bench(lab)
    assert Term(sim, "master", baud=38400).cmd("AT") == "OK\r\n"
    assert "OK" not in Term(sim, "master", baud=9600).cmd("AT")


def test_hc05_settings_are_kept_in_flash_and_orgl_restores_them(lab):
    sim, _ = bench(lab)
    t = Term(sim, "master")
    t.cmd("AT+NAME=Kept")
    sim.devices["master"].reboot()
    t.run(1)
    assert t.cmd("AT+NAME?") == "+NAME:Kept\r\nOK\r\n"
    assert t.cmd("AT+ORGL") == "OK\r\n"
    assert t.cmd("AT+NAME?") == "+NAME:H-C-2010-06-01\r\nOK\r\n"
    assert t.cmd("AT+UART?") == "+UART:38400,0,0\r\nOK\r\n"


def test_hc05_inquire_pair_link_then_transparent_data(lab):
    sim, ring = bench(lab)
    t = Term(sim, "master")
    slave = sim.devices["slave"]
    assert t.cmd("AT+INIT") == "OK\r\n"
    assert t.cmd("AT+INIT") == "ERROR:(17)\r\n"
    t.send("AT+INQ\r\n")
    out = t.until("OK\r\n", 10)
    assert out.startswith(f"+INQ:{slave.address.upper()},1F00,") and out.endswith("\r\nOK\r\n")
    assert t.cmd(f"AT+PAIR={commas(slave.address)},20", 3) == "OK\r\n"
    assert t.cmd(f"AT+LINK={commas(slave.address)}", 3) == "OK\r\n"
    s = Term(sim, "slave")
    t.send("temperature=21.5\r\n")
    t.run(0.5)
    assert s.take() == "temperature=21.5\r\n"
    s.send("ack")
    t.run(0.5)
    assert t.take() == "ack"
    assert any(r["kind"] == "frame.tx" and r.get("bus") == "bt" for r in ring.records)


def test_hc05_pairing_with_the_wrong_password_fails(lab):
    sim, ring = bench(lab, slave=", pswd: '0000'")
    t = Term(sim, "master")
    t.cmd("AT+INIT")
    assert t.cmd(f"AT+PAIR={commas(sim.devices['slave'].address)},5", 6) == "FAIL\r\n"
    assert t.cmd(f"AT+LINK={commas(sim.devices['slave'].address)}") == "ERROR:(15)\r\n"


def test_hc05_master_in_data_mode_connects_by_itself(lab):
    sim, ring = bench(lab, master="baud: 9600")
    sim.advance_to(8)
    assert sim.devices["master"].link is not None
    m, s = Term(sim, "master"), Term(sim, "slave")
    m.send("hello")
    m.run(0.5)
    assert s.take() == "hello"
    assert m.cmd("AT") == ""                          # data mode: AT is data too
    s.run(0.5)
    assert s.take() == "AT\r\n"


def test_hc05_master_with_the_wrong_password_never_connects(lab):
    sim, ring = bench(lab, master="baud: 9600", slave=", pswd: '9999'")
    sim.advance_to(10)
    assert sim.devices["master"].link is None
    assert any(r["kind"] == "state" and r.get("state") == "pair_failed" for r in ring.records)


def test_hc05_link_drops_when_the_slave_loses_power(lab):
    sim, ring = bench(lab, master="baud: 9600")
    sim.advance_to(8)
    sim.devices["slave"].set_power(False)
    m = Term(sim, "master")
    m.send("x" * 50)
    m.run(2)
    assert sim.devices["master"].link is None
    assert any(r["kind"] == "state" and r.get("state") == "disconnected" and r["src"] == "master"
               for r in ring.records)


def test_hm10_golden_transcript_without_line_endings(lab):
    sim, _ = bench(lab)
    t = Term(sim, "hm2", eol="", baud=9600)
    dev = sim.devices["hm2"]
    assert t.cmd("AT") == "OK"
    assert t.cmd("AT+NAME?") == "OK+NAME:HMSoft"
    assert t.cmd("AT+NAMEbench2") == "OK+Set:bench2"
    assert t.cmd("AT+ROLE?") == "OK+Get:0"
    assert t.cmd("AT+ADDR?") == f"OK+ADDR:{dev.address}"
    assert t.cmd("AT+BAUD?") == "OK+Get:0"
    assert t.cmd("AT+BAUD4") == "OK+Set:4"
    assert t.cmd("AT+PASS?") == "OK+Get:000000"
    assert t.cmd("AT+PASS123456") == "OK+Set:123456"
    assert t.cmd("AT+RESET", 1.0) == "OK+RESET"
    assert "OK" not in t.cmd("AT")                     # 115200 after the reset; this terminal is at 9600
    fast = Term(sim, "hm2", eol="", baud=115200)
    assert fast.cmd("AT+NAME?") == "OK+NAME:bench2"
    assert fast.cmd("AT+RENEW", 1.0) == "OK+RENEW"
    assert Term(sim, "hm2", eol="", baud=9600).cmd("AT+NAME?") == "OK+NAME:HMSoft"


@pytest.mark.parametrize("line", ["AT+ROLE5", "AT+BAUD9", "AT+PASS12345", "AT+NAME" + "n" * 13, "AT+FOO",
                                  "AT+ROLE1\r\n", "at+role1"])
def test_hm10_answers_nothing_to_bad_commands_and_changes_nothing(lab, line):
    sim, _ = bench(lab)
    dev = sim.devices["hm2"]
    before = dict(dev.nv)
    assert Term(sim, "hm2", eol="").cmd(line) == ""
    assert dict(dev.nv) == before


def test_hm10_discover_connect_data_and_at_drops_the_link(lab):
    sim, _ = bench(lab)
    c, p = Term(sim, "hm1", eol=""), Term(sim, "hm2", eol="")
    assert c.cmd("AT+DISC?", 4) == f"OK+DISCSOK+DIS0:{sim.devices['hm2'].address}OK+DISCE"
    assert c.cmd("AT+CONN0", 2) == "OK+CONNAOK+CONN"
    c.send("T:25")
    c.run(0.5)
    assert p.take() == "T:25"
    p.send("LED1")
    p.run(0.5)
    assert c.take() == "LED1"
    assert c.cmd("AT", 0.5) == "OK+LOST"
    assert p.take() == ""                               # NOTI0: the peripheral's host is not told
    assert p.cmd("AT") == "OK"                          # commands again


def test_hm10_pin_required_and_wrong(lab):
    sim, ring = bench(lab)
    c, p = Term(sim, "hm1", eol=""), Term(sim, "hm2", eol="")
    p.cmd("AT+TYPE2")
    p.cmd("AT+PASS654321")
    c.cmd("AT+DISC?", 4)
    assert c.cmd("AT+CONN0", 2) == "OK+CONNAOK+CONNF"
    c.cmd("AT+PASS654321")
    assert c.cmd("AT+CONN0", 2) == "OK+CONNAOK+CONN"
