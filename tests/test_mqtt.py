"""The MQTT bridge against a real mosquitto started on a free port for each test."""

import signal
import subprocess
import sys
import threading
import time

import orjson
import pytest

from mqtt_support import Mosquitto, Subscriber, make_ca, publish
from sim.mqtt.bridge import MqttBridge
from sim.mqtt.config import MqttConfig, parse_url
from sim.rooms import room_file
from sim.scenario import build, load

pytestmark = pytest.mark.skipif(subprocess.run(["which", "mosquitto"], capture_output=True).returncode != 0,
                                reason="mosquitto is not installed (.ci/run installs it)")


@pytest.fixture
def broker(tmp_path):
    b = Mosquitto(tmp_path).start()
    yield b
    b.stop()


def lab_sim(name="sensor-lab"):
    scenario, _ = load(room_file(name))
    return build(scenario)


def bridge_for(sim, port, lab="sensor-lab", logs=None, wait_s=5, **config):
    bridge = MqttBridge(sim, MqttConfig(host="127.0.0.1", port=port, lab=lab, **config),
                        log=(logs.append if logs is not None else lambda text: None))
    sim.trace.subscribe(bridge)
    bridge.start(connect_timeout_s=wait_s)
    return bridge


def run_while_publishing(sim, bridge, port, seconds, *messages):
    """Run the lab paced (x10) in the background, publish ``messages`` (topic, payload[, retain]) into it,
    then let it finish and close the bridge."""
    runner = threading.Thread(target=sim.run, args=(seconds,), kwargs={"speed": 10})
    runner.start()
    time.sleep(0.5)
    for message in messages:
        publish(port, *message)
    runner.join()
    bridge.close()


def seqs(sub, topic):
    return [orjson.loads(p)["seq"] for p in sub.topic(topic)]


def test_native_topics_payloads_and_status(broker):
    sub = Subscriber(broker.port, ["iotlab/#"])
    sim = lab_sim()
    bridge = bridge_for(sim, broker.port)
    sim.run(30)
    bridge.close()
    assert sub.wait_for(lambda m: any(t == "iotlab/sensor-lab/$sim/status" and p == b"offline" for t, p, _ in m))
    telemetry = [orjson.loads(p) for p in sub.topic("iotlab/sensor-lab/th1/telemetry")]
    assert len(telemetry) == 30 and [m["seq"] for m in telemetry] == list(range(1, 31))
    assert set(telemetry[0]) == {"t", "seq", "via", "humidity_rh", "temperature_c"}
    assert telemetry[0]["via"] == "gw" and 15 < telemetry[0]["temperature_c"] < 35
    for device in ("t1", "pt1", "pir1", "dht1", "lux1", "th1", "gw"):
        assert sub.topic(f"iotlab/sensor-lab/{device}/status") == [b"online", b"offline"]
    sub.close()
    late = Subscriber(broker.port, ["iotlab/sensor-lab/+/status"])     # retained: a late subscriber sees them
    assert late.wait_for(lambda m: len(m) == len(sim.devices) + 1)     # every device and $sim
    assert all(retain and payload == b"offline" for _, payload, retain in late.messages)
    late.close()


def test_events_alarms_and_power_status(broker):
    sub = Subscriber(broker.port, ["iotlab/#"])
    sim = lab_sim()
    bridge = bridge_for(sim, broker.port)
    sim.post("th1", "fault.inject", {"fault": "power_loss"})
    sim.run(600)
    bridge.close()
    assert sub.wait_for(lambda m: bool(m) and (m[-1][0], m[-1][1]) == ("iotlab/sensor-lab/$sim/status", b"offline"))
    # online at start; offline when it loses power, again when the gateway finds it gone; offline at the end
    assert sub.topic("iotlab/sensor-lab/th1/status") == [b"online", b"offline", b"offline", b"offline"]
    assert sub.topic("iotlab/sensor-lab/pt1/status") == [b"online", b"offline", b"online", b"offline"]
    events = [orjson.loads(p) for p in sub.topic("iotlab/sensor-lab/pt1/event")]
    assert [("error" in e, e.get("restored")) for e in events] == [(True, None), (False, True)]
    motion = [orjson.loads(p) for p in sub.topic("iotlab/sensor-lab/pir1/event")]
    assert motion[0]["motion"] == 1 and motion[0]["kind"] == "event"
    assert not [t for t, _, _ in sub.messages if "fault" in t]         # students diagnose; faults are not announced


