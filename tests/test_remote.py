"""A running lab takes faults and answers from outside: iotlab fault / iotlab answer over a real mosquitto,
then iotlab check grades the run from its trace."""

import json
import subprocess
import threading

import pytest

from mqtt_support import Mosquitto
from sim import JsonlSink, RingSink
from sim.mqtt.bridge import MqttBridge
from sim.mqtt.config import MqttConfig
from sim.rooms import scenario_dir
from sim.scenario import build, load

pytestmark = pytest.mark.skipif(subprocess.run(["which", "mosquitto"], capture_output=True).returncode != 0,
                                reason="mosquitto is not installed (.ci/run installs it)")
EXERCISE = scenario_dir() / "exercises" / "dead-sensor.yaml"


@pytest.fixture
def running(tmp_path):
    """The dead-sensor exercise for student s07, live on a private broker, paced x20, tracing to a file."""
    broker = Mosquitto(tmp_path).start()
    scenario, _ = load(EXERCISE, student="s07")
    ring, trace = RingSink(100_000), tmp_path / "run.jsonl"
    sink = JsonlSink(str(trace))
    sim = build(scenario, sinks=[ring, sink])
    bridge = MqttBridge(sim, MqttConfig(host="127.0.0.1", port=broker.port, lab=scenario.lab), log=lambda t: None)
    sim.trace.subscribe(bridge)
    bridge.start(connect_timeout_s=5)
    runner = threading.Thread(target=sim.run, args=(scenario.duration,), kwargs={"speed": 20})
    runner.start()
    url = f"mqtt://127.0.0.1:{broker.port}"
    done = []

    def finish():
        if not done:
            done.append(True)
            sim.stop()
            runner.join(10)
            sim.emit("$sim", "run.end", until=sim.now)
            sim.trace.flush()
            bridge.close()
            sink.close()
            sim.close()
    yield sim, ring, url, scenario, trace, finish
    finish()
    broker.stop()


def test_fault_and_answer_reach_a_running_lab_and_the_run_is_graded(running, cli, tmp_path):
    sim, ring, url, scenario, trace, finish = running
    code, out, err = cli("fault", scenario.lab, "inject", "th1", "bias", "offset=5", "--mqtt", url)
    assert code == 0, err
    assert "bias injected into th1" in out
    code, _, err = cli("fault", scenario.lab, "inject", "th1", "bais", "--mqtt", url)
    assert code == 2 and "does not support fault 'bais'" in err
    code, _, err = cli("fault", scenario.lab, "clear", "th1", "bias", "--mqtt", url)
    assert code == 0, err
    victim = scenario._variant["victim"]
    code, out, err = cli("answer", scenario.lab, "which", f"{victim} has no power", "--mqtt", url)
    assert code == 0 and "attempt 1 of 3" in out, err
    code, _, err = cli("answer", scenario.lab, "nosuch", "x", "--mqtt", url)
    assert code == 2 and "no question 'nosuch'" in err
    on = [r for r in ring.records if r["kind"] == "fault.on" and r["src"] == "th1"]
    assert on and on[0]["offset"] == 5
    finish()
    code, out, _ = cli("check", str(EXERCISE), "--trace", str(trace), "--format", "json")
    assert code == 0
    report, = json.loads(out)
    assert report["student"] == "s07"
    which = next(t for t in report["tasks"] if t["id"] == "which")
    assert which["status"] == "pass" and which["score"] == 10
    assert any(r["kind"] == "answer" for r in report["timeline"])


def test_no_lab_listening_is_a_clear_error(cli, tmp_path):
    broker = Mosquitto(tmp_path).start()
    try:
        code, _, err = cli("answer", "nolab", "which", "th1", "--mqtt", f"mqtt://127.0.0.1:{broker.port}",
                           "--timeout", "1")
        assert code == 1 and "no answer from lab 'nolab'" in err
    finally:
        broker.stop()
    code, _, err = cli("fault", "nolab", "inject", "th1", "stuck", "--mqtt", f"mqtt://127.0.0.1:{broker.port}")
    assert code == 1 and "cannot reach the broker" in err
