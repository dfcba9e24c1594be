"""LoRaWAN-style nodes, the 8-path gateway and its network server; Cayenne LPP; the microwave oven."""

import pytest

from at_support import Term
from devices import lpp
from devices.lorawan import build_uplink, channels_mhz, parse_uplink
from sim.radio_physics import lora_airtime_s
from sim.scenario.problems import ScenarioError


def kinds(ring, kind, **match):
    return [r for r in ring.records if r["kind"] == kind and all(r.get(k) == v for k, v in match.items())]


def test_lpp_bytes():
    # the Cayenne LPP documentation's examples: 27.2 °C on channel 3, 64 %RH on channel 5
    assert lpp.encode([(3, "temperature_c", 27.2)]).hex(" ") == "03 67 01 10"
    assert lpp.encode([(5, "humidity_rh", 64.0)]).hex(" ") == "05 68 80"
    data = lpp.encode([(1, "temperature_c", -4.1), (2, "illuminance_lux", 420), (3, "co2_ppm", 812)])
    assert lpp.decode(data) == [(1, 0x67, -4.1), (2, 0x65, 420.0), (3, 0x7D, 812.0)]
    with pytest.raises(lpp.LppError):
        lpp.decode(b"\x01\x67\x01")
    with pytest.raises(lpp.LppError):
        lpp.decode(b"\x01\x99\x00\x00")


def test_uplink_frame_layout():
    frame = build_uplink(0x26011BDA, 5, b"\x01\x67\x00\xEB")
    assert frame.hex(" ") == "40 da 1b 01 26 00 05 00 01 01 67 00 eb 00 00 00 00"
    assert parse_uplink(frame) == (0x26011BDA, 5, 1, b"\x01\x67\x00\xEB")
    assert len(build_uplink(1, 0, b"")) == 12
    with pytest.raises(ValueError):
        parse_uplink(b"\x00" * 12)


def test_channel_plans():
    assert channels_mhz("EU868", 1)[:3] == (868.1, 868.3, 868.5)
    assert channels_mhz("CN470", 1) == (470.3, 470.5, 470.7, 470.9, 471.1, 471.3, 471.5, 471.7)
    assert channels_mhz("CN470", 2)[0] == 471.9


FIELD = """
name: field
room: {size_m: [20, 10], campus: {size_m: [4000, 4000], room_at_m: [1000, 1000]}}
radio: {shadowing: false}
devices:
  - {id: gw, type: lorawan_gateway, plan: campus, pos_m: [1500, 1000], backhaul_ms: 40}
  - {id: n1, type: lorawan_node, pos_m: [5, 5], period_s: 60, sf: 9, first_s: 10}
  - {id: t1, type: dht22, pos_m: [5, 5]}
%s
wiring:
  - n1.dio1 -> t1.data
faults: [%s]
"""


def test_readings_reach_the_server_as_samples(lab):
    sim, ring = lab(FIELD % ("", ""))
    sim.run(200)
    ups = kinds(ring, "uplink", src="gw")
    assert [u["fcnt"] for u in ups] == [0, 1, 2, 3]
    first = ups[0]
    assert first["dev"] == "n1" and first["sf"] == 9 and first["freq_mhz"] in channels_mhz("CN470", 1)
    frame_bytes = 12 + 1 + 2 * 4          # header + FPort + two LPP values (temperature, humidity)
    assert first["latency_ms"] == pytest.approx(lora_airtime_s(frame_bytes, 9) * 1000 + 40, abs=0.01)
    samples = kinds(ring, "sample", src="t1")
    assert len(samples) == 4 and samples[0]["via"] == "gw"
    assert set(samples[0]) >= {"temperature_c", "humidity_rh"}


def test_eu868_duty_cycle(lab):
    text = FIELD.replace("period_s: 60, sf: 9, first_s: 10", "period_s: 5, sf: 12, first_s: 1, region: EU868")
    text = text.replace("backhaul_ms: 40", "backhaul_ms: 40, region: EU868")
    sim, ring = lab(text % ("", ""))
    sim.run(600)
    tx = kinds(ring, "frame.tx", src="n1")
    airtime = tx[0]["airtime_ms"] / 1000
    gaps = [b["t"] - a["t"] for a, b in zip(tx, tx[1:])]
    assert min(gaps) >= airtime / 0.01 - 1e-6          # t_off = t_air / dc - t_air after each one
    assert any("dutycycle_wait_ms" in r for r in tx[1:])
    assert len(tx) < 600 / 5 / 5
    assert kinds(ring, "event", src="n1")[0]["error"].startswith("uplink skipped")


