"""The fault catalogue: every family's faults produce their symptom; conditional and random faults."""

import pytest

from sim.faults import clear, inject

ROOM = """
name: faults
room: {size_m: [10, 10]}
environment:
  temperature: {base: 24, noise: 0, daily_amplitude: 0}
devices:
  - {id: gw, type: gateway}
  - {id: th1, type: rs485_th}
  - {id: th2, type: rs485_th, address: 2}
  - {id: pt1, type: pt100_transmitter}
  - {id: t1, type: lm35}
wiring: [gw.rs485 -> th1.rs485, th1.rs485 -> th2.rs485, gw.ai1 -> pt1.loop, gw.ai2 -> t1.out]
"""


def kind(ring, k, src=None):
    return [r for r in ring.records if r["kind"] == k and (src is None or r["src"] == src)]


def sample_times(ring, src, after=0.0):
    return [r["t"] for r in kind(ring, "sample", src) if r["t"] >= after]


def test_a_short_on_a_bus_silences_every_device_on_it(lab):
    sim, ring = lab(ROOM + "faults: [{at: 5.5, target: th2.rs485, fault: short, duration: 5}]\n")
    sim.run(15)
    quiet = [t for t in sample_times(ring, "th1") + sample_times(ring, "th2") if 6 <= t <= 10.4]
    assert not quiet                                   # a break at th2 would have left th1 talking
    assert {round(t) for t in sample_times(ring, "th1", 11)} >= {11, 12, 13, 14}
    assert sample_times(ring, "pt1", 6)[:3] == [6.0, 7.0, 8.0]


def test_a_short_or_reversed_loop_reads_as_a_dead_loop(lab):
    for fault in ("short", "reversed_polarity"):
        sim, ring = lab(ROOM + f"faults: [{{at: 2.5, target: pt1.loop, fault: {fault}}}]\n")
        sim.run(4)
        assert "< 3.6 mA" in [r for r in kind(ring, "event", "pt1") if "error" in r][0]["error"]


def test_reversed_polarity_is_for_loops_and_voltages_only(lab):
    sim, _ = lab(ROOM)
    with pytest.raises(ValueError, match="reversed_polarity applies to current_loop or analog_v wires"):
        inject(sim, "th1.rs485", "reversed_polarity")


def test_a_loose_contact_comes_and_goes(lab):
    sim, ring = lab(ROOM + "faults: [{at: 0, target: pt1.loop, fault: loose_contact, open_s: 3, closed_s: 6}]\n")
    sim.run(600)
    states = [r["state"] for r in kind(ring, "state", "pt1") if r.get("via") == "gw"]
    assert states.count("offline") >= 10 and states.count("online") >= 10      # dropped out and came back, often
    assert 0.4 < len(sample_times(ring, "pt1")) / 600 < 0.9
    sim, ring = lab(ROOM + "faults: [{at: 0, target: t1.out, fault: loose_contact, open_s: 3, closed_s: 6}]\n")
    sim.run(100)
    readings = [r["temperature_c"] for r in kind(ring, "sample", "t1")]
    assert 0.0 in readings and max(readings) > 20          # an open voltage input reads 0 V: 0 °C, now and then


def test_brownout_reboot_loop_and_crash(lab):
    sim, ring = lab(ROOM + "faults:\n"
                    "  - {at: 0, target: th1, fault: brownout, period_s: 10, dip_s: 2}\n"
                    "  - {at: 0, target: gw, fault: reboot_loop, up_s: 30, boot_s: 10}\n")
    sim.run(100)
    flaps = [r["state"] for r in kind(ring, "state", "th1") if "via" not in r]
    assert flaps[:4] == ["offline", "online", "offline", "online"] and len(flaps) >= 16
    gw = [(r["t"], r["state"]) for r in kind(ring, "state", "gw")]
    assert gw[:4] == [(0.0, "offline"), (10.0, "online"), (40.0, "offline"), (50.0, "online")]
    sim2, ring2 = lab(ROOM + "faults: [{at: 3.5, target: gw, fault: crash, duration: 4}]\n")
    sim2.run(12)
    assert not [t for t in sample_times(ring2, "t1") if 4 <= t < 7.5]
    assert {8.0, 9.0, 10.0} <= set(sample_times(ring2, "t1"))