def test_last_will_marks_the_lab_offline_when_the_simulator_dies(broker):
    sub = Subscriber(broker.port, ["iotlab/willtest/$sim/status"])
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--speed", "1", "--until", "1h",
                             "--mqtt", f"mqtt://127.0.0.1:{broker.port}", "--lab-id", "willtest", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert sub.wait_for(lambda m: b"online" in [p for _, p, _ in m], 20)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        assert sub.wait_for(lambda m: [p for _, p, _ in m][-1:] == [b"offline"], 10)
    finally:
        if proc.poll() is None:
            proc.kill()
        sub.close()


def test_commands_change_a_device_and_bad_ones_do_not(broker):
    sub = Subscriber(broker.port, ["iotlab/sensor-lab/+/cmd/result", "iotlab/sensor-lab/t1/telemetry",
                                   "iotlab/sensor-lab/gw/event"])
    sim = lab_sim()
    bridge = bridge_for(sim, broker.port)
    cmd = "iotlab/sensor-lab/{}/cmd"
    commands = [("gw", b'{"name": "set_poll_period", "args": {"period_s": 3}, "id": 7}'),
                ("gw", b"not json"), ("gw", b'{"name": "set_poll_period", "args": {"period_s": -2}}'),
                ("gw", b'{"name": "launch"}'), ("nobody", b'{"name": "x"}'), ("gw", b"[1, 2]"),
                ("gw", b'{"name": "set_poll_period", "args": {"period_s": 5}, "pad": "' + b"x" * 5000 + b'"}')]
    run_while_publishing(sim, bridge, broker.port, 120, *[(cmd.format(d), p) for d, p in commands])
    assert sub.wait_for(lambda m: len([t for t, _, _ in m if t.endswith("result")]) >= 7)
    results = [orjson.loads(p) for p in sub.topic(cmd.format("gw") + "/result")]
    assert {"id": 7, "ok": True, "poll_period_s": 3.0} in results       # answers come back in any order
    errors = " | ".join(sorted(r["error"] for r in results if not r["ok"]))
    for expected in ("not JSON", "0.01 to 3600", "no command 'launch'", "a command is {", "at most 4096 bytes"):
        assert expected in errors
    assert len(results) == 6
    assert "no device 'nobody'" in orjson.loads(sub.topic(cmd.format("nobody") + "/result")[0])["error"]
    assert sim.devices["gw"].p.poll_period_s == 3.0
    changed = [orjson.loads(p) for p in sub.topic("iotlab/sensor-lab/gw/event")]
    assert [e["poll_period_s"] for e in changed] == [3.0]             # one change: the bad ones changed nothing
    times = [orjson.loads(p)["t"] for p in sub.topic("iotlab/sensor-lab/t1/telemetry")]
    after = [t for t in times if t > changed[0]["t"]]
    assert len(after) > 5 and {round(b - a, 3) for a, b in zip(after, after[1:])} == {3.0}


def test_broker_restart_mid_run_loses_nothing_at_qos1(tmp_path):
    broker = Mosquitto(tmp_path, persistence=True).start()
    sub = Subscriber(broker.port, ["iotlab/sensor-lab/+/telemetry"], client_id="keeper", persistent=True)
    sim = lab_sim()
    logs = []
    bridge = bridge_for(sim, broker.port, logs=logs)
    runner = threading.Thread(target=sim.run, args=(90,), kwargs={"speed": 30})
    runner.start()
    time.sleep(1.0)
    broker.stop()                 # the bridge keeps simulating; telemetry waits in the outbox
    time.sleep(1.5)
    broker.start()
    runner.join()
    bridge.close()
    last = bridge.format.sequences
    try:
        for device in ("t1", "pt1", "pir1", "dht1", "lux1", "th1"):
            topic = f"iotlab/sensor-lab/{device}/telemetry"
            assert sub.wait_for(lambda m, topic=topic, device=device:
                                set(range(1, last[device] + 1)) <= {orjson.loads(p)["seq"] for t, p, _ in m
                                                                    if t == topic}, 15), device
        assert bridge.dropped_by_policy() == {}
        assert any("lost" in line for line in logs) and any("reconnected" in line for line in logs)
    finally:
        sub.close()
        broker.stop()


def test_qos0_drops_while_away_and_reports_the_numbers(broker):
    sim = lab_sim()
    logs = []
    bridge = bridge_for(sim, broker.port, logs=logs, qos=0)
    sim.run(5)
    sim.trace.flush()
    time.sleep(0.3)
    broker.stop()
    deadline = time.monotonic() + 5
    while bridge.connected.is_set() and time.monotonic() < deadline:   # until the bridge notices
        time.sleep(0.02)
    sim.run(10)
    bridge.close()
    dropped = bridge.dropped_by_policy()
    assert dropped["th1"] and dropped["th1"][-1] == bridge.format.sequences["th1"]
    assert any("dropped by policy" in line for line in logs)


