"""The ATK-LORA-01 style module: AT configuration with MD0 high, a radio link with MD0 low."""

import pytest

from at_support import Term

ROOM = """
name: LoRa modules
room: {size_m: [12, 8]}
devices:
  - {id: a, type: lora_atk, pos_m: [1, 1], md0: 1}
  - {id: b, type: lora_atk, pos_m: [10, 6]}
  - {id: c, type: lora_atk, pos_m: [6, 6], addr: 7}
"""


@pytest.fixture
def room(lab):
    sim, ring = lab(ROOM)
    return sim, ring, Term(sim, "a"), Term(sim, "b"), Term(sim, "c")


def test_golden_configuration_transcript(room):
    sim, ring, a, *_ = room
    assert a.cmd("AT") == "\r\nOK\r\n"
    assert a.cmd("AT+ADDR?") == "+ADDR:00,00\r\n\r\nOK\r\n"
    assert a.cmd("AT+ADDR=00,0B") == "\r\nOK\r\n"
    assert a.cmd("AT+ADDR?") == "+ADDR:00,0B\r\n\r\nOK\r\n"
    assert a.cmd("AT+WLRATE=23,5") == "\r\nOK\r\n"
    assert a.cmd("AT+WLRATE?") == "+WLRATE:23,5\r\n\r\nOK\r\n"
    assert a.cmd("AT+WLRATE=?") == "+WLRATE:(0-83),(0-5)\r\n\r\nOK\r\n"
    assert a.cmd("AT+TPOWER=1") == "\r\nOK\r\n"
    assert a.cmd("AT+TMODE=1") == "\r\nOK\r\n"
    assert a.cmd("AT+PACKSIZE=2") == "\r\nOK\r\n"
    assert a.cmd("AT+NETID=9") == "\r\nOK\r\n"
    assert a.cmd("AT+INFO?") == ("+ADDR:00,0B\r\n+NETID:9\r\n+WLRATE:23,5\r\n+TPOWER:1\r\n+TMODE:1\r\n"
                                 "+PACKSIZE:2\r\n+UART:7,0\r\n+FLASH:0\r\n\r\nOK\r\n")
    dev = sim.devices["a"]
    assert dev.node.tx_power_dbm == 14.0 and dev.node.rate == 7 and dev.node.bandwidth_hz == 500e3
    assert dev.node.freq_hz == pytest.approx(433e6)


@pytest.mark.parametrize("line", [
    "AT+ADDR=00", "AT+ADDR=100,00", "AT+ADDR=0G,00", "AT+ADDR=0,B", "AT+WLRATE=84,5", "AT+WLRATE=23,6",
    "AT+WLRATE=23", "AT+TPOWER=4", "AT+TPOWER=-1", "AT+TMODE=2", "AT+PACKSIZE=x", "AT+UART=8,0",
    "AT+NETID=256", "AT+FOO", "AT+ADDR", "ATX", "hello", "AT+WLRATE=\"23\",5",
])
def test_bad_lines_get_error_and_change_nothing(room, line):
    sim, ring, a, *_ = room
    before = dict(sim.devices["a"].nv)
    assert a.cmd(line) == "\r\nERROR\r\n"
    assert sim.devices["a"].nv == before


def test_noise_and_overlong_lines(room):
    sim, ring, a, *_ = room
    assert a.cmd(b"\xff\x00AT\r\n") == "\r\nERROR\r\n"
    assert a.cmd("AT+ADDR=" + "0" * 200) == "\r\nERROR\r\n"
    assert a.cmd("AT") == "\r\nOK\r\n"


def test_uart_setting_applies_after_the_ok(room):
    sim, ring, a, *_ = room
    fixed = Term(sim, "a", baud=115200)               # a terminal that stays at 115200
    assert fixed.cmd("AT+UART=3,0") == "\r\nOK\r\n"     # the OK still at 115200
    assert fixed.cmd("AT") != "\r\nOK\r\n"
    slow = Term(sim, "a", baud=9600)
    slow.cmd("")                                      # ends the garbage line the fast "AT" left behind
    assert slow.cmd("AT+UART?") == "+UART:3,0\r\n\r\nOK\r\n"


def test_flash_keeps_settings_over_a_power_cycle(room, lab):
    from sim.faults import clear, inject
    sim, ring, a, *_ = room
    a.cmd("AT+ADDR=12,34")
    inject(sim, "a", "power_loss")
    clear(sim, "a", "power_loss")
    a.run(0.5)
    assert a.cmd("AT+ADDR?") == "+ADDR:00,00\r\n\r\nOK\r\n"     # not saved
    a.cmd("AT+ADDR=12,34")
    a.cmd("AT+FLASH=1")
    assert a.cmd("AT+RESET") == "\r\nOK\r\n"
    a.run(0.5)
    assert a.cmd("AT+ADDR?") == "+ADDR:12,34\r\n\r\nOK\r\n"


def test_transparent_link_between_same_address(room):
    sim, ring, a, b, c = room
    a.cmd("AT+WLRATE=23,2")                        # the factory setting of b and c
    sim.devices["a"].set_md0(0)
    a.send(b"hello lora")
    a.run(1.0)
    assert b.take() == "hello lora"                # same address 0, same channel
    assert c.take() == ""                          # address 7 hears nothing
    tx = [r for r in ring.records if r["kind"] == "frame.tx" and r.get("bus") == "lora"]
    assert tx[-1]["data"] == "00 00 00 " + b"hello lora".hex(" ").upper()
    assert tx[-1]["sf"] == 11


def test_fixed_point_to_another_address_and_channel(room):
    sim, ring, a, b, c = room
    a.cmd("AT+WLRATE=23,2")
    a.cmd("AT+TMODE=1")
    sim.devices["a"].set_md0(0)
    a.send(bytes([0x00, 0x07, 23]) + b"to c")
    a.run(1.0)
    assert c.take() == "to c" and b.take() == ""
    # to channel 30: nobody listens there
    a.send(bytes([0x00, 0x07, 30]) + b"lost")
    a.run(1.0)
    assert c.take() == ""


def test_config_mode_does_not_receive(room):
    sim, ring, a, b, c = room
    b.send(b"ping")
    b.run(1.0)
    assert a.take() == ""                           # a is in configuration mode


def test_slow_air_rate_reaches_further(lab):
    far = """
    name: far
    room: {size_m: [10, 10], campus: {size_m: [6000, 100], room_at_m: [0, 0]}}
    radio: {shadowing: false}
    devices:
      - {id: a, type: lora_atk, air_rate: %d}
      - {id: b, type: lora_atk, plan: campus, pos_m: [%d, 0], air_rate: %d}
    """
    for rate, distance, heard in ((5, 5000, False), (0, 5000, True)):
        sim, ring = lab(far % (rate, distance, rate))
        a, b = Term(sim, "a"), Term(sim, "b")
        a.send(b"x")
        a.run(3)
        assert (b.take() == "x") == heard
