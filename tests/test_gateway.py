"""The gateway: ADC quantisation, alarms with hysteresis, commands and faults through the inbox."""

import pytest

ROOM = """
name: gw
room: {size_m: [10, 10]}
environment:
  temperature: {base: 25, noise: 0, daily_amplitude: 0, per_person: 0}
  events: [{at: 60, change: {temperature: 10}, ramp_s: 60, duration: 120, name: heater}]
devices:
  - {id: gw, type: gateway, alarms: [{device: t1, field: temperature_c, above: 30, hysteresis: 1}]}
  - {id: t1, type: pt100_transmitter}
wiring: [gw.ai1 -> t1.loop]
"""


def test_adc_quantises_to_its_lsb(lab):
    sim, ring = lab(ROOM.replace("type: gateway,", "type: gateway, adc_bits: 8,"))
    sim.run(3)
    lsb_ma = 24 / 256
    for r in ring.of_kind("sample"):
        ma = 4 + 16 * (r["temperature_c"] + 50) / 200
        assert ma / lsb_ma == pytest.approx(round(ma / lsb_ma), abs=1e-3)


def test_alarm_raises_and_clears_with_hysteresis(lab):
    sim, ring = lab(ROOM)
    sim.run(400)
    alarms = ring.of_kind("alarm")
    assert [a["state"] for a in alarms] == ["raised", "cleared"]
    assert alarms[0]["value"] > 30 and alarms[0]["rule"] == "t1.temperature_c > 30"
    assert alarms[1]["value"] < 29                      # back below 30 - 1
    assert 60 < alarms[0]["t"] < 130 and alarms[1]["t"] > 240


def test_alarm_rule_must_name_a_device(write_scenario):
    from sim.scenario import ScenarioError, load
    with pytest.raises(ScenarioError, match="alarm rule names no device 'tx'"):
        load(write_scenario(ROOM.replace("device: t1", "device: tx")))


def test_set_poll_period_through_the_inbox(lab):
    sim, ring = lab(ROOM)
    replies = []
    sim.run(10)
    sim.post("gw", "command", {"name": "set_poll_period", "args": {"period_s": 5}}, reply=replies.append)
    sim.run(31)
    assert replies == [{"ok": True, "poll_period_s": 5.0}]
    times = [r["t"] for r in ring.of_kind("sample") if r["t"] > 10]
    assert times == [15.0, 20.0, 25.0, 30.0]     # the poll already due at t=10 runs, then every 5 s


@pytest.mark.parametrize("args, error", [
    ({"name": "set_poll_period", "args": {"period_s": -1}}, "period_s, a number of seconds"),
    ({"name": "set_poll_period", "args": {"period_s": "fast"}}, "got 'fast'"),
    ({"name": "reboot", "args": {}}, "gateway has no command 'reboot'; commands: set_poll_period"),
])
def test_bad_commands_are_refused_and_change_nothing(lab, args, error):
    sim, ring = lab(ROOM)
    replies = []
    sim.post("gw", "command", args, reply=replies.append)
    sim.run(5)
    assert replies[0]["ok"] is False and error in replies[0]["error"]
    assert sim.devices["gw"].p.poll_period_s == 1.0
    assert len(ring.of_kind("sample")) == 5


def test_faults_injected_and_cleared_live(lab):
    sim, ring = lab(ROOM)
    replies = []
    sim.post("gw", "fault.inject", {"fault": "power_loss"}, reply=replies.append)
    sim.run(5)
    assert ring.of_kind("sample") == [] and replies == [{"ok": True}]
    sim.post("gw", "fault.clear", {"fault": "power_loss"}, reply=replies.append)
    sim.post("t1", "fault.inject", {"fault": "bias", "offset": 3}, reply=replies.append)
    sim.post("t1", "fault.inject", {"fault": "melt"}, reply=replies.append)
    sim.run(8)
    assert replies[1:3] == [{"ok": True}, {"ok": True}]
    assert "does not support fault 'melt'" in replies[3]["error"]
    assert [r["temperature_c"] for r in ring.of_kind("sample")][-1] == pytest.approx(28, abs=0.6)
    assert [(r["kind"], r["fault"]) for r in ring.records if r["kind"].startswith("fault")] == [
        ("fault.on", "power_loss"), ("fault.off", "power_loss"), ("fault.on", "bias")]


@pytest.mark.parametrize("target, action, args, error", [
    ("th9", "command", {"name": "set_poll_period", "args": {"period_s": 2}}, "no device 'th9' in this lab; devices: gw, t1"),
    ("gw", "command", {"name": 3}, 'a command is {"name": COMMAND, "args": {...}}'),
    ("t1", "fault.inject", {"fault": "bias", "offset": "lots"}, "fault 'bias': offset is 'lots'; it must be a number"),
    ("t1", "fault.inject", {"fault": "bias"}, "fault 'bias': missing required key 'offset'"),
    ("t1", "fault.inject", {}, "say which fault"),
    ("t1.nope", "fault.inject", {"fault": "wire_break"}, "t1 has no port 'nope'; ports: loop"),
])
def test_bad_live_inputs_get_one_clear_line(lab, target, action, args, error):
    sim, _ = lab(ROOM)
    replies = []
    sim.post(target, action, args, reply=replies.append)
    sim.run(2)
    assert replies[0]["ok"] is False and error in replies[0]["error"], replies
    assert sim.now == 2
