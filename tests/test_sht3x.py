"""SHT30/SHT31 on I2C: the datasheet's CRC, its command set, and the gateway's recipe-driven I2C driver."""

import pytest

from devices.crc import crc8_sensirion
from devices.sensors_i2c import sht_word
from sensor_rooms import events, room, samples
from sim.buses import i2c_transfer

GW = "{id: gw, type: gateway}"
BENCH = room([GW, "{id: h1, type: sht3x}", "{id: lux1, type: bh1750}"], ["gw.i2c -> h1.i2c", "gw.i2c -> lux1.i2c"],
             env={"temperature": 26.5, "humidity": 38.0})


def test_crc8_of_the_datasheet_example():
    assert crc8_sensirion(b"\xBE\xEF") == 0x92
    assert sht_word(0xBEEF) == b"\xBE\xEF\x92"


def test_decode_round_trip(lab):
    sim, _ = lab(room(["{id: h1, type: sht3x}"]))
    h1 = sim.devices["h1"]
    s_t, s_rh = round((26.5 + 45) * 65535 / 175), round(38.0 * 65535 / 100)
    assert h1.decode(sht_word(s_t) + sht_word(s_rh)) == {"temperature_c": 26.5, "humidity_rh": 38.0}
    assert h1.decode(sht_word(0) + sht_word(0xFFFF)) == {"temperature_c": -45.0, "humidity_rh": 100.0}
    with pytest.raises(Exception, match="SHT3x CRC error"):
        h1.decode(sht_word(s_t) + sht_word(s_rh)[:2] + b"\x00")


def test_single_shot_without_clock_stretching_nacks_until_done(lab):
    sim, _ = lab(room([GW, "{id: h1, type: sht3x, addr_high: true}"], ["gw.i2c -> h1.i2c"],
                      env={"temperature": 26.5, "humidity": 38.0}).replace(GW, "{id: gw, type: gateway, "
                                                                               "poll_period_s: 3600}"))
    gw, h1 = sim.devices["gw"], sim.devices["h1"]
    sim.run(10)
    assert i2c_transfer(gw, "i2c", 0x45, b"\x24\x00") == b""
    assert i2c_transfer(gw, "i2c", 0x45, b"", 6) is None            # measuring: NACK
    sim.run(10.0155)
    data = i2c_transfer(gw, "i2c", 0x45, b"", 6)
    values = h1.decode(data)
    assert values["temperature_c"] == pytest.approx(26.5, abs=0.2 + 0.05)
    assert values["humidity_rh"] == pytest.approx(38.0, abs=2 + 0.1)
    assert i2c_transfer(gw, "i2c", 0x45, b"", 6) is None            # read once: no data left
    i2c_transfer(gw, "i2c", 0x45, b"\x2C\x10")                        # clock stretching, low repeatability
    assert len(i2c_transfer(gw, "i2c", 0x45, b"", 6)) == 6           # the read waits for the result


def test_status_register_reset_heater_and_unknown_commands(lab):
    sim, _ = lab(room([GW, "{id: h1, type: sht3x}"], ["gw.i2c -> h1.i2c"], env={"temperature": 26.5,
                                                                              "humidity": 38.0}))
    gw, h1 = sim.devices["gw"], sim.devices["h1"]
    sim.run(60)

    def status():
        i2c_transfer(gw, "i2c", 0x44, b"\xF3\x2D")
        word = i2c_transfer(gw, "i2c", 0x44, b"", 3)
        assert crc8_sensirion(word[:2]) == word[2]
        return int.from_bytes(word[:2], "big")

    assert status() == 0x8010                        # after the gateway's soft reset: alert, reset seen
    i2c_transfer(gw, "i2c", 0x44, b"\x30\x41")
    assert status() == 0x0000
    i2c_transfer(gw, "i2c", 0x44, b"\x21\x30")       # periodic mode: not modelled, not processed
    assert status() == 0x0002
    i2c_transfer(gw, "i2c", 0x44, b"\x30\x6D")       # heater on
    assert status() == 0x2000
    i2c_transfer(gw, "i2c", 0x44, b"\x2C\x06")
    hot = h1.decode(i2c_transfer(gw, "i2c", 0x44, b"", 6))
    assert hot["temperature_c"] == pytest.approx(29.5, abs=0.3) and hot["humidity_rh"] < 38 - 4
    i2c_transfer(gw, "i2c", 0x44, b"\x30\xA2")       # soft reset
    assert status() == 0x8010


def test_gateway_drives_each_i2c_part_by_its_recipe(lab):
    sim, ring = lab(BENCH + "faults:\n  - {at: 10, target: h1, fault: power_loss, duration: 3}\n")
    sim.run(30)
    h1 = [(r["t"], r["temperature_c"], r["humidity_rh"]) for r in samples(ring, "h1")]
    assert h1[0][0] == pytest.approx(1.0155)           # soft reset at 0, measure at 1, read 15.5 ms later
    assert all(abs(t - 26.5) <= 0.25 and abs(rh - 38) <= 2.1 for _, t, rh in h1)
    # NACK at 10..12, soft reset again at 13, data from 14
    assert [t for t, *_ in h1 if 9 <= t < 16] == [pytest.approx(9.0155), pytest.approx(14.0155),
                                                  pytest.approx(15.0155)]
    assert "no ACK at I2C address 0x44" in events(ring, "h1")[0]["error"]
    assert len(samples(ring, "lux1")) == 29            # the BH1750 beside it is read as before