def test_a_full_outbox_drops_the_oldest_and_says_which(tmp_path):
    from sim.mqtt.broker import free_port
    sim = lab_sim()
    logs = []
    bridge = bridge_for(sim, free_port(), logs=logs, wait_s=0.5, outbox_max=1000)     # nobody listens there
    sim.run(600)
    bridge.close()
    dropped = bridge.dropped_by_policy()
    assert sum(len(v) for v in dropped.values()) > 2000
    assert dropped["t1"][0] == 1                                          # the oldest went first
    assert any("outbox is full" in line for line in logs)


def test_password_auth(tmp_path):
    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwords), "alice", "s3cret"], check=True)
    broker = Mosquitto(tmp_path, f"allow_anonymous false\npassword_file {passwords}\n").start()
    try:
        sub = Subscriber(broker.port, ["iotlab/#"], username="alice", password="s3cret")
        good = bridge_for(lab_sim(), broker.port, username="alice", password="s3cret")
        good.sim.run(10)
        good.close()
        assert sub.wait_for(lambda m: len(m) > 50)
        logs = []
        bad = bridge_for(lab_sim(), broker.port, lab="intruder", logs=logs, wait_s=1, username="alice",
                         password="wrong")
        bad.sim.run(10)
        bad.close()
        assert any("refused the connection" in line for line in logs), logs
        assert not [t for t, _, _ in sub.messages if "intruder" in t]
        assert not any("wrong" in line for line in logs)                  # credentials never printed
        sub.close()
    finally:
        broker.stop()


def test_acl_isolates_two_labs_on_one_broker(tmp_path):
    passwords, acl = tmp_path / "passwd", tmp_path / "acl"
    for user in ("alice", "bob"):
        subprocess.run(["mosquitto_passwd", "-b", *(["-c"] if user == "alice" else []), str(passwords), user, "pw"],
                       check=True)
    acl.write_text("pattern readwrite iotlab/%u/#\n")
    broker = Mosquitto(tmp_path, f"allow_anonymous false\npassword_file {passwords}\nacl_file {acl}\n").start()
    try:
        watch_all = Subscriber(broker.port, ["iotlab/#"], username="alice", password="pw")
        for user in ("alice", "bob"):
            b = bridge_for(lab_sim(), broker.port, lab=user, username=user, password="pw")
            b.sim.run(10)
            b.close()
        assert watch_all.wait_for(lambda m: any(t.startswith("iotlab/alice/") for t, _, _ in m))
        time.sleep(0.5)
        topics = {t.split("/")[1] for t, _, _ in watch_all.messages}
        assert topics == {"alice"}                                        # what is delivered, not the SUBACK
        watch_all.close()
    finally:
        broker.stop()


def test_tls_with_the_right_ca_and_refused_with_a_wrong_one(tmp_path):
    good, other = make_ca(tmp_path, "ca"), make_ca(tmp_path, "other")
    broker = Mosquitto(tmp_path, f"cafile {good['ca']}\ncertfile {good['cert']}\nkeyfile {good['key']}\n"
                       "allow_anonymous true\n").start(wait_tls=True)
    try:
        sub = Subscriber(broker.port, ["iotlab/#"], tls_ca=good["ca"])
        ok = bridge_for(lab_sim(), broker.port, lab="tls", tls=True, ca_file=good["ca"])
        ok.sim.run(10)
        ok.close()
        assert sub.wait_for(lambda m: any(t == "iotlab/tls/th1/telemetry" for t, _, _ in m))
        logs = []
        wrong = bridge_for(lab_sim(), broker.port, lab="mitm", logs=logs, wait_s=1, tls=True, ca_file=other["ca"])
        wrong.sim.run(10)
        wrong.close()
        assert not wrong.connected.is_set() and any("TLS with" in line and "CERTIFICATE_VERIFY_FAILED" in line
                                                    for line in logs), logs
        assert not [t for t, _, _ in sub.messages if "/mitm/" in t]
        sub.close()
    finally:
        broker.stop()


def test_tls_client_certificates(tmp_path):
    ca = make_ca(tmp_path, "ca")
    broker = Mosquitto(tmp_path, f"cafile {ca['ca']}\ncertfile {ca['cert']}\nkeyfile {ca['key']}\n"
                       "require_certificate true\nallow_anonymous true\n").start(wait_tls=True)
    try:
        logs = []
        with_cert = bridge_for(lab_sim(), broker.port, lab="mtls", logs=logs, tls=True, ca_file=ca["ca"],
                               cert_file=ca["client_cert"], key_file=ca["client_key"])
        with_cert.sim.run(5)
        with_cert.close()
        assert with_cert.published > 20 and not logs
        without = bridge_for(lab_sim(), broker.port, lab="nocert", logs=logs, wait_s=1, tls=True, ca_file=ca["ca"])
        without.sim.run(5)
        without.close()
        assert without.published == 0 and any("not connected" in line or "TLS" in line or "lost" in line
                                              for line in logs), logs
    finally:
        broker.stop()


