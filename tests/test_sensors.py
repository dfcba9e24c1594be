"""Sensor models follow the room as their datasheets say, and their outputs carry real signals/bytes."""

import math

import pytest

from sim.buses import i2c_transfer

CALM = """
environment:
  temperature: {base: 30, daily_amplitude: 0, noise: 0, per_person: 0}
  humidity: {base: 45, daily_amplitude: 0, noise: 0, per_person: 0}
  illuminance: {base: 500, daily_amplitude: 0, noise: 0}
"""


def room(devices: str, wiring: str = "", extra: str = "") -> str:
    return ("name: t\nroom: {size_m: [10, 10]}\n" + CALM + extra + "devices:\n" + devices
            + ("wiring:\n" + wiring if wiring else ""))


def samples(ring, src):
    return [r for r in ring.records if r["kind"] == "sample" and r["src"] == src]


def test_lm35_voltage_follows_the_room_with_its_lag(lab):
    sim, ring = lab(room("  - {id: gw, type: gateway}\n  - {id: t1, type: lm35}\n", "  - gw.ai1 -> t1.out\n"))
    sim.run(50)
    t1 = sim.devices["t1"]
    assert t1.output("out") == pytest.approx(0.30, abs=0.006)      # 10 mV/°C, within ±0.5 °C
    readings = [r["temperature_c"] for r in samples(ring, "t1")]
    assert len(readings) == 50
    assert all(abs(v - 30) <= 0.5 + 0.25 for v in readings)          # accuracy + one 12-bit LSB of 10 V


def test_first_order_lag_matches_the_closed_form(lab):
    body = room("  - {id: t1, type: lm35}\n", extra="  events: [{at: 100, change: {temperature: 10}}]\n")
    sim, _ = lab(body)
    t1 = sim.devices["t1"]                           # tau = 120 s
    sim.run(100)
    start = t1.sense(0)
    for step in range(1, 121):                       # sample every second, as a gateway would
        sim.run(100 + step)
        value = t1.sense(0)
    expected = start + 10 * (1 - math.exp(-120 / 120))
    assert value == pytest.approx(expected, abs=0.15)      # noise 0.03 °C


def test_pt100_loop_current_and_namur_limits(lab):
    sim, ring = lab(room("  - {id: gw, type: gateway}\n  - {id: pt1, type: pt100_transmitter}\n",
                         "  - gw.ai2 -> pt1.loop\n")
                    + "faults:\n  - {at: 10, target: pt1.loop, fault: wire_break, duration: 5}\n")
    sim.run(5)
    pt1 = sim.devices["pt1"]
    assert pt1.output("loop") == pytest.approx(4 + 16 * (30 + 50) / 200, abs=0.05)   # 10.4 mA at 30 °C
    sim.run(20)
    events = [r for r in ring.records if r["kind"] == "event"]
    assert "broken wire" in events[0]["error"] and events[0]["t"] == 10.0
    assert events[1]["restored"] is True and events[1]["t"] == 15.0
    assert not [r for r in samples(ring, "pt1") if 10 <= r["t"] < 15]


def test_pt100_saturates_inside_namur_band(lab):
    sim, _ = lab(room("  - {id: pt1, type: pt100_transmitter, range_low_c: 0, range_high_c: 20}\n"))
    sim.run(200)
    assert sim.devices["pt1"].output("loop") == 20.5


def test_dht22_frame_checksum_sign_and_two_second_rule(lab):
    body = room("  - {id: d1, type: dht22}\n").replace("temperature: {base: 30", "temperature: {base: -10.3")
    sim, _ = lab(body)
    d1 = sim.devices["d1"]
    sim.run(100)
    frame = d1.read_frame()
    assert len(frame) == 5 and (sum(frame[:4]) & 0xFF) == frame[4]
    assert frame[2] & 0x80                             # sign bit for below zero
    values = d1.decode(frame)
    assert values["temperature_c"] == pytest.approx(-10.3, abs=0.8)
    assert values["humidity_rh"] == pytest.approx(45, abs=2.5)
    sim.run(101)
    assert d1.read_frame() is frame                    # faster than 2 s: the same conversion


