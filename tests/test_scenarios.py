"""Every scenario shipped under scenarios/ loads and runs headless."""

import pytest

from sim import CounterSink
from sim.rooms import scenario_dir
from sim.scenario import build, load

SCENARIOS = sorted(scenario_dir().rglob("*.yaml"))


def test_there_are_scenarios():
    assert SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_runs_headless(path):
    scenario, _ = load(path)
    counter = CounterSink()
    sim = build(scenario, sinks=[counter])
    sim.run(min(scenario.duration, 600))
    # something reported, talked or booted its firmware
    assert counter.count("sample") + counter.count("frame.tx") + counter.count("firmware") > 0
    assert sim.now == min(scenario.duration, 600)
    sim.close()


def test_sensor_room_covers_every_signal_form_and_acquires_each_part():
    scenario, _ = load(scenario_dir() / "rooms" / "sensor-lab.yaml")
    counter = CounterSink()
    sim = build(scenario, sinks=[counter])
    forms = {port.form for dev in sim.devices.values() if dev.FAMILY == "sensors" for port in dev.ports.values()}
    assert forms >= {"analog_v", "current_loop", "digital", "pulse", "single_wire", "onewire", "i2c", "rs485"}
    sim.run(120)
    for dev in sim.devices.values():
        if dev.FAMILY == "sensors" and dev.id != "th2":     # th2 waits for a student's Modbus client
            assert counter.samples[dev.id] >= 100, dev.id
    sim.close()