def test_thingsboard_gateway_api_and_rpc(broker):
    sub = Subscriber(broker.port, ["v1/gateway/#"])
    sim = lab_sim()
    bridge = bridge_for(sim, broker.port, lab="tb", format="thingsboard")
    run_while_publishing(sim, bridge, broker.port, 20, ("v1/gateway/rpc", b'{"device": "tb.gw", "data": {"id": 42, '
                         b'"method": "set_poll_period", "params": {"period_s": 2}}}'))
    assert sub.wait_for(lambda m: any(t == "v1/gateway/disconnect" for t, _, _ in m))
    connects = [orjson.loads(p) for p in sub.topic("v1/gateway/connect")]
    assert {"device": "tb.th1", "type": "rs485_th"} in connects
    telemetry = [orjson.loads(p) for p in sub.topic("v1/gateway/telemetry")]
    th1 = [entry for t in telemetry for entry in t.get("tb.th1", [])]
    assert th1 and set(th1[0]) == {"ts", "values"} and "humidity_rh" in th1[0]["values"]
    assert th1[1]["ts"] - th1[0]["ts"] == 1000
    replies = [orjson.loads(p) for p in sub.topic("v1/gateway/rpc") if b'"data":{"ok"' in p]
    assert replies == [{"device": "tb.gw", "id": 42, "data": {"ok": True, "poll_period_s": 2.0}}]


def test_home_assistant_discovery(broker):
    sub = Subscriber(broker.port, ["homeassistant/#", "iotlab/ha/th1/telemetry"])
    sim = lab_sim()
    bridge = bridge_for(sim, broker.port, lab="ha", format="homeassistant")
    sim.run(5)
    bridge.close()
    assert sub.wait_for(lambda m: len([t for t, _, _ in m if t.startswith("homeassistant/")]) >= 8)
    config = orjson.loads(sub.topic("homeassistant/sensor/iotlab_ha_th1_temperature_c/config")[0])
    assert config["state_topic"] == "iotlab/ha/th1/telemetry"
    assert config["unit_of_measurement"] == "°C" and config["device_class"] == "temperature"
    assert config["availability"] == [{"topic": "iotlab/ha/th1/status"}, {"topic": "iotlab/ha/$sim/status"}]
    assert config["availability_mode"] == "all"          # the Last Will on $sim makes every entity unavailable
    motion = orjson.loads(sub.topic("homeassistant/binary_sensor/iotlab_ha_pir1_motion/config")[0])
    assert motion["device_class"] == "motion" and motion["payload_on"] == "1"
    configs = {t for t, _, _ in sub.messages if t.startswith("homeassistant/")}
    late = Subscriber(broker.port, ["homeassistant/#"])                # retained for Home Assistant restarts
    assert late.wait_for(lambda m: len(m) == len(configs)) and all(retain for _, _, retain in late.messages)
    late.close()


def test_hostile_commands_do_not_stop_the_lab_or_the_bridge(broker):
    sub = Subscriber(broker.port, ["iotlab/sensor-lab/gw/cmd/result", "iotlab/sensor-lab/t1/telemetry"])
    publish(broker.port, "iotlab/sensor-lab/gw/cmd", b'{"name": "set_poll_period", "args": {"period_s": 9}}',
            retain=True)                                               # a retained command must not run
    sim = lab_sim()
    logs = []
    bridge = bridge_for(sim, broker.port, logs=logs)
    deep = b"[" * 300 + b"]" * 300
    topic = "iotlab/sensor-lab/gw/cmd"
    run_while_publishing(sim, bridge, broker.port, 60,
                         (topic, b'{"name": "set_poll_period", "args": {"period_s": 2}, "id": ' + deep + b"}"),
                         (topic, b'{"name": "set_poll_period", "args": 5, "id": ' + deep + b"}"),
                         (topic, b"\xff\xfe not utf-8"))
    assert sim.now == 60 and sim.devices["gw"].p.poll_period_s == 1.0
    assert any("retained command" in line for line in logs)
    assert sub.wait_for(lambda m: len([t for t, _, _ in m if t.endswith("result")]) >= 3)
    errors = [orjson.loads(p)["error"] for p in sub.topic("iotlab/sensor-lab/gw/cmd/result")]
    assert sum("id must be a number or text" in e for e in errors) == 2 and any("not JSON" in e for e in errors)
    times = [orjson.loads(p)["t"] for p in sub.topic("iotlab/sensor-lab/t1/telemetry")]
    assert times[-1] == 59.0                                           # telemetry kept flowing to the end
    publish(broker.port, "iotlab/sensor-lab/gw/cmd", b"", retain=True)   # clear the retained command