def test_bh1750_speaks_its_i2c_opcodes(lab):
    sim, _ = lab(room("  - {id: gw, type: gateway}\n  - {id: lux1, type: bh1750}\n", "  - gw.i2c -> lux1.i2c\n"))
    gw, lux = sim.devices["gw"], sim.devices["lux1"]
    assert i2c_transfer(gw, "i2c", 0x23, b"", 2) == b"\x00\x00"      # powered down: data register 0
    assert i2c_transfer(gw, "i2c", 0x5C, b"", 2) is None                # nobody at the other address
    i2c_transfer(gw, "i2c", 0x23, b"\x01")
    i2c_transfer(gw, "i2c", 0x23, b"\x10")
    sim.run(0.1)
    assert i2c_transfer(gw, "i2c", 0x23, b"", 2) == b"\x00\x00"      # conversion takes 120 ms
    sim.run(0.2)
    raw = int.from_bytes(i2c_transfer(gw, "i2c", 0x23, b"", 2), "big")
    assert 500 * 1.2 * 0.8 - 3 <= raw <= 500 * 1.2 * 1.2 + 3        # ±20 % part accuracy
    assert lux.decode(raw.to_bytes(2, "big"))["illuminance_lux"] == round(raw / 1.2, 1)


def test_gateway_reinitialises_a_bh1750_after_its_power_returns(lab):
    sim, ring = lab(room("  - {id: gw, type: gateway}\n  - {id: lux1, type: bh1750}\n", "  - gw.i2c -> lux1.i2c\n")
                    + "faults:\n  - {at: 10, target: lux1, fault: power_loss, duration: 5}\n")
    sim.run(30)
    times = [r["t"] for r in samples(ring, "lux1")]
    assert times[0] == 1.0 and 10.0 not in times and 14.0 not in times
    assert 16.0 in times and times[-1] == 29.0        # NACK at 10..14, init at 15, data from 16
    assert all(r["illuminance_lux"] > 300 for r in samples(ring, "lux1"))


def test_pir_follows_occupancy_and_reports_edges(lab):
    body = room("  - {id: gw, type: gateway}\n  - {id: p1, type: pir, warmup_s: 0}\n", "  - gw.di1 -> p1.out\n",
                "  events: [{at: 60, change: {occupancy: 10}, duration: 60}]\n")
    sim, ring = lab(body)
    sim.run(200)
    edges = [(r["t"], r["motion"]) for r in ring.records if r["kind"] == "event" and r["src"] == "p1"]
    assert edges[0][1] == 1 and 60 <= edges[0][0] < 62
    assert edges[-1][1] == 0 and 120 <= edges[-1][0] <= 126      # hold time 5 s after the last motion
    assert all(r["motion"] == 0 for r in samples(ring, "p1") if r["t"] < 60 or r["t"] > 126)


def test_sensor_faults_act_on_the_element(lab):
    body = room("  - {id: gw, type: gateway}\n  - {id: th1, type: rs485_th}\n", "  - gw.rs485 -> th1.rs485\n",
                "  events: [{at: 50, change: {temperature: 8}}]\n") + """faults:
  - {at: 20, target: th1, fault: stuck, duration: 60}
  - {at: 100, target: th1, fault: bias, field: humidity_rh, offset: 10}
"""
    sim, ring = lab(body)
    sim.run(200)
    stuck = [r["temperature_c"] for r in samples(ring, "th1") if 21 <= r["t"] < 80]
    assert len(set(stuck)) == 1                        # frozen while the room warms
    late = [r for r in samples(ring, "th1") if r["t"] > 150]
    assert late[-1]["temperature_c"] > 35              # the room's warmth shows again
    assert late[-1]["humidity_rh"] == pytest.approx(55, abs=3.5)
    kinds = [(r["kind"], r["fault"]) for r in ring.records if r["kind"].startswith("fault")]
    assert kinds == [("fault.on", "stuck"), ("fault.off", "stuck"), ("fault.on", "bias")]


@pytest.mark.parametrize("mode, counts_per_lux, step_lux", [(0x10, 1.2, 1), (0x11, 2.4, 0.5), (0x13, 1.2, 4)])
def test_bh1750_modes_scale_as_the_datasheet_says(lab, mode, counts_per_lux, step_lux):
    sim, _ = lab(room("  - {id: gw, type: gateway, poll_period_s: 3600}\n  - {id: lux1, type: bh1750}\n",
                      "  - gw.i2c -> lux1.i2c\n"))
    gw, lux = sim.devices["gw"], sim.devices["lux1"]
    sim.run(0.01)                                    # the gateway's own init (mode 0x10) is done
    i2c_transfer(gw, "i2c", 0x23, bytes([mode]))
    sim.run(0.2)
    raw = int.from_bytes(i2c_transfer(gw, "i2c", 0x23, b"", 2), "big")
    lux_read = raw / counts_per_lux
    assert lux_read == pytest.approx(lux.sense(0), abs=step_lux + 2)        # noise 0.5 lx
    assert lux_read / step_lux == pytest.approx(round(lux_read / step_lux), abs=0.5 / step_lux + 0.01)
