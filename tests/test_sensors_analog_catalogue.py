"""Analog parts of the sensor room: each follows the room within its datasheet accuracy, decodes its
own signal, and fails the way the real part does."""

import math

import pytest

from sensor_rooms import events, room, samples

GW = "{id: gw, type: gateway, analog_inputs: 4}"


def test_ntc_reads_the_room_through_its_divider(lab):
    sim, ring = lab(room([GW, "{id: n1, type: ntc_thermistor}"], ["gw.ai1 -> n1.ao"], env={"temperature": 30}))
    sim.run(120)                                      # τ 15 s: settled
    n1 = sim.devices["n1"]
    assert n1.decode(2.5)["temperature_c"] == 25.0    # R = R25 = the fixed resistor: mid-supply
    assert n1.output("ao") < 2.5                      # warmer: the thermistor below falls
    readings = [v for t, v in samples(ring, "n1", "temperature_c") if t > 100]
    assert readings and all(abs(v - 30) <= 0.5 + 0.05 for v in readings)


def test_ntc_open_element_and_lost_supply(lab):
    sim, ring = lab(room([GW, "{id: n1, type: ntc_thermistor}"], ["gw.ai1 -> n1.ao"],
                         faults=["{at: 10, target: n1, fault: open_element, duration: 10}",
                                 "{at: 30, target: n1, fault: power_loss, duration: 10}"]))
    sim.run(50)
    errors = [(e["t"], e.get("error", "restored")) for e in events(ring, "n1")]
    assert errors[0][0] == 10 and "open circuit" in errors[0][1]
    assert errors[2][0] == 30 and "no supply" in errors[2][1]
    assert [r["state"] for r in ring.of_kind("state") if r["src"] == "n1" and "via" in r] == ["offline", "online"]


def test_ldr_curve_is_inverted_by_its_decoder(lab):
    sim, ring = lab(room([GW, "{id: l1, type: photoresistor}"], ["gw.ai1 -> l1.ao"],
                         events=["{at: 10, change: {illuminance: 4500}}"]))
    sim.run(5)
    l1 = sim.devices["l1"]
    dim = l1.output("ao")
    assert l1.decode(l1.volts())["illuminance_lux"] == pytest.approx(l1.sense(0), rel=1e-3)
    sim.run(20)
    bright = l1.output("ao")
    assert dim < bright < 5.0 and bright - dim < dim     # steep in dim light, flat in bright light
    readings = [v for t, v in samples(ring, "l1", "illuminance_lux") if t < 10]
    assert all(500 * 0.7 <= v <= 500 * 1.3 for v in readings)    # GL5528 R10 spread: tens of percent


def test_soil_moisture_output_falls_as_the_soil_wets(lab):
    sim, ring = lab(room([GW, "{id: s1, type: soil_moisture}"], ["gw.ai1 -> s1.aout"], env={"soil_moisture": 0},
                         events=["{at: 30, change: {soil_moisture: 100}}"]))
    sim.run(20)
    s1 = sim.devices["s1"]
    assert s1.output("aout") == pytest.approx(2.9, abs=0.06)          # dry: ±3 %VWC of a 1.7 V span
    sim.run(60)
    assert s1.output("aout") == pytest.approx(1.2, abs=0.06)          # in water
    wet = [v for t, v in samples(ring, "s1", "soil_moisture_pct") if t > 50]
    assert all(v >= 96 for v in wet)


@pytest.mark.parametrize("variant, form, signal", [("4-20mA", "current_loop", ("mA", 4.0, 20.0)),
                                                   ("0-10V", "analog_v", ("V", 0.0, 10.0)),
                                                   ("0-5V", "analog_v", ("V", 0.0, 5.0))])
def test_anemometer_variants(lab, variant, form, signal):
    sim, ring = lab(room([GW, f"{{id: w1, type: anemometer, output: {variant}}}"], ["gw.ai1 -> w1.out"],
                         env={"wind_m_s": 15}, faults=["{at: 30, target: w1, fault: power_loss}"]))
    sim.run(29)
    w1 = sim.devices["w1"]
    assert w1.ports["out"].form == form and w1.SIGNAL == signal
    unit, lo, hi = signal
    assert w1.output("out") == pytest.approx(lo + (hi - lo) * 15 / 30, rel=0.06)
    assert all(abs(v - 15) <= 0.3 + 0.03 * 15 + 0.1 for t, v in samples(ring, "w1", "wind_m_s") if t > 10)
    sim.run(40)
    late = samples(ring, "w1", "wind_m_s")[-1]
    if unit == "mA":           # a live zero: a dead transmitter is a broken loop
        assert "broken wire" in events(ring, "w1")[0]["error"] and late[0] < 30
    else:                      # 0 V: a dead transmitter looks like calm air
        assert late == (39.0, 0.0) and not events(ring, "w1")