def test_thingsboard_rpc_for_another_lab_is_not_answered(broker):
    sub = Subscriber(broker.port, ["v1/gateway/rpc"])
    sim = lab_sim()
    bridge = bridge_for(sim, broker.port, lab="bob", format="thingsboard")
    run_while_publishing(sim, bridge, broker.port, 20,
                         ("v1/gateway/rpc", b'{"device": "alice.gw", "data": {"id": 1, "method": "set_poll_period", '
                                            b'"params": {"period_s": 2}}}'),
                         ("v1/gateway/rpc", b'{"device": "gw", "data": {"id": 2, "method": "set_poll_period", '
                                            b'"params": {"period_s": 2}}}'))
    time.sleep(0.3)
    assert len(sub.messages) == 2 and sim.devices["gw"].p.poll_period_s == 1.0   # just the two requests


def test_bad_tls_files_are_refused_before_the_run(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--until", "5s",
                           "--mqtt", "mqtts://127.0.0.1:8883", "--mqtt-ca", str(bad)], capture_output=True, text=True)
    assert done.returncode == 2 and "cannot use the TLS files" in done.stderr and "Traceback" not in done.stderr


def test_url_errors_hide_the_password():
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--until", "5s",
                           "--mqtt", "mqtt://ann:topsecret@host:99999"], capture_output=True, text=True)
    assert done.returncode == 2 and "topsecret" not in done.stderr and "ann:***@host" in done.stderr


def test_zero_setup_starts_a_private_broker_when_none_answers(monkeypatch):
    from sim.mqtt import broker as brokers
    closed = brokers.free_port()
    chosen = brokers.choose(probe_port=closed)
    try:
        assert chosen.how == "mosquitto" and brokers.answers_mqtt("127.0.0.1", chosen.port)
    finally:
        chosen.stop()
    monkeypatch.setenv("PATH", "/nonexistent")
    fallback = brokers.choose(probe_port=closed)
    try:
        assert fallback.how == "amqtt" and brokers.answers_mqtt("127.0.0.1", fallback.port)
    finally:
        fallback.stop()
    assert not brokers.answers_mqtt("127.0.0.1", fallback.port)


def test_zero_setup_uses_a_broker_that_answers(broker):
    from sim.mqtt import broker as brokers
    assert brokers.choose(probe_port=broker.port).how == "local"


def test_url_parsing_and_secrets():
    config = parse_url("mqtts://ann:pa%40ss@broker.lan?client_id=c1&qos=0&keepalive=20")
    assert (config.host, config.port, config.tls, config.username, config.password) == \
        ("broker.lan", 8883, True, "ann", "pa@ss")
    assert (config.client_id, config.qos, config.keepalive) == ("c1", 0, 20)
    assert config.url() == "mqtts://ann:***@broker.lan:8883"
    for bad, message in [("http://x", "mqtt://"), ("mqtt://", "no host"), ("mqtt://h:99999", "port"),
                         ("mqtt://h?qos=2", "qos=0 or qos=1"), ("mqtt://h?foo=1", "unknown option")]:
        with pytest.raises(ValueError, match=message):
            parse_url(bad)


def test_cli_never_prints_the_password(broker):
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--until", "5s",
                           "--mqtt", f"mqtt://ann:topsecret@127.0.0.1:{broker.port}"],
                          capture_output=True, text=True)
    assert "topsecret" not in done.stdout + done.stderr
    assert "mqtt://ann:***@127.0.0.1" in done.stderr


def test_cli_rejects_bad_mqtt_options():
    for args, message in [(["--mqtt", "http://x"], "mqtt://"), (["--lab-id", "a/b", "--mqtt", "mqtt://127.0.0.1:1"],
                                                                 "cannot be part of a topic"),
                          (["--mqtt-ca", "/nope.crt", "--mqtt", "mqtts://127.0.0.1"], "no such file")]:
        done = subprocess.run([sys.executable, "-m", "sim.cli", "run", "sensor-lab", "--until", "5s", *args],
                              capture_output=True, text=True)
        assert done.returncode == 2 and message in done.stderr, done.stderr
