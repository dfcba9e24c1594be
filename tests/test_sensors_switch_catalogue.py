"""Switch-output parts (door contact, flame, water leak) and the DHT11: levels, edges, frames, failures."""

import pytest

from sensor_rooms import events, room, samples

GW = "{id: gw, type: gateway}"


def edges(ring, src, field):
    return [(e["t"], e[field]) for e in events(ring, src) if field in e]


@pytest.mark.parametrize("kind, quantity, field", [("door_contact", "door_open", "door_open"),
                                                   ("flame_sensor", "flame", "flame"),
                                                   ("water_leak", "water_leak", "water_leak")])
def test_switch_sensors_report_edges_at_once(lab, kind, quantity, field):
    sim, ring = lab(room([GW, f"{{id: s1, type: {kind}}}"], ["gw.di1 -> s1.out"],
                         events=[f"{{at: 3m, change: {{{quantity}: 1}}, duration: 30s}}"]))
    sim.run(400)
    seen = edges(ring, "s1", field)
    assert seen[0] == (180.5, 1)                              # checked every 0.5 s
    if kind == "water_leak":
        assert seen[1][1] == 0 and 300 < seen[1][0] < 360    # the probe takes minutes to dry
    else:
        assert seen == [(180.5, 1), (210.5, 0)]
    assert sim.devices["s1"].output("out") == 1              # DO idles high: active low
    polled = dict(samples(ring, "s1", field))
    assert polled[100.0] == 0 and polled[200.0] == 1


def test_flame_threshold_is_the_sensitivity_pot(lab):
    body = room([GW, "{id: f1, type: flame_sensor, threshold: 0.5}", "{id: f2, type: flame_sensor, threshold: 0.2}"],
                ["gw.di1 -> f1.out", "gw.di2 -> f2.out"], events=["{at: 10, change: {flame: 0.3}}"])
    sim, ring = lab(body)
    sim.run(20)
    assert edges(ring, "f1", "flame") == [] and edges(ring, "f2", "flame") == [(10.5, 1)]


@pytest.mark.parametrize("fault, kind, field, level", [("magnet_misaligned", "door_contact", "door_open", 1),
                                                       ("sunlight", "flame_sensor", "flame", 1)])
def test_installation_faults_give_false_detections(lab, fault, kind, field, level):
    sim, ring = lab(room([GW, f"{{id: s1, type: {kind}}}"], ["gw.di1 -> s1.out"],
                         faults=[f"{{at: 10, target: s1, fault: {fault}, duration: 10}}"]))
    sim.run(30)
    assert edges(ring, "s1", field) == [(10.0, level), (20.0, 1 - level)]


def test_corroded_leak_probe_misses_the_water(lab):
    sim, ring = lab(room([GW, "{id: s1, type: water_leak}"], ["gw.di1 -> s1.out"],
                         events=["{at: 20, change: {water_leak: 1}}"],
                         faults=["{at: 10, target: s1, fault: corroded_probe}"]))
    sim.run(60)
    assert edges(ring, "s1", "water_leak") == [] and samples(ring, "s1", "water_leak")[-1] == (59.0, 0)


@pytest.mark.parametrize("fault", ["power_loss", "dead"])
def test_a_switch_module_without_output_reads_as_a_detection(lab, fault):
    sim, ring = lab(room([GW, "{id: s1, type: flame_sensor}"], ["gw.di1 -> s1.out"],
                         faults=[f"{{at: 10, target: s1, fault: {fault}, duration: 5}}"]))
    sim.run(20)
    assert edges(ring, "s1", "flame") == [(10.0, 1), (15.0, 0)]
    states = [r["state"] for r in ring.of_kind("state") if r["src"] == "s1"]
    assert states == (["offline", "online"] if fault == "power_loss" else [])   # dead: still powered


def test_dht11_frame_round_trip_and_limits(lab):
    sim, ring = lab(room([GW, "{id: d1, type: dht11}"], ["gw.dio1 -> d1.data"],
                         env={"temperature": 23.4, "humidity": 61.0},
                         events=["{at: 100, change: {temperature: -30, humidity: 35}}"]))
    sim.run(90)
    d1 = sim.devices["d1"]
    frame = d1.read_frame()
    assert frame[1] == frame[3] == 0 and frame[4] == sum(frame[:4]) & 0xFF     # integer bytes, zero decimals
    assert d1.decode(frame) == {"humidity_rh": float(frame[0]), "temperature_c": float(frame[2])}
    assert abs(frame[2] - 23.4) <= 2 + 0.5 and abs(frame[0] - 61) <= 5 + 0.5
    assert d1.decode(bytes([55, 0, 24, 0, 79])) == {"humidity_rh": 55.0, "temperature_c": 24.0}
    sim.run(90.5)
    assert d1.read_frame() is frame                       # within a second: the same conversion
    sim.run(400)
    assert d1.read_frame()[:4] == bytes([90, 0, 0, 0])    # -6.6 °C and 96 %RH read as the part's limits
    with pytest.raises(Exception, match="DHT11 checksum error in 37 00 18 00 50"):
        d1.decode(bytes([55, 0, 24, 0, 80]))
    assert len(samples(ring, "d1")) == 400            # one a poll, 0 .. 399 s


def test_dht11_gives_no_answer_unpowered(lab):
    sim, ring = lab(room([GW, "{id: d1, type: dht11}"], ["gw.dio1 -> d1.data"],
                         faults=["{at: 5, target: d1, fault: power_loss, duration: 3}"]))
    sim.run(10)
    lost = [r["t"] for r in ring.of_kind("frame.lost") if r["device"] == "d1"]
    assert lost == [5.0, 6.0, 7.0] and samples(ring, "d1")[-1]["t"] == 9.0