def test_a_crash_and_a_power_loss_overlap_correctly(lab):
    sim, _ = lab(ROOM)
    gw = sim.devices["gw"]
    inject(sim, "gw", "power_loss")
    inject(sim, "gw", "crash")
    clear(sim, "gw", "power_loss")
    assert not gw.powered                              # still crashed
    clear(sim, "gw", "crash")
    assert gw.powered


def test_clock_drift_moves_the_gateways_schedule(lab):
    sim, ring = lab(ROOM + "faults: [{at: 0, target: gw, fault: clock_drift, ppm: 20000}]\n")
    sim.run(101)
    times = sample_times(ring, "t1")                     # 2 % fast: a poll every 1/1.02 s
    assert times[50] == pytest.approx(50 / 1.02, abs=1e-5) and len(times) == 104


def test_a_fault_on_a_condition_appears_when_it_first_holds(lab):
    body = ROOM.replace("daily_amplitude: 0}", "daily_amplitude: 0}\n  events: [{at: 30, change: {temperature: 20}, "
                        "ramp_s: 60}]")
    sim, ring = lab(body + "faults: [{when: th1.temperature_c > 30, target: t1, fault: stuck, duration: 20}]\n")
    sim.run(200)
    first_hot = next(r["t"] for r in kind(ring, "sample", "th1") if r["temperature_c"] > 30)
    on = kind(ring, "fault.on", "t1")
    assert len(on) == 1 and first_hot <= on[0]["t"] <= first_hot + 0.1 + 1e-9
    assert kind(ring, "fault.off", "t1")[0]["t"] == pytest.approx(on[0]["t"] + 20)


def test_random_faults_follow_mtbf_and_mttr_and_repeat_with_the_seed(lab):
    body = ROOM + "random_faults: [{devices: [th1, th2, pt1], fault: power_loss, mtbf: 10m, mttr: 1m}]\n"
    runs = []
    for _ in range(2):
        sim, ring = lab(body)
        sim.run(6 * 3600)
        runs.append([(r["t"], r["src"], r["kind"]) for r in ring.records if r["kind"] in ("fault.on", "fault.off")])
    assert runs[0] == runs[1]
    ons = [e for e in runs[0] if e[2] == "fault.on"]
    # three devices, 6 h, one failure per ~11 min each: about 100
    assert 60 < len(ons) < 140 and {e[1] for e in ons} == {"th1", "th2", "pt1"}


def test_random_faults_are_checked_when_the_file_is_read(write_scenario):
    from sim.scenario import ScenarioError, load
    with pytest.raises(ScenarioError) as err:
        load(write_scenario(ROOM + "random_faults: [{devices: [th1, th9], fault: power_loss, mtbf: 1h, mttr: 0}]\n"))
    text = str(err.value)
    assert "mttr is 0.0; it must be > 0" in text or "mttr" in text


def test_the_catalogue_command_lists_every_type_and_refuses_unknown_ones(cli):
    code, out, _ = cli("faults")
    assert code == 0
    for name in ("rs485_th", "gateway", "relay_module", "ab_swapped", "no_termination", "brownout", "reboot_loop",
                 "loose_contact", "clock_drift"):
        assert name in out
    code, _, err = cli("faults", "rs485_thx")
    assert code == 2 and "rs485_th" in err


def test_a_battery_runs_down_sags_then_dies_until_changed(lab):
    sim, ring = lab("""
name: battery
room: {size_m: [10, 10]}
devices:
  - {id: ble1, type: hm10}
faults: [{at: 0, target: ble1, fault: battery_depletion, remaining_s: 300, sag_s: 100}]
""")
    sim.run(400)
    states = [(r["t"], r["state"]) for r in kind(ring, "state", "ble1") if "via" not in r]
    assert states and all(200 <= t <= 300 for t, _ in states)
    assert states[-1] == (300.0, "offline") and sum(1 for _, s in states if s == "offline") >= 4
    clear(sim, "ble1", "battery_depletion")               # a new battery
    assert sim.devices["ble1"].powered
