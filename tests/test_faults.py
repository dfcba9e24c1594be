"""The fault injection point: timelines, live injection, overlapping and repeated faults."""

import pytest

ROOM = """
name: f
room: {size_m: [10, 10]}
environment:
  temperature: {base: 20, noise: 0, daily_amplitude: 0, per_person: 0}
  events: [{at: 100, change: {temperature: 10}}]
devices:
  - {id: gw, type: gateway}
  - {id: p, type: pt100_transmitter}
wiring: [gw.ai1 -> p.loop]
"""


def sample_times(ring, src="p"):
    return [r["t"] for r in ring.of_kind("sample") if r["src"] == src]


def test_overlapping_breaks_on_both_ends_of_a_wire(lab):
    sim, ring = lab(ROOM + """faults:
  - {at: 10, target: p.loop, fault: wire_break, until: 70}
  - {at: 20, target: gw.ai1, fault: wire_break, until: 25}
""")
    sim.run(80)
    times = sample_times(ring)
    assert 9.0 in times and not [t for t in times if 10 <= t < 70] and 70.0 in times


def test_injecting_again_replaces_the_parameters(lab):
    sim, ring = lab(ROOM)
    replies = []
    sim.post("p", "fault.inject", {"fault": "stuck", "value": 10}, reply=replies.append)
    sim.run(5)
    sim.post("p", "fault.inject", {"fault": "stuck", "value": 30}, reply=replies.append)
    sim.run(10)
    readings = [r["temperature_c"] for r in ring.of_kind("sample")]
    assert readings[1] == pytest.approx(10, abs=0.1) and readings[-1] == pytest.approx(30, abs=0.1)
    on = [r["value"] for r in ring.of_kind("fault.on")]
    assert on == [10, 30] and replies == [{"ok": True}, {"ok": True}]


def test_clearing_a_fault_that_is_not_on_is_refused(lab):
    sim, ring = lab(ROOM)
    replies = []
    sim.post("p", "fault.clear", {"fault": "stuck"}, reply=replies.append)
    sim.run(1)
    assert replies[0] == {"ok": False, "error": "p has no active fault 'stuck'; active: none"}
    assert ring.of_kind("fault.off") == []


def test_live_targets_follow_the_validator_rules(lab):
    sim, _ = lab(ROOM)
    replies = []
    sim.post("p.loop", "fault.inject", {"fault": "stuck"}, reply=replies.append)
    sim.post("p", "fault.inject", {"fault": "wire_break"}, reply=replies.append)
    sim.post("p", "fault.inject", {"fault": "bias", "offset": 1, "field": "humidity_rh"}, reply=replies.append)
    sim.post("p", "fault.inject", {"fault": ["stuck"]}, reply=replies.append)
    sim.run(1)
    assert [r["ok"] for r in replies] == [False] * 4
    assert "stuck applies to the whole device; target p, not p.loop" in replies[0]["error"]
    assert "wire_break is a wire fault; target a port, e.g. p.loop" in replies[1]["error"]
    assert "pt100_transmitter has no reading 'humidity_rh'" in replies[2]["error"]
    assert "say which fault" in replies[3]["error"]


def test_a_timeline_fault_cleared_by_hand_does_not_crash_its_scheduled_end(lab):
    sim, ring = lab(ROOM + "faults: [{at: 10, target: p, fault: power_loss, duration: 20}]\n")
    sim.run(15)
    sim.post("p", "fault.clear", {"fault": "power_loss"})
    sim.run(40)
    assert [r["t"] for r in ring.of_kind("fault.off")] == [15.0]
    assert sim.now == 40


def test_drift_grows_with_time(lab):
    sim, ring = lab(ROOM.replace("events: [{at: 100, change: {temperature: 10}}]", "events: []")
                    + "faults: [{at: 0, target: p, fault: drift, rate_per_h: 36}]\n")
    sim.run(601)
    readings = dict((r["t"], r["temperature_c"]) for r in ring.of_kind("sample"))
    assert readings[600.0] - readings[0.0] == pytest.approx(6.0, abs=0.15)     # 36/h for 10 minutes
