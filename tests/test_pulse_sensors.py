"""Pulse-output parts and the gateway's pulse counters: counts follow the rate, without an event per pulse."""

import pytest

from sensor_rooms import room, samples

GW = "{id: gw, type: gateway}"


def test_rain_gauge_tips_over_an_hour_match_the_rain(lab):
    sim, ring = lab(room([GW, "{id: r1, type: rain_gauge}", "{id: r2, type: rain_gauge}"],
                         ["gw.pi1 -> r1.out", "gw.pi2 -> r2.out"], env={"rain_mm_h": 12.0}))
    sim.run(3600.5)
    r1 = sim.devices["r1"]
    gain = r1.sense(0) / 12.0
    assert 0.97 <= gain <= 1.03                                   # ±4 % part, drawn within ±2.4 %
    total = samples(ring, "r1")[-1]["rain_mm"]
    assert total == pytest.approx(12.0 * gain, abs=0.2 + 1e-9)    # within one tip
    rates = {v for t, v in samples(ring, "r1", "rain_mm_h")}
    assert rates == {0.0, 720.0}                                   # 0.2 mm in a 1 s poll, or nothing
    first_tip = [[t for t, v in samples(ring, src, "rain_mm_h") if v][0] for src in ("r1", "r2")]
    assert first_tip[0] != first_tip[1]                            # the buckets start part filled, not in step


def test_flow_meter_pulses_over_an_hour_and_rate_per_poll(lab):
    sim, ring = lab(room(["{id: gw, type: gateway, poll_period_s: 10}", "{id: f1, type: flow_meter}"],
                         ["gw.pi1 -> f1.out"], env={"flow_l_min": 10.0}))
    events_before = len(sim.env._queue)
    sim.run(3600.5)
    f1 = sim.devices["f1"]
    q = f1.sense(0)
    assert 9.4 <= q <= 10.6                                        # ±10 % part
    last = samples(ring, "f1")[-1]
    assert last["volume_l"] == pytest.approx(q * 60, abs=1 / 450)     # 270,000 pulses, to the pulse
    assert all(abs(v - q) <= 1 / 10 / 7.5 + 0.01 for t, v in samples(ring, "f1", "flow_l_min"))  # ±1 pulse in 10 s
    assert len(sim.env._queue) <= events_before + 2                 # no event per pulse is ever queued


def test_flow_below_the_starting_flow_and_a_jammed_rotor_give_no_pulses(lab):
    sim, ring = lab(room([GW, "{id: f1, type: flow_meter}"], ["gw.pi1 -> f1.out"], env={"flow_l_min": 0.8},
                         events=["{at: 60, change: {flow_l_min: 10}}"],
                         faults=["{at: 120, target: f1, fault: rotor_jammed}"]))
    sim.run(200)
    totals = dict(samples(ring, "f1", "volume_l"))
    assert totals[60.0] == 0.0 and totals[119.0] > 8 and totals[199.0] == totals[121.0]


@pytest.mark.parametrize("fault", ["wire_break", "clogged", "power_loss", "dead"])
def test_rain_gauge_failures_lose_the_tips(lab, fault):
    target = "r1.out" if fault == "wire_break" else "r1"
    sim, ring = lab(room([GW, "{id: r1, type: rain_gauge}"], ["gw.pi1 -> r1.out"], env={"rain_mm_h": 36.0},
                         faults=[f"{{at: 100, target: {target}, fault: {fault}, duration: 100}}"]))
    sim.run(300.5)
    totals = dict(samples(ring, "r1", "rain_mm"))
    assert totals[100.0] == pytest.approx(1.0, abs=0.21) and totals[200.0] - totals[101.0] == 0.0
    assert totals[300.0] - totals[200.0] == pytest.approx(1.0, abs=0.21)