def test_anemometer_stalls_below_its_starting_speed_and_with_worn_bearings(lab):
    sim, _ = lab(room(["{id: w1, type: anemometer}"], env={"wind_m_s": 2.0},
                      faults=["{at: 20, target: w1, fault: bearing_wear, start_m_s: 3}"]))
    sim.run(10)
    w1 = sim.devices["w1"]
    assert w1.decode(w1.output("out"))["wind_m_s"] == pytest.approx(2.0, abs=0.4)
    sim.run(25)
    assert w1.output("out") == 4.0                    # the cups stand still: 0 m/s


def test_mq2_warms_up_from_high_and_settles(lab):
    sim, ring = lab(room([GW, "{id: g1, type: mq2, warmup_s: 60}"], ["gw.ai1 -> g1.ao", "gw.di1 -> g1.do"]))
    g1 = sim.devices["g1"]
    volts = []
    for t in (0.5, 10, 20, 40, 60, 120, 180):
        sim.run(t)
        volts.append(g1.output("ao"))
    assert volts[0] > 2.5 and volts == sorted(volts, reverse=True)      # starts high, falls all the way
    settled = volts[-1]
    assert settled < 0.8 and volts[4] - settled < 0.05 * (volts[0] - settled) + 0.01   # within 5 % at warmup_s
    alarm = [(e["t"], e["gas_alarm"]) for e in events(ring, "g1")]
    assert alarm[0] == (0.0, 1) and alarm[1][1] == 0 and alarm[1][0] < 60       # DO false alarm while cold
    assert all(v < 60 for t, v in samples(ring, "g1", "gas_ppm") if t > 120)    # clean air


def test_mq2_follows_gas_fast_and_recovers_slowly(lab):
    sim, ring = lab(room([GW, "{id: g1, type: mq2, warmup_s: 0}"], ["gw.ai1 -> g1.ao", "gw.di1 -> g1.do"],
                         events=["{at: 10, change: {gas: 2000}, duration: 100}"]))
    sim.run(100)
    g1 = sim.devices["g1"]
    gain = g1.sense(0) / 2000
    assert 0.7 <= gain <= 1.3
    peak = [v for t, v in samples(ring, "g1", "gas_ppm") if 80 <= t < 100]
    assert all(abs(v - 2000 * gain) < 2000 * gain * 0.05 for v in peak)
    assert [e["gas_alarm"] for e in events(ring, "g1")] == [1]
    sim.run(120)                     # 10 s after the gas is gone: τ 30 s on the way down, not 10 s
    assert g1.sense(0) == pytest.approx(2000 * gain * math.exp(-10 / 30), rel=0.05)


def test_mq2_heater_failure_reads_near_zero_and_warms_up_after_repair(lab):
    sim, ring = lab(room([GW, "{id: g1, type: mq2, warmup_s: 60}"], ["gw.ai1 -> g1.ao"], env={"gas": 3000},
                         faults=["{at: 200, target: g1, fault: heater_failure, duration: 100}"]))
    sim.run(290)
    g1 = sim.devices["g1"]
    assert g1.output("ao") < 0.06
    assert all(v < 5 for t, v in samples(ring, "g1", "gas_ppm") if 201 <= t < 290)
    sim.run(301)
    assert g1.output("ao") > 4.0     # the repaired heater starts a new warm-up


def test_mq2_unpowered_gives_no_signal_and_a_false_do_alarm(lab):
    sim, ring = lab(room([GW, "{id: g1, type: mq2, warmup_s: 0}"], ["gw.ai1 -> g1.ao", "gw.di1 -> g1.do"],
                         faults=["{at: 10, target: g1, fault: power_loss}"]))
    sim.run(15)
    seen = events(ring, "g1")
    assert {"gas_alarm": 1} in [{k: v for k, v in e.items() if k == "gas_alarm"} for e in seen if e["t"] == 10]
    assert any("no supply" in e.get("error", "") for e in seen)


@pytest.mark.parametrize("kind, port", [("lm35", "out"), ("pt100_transmitter", "loop"), ("ntc_thermistor", "ao"),
                                        ("photoresistor", "ao"), ("soil_moisture", "aout"), ("anemometer", "out"),
                                        ("mq2", "ao")])
def test_every_analog_part_stays_inside_its_declared_signal(lab, kind, port):
    sim, _ = lab(room([f"{{id: p, type: {kind}}}"], env={"temperature": 40, "wind_m_s": 12, "gas": 500}))
    p = sim.devices["p"]
    unit, lo, hi = p.SIGNAL
    for t in (1, 30, 300):
        sim.run(t)
        assert lo - 0.5 <= p.output(port) <= hi + 0.5, (kind, t, p.output(port))
