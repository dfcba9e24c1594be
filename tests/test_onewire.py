"""DS18B20 on a 1-Wire bus: CRC-8/MAXIM, ROM codes, the scratchpad, conversions, and the gateway's master."""

import pytest

from devices.crc import crc8_maxim
from devices.onewire import CONVERT_T, READ_SCRATCHPAD, read_rom, rom_code, rom_text, transaction
from sensor_rooms import events, room, samples

GW = "{id: gw, type: gateway}"
TWO = room([GW, "{id: t1, type: ds18b20}", "{id: t2, type: ds18b20, resolution_bits: 9, serial: 0000072a3b5c}"],
           ["gw.ow -> t1.dq", "gw.ow -> t2.dq"], env={"temperature": 21.3})


def test_crc8_maxim_check_value_and_the_app_note_27_rom():
    assert crc8_maxim(b"123456789") == 0xA1
    assert crc8_maxim(bytes([0x02, 0x1C, 0xB8, 0x01, 0x00, 0x00, 0x00])) == 0xA2    # Maxim AN27's example ROM
    assert rom_code(0x02, 0x000001B81C) == bytes.fromhex("021CB801000000A2")


def test_scratchpads_as_linux_w1_prints_them_decode():
    from devices.sensors_onewire import DS18B20
    decode = DS18B20.decode
    assert decode(None, bytes.fromhex("72014b467fff0e1057")) == {"temperature_c": 23.125}
    assert decode(None, bytes.fromhex("50054b467fff0c101c")) == {"temperature_c": 85.0}    # power-on value
    assert decode(None, bytes.fromhex("5effffff1fffff10" + f"{crc8_maxim(bytes.fromhex('5effffff1fffff10')):02x}")) \
        == {"temperature_c": -10.5}                 # 0xFF5E at 9 bits: the three undefined bits masked off
    with pytest.raises(Exception, match="scratchpad CRC error"):
        decode(None, bytes.fromhex("72014b467fff0e1058"))


def test_rom_codes_carry_family_serial_and_crc(lab):
    sim, _ = lab(TWO)
    t1, t2 = sim.devices["t1"], sim.devices["t2"]
    assert t2.onewire_rom == bytes.fromhex("285c3b2a07000012")[:7] + bytes([crc8_maxim(t2.onewire_rom[:7])])
    assert rom_text(t2.onewire_rom) == "28-0000072a3b5c"
    assert t1.onewire_rom[0] == 0x28 and crc8_maxim(t1.onewire_rom[:7]) == t1.onewire_rom[7]
    again, _ = lab(TWO)
    assert again.devices["t1"].onewire_rom == t1.onewire_rom            # drawn from the device's own stream
    other, _ = lab(TWO.replace("id: t1", "id: t3").replace("t1.dq", "t3.dq"))
    assert other.devices["t3"].onewire_rom != t1.onewire_rom


def test_reading_before_a_conversion_gives_85_and_conversion_times_follow_resolution(lab):
    sim, _ = lab(room([GW, "{id: t1, type: ds18b20}"], env={"temperature": 21.3}))
    gw, t1 = sim.devices["gw"], sim.devices["t1"]
    sim.run(100)
    assert t1.scratchpad() == bytes.fromhex("50054B467FFF0C101C")       # untouched since power-on
    for bits, conv_s in ((12, 0.75), (9, 0.09375)):
        t1.onewire_function(0x4E, bytes([75, 70, (bits - 9) << 5]), 0)  # Write Scratchpad: resolution
        start, before = sim.now, t1.scratchpad()[:2]
        assert t1.onewire_function(CONVERT_T, b"", 1) == b"\x00"          # busy
        sim.run(start + conv_s * 0.99)
        assert t1.scratchpad()[:2] == before                               # not done yet: the old value
        sim.run(start + conv_s)
        value = t1.decode(t1.scratchpad())["temperature_c"]
        assert value == pytest.approx(21.3, abs=0.5 + 2 ** (bits - 13)) and value * 2 ** (bits - 8) % 1 == 0
        sim.run(start + 1)
    assert transaction(gw, "ow", None, 0xB4, read=1) == (False, b"\xff")      # not wired to the gateway


def test_gateway_reads_every_part_on_the_bus_by_rom(lab):
    sim, ring = lab(TWO)
    sim.run(30)
    t2 = sim.devices["t2"]
    tx = [r["data"] for r in ring.of_kind("frame.tx") if r["src"] == "gw"]
    assert tx[:4] == [f"55 {sim.devices['t1'].onewire_rom.hex(' ').upper()} 44",
                      f"55 {t2.onewire_rom.hex(' ').upper()} 44",
                      f"55 {sim.devices['t1'].onewire_rom.hex(' ').upper()} BE",
                      f"55 {t2.onewire_rom.hex(' ').upper()} BE"]
    for src, step in (("t1", 0.0625), ("t2", 0.5)):
        values = [v for t, v in samples(ring, src, "temperature_c")]
        assert len(values) == 30 and all(abs(v - 21.3) <= 0.5 + step for v in values)
        assert all(v / step == int(v / step) for v in values)
    first = samples(ring, "t1")[0]["t"]
    assert 0.75 < first < 0.8                         # after the slowest (12-bit) conversion


def test_a_missing_part_a_bad_crc_and_a_brownout(lab):
    sim, ring = lab(TWO.replace("wiring:", "faults:\n  - {at: 10, target: t2.dq, fault: wire_break, duration: 5}\n"
                                "  - {at: 20, target: t1, fault: bit_errors, probability: 1, duration: 3}\n"
                                "  - {at: 30, target: t2, fault: brownout}\nwiring:"))
    sim.run(40)
    lost = [(int(r["t"]), r["reason"], r["device"]) for r in ring.of_kind("frame.lost")]
    assert lost == [(t, "no_response", "t2") for t in range(10, 15)] + [(t, "crc", "t1") for t in range(20, 23)]
    assert "no answer from 1-Wire ROM 28-0000072a3b5c" in events(ring, "t2")[0]["error"]
    assert "scratchpad CRC error" in events(ring, "t1")[0]["error"]
    assert [v for t, v in samples(ring, "t2", "temperature_c") if t > 31] == [85.0] * 9
    assert all(abs(v - 21.3) < 1 for t, v in samples(ring, "t1", "temperature_c"))


def test_read_rom_works_alone_and_collides_with_two_parts(lab):
    sim, _ = lab(TWO)
    gw = sim.devices["gw"]
    presence, both = read_rom(gw, "ow")
    assert presence and crc8_maxim(both[:7]) != both[7]           # wired-AND of two ROMs
    sim.devices["t1"].set_power(False)
    assert read_rom(gw, "ow") == (True, sim.devices["t2"].onewire_rom)
    sim.devices["t2"].set_power(False)
    assert transaction(gw, "ow", None, READ_SCRATCHPAD, read=9) == (False, b"\xff" * 9)   # no presence pulse
