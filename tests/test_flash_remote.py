"""``iotlab flash`` reaches a running lab over MQTT: the board resets and runs the new firmware."""

import subprocess
import threading

import pytest

from mqtt_support import Mosquitto
from sim import RingSink
from sim.mqtt.bridge import MqttBridge
from sim.mqtt.config import MqttConfig
from sim.mqtt.formats import Command, sim_request
from sim.rooms import room_file
from sim.scenario import build, load


def test_flash_request_parses_and_bad_ones_are_answered():
    parsed = sim_request("iotlab/x", "iotlab/x/$sim/flash", b'{"target": "b1", "source": "pass", "id": 3}')
    assert isinstance(parsed, Command) and parsed.action == "flash" and parsed.device == "b1"
    assert parsed.message_args == {"source": "pass", "name": "main.py"}
    bad = sim_request("iotlab/x", "iotlab/x/$sim/flash", b'{"target": "b1"}')
    assert not isinstance(bad, Command) and b"a flash request is" in bad[1]


@pytest.mark.skipif(subprocess.run(["which", "mosquitto"], capture_output=True).returncode != 0,
                    reason="mosquitto is not installed (.ci/run installs it)")
def test_iotlab_flash_reflashes_a_running_board(tmp_path, cli):
    broker = Mosquitto(tmp_path).start()
    scenario, _ = load(room_file("embedded-lab"))
    ring = RingSink(1_000_000)
    sim = build(scenario, sinks=[ring])
    bridge = MqttBridge(sim, MqttConfig(host="127.0.0.1", port=broker.port, lab=scenario.lab), log=lambda t: None)
    sim.trace.subscribe(bridge)
    bridge.start(connect_timeout_s=5)
    runner = threading.Thread(target=sim.run, args=(scenario.duration,), kwargs={"speed": 5})
    runner.start()
    try:
        firmware = tmp_path / "on.py"
        firmware.write_text("from machine import Pin\nPin('LED4', Pin.OUT).on()\n")
        url = f"mqtt://127.0.0.1:{broker.port}"
        code, out, err = cli("flash", scenario.lab, "blink", str(firmware), "--mqtt", url)
        assert code == 0, err
        assert "on.py flashed into blink" in out
        code, _, err = cli("flash", scenario.lab, "lamp1", str(firmware), "--mqtt", url)
        assert code == 2 and "takes no firmware" in err
    finally:
        sim.stop()
        runner.join(10)
        bridge.close()
        sim.close()
        broker.stop()
    records = [r for r in ring.records if r["src"] == "blink"]
    assert ("input", "flash") in [(r["kind"], r.get("action")) for r in records]
    assert [r for r in records if r["kind"] == "output" and r["output"] == "LED4"]