def test_gateway_down_stops_the_readings(lab):
    sim, ring = lab(FIELD % ("", "{at: 100s, target: gw, fault: gateway_down}"))
    sim.run(300)
    assert [s["t"] < 100 for s in kinds(ring, "sample", src="t1")] == [True, True]
    assert len([r for r in kinds(ring, "frame.rx", src="gw") if r["t"] > 100]) == 3
    lost = kinds(ring, "frame.lost", src="gw", bus="backhaul")
    assert len(lost) == 3 and lost[0]["reason"] == "gateway_down"


def test_two_gateways_one_uplink(lab):
    second = "  - {id: gw2, type: lorawan_gateway, plan: campus, pos_m: [1000, 1500], backhaul_ms: 10}"
    sim, ring = lab(FIELD % (second, ""))
    sim.run(200)
    assert len(kinds(ring, "frame.rx", bus="lora")) == 8           # both gateways heard all 4
    ups = kinds(ring, "uplink")
    assert len(ups) == 4 and {u["src"] for u in ups} == {"gw2"}     # the faster backhaul's copy wins
    assert sim.devices["gw"].command("stats", {})["duplicates"] == 4


def test_far_node_needs_a_higher_sf(lab):
    far = FIELD.replace("pos_m: [5, 5], period_s: 60, sf: 9", "plan: campus, pos_m: [3900, 3900], period_s: 60, sf: %d")
    far = far.replace("t1, type: dht22, pos_m: [5, 5]", "t1, type: dht22, plan: campus, pos_m: [3900, 3900]")
    got = {}
    for sf in (7, 12):
        sim, ring = lab(far.replace("%d", str(sf)) % ("", ""))
        sim.run(200)
        got[sf] = len(kinds(ring, "uplink"))
    assert got == {7: 0, 12: 4}


def test_power_above_the_region_limit_is_refused(lab):
    with pytest.raises(ScenarioError) as err:
        lab(FIELD.replace("sf: 9,", "sf: 9, region: EU868, tx_power_dbm: 19,") % ("", ""))
    assert "above the EU868 limit of 16 dBm" in str(err.value)


# -- the microwave oven -----------------------------------------------------------------------------------
KITCHEN = """
name: kitchen
room: {size_m: [20, 10]}
radio: {shadowing: false}
devices:
  - {id: zc, type: zigbee_cc2530, role: coordinator, pos_m: [1, 5], channel: %d}
  - {id: ze, type: zigbee_cc2530, pos_m: [12, 5], channel: %d, addr: 5}
  - {id: oven, type: microwave_oven, pos_m: [14, 5], runs: [{at: 20s, duration: 20s}]}
"""


@pytest.mark.parametrize("channel, hit", [(20, True), (11, False)])
def test_microwave_oven_hits_the_middle_channels(lab, channel, hit):
    sim, ring = lab(KITCHEN % (channel, channel))
    ze, zc = Term(sim, "ze", baud=9600), Term(sim, "zc", baud=9600)
    got = []
    for t in (10, 25, 30, 35, 45):
        ze.run(t - sim.now)
        ze.send(b"ping")
        ze.run(1)
        got.append(zc.take() == "ping")
    assert got[0] and got[-1]                        # before and after it runs
    assert (not any(got[1:4])) == hit
    assert [r["on"] for r in kinds(ring, "output", src="oven")] == [True, False]
    if hit:    # 2 m from the oven, the module's CSMA never finds the channel clear
        assert kinds(ring, "frame.lost", src="ze", reason="cca_failure")


def test_same_seed_same_trace(lab):
    text = FIELD % ("  - {id: gw2, type: lorawan_gateway, plan: campus, pos_m: [1000, 1500]}", "")
    runs = []
    for _ in range(2):
        sim, ring = lab(text.replace("radio: {shadowing: false}", "radio: {fading: rayleigh}"))
        sim.run(400)
        runs.append(list(ring.records))
    assert runs[0] == runs[1] and len(runs[0]) > 20
