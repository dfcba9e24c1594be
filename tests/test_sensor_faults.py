"""The generic sensor faults every part gets: spikes, dead, slow_response."""

import math

import pytest

from sensor_rooms import events, room, samples

GW = "{id: gw, type: gateway}"
LM35 = room([GW, "{id: t1, type: lm35}"], ["gw.ai1 -> t1.out"], env={"temperature": 30})


def test_spikes_are_rare_outliers_of_the_given_size(lab):
    sim, ring = lab(LM35 + "faults:\n  - {at: 0, target: t1, fault: spikes, rate_per_min: 6, magnitude: 20}\n")
    sim.run(600)
    values = [v for t, v in samples(ring, "t1", "temperature_c") if t > 0]
    normal = [v for v in values if abs(v - 30) < 1]
    spikes = [v for v in values if abs(v - 30) >= 1]
    assert all(abs(abs(v - 30) - 20) < 1 for v in spikes)
    assert 30 <= len(spikes) <= 90 and len(normal) + len(spikes) == len(values)   # ~6 a minute for 10 minutes
    assert {v > 30 for v in spikes} == {True, False}                             # up and down


@pytest.mark.parametrize("kind, port, symptom", [
    ("pt100_transmitter", "loop", "broken wire"),
    ("dht11", "data", "no response on the single-wire pin"),
    ("bh1750", "i2c", "no ACK at I2C address 0x23"),
    ("ds18b20", "dq", "no presence pulse"),
    ("sht3x", "i2c", "no ACK at I2C address 0x44"),
    ("rs485_th", "rs485", "no reply"),
])
def test_dead_output_stage_is_silent_while_the_part_stays_powered(lab, kind, port, symptom):
    gw_port = {"loop": "ai1", "data": "dio1", "dq": "ow"}.get(port, port)
    sim, ring = lab(room([GW, f"{{id: s1, type: {kind}}}"], [f"gw.{gw_port} -> s1.{port}"],
                         faults=["{at: 10, target: s1, fault: dead, duration: 10}"]))
    sim.run(40)
    seen = events(ring, "s1")
    assert symptom in seen[0]["error"] and 10 <= seen[0]["t"] < 12
    assert seen[-1].get("restored") and 20 <= seen[-1]["t"] < 23
    assert sim.devices["s1"].powered and not [r for r in ring.of_kind("state") if r["src"] == "s1" and "via" not in r]


def test_dead_lm35_reads_zero_volts(lab):
    sim, ring = lab(LM35 + "faults:\n  - {at: 10, target: t1, fault: dead}\n")
    sim.run(20)
    assert samples(ring, "t1")[-1]["temperature_c"] == 0.0 and sim.devices["t1"].output("out") == 0.0


def test_slow_response_multiplies_the_time_constant(lab):
    sim, _ = lab(room(["{id: t1, type: lm35}"], events=["{at: 100, change: {temperature: 10}}"])
                 + "faults:\n  - {at: 50, target: t1, fault: slow_response, factor: 10, duration: 300}\n")
    t1 = sim.devices["t1"]
    sim.run(100)
    start = t1.sense(0)
    for step in range(1, 121):
        sim.run(100 + step)
        value = t1.sense(0)
    assert value - start == pytest.approx(10 * (1 - math.exp(-120 / 1200)), abs=0.15)    # τ 120 s × 10
    for step in range(1, 241):                    # the fault clears at 350 s: τ back to 120 s
        sim.run(340 + step)
    assert t1.sense(0) == pytest.approx(25 + 10, abs=1.0)


def test_slow_response_is_refused_for_an_instant_part(lab, write_scenario):
    from sim.scenario import ScenarioError, load
    body = room(["{id: f1, type: flame_sensor}"]) + "faults:\n  - {at: 5, target: f1, fault: slow_response}\n"
    with pytest.raises(ScenarioError, match="flame_sensor follows the room instantly"):
        load(write_scenario(body))
